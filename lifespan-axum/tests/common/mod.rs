//! What the server's tests share: a bound on every wait, a loopback address, a server
//! entered in a root with a deadline, and a shutdown begun on a task of its own.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use lifespan_axum::{Server, Serving};
use lifespan_runtime::Scope;
use tokio::task::JoinHandle;

/// `future`, or a failed test after ten seconds: a broken signal fails, never hangs.
pub async fn bounded<F: std::future::IntoFuture>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("nothing happened for ten seconds")
}

/// Any free port on loopback.
pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// `server` entered in a root whose shutdown deadline is 20 s.
pub async fn start(server: Server) -> (Scope, Serving) {
    let scope = Scope::with_shutdown_timeout(Duration::from_secs(20));
    let serving = scope.enter(server.lifespan()).await.expect("binds");
    (scope, serving)
}

/// The scope's shutdown, begun on its own task so that the test can watch the clients
/// while it runs.
pub fn begin_shutdown(scope: &Scope) -> JoinHandle<Result<(), lifespan_runtime::Error>> {
    let scope = scope.clone();
    tokio::spawn(async move { scope.shutdown().await })
}
