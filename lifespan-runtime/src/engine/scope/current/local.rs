//! A value current while a future is polled or dropped: what `tokio::task_local!` does,
//! written here so that its poll is one small frame.
//!
//! A lifespan's body is polled with its scope current, and a body that enters another
//! lifespan polls that one's body from inside its own poll: nested startups stack this
//! poll once per level. tokio's `TaskLocalFuture` takes three frames for it (its poll, a
//! closure, `scope_inner`), about 600 bytes a level in a debug build; this one is
//! inlined into its caller, and sets and restores the value in calls of their own,
//! beside the poll rather than around it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::LocalKey;

use pin_project_lite::pin_project;

/// A thread-local slot used as a task-local: it holds a value only while a [`Scoped`]
/// future that owns it is polled or dropped.
pub(crate) struct TaskLocal<T: 'static>(pub(crate) &'static LocalKey<RefCell<Option<T>>>);

/// The value is not set here: code outside every [`Scoped`] future.
#[derive(Debug)]
pub(crate) struct NotSet;

impl<T: 'static> TaskLocal<T> {
    /// `future`, with `value` current while it is polled or dropped.
    pub(crate) fn scope<F: Future>(&'static self, value: T, future: F) -> Scoped<T, F> {
        Scoped {
            held: Held {
                key: self,
                value: Some(value),
                entered: false,
            },
            future: Some(future),
        }
    }

    /// `f` applied to the current value.
    pub(crate) fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, NotSet> {
        self.0
            .try_with(|slot| slot.borrow().as_ref().map(f))
            .ok()
            .flatten()
            .ok_or(NotSet)
    }
}

pin_project! {
    /// A future that runs with a value current; see [`TaskLocal::scope`].
    pub(crate) struct Scoped<T: 'static, F> {
        held: Held<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for Scoped<T, F> {
        fn drop(this: Pin<&mut Self>) {
            this.drop_future();
        }
    }
}

/// The value and where it goes while its future is polled.
struct Held<T: 'static> {
    key: &'static TaskLocal<T>,
    /// Here while the future is not polled; in the thread's slot while it is.
    value: Option<T>,
    /// Whether the value is in the slot (it cannot be during the thread's teardown).
    entered: bool,
}

impl<T: 'static, F> Scoped<T, F> {
    /// Drops the future now (if it has not finished), with its value current, as
    /// dropping the whole would; the value stays, for [`value`](Scoped::value).
    pub(crate) fn drop_future(self: Pin<&mut Self>) {
        let mut this = self.project();
        if this.future.is_none() {
            return;
        }
        // Dropped with its value current, as it runs; during the thread's own
        // teardown, when the slot is gone, without it.
        let _set = this.held.enter();
        this.future.set(None);
    }

    /// The value, between polls (not from inside the future, while it is in the slot).
    pub(crate) fn value(self: Pin<&Self>) -> &T {
        // Between polls `Held::value` is this future's own value; a poll swaps it with
        // the slot's only while it runs, and `Set` swaps it back, also on a panic.
        self.get_ref()
            .held
            .value
            .as_ref()
            .expect("a scoped future's value is held between its polls")
    }
}

impl<T: 'static, F: Future> Future for Scoped<T, F> {
    type Output = F::Output;

    // Inlined even in debug builds: this frame is stacked once per nested startup.
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let _set = this.held.enter();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            polled_after_completion()
        };
        let polled = future.poll(cx);
        if polled.is_ready() {
            // Dropped at once, with its value still current, as tokio's does.
            finish(this.future);
        }
        polled
    }
}

#[inline(never)]
fn finish<F>(mut future: Pin<&mut Option<F>>) {
    future.set(None);
}

#[cold]
#[inline(never)]
fn polled_after_completion() -> ! {
    panic!("a scoped future polled after it completed")
}

/// The value moved into the thread's slot, and moved back when this is dropped, also
/// by a panic. One pointer, and entering and leaving are calls of their own, not
/// frames around the poll.
struct Set<'a, T: 'static>(&'a mut Held<T>);

impl<T: 'static> Held<T> {
    #[inline(never)]
    fn enter(&mut self) -> Set<'_, T> {
        let value = &mut self.value;
        self.entered = self
            .key
            .0
            .try_with(|slot| std::mem::swap(&mut *slot.borrow_mut(), value))
            .is_ok();
        Set(self)
    }
}

impl<T: 'static> Drop for Set<'_, T> {
    #[inline(never)]
    fn drop(&mut self) {
        let held = &mut *self.0;
        if held.entered {
            held.entered = false;
            let value = &mut held.value;
            let _ = held
                .key
                .0
                .try_with(|slot| std::mem::swap(&mut *slot.borrow_mut(), value));
        }
    }
}
