//! Startup and shutdown of each resource written together, in one async function, and a
//! runtime that composes many of them: the ordering, timeouts, panic containment and
//! background tasks a real service needs. What ASGI's `lifespan` gives Starlette and
//! FastAPI, for tokio services.
//!
//! ```
//! use lifespan::{from_fn, Lifespan, Scope};
//!
//! #[derive(Clone, Debug)]
//! struct Pool(&'static str);
//!
//! /// The app's database pool: connect, hand it over, close it at shutdown.
//! fn database(url: &'static str) -> impl Lifespan<Value = Pool, Error = std::io::Error> {
//!     from_fn("database", move |yielder| async move {
//!         let pool = Pool(url);                     // startup half
//!         yielder.yield_app(pool.clone()).await;    // the app runs here
//!         println!("closing {}", pool.0);           // shutdown half
//!         Ok(())
//!     })
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let app = Scope::new();
//! let pool = app.enter(database("sqlite::memory:")).await?;
//! app.spawn("server", {
//!     let shutdown = app.shutdown_requested();
//!     async move {
//!         println!("serving with {pool:?}");
//!         shutdown.await;
//!     }
//! });
//! app.request_shutdown();
//! app.shutdown().await?; // the server task, then the pool
//! # Ok::<(), lifespan::Error>(())
//! # }).unwrap();
//! ```
//!
//! Everything here comes from [`lifespan_runtime`]; see its documentation for the
//! guarantees (ordering, rollback, timeouts, panics, tasks) and the decisions behind
//! them. `#[lifespan]`, `#[lifespan::main]` and `#[lifespan::test]` are on their way;
//! they expand to [`from_fn`].
#![forbid(unsafe_code)]

pub use lifespan_runtime::*;

/// What generated code reaches the runtime through. Not public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use lifespan_runtime;
}
