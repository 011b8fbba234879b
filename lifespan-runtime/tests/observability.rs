//! Spans per lifespan and phase; events for starting, started, stopping, stopped and
//! every failure.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Act, Journal, part, scripted};
use lifespan_runtime::{Lifespan, Scope};
use tracing_subscriber::fmt::MakeWriter;

/// Everything the subscriber printed, one event per line.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn line_with(&self, needles: &[&str]) -> String {
        let lines = self.lines();
        lines
            .iter()
            .find(|line| needles.iter().all(|needle| line.contains(needle)))
            .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{}", lines.join("\n")))
            .clone()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Runs `body` on a current-thread runtime with a subscriber that captures DEBUG and up.
fn capture<F: std::future::Future>(body: impl FnOnce() -> F) -> Captured {
    capture_sync(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(body());
    })
}

/// Runs `body` on this thread with a subscriber that captures DEBUG and up.
fn capture_sync(body: impl FnOnce()) -> Captured {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::with_default(subscriber, body);
    captured
}

#[test]
fn each_half_has_a_span_and_its_events() {
    let journal = Journal::new();
    let captured = capture(|| async {
        let scope = Scope::new();
        scope.enter(part(&journal, "database")).await.unwrap();
        scope.shutdown().await.unwrap();
    });
    let span_startup = "lifespan{name=database half=\"startup\"}";
    let span_shutdown = "lifespan{name=database half=\"shutdown\"}";
    captured.line_with(&["DEBUG", span_startup, "starting"]);
    captured.line_with(&["INFO", span_startup, "started", "elapsed="]);
    captured.line_with(&["DEBUG", span_shutdown, "stopping"]);
    captured.line_with(&["INFO", "stopped", "name=database", "elapsed="]);
}

#[test]
fn every_failure_is_an_error_event() {
    let journal = Journal::new();
    let captured = capture(|| async {
        let _ = scripted(&journal, "broken", Act::Fail, Act::Succeed)
            .start()
            .await;
        let running = scripted(&journal, "leaky", Act::Succeed, Act::Panic)
            .start()
            .await
            .unwrap();
        let _ = running.stop().await;
        let scope = Scope::new();
        scope.spawn("worker", async { Err::<(), _>("lost connection") });
        scope.on_shutdown("flush", async { Err::<(), _>("flush refused") });
        scope.shutdown_requested().await;
        let _ = scope.shutdown().await;
    });
    captured.line_with(&[
        "ERROR",
        "startup failed",
        "lifespan `broken` failed during startup",
    ]);
    captured.line_with(&[
        "ERROR",
        "shutdown half failed",
        "lifespan `leaky` panicked during shutdown",
    ]);
    captured.line_with(&[
        "ERROR",
        "task{name=worker}",
        "requesting shutdown",
        "lost connection",
    ]);
    captured.line_with(&["ERROR", "hook{name=flush}", "flush refused"]);
}

#[test]
fn dropping_a_running_lifespan_warns_that_its_shutdown_half_will_not_run() {
    let journal = Journal::new();
    let captured = capture(|| async {
        let running = part(&journal, "forgotten").start().await.unwrap();
        drop(running);
    });
    captured.line_with(&[
        "WARN",
        "`forgotten` was dropped while running",
        "call `stop().await`",
    ]);
}

/// A current-thread service whose teardown has `shutdown_timeout`.
fn service_config(
    shutdown_timeout: std::time::Duration,
) -> lifespan_runtime::__private::MainConfig {
    lifespan_runtime::__private::MainConfig {
        flavor: lifespan_runtime::__private::Flavor::CurrentThread,
        worker_threads: None,
        startup_timeout: None,
        shutdown_timeout,
        second_signal_timeout: lifespan_runtime::__private::DEFAULT_SECOND_SIGNAL_TIMEOUT,
    }
}

/// Like [`service_config`], for a startup that must be cut: one that is not fails after
/// ten seconds rather than hanging the test.
fn cut_service_config() -> lifespan_runtime::__private::MainConfig {
    lifespan_runtime::__private::MainConfig {
        startup_timeout: Some(std::time::Duration::from_secs(10)),
        ..service_config(std::time::Duration::from_secs(5))
    }
}

