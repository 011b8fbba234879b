//! With the `systemd` feature, `EXTEND_TIMEOUT_USEC=` while a startup or a shutdown is
//! slow, so that systemd (236 and later) does not kill a service that is still within
//! its own limits. A unit like this one starts and stops in seconds when all is well,
//! and still lets a part that says it may take a minute take it:
//!
//! ```ini
//! [Service]
//! Type=notify
//! TimeoutStartSec=10s
//! TimeoutStopSec=10s
//! ```
//!
//! A thread of its own, `lifespan-systemd-extend`, started only when `NOTIFY_SOCKET` is
//! set, looks at the stage the service is in every [`CHECK`] (500 ms):
//!
//! - **Startup**: once it has lasted [`QUIET`] (2 s), systemd is promised the
//!   startup's horizon: the latest end that the parts still starting allow by their
//!   own `startup_timeout`, each cut by the limits of the parts above it that are still
//!   starting ([`Ledger::startup_horizon`]), and never past
//!   `#[lifespan::main(startup_timeout)]`. When no part in progress has a limit, its
//!   own or above it, nothing is sent and `TimeoutStartSec=` stays the bound: give a
//!   slow part a `startup_timeout`, and the wait is extended up to it.
//! - **Running**: nothing is sent; the thread sleeps until shutdown begins.
//! - **Shutdown**, from the first signal on (so also the rollback of a startup that
//!   the signal cut, which runs under the shutdown deadline):
//!   once it has lasted `QUIET`, systemd is promised the shutdown deadline plus the
//!   watchdog's grace, when the watchdog exits the process whatever is left.
//!
//! A message says how long from now: `EXTEND_TIMEOUT_USEC=` the horizon minus now, in
//! microseconds. Another is sent only when the horizon moves past what was promised
//! (a part with a later limit began), so a steady stage costs one message. systemd
//! only ever lengthens a timeout with it (`service_extend_event_source_timeout` in
//! `src/core/service.c` ignores an earlier end) and it matters only once the state has
//! run past `TimeoutStartSec=` or `TimeoutStopSec=`; so sending it early is harmless,
//! and a promise never reaches past the moment the service would be ended by its own
//! limits anyway. One message carries at most `u32::MAX` µs (about 71 minutes); a
//! horizon further out is promised in steps.
//!
//! Not covered: a startup that fails by itself, or that `request_shutdown()` in code
//! cuts, rolls back (within `shutdown_timeout`) under what was promised last, as the
//! watchdog has seen no shutdown begin; `TimeoutStartSec=` should
//! leave room for that rollback if it can be slow. The thread ends when the teardown
//! is over ([`Extender::finish`]).
//!
//! [`Ledger::startup_horizon`]: crate::ledger::Ledger::startup_horizon

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::engine::Scope;
use crate::ledger::Ledger;
use crate::phase::Phase;
use crate::sync::lock;

use super::notify;

/// How long a stage runs before anything is sent: a startup or a shutdown shorter than
/// this, the usual case, sends nothing more than READY=1 and STOPPING=1. It is below
/// any sensible `TimeoutStartSec=` or `TimeoutStopSec=` (systemd's default is 90 s),
/// which must be longer than it and a [`CHECK`] (so, above 3 s) for the extension to
/// come in time.
const QUIET: Duration = Duration::from_secs(2);

/// How often the stage is looked at while it is in progress: a horizon that moves is
/// told within this, for one walk of the ledger per look, during startup and shutdown
/// only.
const CHECK: Duration = Duration::from_millis(500);

/// The longest extension one message can carry: `EXTEND_TIMEOUT_USEC=` is a `u32` of
/// microseconds.
const LONGEST: Duration = Duration::from_micros(u32::MAX as u64);

/// Tells systemd to wait for a slow startup or shutdown, from a thread of its own; see
/// the module docs. Does nothing when no service manager listens.
#[derive(Debug)]
pub(super) struct Extender {
    /// What the thread watches; `None` when `NOTIFY_SOCKET` is unset or the thread
    /// could not start.
    shared: Option<Arc<Shared>>,
}

