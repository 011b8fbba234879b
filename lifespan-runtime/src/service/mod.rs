//! What `#[lifespan::main]` runs: a whole service, from building the tokio runtime to
//! the exit code.
//!
//! The body is the root lifespan, named `main`. Between its halves the service waits
//! for the first of SIGINT, SIGTERM (ctrl-c on Windows), [`request_shutdown`] or a
//! failed task not spawned isolated. Teardown then runs main's shutdown half and stops
//! its children in reverse, each told at its own turn, all within one deadline.
//! The [`Phase`] moves from `Starting` to `Running` to `Stopping` to `Stopped`.
//!
//! A signal during startup cuts it: the startup in progress is dropped where it stands
//! (as its `startup_timeout` would drop it), and what had started is stopped in reverse,
//! within the shutdown deadline, which counts from the signal. The body never runs and
//! READY=1 is never sent. A stop asked for during startup that rolled back cleanly
//! exits 0, and the summary says which startups were cut; a failure while rolling back
//! exits 1 as usual. `request_shutdown()` in code during startup does the same.
//!
//! Signals escalate. The first asks for shutdown. The second hurries it
//! ([`Scope::request_hurry`]): tasks are aborted at their turn instead of awaited, and
//! drains (the axum server's) are cut, but every shutdown half and hook still runs,
//! within `second_signal_timeout` (5 s by default); the exit code is then 130. The
//! third signal, or that timeout passing, exits 130 at once, naming what was still
//! stopping. With `second_signal_timeout = "0s"` the second signal exits at once.
//!
//! With the `systemd` feature and `NOTIFY_SOCKET` set, READY=1 and STOPPING=1 mark the
//! stages, and a startup or shutdown that lasts more than 2 s sends
//! `EXTEND_TIMEOUT_USEC=`, up to the parts' own `startup_timeout`s or the shutdown
//! deadline (`extend.rs`), so that systemd waits for a slow stage but never past what
//! the service allows itself.
//!
//! [`request_shutdown`]: crate::request_shutdown

pub mod config_mark;
mod exit;
#[cfg(all(feature = "systemd", unix))]
mod extend;
mod notify;
mod output;
mod timeline_file;
mod watchdog;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::start::Startup;
use crate::engine::{Frame, Scope, stop_tree};
use crate::error::{Error, ErrorKind, Origin};
use crate::from_fn::from_fn;
use crate::lifespan::Lifespan;
use crate::phase::Phase;
use crate::sync::lock;
use crate::yielder::Yielder;
use watchdog::Watchdog;

pub use output::MainOutput;

/// Without systemd there is no timeout to extend: the same calls, doing nothing.
#[cfg(not(all(feature = "systemd", unix)))]
mod extend {
    use std::time::{Duration, Instant};

    use crate::engine::Scope;

    /// Does nothing; see `extend.rs`.
    #[derive(Debug)]
    pub(super) struct Extender;

    impl Extender {
        /// Does nothing.
        pub(super) fn start(_root: Scope, _startup_timeout: Option<Duration>) -> Extender {
            Extender
        }

        /// Does nothing.
        pub(super) fn stopping(&self, _began: Instant, _horizon: Instant) {}

        /// Does nothing.
        pub(super) fn finish(&self) {}
    }
}

/// The default global shutdown deadline: the usual grace period of an orchestrator.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the shutdown halves still have after a second signal, by default: long
/// enough to close a database or flush a buffer, short enough for a person at a
/// terminal who pressed ctrl-c twice.
pub const DEFAULT_SECOND_SIGNAL_TIMEOUT: Duration = Duration::from_secs(5);

