//! Whether a shutdown request covers a scope, so that a startup in progress in it is
//! cut: the app's request covers every scope; a local one, its own scope and those
//! below.
//!
//! A startup asks before each poll of its body, and most ask once: a part whose startup
//! finishes in its first poll must not pay for a waker it never needs. So asking is
//! loads only, and only a startup that waits takes a [`CutWatch`]: a clone of the app's
//! one *generation* token, which the app's request cancels (it is its child) and every
//! local request cancels and replaces. A startup woken by it asks again, and takes the
//! next generation if the request was not for it. No token per scope is made, and a
//! local request, which is rare, pays for waking every waiting startup once.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Weak};
use std::task::Context;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::sync::lock;

use super::{App, Inner, Scope};

/// An app's side of cutting startups.
#[derive(Default)]
pub(super) struct Requests {
    /// A local request was made somewhere in the app: only then can a scope be covered
    /// without the app's request, and only then is the way to the root walked.
    any_local: AtomicBool,
    /// What waiting startups watch: cancelled by the app's request (its parent), and by
    /// each local one, which then puts a fresh one in its place. Made by the first
    /// startup that waits.
    generation: Mutex<Option<CancellationToken>>,
}

/// What a waiting startup watches: it resolves when a request may cover it.
pub(in crate::engine) struct CutWatch(Pin<Box<WaitForCancellationFutureOwned>>);

impl CutWatch {
    /// Whether a request came since it was taken; registers `cx`'s waker otherwise.
    pub(in crate::engine) fn poll_request(&mut self, cx: &mut Context<'_>) -> bool {
        self.0.as_mut().poll(cx).is_ready()
    }
}

impl Scope {
    /// Whether a shutdown request covers this scope: the app's, or a local one here or
    /// above. Loads only, unless a local request was ever made in the app.
    #[inline]
    pub(in crate::engine) fn is_cut(&self) -> bool {
        let app = &self.inner.app;
        app.shutdown
            .get()
            .is_some_and(CancellationToken::is_cancelled)
            || (app.requests.any_local.load(Ordering::SeqCst) && self.inner.is_covered_locally())
    }

    /// Whether a startup in this scope must be cut now; if not, `watch` is the one that
    /// wakes `cx` when that may change. Called when the startup first waits, and when
    /// its watch woke it for a request that may not be for it: beside the poll path,
    /// whose frames it must not grow.
    #[inline(never)]
    pub(in crate::engine) fn watch_cut(
        &self,
        watch: &mut Option<CutWatch>,
        cx: &mut Context<'_>,
    ) -> bool {
        loop {
            // Taken before asking: a request that comes in between cancels it.
            let mut next = CutWatch(Box::pin(self.generation().cancelled_owned()));
            if self.is_cut() {
                return true;
            }
            if !next.poll_request(cx) {
                *watch = Some(next);
                return false;
            }
        }
    }

    /// The app's current generation, made on first use as a child of its request.
    fn generation(&self) -> CancellationToken {
        let app: &App = &self.inner.app;
        lock(&app.requests.generation)
            .get_or_insert_with(|| app.shutdown_token().child_token())
            .clone()
    }

    /// A local request here: this scope and those below are covered from now on, and
    /// every waiting startup asks again.
    pub(super) fn cut_locally(&self) {
        self.inner.locally_stopped.store(true, Ordering::SeqCst);
        let app = &self.inner.app;
        app.requests.any_local.store(true, Ordering::SeqCst);
        let replaced = lock(&app.requests.generation).take();
        if let Some(generation) = replaced {
            generation.cancel();
        }
    }
}

impl Inner {
    /// A local request was made here or above.
    fn is_covered_locally(&self) -> bool {
        if self.locally_stopped.load(Ordering::SeqCst) {
            return true;
        }
        let mut above = self.parent.as_ref().and_then(Weak::upgrade);
        while let Some(inner) = above {
            if inner.locally_stopped.load(Ordering::SeqCst) {
                return true;
            }
            above = inner.parent.as_ref().and_then(Weak::upgrade);
        }
        false
    }
}
