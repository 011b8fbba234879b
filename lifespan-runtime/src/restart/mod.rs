//! [`Restart`]: when a supervised task comes back after it ends, how long it waits
//! first, and when it gives up.
//!
//! - `policy`: the public [`Restart`], built like tokio's builders;
//! - `backoff`: the arithmetic (delays, the intensity window, the reset), with no
//!   clock of its own, so that it is tested with plain instants;
//! - `supervise`: the loop a supervised task runs, on the runtime's clock.

mod backoff;
mod policy;
mod supervise;

pub use policy::Restart;