/// How `#[lifespan::main]` builds and bounds the service.
#[derive(Debug, Clone)]
pub struct MainConfig {
    /// Which tokio scheduler to build.
    pub flavor: Flavor,
    /// Worker threads of the multi-thread scheduler; tokio's default (one per core)
    /// when `None`.
    pub worker_threads: Option<usize>,
    /// The whole startup's deadline; none by default.
    pub startup_timeout: Option<Duration>,
    /// The whole teardown's deadline, enforced by the watchdog.
    pub shutdown_timeout: Duration,
    /// After a second signal, how long the hurried teardown has before the watchdog
    /// exits; zero exits at the second signal.
    pub second_signal_timeout: Duration,
}

/// The tokio scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `tokio::runtime::Builder::new_multi_thread`, the default.
    MultiThread,
    /// `tokio::runtime::Builder::new_current_thread`.
    CurrentThread,
}

/// Runs `body` as the service's root lifespan and returns what `fn main` returns, or
/// exits the process with the code of the table in `exit.rs` where that is not what
/// `fn main`'s own return would give (after printing the failures as it would).
pub fn run<O, F, Fut>(config: MainConfig, body: F) -> O::Exit
where
    F: FnOnce(Yielder<()>) -> Fut,
    Fut: Future<Output = O>,
    O: MainOutput,
{
    run_with_mark(config, body, unread)
}

/// Main's own error left unread: without `#[lifespan::main]`'s reader for its type, the
/// service goes by the last part whose startup failed.
fn unread<O>(_: &O) -> Option<bool> {
    None
}

/// How main's own output is read for the configuration mark: `Some(true)` if its error
/// carries a [`ConfigError`](crate::ConfigError), `None` if it cannot tell.
pub type ReadMark<O> = fn(&O) -> Option<bool>;

/// [`run`], reading main's own error with `read_mark`: what `#[lifespan::main]` writes
/// for the return type as written ([`config_mark`]).
pub fn run_with_mark<O, F, Fut>(config: MainConfig, body: F, read_mark: ReadMark<O>) -> O::Exit
where
    F: FnOnce(Yielder<()>) -> Fut,
    Fut: Future<Output = O>,
    O: MainOutput,
{
    let (exit, code) = run_in_process_with_mark(config, body, read_mark);
    if let Some(code) = code {
        let _ = std::process::Termination::report(exit);
        std::process::exit(code);
    }
    exit
}

/// [`run`], returning the exit code it would exit with instead of exiting: for tests
/// that run a service in their own process.
pub fn run_in_process<O, F, Fut>(config: MainConfig, body: F) -> (O::Exit, Option<i32>)
where
    F: FnOnce(Yielder<()>) -> Fut,
    Fut: Future<Output = O>,
    O: MainOutput,
{
    run_in_process_with_mark(config, body, unread)
}

/// [`run_in_process`], reading main's own error with `read_mark`.
pub fn run_in_process_with_mark<O, F, Fut>(
    config: MainConfig,
    body: F,
    read_mark: ReadMark<O>,
) -> (O::Exit, Option<i32>)
where
    F: FnOnce(Yielder<()>) -> Fut,
    Fut: Future<Output = O>,
    O: MainOutput,
{
    let runtime = match config.flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(threads) = config.worker_threads {
                builder.worker_threads(threads);
            }
            builder
        }
    }
    .enable_all()
    .build()
    .expect("#[lifespan::main] could not build its tokio runtime");
    let root = Scope::service_root(config.shutdown_timeout);
    let timeline = timeline_file::wanted();
    if timeline.is_some() {
        root.record_timeline();
    }
    let watchdog = Watchdog::start(root.clone(), &config, timeline.clone());
    let Served {
        output,
        failure,
        hurried,
        ending,
    } = runtime.block_on(serve(&config, &root, &watchdog, body, read_mark));
    if let Some(path) = &timeline {
        timeline_file::write(&root, path);
    }
    // Tasks were stopped or aborted in teardown; blocking threads still busy are not
    // waited for, as a deadline that has passed must not be extended.
    runtime.shutdown_background();
    // Interrupted: the work that was cut says 130, whatever main returned. Otherwise
    // the table in `exit.rs` says where the code is not main's own 0 or 1.
    let code = match hurried {
        true => Some(watchdog::INTERRUPTED),
        false => ending.code(),
    };
    (O::exit(output, failure), code)
}

