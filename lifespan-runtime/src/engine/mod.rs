//! The engine: scopes, what they hold, and how parts start and stop. It drives any
//! [`Body`]; the public `Lifespan` trait, its futures and `Running` are built on top of
//! it and are not known here. The arrows point one way, but for one cycle:
//!
//! - [`scope`]: [`Scope`], an async exit stack, and the app its tree shares; inside it,
//!   what a scope holds (`children`), the task-local current scope (`current`), and
//!   stopping a tree of scopes depth first (`teardown`).
//! - [`suspended`]: a started lifespan between its halves, with the scope its body runs
//!   in. A scope holds suspended lifespans and a suspended lifespan owns a scope: the one
//!   cycle of the crate, inherent to a tree of exit stacks.
//! - [`body`]: what the engine requires to start a lifespan (uses both above).
//! - [`start`]: the startup state machines, with rollback, and hand-over on drop (uses
//!   all three).

pub(crate) mod body;
pub(crate) mod scope;
pub(crate) mod start;
pub(crate) mod suspended;

pub use body::{Body, Started};
pub(crate) use scope::{Frame, stop_tree};
pub use scope::{Scope, TaskHandle};
pub use suspended::Stoppable;
pub(crate) use suspended::Suspended;