/// Every captured line, and where the summary's heading is among them.
fn summary_of(captured: &Captured) -> (Vec<String>, usize) {
    let lines = captured.lines();
    let summary = lines
        .iter()
        .position(|line| line.contains("lifespan summary:"))
        .unwrap_or_else(|| panic!("no summary in:\n{}", lines.join("\n")));
    (lines, summary)
}

#[test]
fn a_service_ends_with_one_summary_of_every_lifespan() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let config = service_config(std::time::Duration::from_secs(5));
    let captured = capture_sync(|| {
        let _ = lifespan_runtime::__private::run_main_in_process(config, |yielder| async {
            part(&journal, "database").enter().await?;
            scripted(&journal, "cache", Act::Succeed, Act::Fail)
                .enter()
                .await?;
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
            Ok::<(), lifespan_runtime::Error>(())
        });
    });
    let (lines, summary) = summary_of(&captured);
    let rows: Vec<(String, String)> = lines[summary + 1..summary + 4]
        .iter()
        .map(|row| {
            let name = row.split_whitespace().next().unwrap().to_owned();
            let outcome = row.rsplit("  ").next().unwrap().to_owned();
            assert!(
                row.contains("started in") && row.contains("stopped in"),
                "{row}"
            );
            (name, outcome)
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("main".into(), "ok".into()),
            ("database".into(), "ok".into()),
            ("cache".into(), "shutdown failed".into()),
        ]
    );
    assert_eq!(
        lines[summary + 4].trim(),
        "failed, so the exit code is not 0: lifespan `cache` failed during shutdown: \
         shutdown of cache failed on purpose"
    );
}

/// A task aborted at the deadline and a hook that failed are the failures of the part
/// that spawned or registered them: its row is not "ok", and the last line says the
/// run failed.
#[test]
fn the_summary_names_aborted_tasks_and_failed_hooks() {
    let _deadline = common::deadline();
    let config = service_config(std::time::Duration::from_millis(50));
    let captured = capture_sync(|| {
        let _ = lifespan_runtime::__private::run_main_in_process(config, |yielder| async {
            lifespan_runtime::spawn("deaf", std::future::pending::<()>());
            lifespan_runtime::on_shutdown("flush", async { Err::<(), _>("refused") });
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
        });
    });
    let (lines, summary) = summary_of(&captured);
    let main = &lines[summary + 1];
    assert!(
        main.ends_with("  hook `flush` failed; task `deaf` was aborted at the deadline"),
        "{main}"
    );
    let verdict = lines[summary + 2].trim();
    assert!(
        verdict.starts_with("failed, so the exit code is not 0: 2 failures while stopping `main`"),
        "{verdict}"
    );
}

/// A run where nothing failed says so on its last line.
#[test]
fn the_summary_of_a_clean_run_ends_saying_no_part_failed() {
    let _deadline = common::deadline();
    let config = service_config(std::time::Duration::from_secs(5));
    let captured = capture_sync(|| {
        lifespan_runtime::__private::run_main_in_process(config, |yielder| async {
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
        });
    });
    let lines = captured.lines();
    let summary = lines
        .iter()
        .position(|line| line.contains("lifespan summary:"))
        .unwrap();
    assert!(lines[summary + 1].trim().starts_with("main "), "{lines:?}");
    assert!(lines[summary + 1].ends_with("  ok"), "{lines:?}");
    assert_eq!(lines[summary + 2].trim(), "no part failed");
}

/// `elapsed` is the time the half took, read from tokio's clock: paused here, so the
/// sleeps pass at once and the times are exact.
#[test]
fn started_and_stopped_report_how_long_each_half_took() {
    let captured = capture_sync(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(async {
                let slow = lifespan_runtime::from_fn("slow", |yielder| async move {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    yielder.yield_app(()).await;
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                });
                slow.start().await.unwrap().stop().await.unwrap();
            });
    });
    captured.line_with(&["INFO", "started", "elapsed=3s"]);
    captured.line_with(&["INFO", "stopped", "name=slow", "elapsed=2s"]);
}

/// Like [`capture`], on a paused clock: a zero timeout fires before the work it cuts.
fn capture_paused<F: std::future::Future>(body: impl FnOnce() -> F) -> Captured {
    capture_sync(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(body());
    })
}

