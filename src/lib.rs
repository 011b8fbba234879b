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

pub use lifespan_macros::{lifespan, test};
pub use lifespan_runtime::*;

/// Marks where a lifespan's startup ends and the app runs: `yield_app!(value)` hands
/// `value` over, `yield_app!()` hands over `()`. Only `#[lifespan]` understands it; used
/// anywhere else it is a compile error.
///
/// ```compile_fail
/// fn not_a_lifespan() {
///     lifespan::yield_app!(1);
/// }
/// ```
#[macro_export]
macro_rules! yield_app {
    // What `#[lifespan]` rewrites a top-level `yield_app!` into: the user's own path to
    // this macro stays in use, and the value keeps its span for type errors.
    // What the fallback of a `#[lifespan]` with a mistake refers to: nothing.
    (@__lifespan_unused) => {};
    (@__lifespan $yielder:ident) => {
        $yielder.yield_app(()).await
    };
    (@__lifespan $yielder:ident, $value:expr) => {
        $yielder.yield_app($value).await
    };
    ($($value:tt)*) => {
        ::core::compile_error!(
            "`yield_app!` only works at the top level of the body of a `#[lifespan] async fn`: \
             put it there, or hand the value over with `yielder.yield_app(value).await` inside `from_fn`"
        )
    };
}

/// What generated code reaches the runtime through. Not public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use lifespan_runtime::Lifespan;
    pub use lifespan_runtime::private::*;
}
