//! [`Draining`]: "this server is draining", for handlers of long-lived connections.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::server::Shared;

/// Tells a handler that its server is draining: the listener has closed and every
/// connection has been asked to finish. A WebSocket or a server-sent-events stream
/// awaits [`wait`](Draining::wait) to send its goodbye and close; what ignores it is
/// cut at the drain timeout.
///
/// An extractor: add it to a handler's arguments. It is also reachable from
/// [`Serving::draining`](crate::Serving::draining).
///
/// ```
/// use lifespan::axum::Draining;
///
/// async fn events(draining: Draining) -> &'static str {
///     tokio::select! {
///         () = draining.wait() => "bye",
///         () = std::future::pending::<()>() => "never",
///     }
/// }
/// let _app: axum::Router = axum::Router::new().route("/events", axum::routing::get(events));
/// ```
#[derive(Clone)]
pub struct Draining {
    pub(crate) shared: Arc<Shared>,
}

impl Draining {
    /// Resolves once the server drains.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: drop it and ask again.
    pub async fn wait(&self) {
        self.shared.drain.cancelled().await;
    }

    /// Whether the server drains.
    pub fn is_draining(&self) -> bool {
        self.shared.drain.is_cancelled()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Draining {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Draining>()
            .cloned()
            .expect("every request served by lifespan::axum::Server carries a Draining"))
    }
}

impl std::fmt::Debug for Draining {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Draining")
            .field("draining", &self.is_draining())
            .finish()
    }
}