/// How a service ended.
struct Served<O> {
    /// The body's output, if it returned.
    output: Option<O>,
    /// Every failure but the body's own.
    failure: Option<Error>,
    /// A second signal hurried the teardown.
    hurried: bool,
    /// Why it ended, for the exit code.
    ending: exit::Ending,
}

/// Startup, the wait, teardown.
async fn serve<O, F, Fut>(
    config: &MainConfig,
    root: &Scope,
    watchdog: &Watchdog,
    body: F,
    read_mark: ReadMark<O>,
) -> Served<O>
where
    F: FnOnce(Yielder<()>) -> Fut,
    Fut: Future<Output = O>,
    O: MainOutput,
{
    let output = Arc::new(Mutex::new(None));
    let slot = output.clone();
    let mut main = from_fn("main", move |yielder| async move {
        let output = body(yielder).await;
        let failed = output.is_failure().then(|| output.failure());
        *lock(&slot) = Some(output);
        match failed {
            Some(how) => Err(BodyFailed(how)),
            None => Ok(()),
        }
    });
    // A failed startup rolls back within the shutdown deadline, like any teardown.
    main = main.shutdown_timeout(config.shutdown_timeout);
    if let Some(limit) = config.startup_timeout {
        main = main.startup_timeout(limit);
    }
    let mut startup_failed = false;
    let (failure, stopped_while_starting) = match Startup::new(main, Some(root.clone())).await {
        // Cut: by a request before the body returned, or, returning once one came, the
        // body's error is the cut's doing (the engine counts it as cut).
        Err(error) => {
            let (failure, cut) = without_cut(error);
            // Cut by a stop that was asked for, what failed did so while rolling back:
            // a failure while stopping, not of the startup.
            startup_failed = failure.is_some() && !cut;
            (failure, cut)
        }
        Ok(((), main)) => {
            // A request that came as startup finished: no READY=1 for a service that is
            // already stopping.
            if !root.is_app_shutdown_requested() {
                root.advance_phase(Phase::Running);
                notify::ready();
                tracing::info!("started; serving until SIGINT, SIGTERM or request_shutdown()");
            }
            shutdown_requested(root).await;
            let deadline = tokio::time::Instant::from_std(watchdog.begin_teardown());
            root.advance_phase(Phase::Stopping);
            notify::stopping();
            let mut errors: Vec<Error> =
                main.stop(Some(deadline)).await.err().into_iter().collect();
            errors.extend(stop_tree(Frame::Root(root.clone()), Some(deadline)).await);
            let failure = Error::collect(&"main".into(), Origin::Teardown, errors).err();
            (failure, false)
        }
    };
    let hurried = watchdog.finish();
    root.advance_phase(Phase::Stopped);
    let mut output = lock(&output).take();
    if stopped_while_starting {
        // The body returned while its startup was being cut: its error is the stop's
        // doing (a part it was starting was cut, and `?` passed that on), so the exit
        // says what the stop did instead.
        if let Some(body) = output.take_if(|output| output.is_failure()) {
            tracing::info!(
                "main's startup ended with an error after shutdown was requested, which \
                 does not count against the exit: {}",
                body.detail()
            );
        }
    }
    if let Some(ledger) = root.ledger() {
        let verdict = match (stopped_while_starting, &failure, hurried) {
            (true, None, false) => format!(
                "{}; every part that had started was stopped, and none failed",
                stopped_while_starting_words(ledger)
            ),
            (true, ..) => format!(
                "{}; {}",
                stopped_while_starting_words(ledger),
                verdict(failure.as_ref(), hurried)
            ),
            (false, ..) => verdict(failure.as_ref(), hurried),
        };
        tracing::info!("lifespan summary:\n{}  {verdict}", ledger.summary());
    }
    // The body's own error decides where it can be read; else the last part whose
    // startup failed, which is what a `?` passed on (a failure main handled before it
    // does not count).
    let body_is_config = output.as_ref().and_then(read_mark);
    let misconfigured = failure.as_ref().is_some_and(Error::is_config)
        || body_is_config.unwrap_or_else(|| {
            root.ledger()
                .is_some_and(|ledger| ledger.last_failed_startup_is_config())
        });
    let failed = failure.is_some() || output.as_ref().is_some_and(MainOutput::is_failure);
    let brought_down = root
        .ledger()
        .is_some_and(|ledger| ledger.was_brought_down());
    // A task that failed during startup cut it: that startup failed.
    let startup_failed = startup_failed
        || root
            .ledger()
            .is_some_and(|ledger| ledger.did_fail_starting());
    let ending = exit::Ending::of(startup_failed, misconfigured, failed, brought_down);
    Served {
        output,
        failure: failure.and_then(without_body_failure),
        hurried,
        ending,
    }
}

