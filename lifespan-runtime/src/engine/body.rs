//! What the engine requires to start a lifespan. The public
//! [`Lifespan`](crate::Lifespan) trait requires it; only this crate implements it, and
//! nothing outside it can name it, so the trait stays sealed.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::config::Config;
use crate::error::BoxError;

use super::scope::Scope;
use super::suspended::Stoppable;

/// A lifespan that can be started. The associated types are the public trait's
/// `Value` and `Error` under names of their own, so that naming either through a
/// `L: Lifespan` is never ambiguous.
pub trait Body: Stoppable {
    /// What the startup half yields.
    type Yielded;
    /// What either half fails with.
    type Failure: Into<BoxError>;

    #[doc(hidden)]
    fn __config_mut(&mut self) -> &mut Config;

    /// Sets the body up to run in `scope`; called once, before the first poll.
    #[doc(hidden)]
    fn __begin(self: Pin<&mut Self>, scope: Scope);

    /// Drops the body where it stands (the startup is cancelled), keeping the
    /// configuration. A body that had entered lifespans drops their startups inside
    /// this call, level by level, so it is kept to a small frame.
    #[doc(hidden)]
    fn __cancel(self: Pin<&mut Self>);

    /// Polls the startup half.
    #[doc(hidden)]
    fn __poll_start(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Started<Self::Yielded, Self::Failure>>;
}

/// How one poll of the startup half ended.
#[derive(Debug)]
pub enum Started<T, E> {
    /// The body reached its yield point with this value.
    Yielded(T),
    /// The body ended without yielding.
    Returned(Result<(), E>),
}
