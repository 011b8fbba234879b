//! The engine behind [`lifespan`](https://docs.rs/lifespan): lifespans, scopes,
//! timeouts, panic containment and tracked tasks.
//!
//! Users depend on `lifespan`, which re-exports what it lists from here together with
//! the `#[lifespan]` macros; the examples below are written as they would write them. This crate has no macros: every lifespan is written with
//! [`from_fn`], which is what `#[lifespan]` expands to.
//!
//! # A lifespan is one suspended future
//!
//! A lifespan's body runs its startup half, hands a value over at its yield point and
//! suspends there while the app runs; resuming it runs the shutdown half. The locals
//! are shared by both halves. [`Lifespan::start`] drives the body to the yield point on
//! the caller's task (no task is spawned per lifespan, so borrowed arguments and
//! `!Send` bodies work); [`Running::stop`] resumes it.
//!
//! ```
//! use lifespan::{from_fn, Lifespan, Scope};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let scope = Scope::new();
//! let db = scope.enter(from_fn("db", |y| async move {
//!     println!("db: connect");
//!     y.yield_app("db handle").await;
//!     println!("db: close");
//! })).await?;
//! let cache = scope.enter(from_fn("cache", |y| async move {
//!     y.yield_app("cache handle").await;
//!     println!("cache: flush");
//! })).await?;
//! println!("serving with {db} and {cache}");
//! scope.shutdown().await?; // cache: flush, then db: close
//! # Ok::<(), lifespan::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Where things are
//!
//! The guarantees (ordering, rollback, timeouts, panics, tasks) and the decisions
//! behind them are documented for users in the `lifespan` crate. How this crate is laid
//! out, and where a new feature goes, is in `ARCHITECTURE.md` at the repository's root:
//! leaves first, then the engine (`engine/`: scopes, startup, teardown), then the public
//! layer (the `Lifespan` trait, `from_fn`, `Running`, the named futures, the free
//! functions, the service runner and the process battery).
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

// Leaves: they import nothing else of the crate but one another.
mod config;
mod config_error;
mod error;
mod ledger;
mod outcome;
mod phase;
mod sync;
mod time;
pub mod timeline;

// The engine: scopes and how parts start and stop.
mod engine;

// The public layer, on top of the engine.
mod free;
mod from_fn;
pub mod futures;
mod lifespan;
#[cfg(all(feature = "process", unix))]
pub mod process;
mod restart;
mod running;
mod service;
mod yielder;

#[doc(hidden)]
pub mod __private;

pub use config_error::ConfigError;
pub use engine::{Scope, TaskHandle};
pub use error::{BoxError, Error, ErrorKind, GaveUp, Origin, TimeoutCause};
pub use free::{
    app_shutdown_requested, enter, is_app_shutdown_requested, is_shutdown_requested, on_shutdown,
    phase, request_shutdown, shutdown_requested, spawn, spawn_isolated, spawn_supervised,
    until_shutdown,
};
pub use from_fn::{FromFn, from_fn};
pub use lifespan::Lifespan;
pub use outcome::Outcome;
pub use phase::Phase;
pub use restart::{Follow, FollowValue, Restart, StoppedForGood, supervised};
pub use running::Running;
pub use service::MainOutput;
pub use yielder::Yielder;
