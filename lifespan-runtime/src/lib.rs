//! The engine behind [`lifespan`](https://docs.rs/lifespan): lifespans, scopes,
//! timeouts, panic containment and tracked tasks.
//!
//! Users depend on `lifespan`, which re-exports everything here together with the
//! `#[lifespan]` macros. This crate has no macros: every lifespan is written with
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
//! use lifespan_runtime::{from_fn, Lifespan, Scope};
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
//! # Ok::<(), lifespan_runtime::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Scopes, and the guarantees
//!
//! A [`Scope`] is an async exit stack. Each lifespan's body runs in a scope of its own,
//! so lifespans form a tree, and teardown walks it:
//!
//! - Startup runs in program order; `tokio::try_join!(a.enter(), b.enter())` starts
//!   independent lifespans concurrently, each registered when its startup completes.
//! - Teardown stops a lifespan's shutdown half, then its children (entered lifespans,
//!   spawned tasks, `on_shutdown` hooks) in reverse order of registration. Each part is
//!   stopped exactly once, and never one whose startup did not complete.
//! - A failure (error, panic, timeout) in startup cancels that startup half and stops
//!   what it had entered, in reverse, within its own shutdown timeout; the caller gets
//!   the error, and when it fails in turn with `?`, its own scope unwinds likewise.
//! - A startup whose future is dropped before it finishes (a `try_join!` sibling failed,
//!   an outer timeout passed) loses nothing: the scope it was started in inherits what
//!   it had entered, or its rollback halfway through, and stops it with its own
//!   children, reporting every failure.
//! - A failure in shutdown is recorded and teardown goes on; the [`Error`] returned at
//!   the end holds every failure.
//! - Timeouts are per lifespan and per half. A timed-out half is dropped (cancelled);
//!   its children are still stopped. A root made with [`Scope::with_shutdown_timeout`]
//!   gives its teardown a deadline, and every part gets the smaller of its own timeout
//!   and what is left of it.
//! - Panics in either half, in tasks and in hooks are caught, named and reported.
//! - Tasks from [`spawn`] are tracked: when teardown begins, every
//!   [`shutdown_requested`] resolves; in its place in the reverse order each task is
//!   awaited within the deadline, then aborted. A task that fails while the app runs
//!   requests shutdown of the whole app, unless spawned with [`spawn_detached`].
//!
//! # Decisions where the design left room
//!
//! - The yielded value of a [`Running`] is dropped before its shutdown half runs.
//! - A lifespan's own scope is a child of the scope current where it was started, so
//!   [`request_shutdown`] from anywhere reaches the app's root, and a parent's teardown
//!   resolves its children's `shutdown_requested()`.
//! - Tasks spawned one after another form one group, stopped together; a server that
//!   spawns a task per connection keeps memory flat.
//! - A detached task's failure is logged at ERROR only.
//! - Without a deadline (a plain [`Scope::new`]), a task that ignores shutdown keeps
//!   teardown waiting; give the root a deadline to bound it.
//!
//! # Services
//!
//! `#[lifespan::main]` runs a whole service on this engine: signals, a global startup
//! and shutdown deadline, a watchdog for the force paths, exit codes through
//! [`MainOutput`], readiness through [`phase`], and a summary at the end. Its contract
//! is documented with the macro, in the `lifespan` crate.
//!
//! # Observability
//!
//! Each half runs in a `tracing` span `lifespan{name, phase}`; tasks in `task{name}`,
//! hooks in `hook{name}`. Events: `starting` and `stopping` at DEBUG, `started` and
//! `stopped` with their elapsed time at INFO, every failure at ERROR.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod current;
mod error;
mod from_fn;
mod lifespan;
mod outcome;
mod phase;
#[doc(hidden)]
pub mod private;
#[cfg(all(feature = "process", unix))]
pub mod process;
mod running;
mod scope;
mod service;
mod start;
mod sync;
mod teardown;
mod time;

pub use current::{
    enter, on_shutdown, phase, request_shutdown, shutdown_requested, spawn, spawn_detached,
    until_shutdown,
};
pub use error::{BoxError, Error, ErrorKind, Stage};
pub use from_fn::{FromFn, YieldApp, Yielder, from_fn};
pub use lifespan::Lifespan;
pub use outcome::Outcome;
pub use phase::Phase;
pub use running::{ErasedLifespan, Running};
pub use scope::Scope;
pub use service::MainOutput;
pub use start::{Enter, Start};
