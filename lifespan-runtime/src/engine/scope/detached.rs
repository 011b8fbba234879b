//! [`Detached`]: a teardown on a task of its own, so that whoever waits for it may stop
//! waiting (a `select!`, an outer timeout) without cutting it short.
//!
//! Its failures are returned to every caller of [`Detached::wait`], however many wait
//! and whenever they come. If it ends while nobody is waiting, or the callers who were
//! all leave before it ends, they are logged at ERROR as well: a failure may be
//! reported twice, never lost, and never turned into success.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::error::{Error, Name, Origin};
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
    /// The failures, once it ended; every waiter gets them.
    failures: Option<Vec<Error>>,
    /// Whether a waiter has been given them.
    delivered: bool,
    /// Whether they have been logged, because nobody was waiting for them.
    logged: bool,
}

impl Detached {
    /// Runs `teardown` (of the part `name`) on a task of the current runtime, or,
    /// outside any runtime, hands it back to be awaited in place.
    pub(in crate::engine) fn spawn<F>(name: Name, teardown: F) -> Result<Detached, F>
    where
        F: Future<Output = Vec<Error>> + Send + 'static,
    {
        Detached::spawn_on(None, name, teardown)
    }

    /// Like [`spawn`](Detached::spawn), on `fallback` when there is no current runtime:
    /// the runtime a dropped scope's tasks run on, when it is dropped elsewhere.
    pub(in crate::engine) fn spawn_on<F>(
        fallback: Option<&tokio::runtime::Handle>,
        name: Name,
        teardown: F,
    ) -> Result<Detached, F>
    where
        F: Future<Output = Vec<Error>> + Send + 'static,
    {
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime,
            Err(_) => match fallback {
                Some(runtime) => runtime.clone(),
                None => return Err(teardown),
            },
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            finished: Notify::new(),
        });
        let mut ending = Ending {
            shared: shared.clone(),
            name,
            done: false,
        };
        runtime.spawn(async move {
            let failures = teardown.await;
            ending.finish(failures);
        });
        Ok(Detached { shared })
    }

    /// Waits for the teardown and returns its failures, the same to every waiter.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: the teardown goes on; failures no waiter was given are logged, and
    /// kept for the next one.
    pub(in crate::engine) async fn wait(&self) -> Vec<Error> {
        let _waiting = Waiting::new(&self.shared);
        loop {
            let finished = self.shared.finished.notified();
            {
                let mut state = lock(&self.shared.state);
                if state.finished {
                    state.delivered = true;
                    return state.failures.clone().unwrap_or_default();
                }
            }
            finished.await;
        }
    }

    /// A place among the waiters, taken now for one that comes later: failures that
    /// come meanwhile are kept for it instead of logged. Logged after all if it never
    /// comes.
    pub(in crate::engine) fn hold(&self) -> Held {
        lock(&self.shared.state).waiting += 1;
        Held(self.clone())
    }
}

/// A waiter to come, from [`Detached::hold`].
pub(in crate::engine) struct Held(Detached);

impl Held {
    /// Waits for the teardown and returns its failures, as [`Detached::wait`].
    pub(in crate::engine) async fn wait(self) -> Vec<Error> {
        self.0.wait().await
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        leave(&self.0.shared);
    }
}

/// Runs a teardown (of what the part `name` had started) that nobody will wait for, on
/// a task of the runtime: its failures are logged at ERROR. Outside any runtime it
/// cannot run, and a warning says what is left unstopped.
pub(in crate::engine) fn abandon<F>(name: Name, teardown: F)
where
    F: Future<Output = Vec<Error>> + Send + 'static,
{
    if Detached::spawn(name.clone(), teardown).is_err() {
        tracing::warn!(
            "what `{name}` had entered, spawned or registered is dropped without being \
             stopped: there is no tokio runtime to stop it on"
        );
    }
}

/// The end of the teardown's task, however it comes: with its failures, or, if the task
/// is dropped first (the runtime shut down), with a failure that says so.
struct Ending {
    shared: Arc<Shared>,
    name: Name,
    done: bool,
}

impl Ending {
    fn finish(&mut self, failures: Vec<Error>) {
        self.done = true;
        let mut state = lock(&self.shared.state);
        state.finished = true;
        if state.waiting == 0 {
            log(&failures);
            state.logged = true;
        }
        state.failures = Some(failures);
        drop(state);
        self.shared.finished.notify_waiters();
    }
}

impl Drop for Ending {
    fn drop(&mut self) {
        if !self.done {
            let cut = Error::failed(
                self.name.clone(),
                Origin::Teardown,
                "the teardown's task ended before the teardown did (its runtime shut down)",
            );
            self.finish(vec![cut]);
        }
    }
}

/// A caller in [`Detached::wait`]. The last to leave after the teardown ended, when no
/// waiter was given its failures, logs them (once).
struct Waiting<'a>(&'a Shared);

impl<'a> Waiting<'a> {
    fn new(shared: &'a Shared) -> Self {
        lock(&shared.state).waiting += 1;
        Waiting(shared)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        leave(self.0);
    }
}

/// A waiter leaves: the last one, after the teardown ended, logs failures that no
/// waiter was given (once).
fn leave(shared: &Shared) {
    let mut state = lock(&shared.state);
    state.waiting -= 1;
    if state.waiting == 0 && !state.delivered && !state.logged {
        if let Some(failures) = &state.failures {
            log(failures);
            state.logged = true;
        }
    }
}

/// Reports failures that nobody was waiting for.
fn log(failures: &[Error]) {
    for error in failures {
        tracing::error!(%error, "a teardown nobody was waiting for failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A teardown that fails once `go` is sent.
    fn failing_on(go: tokio::sync::oneshot::Receiver<()>) -> Detached {
        let teardown = async move {
            let _ = go.await;
            vec![Error::failed("db".into(), Origin::Shutdown, "close failed")]
        };
        Detached::spawn("db".into(), teardown).unwrap_or_else(|_| panic!("in a runtime"))
    }

    /// Whether the failures were logged as nobody's, and whether a waiter got them.
    fn logged_and_delivered(detached: &Detached) -> (bool, bool) {
        let state = lock(&detached.shared.state);
        (state.logged, state.delivered)
    }

    /// A place held for a waiter keeps the failures for it; if it never comes, they are
    /// logged, not lost.
    #[tokio::test]
    async fn failures_held_for_a_waiter_are_logged_if_it_never_comes() {
        let (go, going) = tokio::sync::oneshot::channel();
        let detached = failing_on(going);
        let held = detached.hold();
        go.send(()).unwrap();
        assert_eq!(held.wait().await.len(), 1);
        assert_eq!(logged_and_delivered(&detached), (false, true));

        let (go, going) = tokio::sync::oneshot::channel();
        let never_waited = failing_on(going);
        let held = never_waited.hold();
        go.send(()).unwrap();
        while !lock(&never_waited.shared.state).finished {
            tokio::task::yield_now().await;
        }
        assert_eq!(logged_and_delivered(&never_waited), (false, false));
        drop(held);
        assert_eq!(logged_and_delivered(&never_waited), (true, false));
    }
}
