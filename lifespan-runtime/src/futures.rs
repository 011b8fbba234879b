//! The named futures of this crate, for storing them in structs or naming them in
//! signatures: what [`Lifespan::start`](crate::Lifespan::start),
//! [`Lifespan::enter`](crate::Lifespan::enter) and
//! [`Yielder::yield_app`](crate::Yielder::yield_app) return. Most code only `.await`s
//! them.
//!
//! ```
//! use lifespan::futures::Start;
//! use lifespan::{from_fn, Lifespan};
//!
//! fn starting<L: Lifespan>(lifespan: L) -> Start<L> {
//!     lifespan.named("replica").start()
//! }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let running = starting(from_fn("db", |y| y.yield_app(1))).await?;
//! assert_eq!(running.name(), "replica");
//! running.stop().await?;
//! # Ok::<(), lifespan::Error>(())
//! # }).unwrap();
//! ```

pub use crate::lifespan::{Enter, Start};
pub use crate::yielder::YieldApp;