/// How many captured lines contain every one of `needles`.
fn count(captured: &Captured, needles: &[&str]) -> usize {
    captured
        .lines()
        .iter()
        .filter(|line| needles.iter().all(|needle| line.contains(needle)))
        .count()
}

const UNWATCHED: &str = "a teardown nobody was waiting for failed";

/// A teardown whose caller stopped waiting logs its failures once, when it ends; a
/// teardown someone waits for returns them and logs nothing of the kind.
#[test]
fn an_unwatched_teardown_logs_its_failures_once_and_a_watched_one_does_not() {
    let journal = Journal::new();
    let unwatched = capture_paused(|| async {
        let scope = Scope::new();
        let (last, last_stopped) = common::signalling(&journal, "last");
        scope.enter(last).await.unwrap();
        scope
            .enter(scripted(&journal, "broken", Act::Succeed, Act::Fail))
            .await
            .unwrap();
        let cut = tokio::time::timeout(std::time::Duration::ZERO, scope.shutdown()).await;
        assert!(cut.is_err());
        last_stopped.await.unwrap();
        // The next call still gets the failure, and nothing is logged twice.
        assert!(scope.shutdown().await.is_err());
    });
    assert_eq!(
        count(&unwatched, &["ERROR", UNWATCHED, "lifespan `broken`"]),
        1
    );

    let watched = capture(|| async {
        let scope = Scope::new();
        scope
            .enter(scripted(&journal, "broken", Act::Succeed, Act::Fail))
            .await
            .unwrap();
        assert!(scope.shutdown().await.is_err());
    });
    assert_eq!(count(&watched, &[UNWATCHED]), 0);
}

/// A teardown whose task the runtime drops before it ends (the runtime shut down) does
/// not leave its callers waiting for ever: the failure says what happened, and is logged.
#[test]
fn a_teardown_whose_runtime_shut_down_reports_that_it_was_cut() {
    let scope = Scope::new();
    let captured = capture_sync(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            scope
                .enter(scripted(&Journal::new(), "stuck", Act::Succeed, Act::Hang))
                .await
                .unwrap();
            let cut = tokio::time::timeout(std::time::Duration::ZERO, scope.shutdown()).await;
            assert!(cut.is_err());
            tokio::task::yield_now().await; // the teardown's task starts, and hangs
        });
        drop(runtime);
    });
    let ended = "the teardown's task ended before the teardown did";
    assert_eq!(count(&captured, &["ERROR", UNWATCHED, ended]), 1);
    let next = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(scope.shutdown())
        .unwrap_err();
    assert!(next.to_string().contains(ended), "{next}");
}

/// A `stop()` whose caller stops waiting cancels the shutdown half, and says so; a
/// `stop()` that runs to the end says nothing of the kind.
#[test]
fn a_shutdown_half_cut_by_its_caller_is_logged_and_a_whole_one_is_not() {
    let cut_message = "the shutdown half of `slow` was cancelled: its caller stopped waiting";
    let captured = capture_paused(|| async {
        let slow = scripted(&Journal::new(), "slow", Act::Succeed, Act::Hang);
        let running = slow.start().await.unwrap();
        let cut = tokio::time::timeout(std::time::Duration::ZERO, running.stop()).await;
        assert!(cut.is_err());
    });
    assert_eq!(count(&captured, &["ERROR", cut_message]), 1);
    let whole = capture(|| async {
        let quick = scripted(&Journal::new(), "slow", Act::Succeed, Act::Succeed);
        quick.start().await.unwrap().stop().await.unwrap();
    });
    assert_eq!(count(&whole, &["cancelled: its caller stopped waiting"]), 0);
}

/// A teardown with a failure and a last part that says when it has stopped (which is
/// when the teardown ends: it is stopped last).
async fn failing_teardown(journal: &Journal) -> (Scope, tokio::sync::oneshot::Receiver<()>) {
    let scope = Scope::new();
    let (last, last_stopped) = common::signalling(journal, "last");
    scope.enter(last).await.unwrap();
    scope
        .enter(scripted(journal, "broken", Act::Succeed, Act::Fail))
        .await
        .unwrap();
    (scope, last_stopped)
}