/// The stage, which the watchdog sets and the thread reads.
#[derive(Debug)]
struct Shared {
    stage: Mutex<Stage>,
    /// Signalled whenever `stage` changes, so that the thread sleeps through `Running`.
    changed: Condvar,
}

/// Where the service is, as far as the watchdog knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Starting, then running: the root's phase tells which.
    Up,
    /// Shutdown began at `began`, and the process is gone by `horizon` at the latest.
    Stopping { began: Instant, horizon: Instant },
    /// The teardown is over: the thread ends.
    Finished,
}

/// The startup as the thread sees it.
#[derive(Debug, Clone, Copy)]
struct Startup {
    began: Instant,
    /// `#[lifespan::main(startup_timeout)]` from `began`, if set.
    deadline: Option<Instant>,
}

/// What was last promised, and in which stage (systemd's stages each have a timeout
/// of their own).
#[derive(Debug, Clone, Copy)]
struct Promise {
    stage_began: Instant,
    until: Instant,
}

impl Extender {
    /// Starts the thread if `NOTIFY_SOCKET` is set. The startup counts from now, and
    /// with `startup_timeout` it is promised no further than that from now.
    pub(super) fn start(root: Scope, startup_timeout: Option<Duration>) -> Extender {
        if std::env::var_os("NOTIFY_SOCKET").is_none() {
            return Extender { shared: None };
        }
        let began = Instant::now();
        let startup = Startup {
            began,
            deadline: startup_timeout.map(|limit| began + limit),
        };
        let shared = Arc::new(Shared {
            stage: Mutex::new(Stage::Up),
            changed: Condvar::new(),
        });
        let watched = shared.clone();
        let spawned = thread::Builder::new()
            .name("lifespan-systemd-extend".into())
            .spawn(move || watch(&watched, &root, startup));
        match spawned {
            Ok(_) => Extender {
                shared: Some(shared),
            },
            Err(error) => {
                tracing::error!(%error, "could not start the thread that extends systemd's timeouts");
                Extender { shared: None }
            }
        }
    }

    /// Shutdown began at `began`; the watchdog ends the process by `horizon` at the
    /// latest.
    pub(super) fn stopping(&self, began: Instant, horizon: Instant) {
        self.set(Stage::Stopping { began, horizon });
    }

    /// The teardown is over: nothing more is sent, and the thread ends.
    pub(super) fn finish(&self) {
        self.set(Stage::Finished);
    }

    fn set(&self, stage: Stage) {
        let Some(shared) = &self.shared else {
            return;
        };
        let mut current = lock(&shared.stage);
        // Finished is final: a signal handled as the teardown ends must not revive it.
        if *current != Stage::Finished {
            *current = stage;
        }
        shared.changed.notify_all();
    }
}

