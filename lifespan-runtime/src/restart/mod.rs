//! [`Restart`]: when a supervised task or lifespan comes back after it fails, how long
//! it waits first, and when it gives up.
//!
//! - `policy`: the public [`Restart`], built like tokio's builders;
//! - `backoff`: the arithmetic (delays, the intensity window, the reset), with no
//!   clock of its own, so that it is tested with plain instants;
//! - `supervise`: the loop a supervised task runs, on the runtime's clock;
//! - `supervised` and `follow`: a restarting lifespan, and the [`Follow`] of its
//!   value that it hands out.

mod backoff;
mod follow;
mod policy;
mod supervise;
mod supervised;

pub use follow::{Follow, StoppedForGood};
pub use policy::Restart;
pub use supervised::{FollowValue, supervised};
