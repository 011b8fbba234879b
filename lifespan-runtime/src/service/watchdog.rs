//! The force paths of a service, on threads of their own so that no async code can
//! defeat them, not even a task that blocks its worker thread:
//!
//! - the first SIGINT or SIGTERM requests shutdown (during startup, that cuts the
//!   startup, and its rollback is the teardown); the second hurries it
//!   (`Scope::request_hurry`) and gives the teardown `second_signal_timeout`, counted
//!   from the second signal or from the end of startup, whichever is later, after which
//!   it exits with code 130; the third exits at once with code 130. With
//!   `second_signal_timeout = "0s"`, the second exits at once;
//! - once shutdown has begun, the deadline passing (plus a short grace, so that the
//!   runtime's own timeouts report first) exits with code 1;
//! - a startup still running after its `startup_timeout` (plus the grace), which only
//!   happens when it blocks its thread, begins shutdown, so the deadline above applies.
//!
//! Either way, what was still starting or stopping is named on stderr. Before it
//! exits, the watchdog kills (SIGKILL) the process group of every `lifespan::process`
//! program still running, as their lifespans will never stop them.
//!
//! With the `systemd` feature, `extend.rs` is told when shutdown begins and when the
//! teardown is over, so that it never asks systemd to wait past the exit forced here.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::engine::Scope;
use crate::phase::Phase;

use super::MainConfig;
use super::extend::Extender;

/// How long after the deadline the watchdog waits for teardown to report by itself.
const GRACE: Duration = Duration::from_millis(250);

/// Exit code after a hurried or forced shutdown: 128 + SIGINT, what shells use for an
/// interrupt.
pub(super) const INTERRUPTED: i32 = 130;

/// How long a forced exit waits for the timeline file to be written.
const TIMELINE_WRITE: Duration = Duration::from_secs(1);

/// Exit code when the shutdown deadline passes.
const DEADLINE_PASSED: i32 = 1;

#[derive(Debug)]
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    root: Scope,
    shutdown_timeout: Duration,
    second_signal_timeout: Duration,
    /// SIGINTs and SIGTERMs received so far.
    signals: AtomicUsize,
    /// [`RUNNING`], [`HURRIED`] or [`FINISHED`]: one state, so that the signal thread and
    /// the runner agree on whether a hurry came before the end.
    stage: AtomicU8,
    /// When shutdown began, by a signal or by the runner.
    began: OnceLock<Instant>,
    /// The runner's teardown has begun: startup is over, and the hurry's timeout counts.
    tearing_down: AtomicBool,
    /// The hurry's timeout is being watched.
    mercy_watched: AtomicBool,
    /// A force path is exiting: the others stand aside.
    exiting: AtomicBool,
    /// Where the timeline goes (`LIFESPAN_TIMELINE`), also on a forced exit.
    timeline: Option<PathBuf>,
    /// Asks systemd to wait for a slow startup or shutdown, up to the deadlines watched
    /// here (with the `systemd` feature).
    extend: Extender,
}

/// Not hurried, not finished.
const RUNNING: u8 = 0;
/// A second signal hurried the shutdown: the exit code will be 130.
const HURRIED: u8 = 1;
/// Teardown is over: nothing is left to force, and later signals are ignored.
const FINISHED: u8 = 2;

impl Watchdog {
    /// Starts listening for SIGINT and SIGTERM for the whole life of the process, and
    /// watches `startup_timeout` if there is one; under systemd, extends its timeouts
    /// while startup and shutdown are slow.
    pub(crate) fn start(root: Scope, config: &MainConfig, timeline: Option<PathBuf>) -> Watchdog {
        let extend = Extender::start(root.clone(), config.startup_timeout);
        let shared = Arc::new(Shared {
            root,
            shutdown_timeout: config.shutdown_timeout,
            second_signal_timeout: config.second_signal_timeout,
            signals: AtomicUsize::new(0),
            stage: AtomicU8::new(RUNNING),
            began: OnceLock::new(),
            tearing_down: AtomicBool::new(false),
            mercy_watched: AtomicBool::new(false),
            exiting: AtomicBool::new(false),
            timeline,
            extend,
        });
        #[cfg(unix)]
        listen(shared.clone());
        if let Some(limit) = config.startup_timeout {
            shared.watch_startup(limit);
        }
        Watchdog { shared }
    }