/// The summary's last line: why the exit code is what it is.
fn verdict(failure: Option<&Error>, hurried: bool) -> String {
    match (failure, hurried) {
        (None, false) => "no part failed".to_owned(),
        (Some(failure), false) => format!("failed, so the exit code is not 0: {failure}"),
        (None, true) => format!("{HURRIED}; every shutdown half ran"),
        (Some(failure), true) => format!("{HURRIED}: {failure}"),
    }
}

/// "stopped while starting (the startup of `main/db` was cut)", from the ledger.
fn stopped_while_starting_words(ledger: &crate::ledger::Ledger) -> String {
    let cut = ledger.cut();
    if cut.is_empty() {
        return "stopped while starting".to_owned();
    }
    let cut: Vec<String> = cut.iter().map(|path| format!("`{path}`")).collect();
    let (startups, were) = match cut.len() {
        1 => ("startup", "was"),
        _ => ("startups", "were"),
    };
    format!(
        "stopped while starting (the {startups} of {} {were} cut)",
        cut.join(", ")
    )
}

/// `failure` without the startups a shutdown request cut, which are a stop and not a
/// fault; and whether there were any.
fn without_cut(failure: Error) -> (Option<Error>, bool) {
    let name = failure.name().to_owned();
    let origin = failure.origin();
    let (cut, rest): (Vec<Error>, Vec<Error>) = failure
        .into_errors()
        .into_iter()
        .partition(|error| error.kind() == ErrorKind::Cancelled);
    (
        Error::collect(&name.into(), origin, rest).err(),
        !cut.is_empty(),
    )
}

/// The summary's verdict after a second signal.
const HURRIED: &str = "hurried by a second signal, so the exit code is 130";

/// Resolves when shutdown is requested: through [`Scope::request_shutdown`] (which the
/// signal watchdog and failed tasks call) or, on Windows, by ctrl-c.
async fn shutdown_requested(root: &Scope) {
    #[cfg(not(unix))]
    {
        let requested = root.shutdown_requested();
        tokio::select! {
            () = requested => {}
            _ = tokio::signal::ctrl_c() => root.request_shutdown(),
        }
    }
    #[cfg(unix)]
    root.shutdown_requested().await;
}

/// Stands for the body's own error in the runtime, which reports it by returning it
/// from `main` rather than as a lifespan failure.
#[derive(Debug)]
struct BodyFailed(&'static str);

impl std::fmt::Display for BodyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for BodyFailed {}

/// `failure` without the body's own error, which `main` returns itself.
fn without_body_failure(failure: Error) -> Option<Error> {
    let name = failure.name().to_owned();
    let origin = failure.origin();
    let rest: Vec<Error> = failure
        .into_errors()
        .into_iter()
        .filter(|error| error.downcast_ref::<BodyFailed>().is_none())
        .collect();
    Error::collect(&name.into(), origin, rest).err()
}