/// A caller that was waiting when the teardown ended, but left before taking its
/// failures, leaves them logged once and kept for the next call.
#[test]
fn a_waiter_gone_before_taking_the_failures_leaves_them_logged_and_kept() {
    let journal = Journal::new();
    let captured = capture_paused(|| async {
        let (scope, last_stopped) = failing_teardown(&journal).await;
        let mut waiting = Box::pin(scope.shutdown());
        assert!(common::poll_once(&mut waiting).await);
        last_stopped.await.unwrap();
        drop(waiting);
        assert!(scope.shutdown().await.is_err());
    });
    assert_eq!(
        count(&captured, &["ERROR", UNWATCHED, "lifespan `broken`"]),
        1
    );
}

/// Of two callers waiting, one leaving early neither logs the failures nor takes them:
/// the other gets them, and nothing is logged.
#[test]
fn a_waiter_leaving_while_another_waits_logs_nothing() {
    let journal = Journal::new();
    let captured = capture_paused(|| async {
        let (scope, last_stopped) = failing_teardown(&journal).await;
        let mut first = Box::pin(scope.shutdown());
        let mut second = Box::pin(scope.shutdown());
        assert!(common::poll_once(&mut first).await);
        assert!(common::poll_once(&mut second).await);
        last_stopped.await.unwrap();
        drop(first);
        assert!(second.await.is_err());
    });
    assert_eq!(count(&captured, &[UNWATCHED]), 0);
}

/// A body that returns a failing `ExitCode` while no part failed: the run exits
/// non-zero, so the summary's last line must not say "no part failed".
#[test]
fn a_failing_exit_code_from_main_is_the_summary_s_verdict() {
    let _deadline = common::deadline();
    let config = service_config(std::time::Duration::from_secs(5));
    let mut exit = None;
    let captured = capture_sync(|| {
        exit = Some(lifespan_runtime::__private::run_main_in_process(
            config,
            |yielder| async {
                lifespan_runtime::request_shutdown();
                yielder.yield_app(()).await;
                std::process::ExitCode::from(3)
            },
        ));
    });
    assert_eq!(exit, Some((std::process::ExitCode::from(3), None)));
    let (lines, summary) = summary_of(&captured);
    let verdict = lines[summary + 2].trim();
    assert!(
        verdict.starts_with("failed, so the exit code is not 0:")
            && verdict.ends_with("main returned a failing exit code"),
        "{verdict}"
    );
}

/// A root dropped without `shutdown()` warns once, naming itself and what it held, only
/// when something still needed stopping: not for a task group whose tasks had finished.
#[test]
fn a_dropped_root_warns_only_when_something_still_needed_stopping() {
    let captured = capture(|| async {
        let idle = Scope::new();
        let done = idle.spawn("quick", async {});
        done.await.unwrap();
        drop(idle);

        let busy = Scope::new();
        let (heard_tx, heard) = tokio::sync::oneshot::channel();
        busy.spawn("ticker", async move {
            lifespan_runtime::shutdown_requested().await;
            let _ = heard_tx.send(());
        });
        drop(busy);
        heard.await.unwrap();
    });
    let warnings: Vec<String> = captured
        .lines()
        .into_iter()
        .filter(|line| line.contains("was dropped without `shutdown()`"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("the scope `app`") && warnings[0].contains("held 1 part(s)"),
        "{warnings:?}"
    );
}

/// Work registered once a scope has shut down never runs, and says so: a warning
/// names it, what it is, and whose scope refused it.
#[test]
fn work_registered_after_shutdown_is_dropped_with_a_warning() {
    let captured = capture(|| async {
        let scope = Scope::new();
        scope.shutdown().await.unwrap();
        scope.on_shutdown("flush", async {});
        let refused = scope.spawn("late", async {}).await.unwrap_err();
        assert_eq!(refused.kind(), lifespan_runtime::ErrorKind::ScopeClosed);
    });
    let warnings: Vec<String> = captured
        .lines()
        .into_iter()
        .filter(|line| line.contains(" WARN "))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].ends_with(
            "shutdown hook `flush` was registered in the scope of `app` after it had shut \
             down, and was dropped unrun"
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[1].ends_with(
            "task `late` was registered in the scope of `app` after it had shut down, and \
             was dropped unrun"
        ),
        "{warnings:?}"
    );
}