    /// The runner's teardown begins now (shutdown too, unless a signal began it);
    /// returns the deadline. A hurry that came during startup starts its timeout here.
    pub(crate) fn begin_teardown(&self) -> Instant {
        let deadline = self.shared.begin_shutdown();
        self.shared.tearing_down.store(true, Ordering::SeqCst);
        if self.shared.stage.load(Ordering::SeqCst) == HURRIED {
            self.shared.watch_mercy();
        }
        deadline
    }

    /// Teardown is over: later signals are ignored and nothing is forced. Returns
    /// whether a second signal hurried it, so that the summary and the exit code say
    /// the same.
    pub(crate) fn finish(&self) -> bool {
        let hurried = self.shared.stage.swap(FINISHED, Ordering::SeqCst) == HURRIED;
        self.shared.extend.finish();
        hurried
    }
}

impl Shared {
    fn on_signal(self: &Arc<Self>, signal: &str) {
        if self.finished() {
            return;
        }
        let mercy = self.second_signal_timeout;
        match self.signals.fetch_add(1, Ordering::SeqCst) {
            0 => {
                let already = if self.began.get().is_some() {
                    "shutdown was already under way"
                } else if self.root.phase() == Phase::Starting {
                    // The request cuts the startup in progress, and what had started is
                    // stopped at once: that rollback is the teardown a second signal
                    // hurries.
                    self.tearing_down.store(true, Ordering::SeqCst);
                    "cutting the startup and stopping what had started"
                } else {
                    "shutting down"
                };
                let next = if mercy.is_zero() {
                    "send it again to exit at once"
                } else {
                    "send it again to hurry (cut drains, abort tasks), a third time to exit at once"
                };
                tell(
                    Notice::Info,
                    &format!("{signal} received, {already}; {next}"),
                );
                self.begin_shutdown();
                self.root.request_shutdown();
            }
            1 if !mercy.is_zero() => {
                if self
                    .stage
                    .compare_exchange(RUNNING, HURRIED, Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    return; // teardown finished meanwhile
                }
                let deadline = self.begin_shutdown();
                let when = if self.tearing_down.load(Ordering::SeqCst) {
                    let left = deadline.saturating_duration_since(Instant::now());
                    format!("the shutdown halves have {:?}", mercy.min(left))
                } else {
                    // The runner has yet to begin its teardown; the timeout counts from then.
                    format!("then the shutdown halves have {mercy:?}")
                };
                tell(
                    Notice::Info,
                    &format!(
                        "a second {signal}: hurrying, drains cut and tasks aborted; {when}; \
                         send it again to exit at once"
                    ),
                );
                self.root.request_hurry();
                if self.tearing_down.load(Ordering::SeqCst) {
                    self.watch_mercy();
                }
            }
            1 => self.force_exit(
                INTERRUPTED,
                &format!("a second {signal} arrived during shutdown"),
            ),
            _ => self.force_exit(
                INTERRUPTED,
                &format!("a third {signal} arrived during shutdown"),
            ),
        }
    }

    fn finished(&self) -> bool {
        self.stage.load(Ordering::SeqCst) == FINISHED
    }