/// The thread: each [`CHECK`] while starting or stopping, promises the stage's
/// horizon when it is due; asleep while running; returns once finished.
fn watch(shared: &Shared, root: &Scope, startup: Startup) {
    let mut promise: Option<Promise> = None;
    let mut stage = *lock(&shared.stage);
    loop {
        let (since, horizon) = match stage {
            Stage::Finished => return,
            Stage::Stopping { began, horizon } => (began, Some(horizon)),
            Stage::Up if root.phase() == Phase::Starting => {
                (startup.began, startup_horizon(root, startup.deadline))
            }
            Stage::Up => {
                // Running: nothing to extend until shutdown begins or the teardown ends.
                let guard = lock(&shared.stage);
                stage = *shared
                    .changed
                    .wait_while(guard, |now| *now == Stage::Up)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
        };
        let now = Instant::now();
        let promised = promise
            .filter(|promise| promise.stage_began == since)
            .map(|promise| promise.until);
        if let Some(extension) = extension(since, horizon, promised, now) {
            send(extension);
            promise = Some(Promise {
                stage_began: since,
                until: now + extension,
            });
        }
        // Checked under the lock, so that a change made since `stage` was read is not
        // slept through.
        let guard = lock(&shared.stage);
        let (guard, _) = shared
            .changed
            .wait_timeout_while(guard, CHECK, |now| *now == stage)
            .unwrap_or_else(PoisonError::into_inner);
        stage = *guard;
    }
}

/// The startup's horizon: the parts' own ([`Ledger::startup_horizon`]), never past the
/// whole startup's `deadline`.
fn startup_horizon(root: &Scope, deadline: Option<Instant>) -> Option<Instant> {
    let parts = root
        .ledger()
        .and_then(Ledger::startup_horizon)
        .map(tokio::time::Instant::into_std);
    match (parts, deadline) {
        (Some(parts), Some(deadline)) => Some(parts.min(deadline)),
        (parts, deadline) => parts.or(deadline),
    }
}

/// How long to promise at `now` in a stage that began at `since`, given its `horizon`
/// and what was `promised` in it already: nothing before the stage has lasted
/// [`QUIET`], nor without a horizon or once it has passed, nor when the promise
/// already reaches it. A promise clamped to [`LONGEST`] is renewed once less than
/// half of it is left, not at every look.
fn extension(
    since: Instant,
    horizon: Option<Instant>,
    promised: Option<Instant>,
    now: Instant,
) -> Option<Duration> {
    if now.saturating_duration_since(since) < QUIET {
        return None;
    }
    let horizon = horizon?;
    let left = horizon
        .checked_duration_since(now)
        .filter(|left| !left.is_zero())?;
    let covered = promised.is_some_and(|promised| {
        promised >= horizon || promised.saturating_duration_since(now) >= LONGEST / 2
    });
    (!covered).then(|| left.min(LONGEST))
}

/// `EXTEND_TIMEOUT_USEC=` `extension`, in microseconds.
fn send(extension: Duration) {
    let micros = u32::try_from(extension.as_micros()).unwrap_or(u32::MAX);
    tracing::debug!(
        ?extension,
        "asking systemd to extend its timeout (EXTEND_TIMEOUT_USEC)"
    );
    notify::send(sd_notify::NotifyState::ExtendTimeoutUsec(micros));
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn nothing_is_promised_early_without_a_horizon_or_past_it() {
        let since = Instant::now();
        let horizon = Some(since + 10 * SECOND);
        assert_eq!(extension(since, horizon, None, since + SECOND), None);
        assert_eq!(extension(since, None, None, since + 3 * SECOND), None);
        assert_eq!(extension(since, horizon, None, since + 10 * SECOND), None);
        assert_eq!(extension(since, horizon, None, since + 11 * SECOND), None);
    }

    #[test]
    fn the_horizon_is_promised_once_and_again_only_when_it_moves_past_the_promise() {
        let since = Instant::now();
        let now = since + QUIET;
        let horizon = since + 10 * SECOND;
        assert_eq!(
            extension(since, Some(horizon), None, now),
            Some(horizon - now)
        );
        let later = now + CHECK;
        assert_eq!(extension(since, Some(horizon), Some(horizon), later), None);
        let moved = horizon + 5 * SECOND;
        assert_eq!(
            extension(since, Some(moved), Some(horizon), later),
            Some(moved - later)
        );
        // A horizon that comes closer is not told: systemd would not shorten its wait.
        assert_eq!(
            extension(since, Some(horizon - SECOND), Some(horizon), later),
            None
        );
    }

    #[test]
    fn a_horizon_beyond_one_message_is_promised_in_steps() {
        let since = Instant::now();
        let now = since + QUIET;
        let horizon = now + 3 * LONGEST;
        assert_eq!(extension(since, Some(horizon), None, now), Some(LONGEST));
        let promised = now + LONGEST;
        let soon = now + CHECK;
        assert_eq!(extension(since, Some(horizon), Some(promised), soon), None);
        let half_gone = now + LONGEST / 2 + SECOND;
        assert_eq!(
            extension(since, Some(horizon), Some(promised), half_gone),
            Some(LONGEST)
        );
    }
}