/// The owner's last handle dropped while its `shutdown()` is under way (the call cut
/// short by an outer timeout): the teardown already running goes on, alone; no second
/// one begins and nothing warns.
#[test]
fn a_root_dropped_while_its_teardown_runs_is_not_torn_down_twice() {
    let journal = Journal::new();
    let stopped = journal.clone();
    let captured = capture(|| async move {
        let root = Scope::new();
        // Still registered when the owner lets go: the teardown has not reached it.
        let (database, database_stopped) = common::signalling(&stopped, "database");
        root.enter(database).await.unwrap();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (flushed_tx, flushed) = tokio::sync::oneshot::channel::<()>();
        root.on_shutdown("flush", async move {
            let _ = released.await;
            stopped.log("flushed");
            let _ = flushed_tx.send(());
        });
        root.spawn("late-task", async {
            lifespan_runtime::shutdown_requested().await;
        });
        let cut = tokio::time::timeout(std::time::Duration::from_millis(10), root.shutdown()).await;
        assert!(cut.is_err());
        drop(root); // a second teardown would warn here, in `drop`
        release.send(()).unwrap();
        flushed.await.unwrap();
        database_stopped.await.unwrap();
    });
    assert_eq!(
        journal.entries(),
        ["start database", "flushed", "stop database"]
    );
    assert!(
        !captured
            .lines()
            .iter()
            .any(|line| line.contains("dropped without `shutdown()`")),
        "{:?}",
        captured.lines()
    );
}