    /// Once: after a second signal, the hurried teardown has `second_signal_timeout`,
    /// then the process exits.
    fn watch_mercy(self: &Arc<Self>) {
        if self.mercy_watched.swap(true, Ordering::SeqCst) {
            return;
        }
        let mercy = self.second_signal_timeout;
        let shared = self.clone();
        let spawned = thread::Builder::new()
            .name("lifespan-second-signal".into())
            .spawn(move || {
                thread::sleep(mercy);
                if !shared.finished() {
                    shared.force_exit(
                        INTERRUPTED,
                        &format!(
                            "the hurried shutdown's second_signal_timeout of {mercy:?} passed"
                        ),
                    );
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start the second signal's watchdog");
        }
    }

    /// After `limit` and the grace, a startup still running has blocked its thread, or
    /// the runtime would have timed it out: shutdown begins, under its deadline.
    fn watch_startup(self: &Arc<Self>, limit: Duration) {
        let shared = self.clone();
        let spawned = thread::Builder::new()
            .name("lifespan-startup-deadline".into())
            .spawn(move || {
                thread::sleep(limit + GRACE);
                if shared.root.phase() == Phase::Starting && shared.began.get().is_none() {
                    tell(
                        Notice::Error,
                        &format!(
                            "startup is still running after its startup_timeout of {limit:?}; shutting down"
                        ),
                    );
                    shared.begin_shutdown();
                    shared.root.request_shutdown();
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start the startup deadline's watchdog");
        }
    }

    fn begin_shutdown(self: &Arc<Self>) -> Instant {
        let mut first = false;
        let began = *self.began.get_or_init(|| {
            first = true;
            Instant::now()
        });
        let deadline = began + self.shutdown_timeout;
        if first {
            // systemd may wait until the thread below exits the process, not longer.
            self.extend.stopping(began, deadline + GRACE);
            // The timeline draws it, whichever way shutdown began: a failed or a stuck
            // startup's rollback included.
            if let Some(ledger) = self.root.ledger() {
                ledger.set_deadline(tokio::time::Instant::from_std(deadline));
            }
            let shared = self.clone();
            let spawned = thread::Builder::new()
                .name("lifespan-deadline".into())
                .spawn(move || {
                    thread::sleep((deadline + GRACE).saturating_duration_since(Instant::now()));
                    if !shared.finished() {
                        shared.force_exit(
                            DEADLINE_PASSED,
                            &format!(
                                "the shutdown deadline of {:?} passed",
                                shared.shutdown_timeout
                            ),
                        );
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start the shutdown deadline's watchdog");
            }
        }
        deadline
    }

    fn force_exit(&self, code: i32, why: &str) -> ! {
        if self.exiting.swap(true, Ordering::SeqCst) {
            // Another force path is exiting, and says why.
            loop {
                thread::park();
            }
        }
        // First, as telling may block on a full stderr.
        let killed = kill_processes();
        let unfinished = self
            .root
            .ledger()
            .map(|ledger| ledger.unfinished())
            .unwrap_or_default();
        let still = if unfinished.is_empty() {
            "nothing; the runtime was finishing".to_owned()
        } else {
            unfinished.join(", ")
        };
        let killed = if killed.is_empty() {
            String::new()
        } else {
            format!(". Killed the process groups of {}", killed.join(", "))
        };
        tell(
            Notice::Exit,
            &format!("{why}; exiting with code {code}. Still running: {still}{killed}"),
        );
        if let Some(path) = &self.timeline {
            // As far as it got: what still runs is drawn to now. Bounded, as a path on a
            // hung file system must not hold up an exit that is already late.
            super::timeline_file::write_within(&self.root, path, TIMELINE_WRITE);
        }
        std::process::exit(code)
    }
}

/// Kills the groups of the `lifespan::process` programs still running, which would
/// otherwise outlive the service; returns them as `` `name` (pid N) ``. Without the
/// `process` feature there is nothing to kill.
fn kill_processes() -> Vec<String> {
    #[cfg(all(feature = "process", unix))]
    return crate::process::kill_all();
    #[cfg(not(all(feature = "process", unix)))]
    Vec::new()
}

/// How loud a notice of the watchdog is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Notice {
    Info,
    Error,
    /// The process exits right after.
    Exit,
}

/// Says `message` once: through `tracing` when the service installed a subscriber, on
/// stderr otherwise, so that a service without logging still learns what happened. The
/// last words before a forced exit go to stderr in any case: a subscriber that writes
/// from a thread of its own would lose them to `exit`.
fn tell(notice: Notice, message: &str) {
    let subscribed = tracing::dispatcher::has_been_set();
    if !subscribed || notice == Notice::Exit {
        eprintln!("lifespan: {message}");
    }
    if subscribed {
        match notice {
            Notice::Info => tracing::info!("{message}"),
            Notice::Error | Notice::Exit => tracing::error!("{message}"),
        }
    }
}

/// A thread that waits for SIGINT and SIGTERM outside the async runtime.
#[cfg(unix)]
fn listen(shared: Arc<Shared>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(error) => {
            tracing::error!(%error, "could not listen for SIGINT and SIGTERM");
            return;
        }
    };
    let spawned = thread::Builder::new()
        .name("lifespan-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                shared.on_signal(if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                });
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start the signal watchdog");
    }
}
