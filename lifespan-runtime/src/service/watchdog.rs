//! The force paths of a service, on threads of their own so that no async code can
//! defeat them, not even a task that blocks its worker thread:
//!
//! - the first SIGINT or SIGTERM requests shutdown; the second hurries it
//!   (`Scope::request_hurry`) and gives it `second_signal_timeout`, after which it
//!   exits with code 130; the third exits at once with code 130. With no
//!   `second_signal_timeout`, the second exits at once;
//! - once shutdown has begun, the deadline passing (plus a short grace, so that the
//!   runtime's own timeouts report first) exits with code 1;
//! - a startup still running after its `startup_timeout` (plus the grace), which only
//!   happens when it blocks its thread, begins shutdown, so the deadline above applies.
//!
//! Either way, what was still starting or stopping is named on stderr. Before it
//! exits, the watchdog kills (SIGKILL) the process group of every `lifespan::process`
//! program still running, as their lifespans will never stop them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::engine::Scope;
use crate::phase::Phase;

use super::MainConfig;

/// How long after the deadline the watchdog waits for teardown to report by itself.
const GRACE: Duration = Duration::from_millis(250);

/// Exit code after a hurried or forced shutdown: 128 + SIGINT, what shells use for an
/// interrupt.
pub(super) const INTERRUPTED: i32 = 130;

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
    /// A second signal hurried the teardown.
    hurried: AtomicBool,
    /// When shutdown began, by a signal or by the runner.
    began: OnceLock<Instant>,
    /// Teardown is over: nothing is left to force.
    finished: AtomicBool,
}

impl Watchdog {
    /// Starts listening for SIGINT and SIGTERM for the whole life of the process, and
    /// watches `startup_timeout` if there is one.
    pub(crate) fn start(root: Scope, config: &MainConfig) -> Watchdog {
        let shared = Arc::new(Shared {
            root,
            shutdown_timeout: config.shutdown_timeout,
            second_signal_timeout: config.second_signal_timeout,
            signals: AtomicUsize::new(0),
            hurried: AtomicBool::new(false),
            began: OnceLock::new(),
            finished: AtomicBool::new(false),
        });
        #[cfg(unix)]
        listen(shared.clone());
        if let Some(limit) = config.startup_timeout {
            shared.watch_startup(limit);
        }
        Watchdog { shared }
    }

    /// Shutdown begins now, unless a signal began it already; returns the deadline.
    pub(crate) fn begin_shutdown(&self) -> Instant {
        self.shared.begin_shutdown()
    }

    /// Teardown is over; the process is about to exit by itself.
    pub(crate) fn finished(&self) {
        self.shared.finished.store(true, Ordering::SeqCst);
    }

    /// A second signal hurried the teardown, so the exit code is 130.
    pub(crate) fn hurried(&self) -> bool {
        self.shared.hurried.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn on_signal(self: &Arc<Self>, signal: &str) {
        if self.finished.load(Ordering::SeqCst) {
            return;
        }
        let mercy = self.second_signal_timeout;
        match self.signals.fetch_add(1, Ordering::SeqCst) {
            0 => {
                let next = if mercy.is_zero() {
                    "send it again to exit at once"
                } else {
                    "send it again to hurry (cut drains, abort tasks), a third time to exit at once"
                };
                tell(
                    Notice::Info,
                    &format!("{signal} received, shutting down; {next}"),
                );
                self.begin_shutdown();
                self.root.request_shutdown();
            }
            1 if !mercy.is_zero() => {
                tell(
                    Notice::Info,
                    &format!(
                        "a second {signal}: hurrying, drains cut and tasks aborted; the shutdown \
                         halves have {mercy:?}; send it again to exit at once"
                    ),
                );
                self.hurried.store(true, Ordering::SeqCst);
                self.begin_shutdown();
                self.root.request_hurry();
                self.watch_mercy(mercy);
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

    /// After a second signal, the hurried teardown has `mercy`; then the process exits.
    fn watch_mercy(self: &Arc<Self>, mercy: Duration) {
        let shared = self.clone();
        let spawned = thread::Builder::new()
            .name("lifespan-second-signal".into())
            .spawn(move || {
                thread::sleep(mercy);
                if !shared.finished.load(Ordering::SeqCst) {
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
            let shared = self.clone();
            let spawned = thread::Builder::new()
                .name("lifespan-deadline".into())
                .spawn(move || {
                    thread::sleep((deadline + GRACE).saturating_duration_since(Instant::now()));
                    if !shared.finished.load(Ordering::SeqCst) {
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
        std::process::exit(code)
    }
}

/// Kills the groups of the `lifespan::process` programs still running, which would
/// otherwise outlive the service; returns them as `` `name` (pid N) ``.
#[cfg(all(feature = "process", unix))]
fn kill_processes() -> Vec<String> {
    crate::process::kill_all()
}

/// Without the `process` feature there is nothing to kill.
#[cfg(not(all(feature = "process", unix)))]
fn kill_processes() -> Vec<String> {
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
