//! [`Detached`]: a teardown on a task of its own, so that whoever waits for it may stop
//! waiting (a `select!`, an outer timeout) without cutting it short.
//!
//! Whoever waits when it finishes gets its failures. If nobody does, they are logged at
//! ERROR: a failure is reported one way or the other, never dropped.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::error::Error;
use crate::sync::lock;

/// A teardown running on its own task; cheap to clone, every clone the same teardown.
#[derive(Clone)]
pub(in crate::engine) struct Detached {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    finished: Notify,
}

#[derive(Default)]
struct State {
    /// How many callers are in [`Detached::wait`].
    waiting: usize,
    finished: bool,
    /// The failures, until a waiter takes them.
    failures: Option<Vec<Error>>,
}

impl Detached {
    /// Runs `teardown` on a task of the current runtime, or, outside any runtime, hands
    /// it back to be awaited in place (where nothing can abandon it halfway anyway).
    pub(in crate::engine) fn spawn<F>(teardown: F) -> Result<Detached, F>
    where
        F: Future<Output = Vec<Error>> + Send + 'static,
    {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(teardown);
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            finished: Notify::new(),
        });
        let finishing = shared.clone();
        runtime.spawn(async move {
            let failures = teardown.await;
            let mut state = lock(&finishing.state);
            state.finished = true;
            if state.waiting == 0 {
                drop(state);
                log(failures);
            } else {
                state.failures = Some(failures);
                drop(state);
                finishing.finished.notify_waiters();
            }
        });
        Ok(Detached { shared })
    }

    /// Waits for the teardown and takes its failures: all of them for the first waiter
    /// to see it finish, none for the others.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: the teardown goes on, and failures nobody took are logged.
    pub(in crate::engine) async fn wait(&self) -> Vec<Error> {
        let _waiting = Waiting::new(&self.shared);
        loop {
            let finished = self.shared.finished.notified();
            {
                let mut state = lock(&self.shared.state);
                if state.finished {
                    return state.failures.take().unwrap_or_default();
                }
            }
            finished.await;
        }
    }
}

/// A caller in [`Detached::wait`]. One that leaves after the teardown finished, without
/// taking failures that no other waiter will take, logs them.
struct Waiting<'a>(&'a Shared);

impl<'a> Waiting<'a> {
    fn new(shared: &'a Shared) -> Self {
        lock(&shared.state).waiting += 1;
        Waiting(shared)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.waiting -= 1;
        if state.waiting == 0 {
            if let Some(failures) = state.failures.take() {
                drop(state);
                log(failures);
            }
        }
    }
}

/// Reports failures that nobody waited for.
fn log(failures: Vec<Error>) {
    for error in failures {
        tracing::error!(%error, "a teardown nobody waited for failed");
    }
}
