//! An [axum](https://docs.rs/axum) server as a lifespan, with the drain sequence a rolling
//! restart needs. Users reach it as `lifespan::axum`, behind the `axum` feature of the
//! `lifespan` crate.
//!
//! A separate crate rather than a module of the engine: the engine stays free of HTTP,
//! and only services that serve axum compile hyper's server.
//!
//! # The drain sequence
//!
//! The server is a lifespan, so it enters like every other part and stops in its place:
//! after the parts entered after it, before the parts it uses. When the app's shutdown
//! begins (SIGTERM under `#[lifespan::main]`, or `request_shutdown()`):
//!
//! 1. [`readyz`] answers 503 at once, so that a load balancer stops sending;
//! 2. for the **drain delay** (default 0), counted from that moment, the listener still
//!    accepts and serves as before: the time a load balancer or a Kubernetes endpoints
//!    controller takes to notice that the pod is leaving;
//! 3. then the listener closes, and every connection is told to finish: HTTP/1
//!    responses carry `Connection: close` and idle connections close, HTTP/2 clients
//!    get a GOAWAY; [`Draining`] resolves in handlers, for WebSockets and streams;
//! 4. requests in flight finish, within the **drain timeout** (default 10 s); what is
//!    still running then is cut, and counted. A WebSocket (an upgraded connection) is a
//!    connection like the others: the drain waits for its handler to close it, and
//!    shuts its socket down at the drain timeout;
//! 5. the server's shutdown half returns, and the parts it depends on stop, in reverse
//!    order as usual.
//!
//! A hurried shutdown (a second SIGINT or SIGTERM under `#[lifespan::main]`, or
//! [`Scope::request_hurry`](lifespan_runtime::Scope::request_hurry)) skips what is left
//! of steps 2 and 4: the listener closes and every connection is cut at once, counted
//! as above, and the parts behind the server still stop in order.
//!
//! ```no_run
//! use lifespan::{lifespan, yield_app};
//! use lifespan::axum::Server;
//! use std::time::Duration;
//!
//! #[lifespan::main(shutdown_timeout = "30s")]
//! async fn main() -> Result<(), lifespan::Error> {
//!     let app = axum::Router::new()
//!         .route("/", axum::routing::get(|| async { "hello" }))
//!         .route("/readyz", axum::routing::get(lifespan::axum::readyz));
//!     let serving = Server::new("127.0.0.1:8080".parse().unwrap(), app)
//!         .drain_delay(Duration::from_secs(5))
//!         .lifespan()
//!         .enter()
//!         .await?;
//!     println!("serving on http://{}", serving.local_addr());
//!     yield_app!();
//!     Ok(())
//! }
//! ```
//!
//! Handlers run inside the server's scope: `lifespan::phase()` and the other free
//! functions work in them, with no `Scope` carried in the router's state. A handler
//! that panics answers 500; the server goes on.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod connection;
mod draining;
mod readiness;
mod server;
mod service;
mod socket;

pub use draining::Draining;
pub use readiness::readyz;
pub use server::{Server, Serving, Stats};