/// What a part notes goes on its row, after how it ended.
#[test]
fn a_part_s_notes_follow_its_outcome_on_its_summary_row() {
    let _deadline = common::deadline();
    let config = service_config(std::time::Duration::from_secs(5));
    let captured = capture_sync(|| {
        lifespan_runtime::__private::run_main_in_process(config, |yielder| async {
            lifespan_runtime::from_fn("cache", |y| async move {
                y.yield_app(()).await;
                Scope::current().note("512 entries flushed");
            })
            .enter()
            .await
            .unwrap();
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
        });
    });
    let (lines, summary) = summary_of(&captured);
    let cache = lines[summary + 1..]
        .iter()
        .find(|line| line.trim_start().starts_with("cache "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(cache.ends_with("  ok; 512 entries flushed"), "{cache}");
}

/// A task cut by a hurried teardown was cut as asked: one WARN per task, never ERROR;
/// a task that fails still logs ERROR, isolated or not.
#[test]
fn tasks_aborted_by_a_hurry_warn_and_failed_tasks_still_log_errors() {
    let _deadline = common::deadline();
    let captured = capture(|| async {
        let scope = Scope::new();
        scope.spawn("consumer", std::future::pending::<()>());
        scope.spawn_isolated("exporter", std::future::pending::<()>());
        scope.spawn("flusher", async {
            lifespan_runtime::shutdown_requested().await;
            Err::<(), _>(std::io::Error::other("disk full"))
        });
        scope.request_hurry();
        let _ = scope.shutdown().await;
    });
    let lines = captured.lines();
    for task in ["consumer", "exporter"] {
        let line = captured.line_with(&["task aborted", &format!("task `{task}` was aborted")]);
        assert!(line.contains(" WARN "), "{line}");
        assert!(
            !lines
                .iter()
                .any(|line| line.contains("ERROR") && line.contains(&format!("`{task}`"))),
            "{}",
            lines.join("\n")
        );
    }
    let failed = captured.line_with(&["task failed", "disk full"]);
    assert!(failed.contains("ERROR"), "{failed}");
}

/// Runs `body` as a service under [`cut_service_config`], capturing its log; returns
/// what `fn main` would return, and the log.
fn run_cut_service<O, F, Fut>(body: F) -> (O::Exit, Captured)
where
    F: FnOnce(lifespan_runtime::Yielder<()>) -> Fut,
    Fut: std::future::Future<Output = O>,
    O: lifespan_runtime::MainOutput,
{
    let _deadline = common::deadline();
    let mut exit = None;
    let captured = capture_sync(|| {
        exit = Some(lifespan_runtime::__private::run_main_in_process(
            cut_service_config(),
            body,
        ));
    });
    let (exit, code) = exit.expect("the service ran");
    // A stop asked for while starting is no failure; a failure while rolling back
    // exits 1, as `main` returns it: neither has a code of its own.
    assert_eq!(code, None);
    (exit, captured)
}

/// A part named `slow` that asks for the app's shutdown as it starts, then waits: it is
/// cut there.
fn asks_to_stop_while_starting()
-> impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static {
    lifespan_runtime::from_fn("slow", |yielder| async move {
        lifespan_runtime::request_shutdown();
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
    })
}

/// A main body that enters `db` (scripted to stop as `db_stops`), then a part that asks
/// for shutdown while it starts and waits; returns what `main` returns.
fn stopped_while_starting(
    journal: &Journal,
    db_stops: Act,
) -> (Result<(), lifespan_runtime::Error>, Captured) {
    run_cut_service(|yielder| async move {
        scripted(journal, "db", Act::Succeed, db_stops)
            .enter()
            .await?;
        asks_to_stop_while_starting().enter().await?;
        journal.log("ready");
        yielder.yield_app(()).await;
        Ok::<(), lifespan_runtime::Error>(())
    })
}

/// A stop asked for while a part starts is no failure: the part is cut, what had started
/// is stopped, `main` ends well, the summary says so, and nothing is logged as an error.
#[test]
fn a_service_stopped_while_starting_ends_well_and_names_the_cut_startup() {
    let journal = Journal::new();
    let (exit, captured) = stopped_while_starting(&journal, Act::Succeed);

    assert!(exit.is_ok(), "{exit:?}");
    assert_eq!(journal.entries(), ["start db", "stop db"]);
    let (lines, summary) = summary_of(&captured);
    assert!(
        lines[summary + 1].ends_with("  cut while starting"),
        "{lines:?}"
    );
    assert_eq!(
        lines[summary + 4].trim(),
        "stopped while starting (the startup of `main/slow` was cut); every part that had \
         started was stopped, and none failed"
    );
    assert_eq!(count(&captured, &["ERROR"]), 0, "{lines:#?}");
    captured.line_with(&["INFO", "slow", "startup cut: shutdown was requested"]);
    // main's `?` passed the cut on: said, with what it returned, but not as a failure.
    captured.line_with(&[
        "INFO",
        "main's startup ended with an error after shutdown was requested",
        "lifespan `slow` was cut while starting",
    ]);
}

/// Cut while its own body waits, before it returned anything: main is the cut startup.
#[test]
fn a_service_whose_body_is_cut_while_it_waits_names_main() {
    let (exit, captured) = run_cut_service(|yielder| async move {
        let scope = Scope::current();
        tokio::spawn(async move { scope.request_shutdown() });
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
        Ok::<(), lifespan_runtime::Error>(())
    });
    assert!(exit.is_ok(), "{exit:?}");
    let (lines, summary) = summary_of(&captured);
    assert_eq!(
        lines[summary + 2].trim(),
        "stopped while starting (the startup of `main` was cut); every part that had started \
         was stopped, and none failed"
    );
}

/// A body returning a failing code once its startup was cut ends well too, and the log
/// says what it returned.
#[test]
fn a_failing_exit_code_returned_after_a_cut_is_logged_not_returned() {
    use std::process::ExitCode;
    let (exit, captured) = run_cut_service(|yielder| async move {
        if asks_to_stop_while_starting().enter().await.is_err() {
            return ExitCode::from(3);
        }
        yielder.yield_app(()).await;
        ExitCode::SUCCESS
    });
    assert_eq!(exit, ExitCode::SUCCESS);
    captured.line_with(&[
        "main's startup ended with an error after shutdown was requested",
        "main returned a failing exit code",
    ]);
}

/// What fails while a cut startup rolls back is a failure as usual.
#[test]
fn a_service_stopped_while_starting_whose_rollback_fails_ends_in_that_failure() {
    let journal = Journal::new();
    let (exit, captured) = stopped_while_starting(&journal, Act::Fail);

    let error = exit.unwrap_err();
    assert_eq!(
        (error.kind(), error.name()),
        (lifespan_runtime::ErrorKind::Failed, "db")
    );
    let (lines, summary) = summary_of(&captured);
    assert!(
        lines[summary + 4].trim().starts_with(
            "stopped while starting (the startup of `main/slow` was cut); failed, so the exit \
             code is not 0: lifespan `db` failed during shutdown"
        ),
        "{lines:?}"
    );
}

/// An isolated task's failure or panic is logged at ERROR, named, and that is all: the
/// app is not asked to stop, and its teardown does not fail.
#[test]
fn an_isolated_task_failure_is_only_logged() {
    let captured = capture_paused(|| async {
        let scope = Scope::new();
        scope.spawn_isolated("connection", async { Err::<(), _>("reset by peer") });
        scope.spawn_isolated("other-connection", async { panic!("bad frame") });
        // On a paused clock, the sleep completes only once every task is idle or done.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert!(!scope.is_shutdown_requested());
        scope.shutdown().await.unwrap();
    });
    captured.line_with(&[
        "ERROR",
        "isolated task failed",
        "`connection`",
        "reset by peer",
    ]);
    captured.line_with(&[
        "ERROR",
        "isolated task failed",
        "`other-connection`",
        "bad frame",
    ]);
    assert_eq!(count(&captured, &["requesting shutdown"]), 0);
}

/// Each restart of a supervised task is a WARN naming its path, the attempt, the error
/// and the next delay; the summary counts the restarts on the line of the part that
/// spawned it, and a restarted task that recovered is no failure of the run.
#[test]
fn restarts_are_warned_one_by_one_and_counted_in_the_summary() {
    let _deadline = common::deadline();
    let config = service_config(std::time::Duration::from_secs(5));
    let captured = capture_sync(|| {
        lifespan_runtime::__private::run_main_in_process(config, |yielder| async {
            let instances = std::sync::atomic::AtomicU32::new(0);
            let policy =
                lifespan_runtime::Restart::on_failure().delay(std::time::Duration::from_millis(1));
            lifespan_runtime::spawn_supervised("consumer", policy, move || {
                let instance = instances.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                async move {
                    if instance <= 2 {
                        return Err(format!("broker gone ({instance})"));
                    }
                    lifespan_runtime::request_shutdown();
                    Ok(())
                }
            });
            yielder.yield_app(()).await;
        });
    });
    captured.line_with(&[
        "WARN",
        "task=main/consumer",
        "attempt=1",
        "delay=1ms",
        "task `consumer` failed: broker gone (1); restart 1 in 1ms",
    ]);
    captured.line_with(&[
        "WARN",
        "attempt=2",
        "delay=2ms",
        "broker gone (2); restart 2 in 2ms",
    ]);
    let (lines, summary) = summary_of(&captured);
    let main = &lines[summary + 1];
    assert!(
        main.ends_with("  ok; task `consumer` restarted 2 times"),
        "{main}"
    );
    assert_eq!(lines[summary + 2].trim(), "no part failed");
}

/// A supervised program that exits is reported once, by its restart: stopping the
/// instance that already exited is clean, not a second WARN about the same exit.
#[cfg(all(feature = "process", unix))]
#[test]
fn a_supervised_program_that_exits_is_reported_once_by_its_restart() {
    use lifespan_runtime::process::Process;
    use std::time::Duration;
    let _deadline = common::deadline();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let captured = capture_sync(|| {
        runtime.block_on(async {
            let scope = Scope::new();
            let starts = Arc::new(std::sync::atomic::AtomicU32::new(0));
            let policy = lifespan_runtime::Restart::on_failure().delay(Duration::from_millis(1));
            let counted = starts.clone();
            let sleeper = scope
                .enter(lifespan_runtime::supervised(policy, move || {
                    // The first instance exits at once; the second stays until stopped.
                    let first = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
                    Process::new("sleeper", "sleep")
                        .arg(if first { "0.05" } else { "60" })
                        .ready_after(Duration::from_millis(1))
                        .lifespan()
                }))
                .await
                .unwrap();
            let mut changes = sleeper.clone();
            changes.changed().await.unwrap(); // it exited: down
            sleeper.wait().await.expect("the second instance runs");
            scope.shutdown().await.unwrap();
        })
    });
    captured.line_with(&[
        "WARN",
        "lifespan `sleeper` failed: exited while the app was running (exit status: 0); restart 1 of `sleeper`",
    ]);
    let about_the_exit: Vec<String> = captured
        .lines()
        .into_iter()
        .filter(|line| line.contains("exited") || line.contains("did not stop cleanly"))
        .collect();
    assert_eq!(about_the_exit.len(), 1, "{about_the_exit:#?}");
}
