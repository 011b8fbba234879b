//! [`Yielder`]: how a lifespan's body hands its value over and suspends.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::sync::lock;

/// Where a body's yielded value waits for whoever drives the body.
pub(crate) type Slot<T> = Arc<Mutex<Option<T>>>;

/// Handed to a [`from_fn`](crate::from_fn) body: its one way to yield the value and suspend.
///
/// # Examples
///
/// ```
/// # use lifespan::{from_fn, Lifespan};
/// let greeting = from_fn("greeting", |yielder| async move {
///     yielder.yield_app("hello").await; // suspended here while the app runs
/// });
/// # let _ = greeting;
/// ```
pub struct Yielder<T> {
    slot: Slot<T>,
}

impl<T> Yielder<T> {
    /// A yielder, and the slot its value will be found in.
    pub(crate) fn new() -> (Yielder<T>, Slot<T>) {
        let slot = Slot::default();
        (Yielder { slot: slot.clone() }, slot)
    }

    /// Ends the startup half: hands `value` to whoever started the lifespan and suspends
    /// the body until the lifespan is stopped. Await it at the top level of the body; the
    /// future completes when the shutdown half begins.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let running = from_fn("n", |yielder| yielder.yield_app(7)).start().await.unwrap();
    /// assert_eq!(*running, 7);
    /// running.stop().await.unwrap();
    /// # });
    /// ```
    pub fn yield_app(self, value: T) -> YieldApp<T> {
        YieldApp {
            slot: self.slot,
            value: Some(value),
        }
    }
}

impl<T> std::fmt::Debug for Yielder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yielder").finish_non_exhaustive()
    }
}

/// The future returned by [`Yielder::yield_app`]: pending once (the app runs), then
/// ready (the shutdown half begins).
///
/// ```
/// # use lifespan::{from_fn, Lifespan};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // A body may be the yield point alone: it yields, and has nothing to close.
/// let value = from_fn("value", |yielder| yielder.yield_app("only a value"));
/// let running = value.start().await.unwrap();
/// assert_eq!(*running, "only a value");
/// running.stop().await.unwrap();
/// # });
/// ```
#[must_use = "the lifespan only suspends at `yield_app(..)` when it is awaited"]
pub struct YieldApp<T> {
    slot: Slot<T>,
    value: Option<T>,
}

// `value` is never pinned: it is moved out on the first poll.
impl<T> Unpin for YieldApp<T> {}

impl<T> Future for YieldApp<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.value.take() {
            // The first poll hands the value over and suspends. No waker is registered on
            // purpose: whoever drives the body looks into the slot after every poll, and
            // polls the body again only to run its shutdown half.
            Some(value) => {
                *lock(&this.slot) = Some(value);
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl<T> std::fmt::Debug for YieldApp<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YieldApp")
            .field("yielded", &self.value.is_none())
            .finish()
    }
}
