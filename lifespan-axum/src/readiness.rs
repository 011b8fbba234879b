//! [`readyz`]: a readiness handler with no glue.

use axum::http::StatusCode;

use crate::Draining;

/// A readiness handler: 200 `ready` while the app runs, 503 with the phase before
/// startup has finished and from the instant the app's shutdown begins, so that a load
/// balancer stops sending before the listener closes; 503 `restarting` while a part
/// whose restart policy says `unready_while_down` is down (see `Scope::is_ready`).
///
/// ```
/// let _app: axum::Router = axum::Router::new()
///     .route("/readyz", axum::routing::get(lifespan::axum::readyz));
/// ```
pub async fn readyz(draining: Draining) -> (StatusCode, &'static str) {
    let scope = &draining.shared.scope;
    if scope.is_app_shutdown_requested() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    match scope.phase() {
        lifespan_runtime::Phase::Running if !scope.is_ready() => {
            (StatusCode::SERVICE_UNAVAILABLE, "restarting")
        }
        lifespan_runtime::Phase::Running => (StatusCode::OK, "ready"),
        lifespan_runtime::Phase::Starting => (StatusCode::SERVICE_UNAVAILABLE, "starting"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "stopping"),
    }
}
