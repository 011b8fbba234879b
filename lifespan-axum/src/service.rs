//! The router as hyper serves it: each request carries [`Draining`], is counted while in
//! flight, and a panic in its handler answers 500 instead of dropping the connection.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::response::IntoResponse;
use futures_util::FutureExt;
use hyper::body::Incoming;

use crate::Draining;
use crate::server::Shared;
use crate::socket::Upgrade;

/// The router, the server it is served by, and the connection it serves.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) router: axum::Router,
    pub(crate) shared: Arc<Shared>,
    /// The connection's watch for an upgrade, told when a handler answers 101; `None`
    /// in the server's own copy, which serves no connection.
    pub(crate) upgrade: Option<Arc<Upgrade>>,
}

impl hyper::service::Service<Request<Incoming>> for App {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(Draining {
            shared: self.shared.clone(),
        });
        let in_flight = InFlight::begin(self.shared.clone());
        let mut router = self.router.clone();
        let upgrade = self.upgrade.clone();
        Box::pin(async move {
            let handled =
                AssertUnwindSafe(tower_service::Service::call(&mut router, request)).catch_unwind();
            let response = match handled.await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_panic) => {
                    tracing::error!("a handler panicked; answered 500");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            };
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                if let Some(upgrade) = upgrade {
                    upgrade.answered();
                }
            }
            in_flight.done();
            Ok(response)
        })
    }
}

/// A request in flight. Done, it counts as completed during the drain if the drain had
/// begun; dropped before done while the server drains (its connection was cut), it
/// counts as cut. A client that hangs up on its own is not the drain's doing.
struct InFlight {
    shared: Arc<Shared>,
    done: bool,
}

impl InFlight {
    fn begin(shared: Arc<Shared>) -> Self {
        InFlight {
            shared,
            done: false,
        }
    }

    fn done(mut self) {
        self.done = true;
        if self.shared.drain.is_cancelled() {
            self.shared
                .stats
                .completed_while_draining
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.done && self.shared.drain.is_cancelled() {
            self.shared.stats.cut.fetch_add(1, Ordering::Relaxed);
        }
    }
}
