//! What `#[lifespan::main]` runs, called directly: phases, exits for each return type,
//! a failed task ending the service, and the global deadlines. Signals and the
//! watchdog are tested against a real binary in `service-tests/`.

mod common;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::{Act, Journal, part, scripted};
use lifespan_runtime::__private::{
    Flavor, MainConfig, run_main_in_process, run_main_in_process_with_mark,
};
use std::sync::{Arc, Mutex};

use lifespan_runtime::{Error, ErrorKind, Lifespan, Origin, Phase, Scope, from_fn};

fn config(startup_timeout: Option<Duration>, shutdown_timeout: Duration) -> MainConfig {
    MainConfig {
        flavor: Flavor::CurrentThread,
        worker_threads: None,
        startup_timeout,
        shutdown_timeout,
        second_signal_timeout: lifespan_runtime::__private::DEFAULT_SECOND_SIGNAL_TIMEOUT,
    }
}

fn quick() -> MainConfig {
    config(None, Duration::from_secs(5))
}

#[test]
fn the_phase_moves_from_starting_to_running_to_stopping() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let seen = journal.clone();
    let (exit, code): (ExitCode, _) = run_main_in_process(quick(), move |yielder| async move {
        seen.log(format!("startup: {:?}", lifespan_runtime::phase()));
        let task = seen.clone();
        // On a current-thread runtime this first runs once main waits between halves.
        lifespan_runtime::spawn("readiness", async move {
            task.log(format!("task: {:?}", lifespan_runtime::phase()));
            lifespan_runtime::request_shutdown();
        });
        yielder.yield_app(()).await;
        seen.log(format!("shutdown: {:?}", lifespan_runtime::phase()));
    });
    assert_eq!((exit, code), (ExitCode::SUCCESS, None));
    assert_eq!(
        journal.entries(),
        [
            format!("startup: {:?}", Phase::Starting),
            format!("task: {:?}", Phase::Running),
            format!("shutdown: {:?}", Phase::Stopping),
        ]
    );
}

#[derive(Debug, PartialEq)]
enum AppError {
    Refused,
    Lifespan(String),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        AppError::Lifespan(error.to_string())
    }
}

#[test]
fn a_failed_startup_returns_the_bodys_own_error_after_stopping_what_started() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let log = journal.clone();
    let (exit, code) = run_main_in_process(quick(), move |yielder| async move {
        part(&log, "db").enter().await?;
        part(&log, "cache").enter().await?;
        Err::<(), AppError>(AppError::Refused)?;
        yielder.yield_app(()).await;
        Ok(())
    });
    assert_eq!(exit, Err(AppError::Refused));
    assert_eq!(code, Some(69), "the body's startup failed");
    assert_eq!(
        journal.entries(),
        ["start db", "start cache", "stop cache", "stop db"]
    );
}

#[test]
fn a_failed_part_becomes_the_error_main_returns() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let log = journal.clone();
    let (exit, code) = run_main_in_process(quick(), move |yielder| async move {
        scripted(&log, "db", Act::Succeed, Act::Fail)
            .enter()
            .await?;
        lifespan_runtime::request_shutdown();
        yielder.yield_app(()).await;
        Ok::<(), AppError>(())
    });
    assert_eq!(
        exit,
        Err(AppError::Lifespan(
            "lifespan `db` failed during shutdown: shutdown of db failed on purpose".into()
        ))
    );
    assert_eq!(
        code, None,
        "a failure while stopping exits 1, as `main` returns it"
    );
}

#[test]
fn a_failed_task_shuts_the_service_down_and_fails_the_exit() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let log = journal.clone();
    let (exit, code) = run_main_in_process(quick(), move |yielder| async move {
        lifespan_runtime::spawn("worker", async {
            Err::<(), _>(std::io::Error::other("worker lost its queue"))
        });
        yielder.yield_app(()).await;
        log.log("main stopping");
    });
    assert_eq!((exit, code), (ExitCode::FAILURE, Some(70)));
    assert_eq!(journal.entries(), ["main stopping"]);
}

#[test]
fn a_task_that_fails_during_startup_fails_the_startup() {
    let _deadline = common::deadline();
    let (exit, code) = run_main_in_process(quick(), |yielder| async move {
        lifespan_runtime::spawn("warm-up", async { Err::<(), _>("cache unreachable") });
        // Startup goes on until the failure requests the shutdown that cuts it.
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
    });
    assert_eq!((exit, code), (ExitCode::FAILURE, Some(69)));
}

#[test]
fn an_exit_code_from_the_body_is_kept() {
    let _deadline = common::deadline();
    let (exit, code) = run_main_in_process(quick(), |yielder| async move {
        lifespan_runtime::request_shutdown();
        yielder.yield_app(()).await;
        ExitCode::from(3)
    });
    assert_eq!((exit, code), (ExitCode::from(3), None));
}

#[test]
fn the_startup_timeout_bounds_the_whole_startup() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let log = journal.clone();
    let limit = Duration::from_millis(50);
    let (exit, code) = run_main_in_process(
        config(Some(limit), Duration::from_secs(5)),
        move |yielder| async move {
            part(&log, "db").enter().await?;
            scripted(&log, "stuck", Act::Hang, Act::Succeed)
                .enter()
                .await?;
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        },
    );
    assert_eq!(code, Some(69));
    let error = exit.expect_err("startup timed out");
    assert_eq!(
        (error.name(), error.origin(), error.kind(), error.timeout()),
        ("main", Origin::Startup, ErrorKind::TimedOut, Some(limit))
    );
    assert_eq!(journal.entries(), ["start db", "stop db"]);
}

#[test]
fn the_shutdown_deadline_caps_every_part_and_reports_each() {
    let _deadline = common::deadline();
    let journal = Journal::new();
    let log = journal.clone();
    let started = Instant::now();
    let (exit, code) = run_main_in_process(
        config(None, Duration::from_millis(100)),
        move |yielder| async move {
            scripted(&log, "first", Act::Succeed, Act::Hang)
                .enter()
                .await?;
            scripted(&log, "second", Act::Succeed, Act::Hang)
                .enter()
                .await?;
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        },
    );
    assert_eq!(code, None);
    let error = exit.expect_err("both parts timed out");
    let timed_out: Vec<(&str, ErrorKind)> = error
        .errors()
        .iter()
        .map(|error| (error.name(), error.kind()))
        .collect();
    assert_eq!(
        timed_out,
        [
            ("second", ErrorKind::TimedOut),
            ("first", ErrorKind::TimedOut)
        ]
    );
    // Each got what was left of the one 100 ms deadline, not a limit of its own: the
    // second all of it, the first what the second left, which is less.
    let [second, first] = error.errors() else {
        panic!("two failures")
    };
    let limit = |error: &Error| error.timeout().expect("a timeout has its limit");
    assert!(limit(second) <= Duration::from_millis(100), "{second}");
    assert!(limit(first) < limit(second), "{first}; {second}");
    for error in [first, second] {
        assert!(
            error
                .to_string()
                .contains("what was left of the shutdown deadline"),
            "{error}"
        );
    }
    // The deadline was waited for, and nothing more than it: the watchdog's grace and
    // a loaded machine's slack are far below a second.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// Under `#[lifespan::main]` a part reads its own name and where it sits: `main/db/pool`.
#[test]
fn a_part_knows_its_name_and_its_path_below_main() {
    let _deadline = common::deadline();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let (_, code): (ExitCode, _) =
        run_main_in_process(config(None, Duration::from_secs(5)), |yielder| async move {
            let main = lifespan_runtime::Scope::current();
            record
                .lock()
                .unwrap()
                .push((main.name().to_owned(), main.path()));
            let pool = lifespan_runtime::from_fn("pool", |y| async move {
                let here = lifespan_runtime::Scope::current();
                y.yield_app((here.name().to_owned(), here.path())).await;
            });
            let db = lifespan_runtime::from_fn("db", move |y| async move {
                y.yield_app(pool.enter().await?).await;
                Ok::<(), Error>(())
            });
            let pool_seen = db.enter().await.unwrap();
            record.lock().unwrap().push(pool_seen);
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
            ExitCode::SUCCESS
        });
    assert_eq!(code, None);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("main".to_owned(), "main".to_owned()),
            ("pool".to_owned(), "main/db/pool".to_owned())
        ]
    );
}

#[test]
fn every_scope_of_a_service_knows_its_shutdown_deadline() {
    let _deadline = common::deadline();
    let limit = Duration::from_secs(7);
    let seen = Arc::new(Mutex::new(None));
    let inside = seen.clone();
    let (_, code): (ExitCode, _) =
        run_main_in_process(config(None, limit), move |yielder| async move {
            let part = from_fn("part", |y| y.yield_app(Scope::current().shutdown_timeout()))
                .enter()
                .await
                .unwrap();
            *inside.lock().unwrap() = Some(part);
            lifespan_runtime::request_shutdown();
            yielder.yield_app(()).await;
        });
    assert_eq!(code, None);
    assert_eq!(*seen.lock().unwrap(), Some(Some(limit)));
}

/// What `#[lifespan::main]` passes for a body that returns `Result<(), Error>`: the
/// reader of main's own error, at the type as written.
#[allow(clippy::needless_borrow)] // each `&` is a step of the autoref
fn read_mark(output: &Result<(), Error>) -> Option<bool> {
    // The way in for this type; the macro brings all three into scope.
    use lifespan_runtime::__private::config_mark::{Probe, ThroughError as _};
    (&&&Probe(output)).config_mark()
}

/// A part whose startup fails with a `ConfigError`: exit 78, whether the body's error
/// can be looked into (a `lifespan::Error`) or not (an error type of the app's own).
#[test]
fn a_startup_failed_on_its_configuration_exits_78() {
    let _deadline = common::deadline();
    let settings = || {
        from_fn("settings", |y| async move {
            let port: u16 = "eighty"
                .parse()
                .map_err(lifespan_runtime::ConfigError::new)?;
            y.yield_app(port).await;
            Ok::<(), lifespan_runtime::ConfigError>(())
        })
    };
    let body = move |yielder: lifespan_runtime::Yielder<()>| async move {
        settings().enter().await?;
        yielder.yield_app(()).await;
        Ok::<(), Error>(())
    };
    let (exit, code) = run_main_in_process_with_mark(quick(), body, read_mark);
    assert!(exit.unwrap_err().is_config());
    assert_eq!(code, Some(78), "the body's own error carries the mark");
    let (exit, code) = run_main_in_process(quick(), move |yielder| async move {
        settings().enter().await?;
        yielder.yield_app(()).await;
        Ok::<(), AppError>(())
    });
    assert!(matches!(exit, Err(AppError::Lifespan(_))));
    assert_eq!(
        code,
        Some(78),
        "the part's startup failure was seen where it happened"
    );
    // A task that fails on its configuration during startup fails the startup too.
    let (_, code): (ExitCode, _) = run_main_in_process(quick(), |yielder| async move {
        lifespan_runtime::spawn("reload", async {
            Err::<(), _>(lifespan_runtime::ConfigError::new("no such file: app.toml"))
        });
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
    });
    assert_eq!(code, Some(78));
}

/// The mark counts only on the failure that ended the startup: a configuration
/// failure that main handled (an optional part it went on without) does not turn a
/// later, unrelated startup failure into a 78.
#[test]
fn a_configuration_failure_main_handled_does_not_mark_a_later_one() {
    let _deadline = common::deadline();
    let optional = || {
        from_fn("cache", |y| async move {
            Err::<(), _>(lifespan_runtime::ConfigError::new("CACHE_URL is not a url"))?;
            y.yield_app(()).await;
            Ok::<(), lifespan_runtime::ConfigError>(())
        })
    };
    let refused = || {
        from_fn("db", |y| async move {
            Err::<(), _>("connection refused")?;
            y.yield_app(()).await;
            Ok::<(), lifespan_runtime::BoxError>(())
        })
    };
    // Main's own error read (a `lifespan::Error`), and one it cannot read.
    let body = move |yielder: lifespan_runtime::Yielder<()>| async move {
        assert!(
            optional().enter().await.is_err(),
            "handled: runs without a cache"
        );
        refused().enter().await?;
        yielder.yield_app(()).await;
        Ok::<(), Error>(())
    };
    let (exit, code) = run_main_in_process_with_mark(quick(), body, read_mark);
    assert!(!exit.unwrap_err().is_config());
    assert_eq!(code, Some(69));
    let (exit, code) = run_main_in_process(quick(), move |yielder| async move {
        assert!(optional().enter().await.is_err());
        refused().enter().await?;
        yielder.yield_app(()).await;
        Ok::<(), AppError>(())
    });
    assert!(matches!(exit, Err(AppError::Lifespan(_))));
    assert_eq!(
        code,
        Some(69),
        "the last part to fail was not misconfigured"
    );
    // Main's output cannot say (none: its startup was cut or timed out): what ended
    // the startup decides, not the failure it handled.
    let (_, code): (ExitCode, _) = run_main_in_process(quick(), move |yielder| async move {
        assert!(optional().enter().await.is_err());
        lifespan_runtime::spawn("migrations", async { Err::<(), _>("locked") });
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
    });
    assert_eq!(code, Some(69), "a task's plain failure ended the startup");
    let limited = config(Some(Duration::from_millis(50)), Duration::from_secs(5));
    let (_, code): (ExitCode, _) = run_main_in_process(limited, move |yielder| async move {
        assert!(optional().enter().await.is_err());
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
    });
    assert_eq!(code, Some(69), "main's startup timed out");
    // And the other way round: the handled failure is not a configuration problem.
    let (_, code) = run_main_in_process(quick(), move |yielder| async move {
        assert!(refused().enter().await.is_err());
        optional().enter().await?;
        yielder.yield_app(()).await;
        Ok::<(), AppError>(())
    });
    assert_eq!(code, Some(78));
}

/// A program that exits while the service runs brings it down: exit 70. Under
/// `supervised` it is started again instead, and the service runs on.
#[cfg(all(feature = "process", unix))]
#[test]
fn a_program_that_exits_while_running_is_restarted_only_under_a_supervisor() {
    use lifespan_runtime::process::Process;
    let _deadline = common::deadline();
    let short_lived = || {
        Process::new("sleeper", "sleep")
            .arg("0.1")
            .ready_after(Duration::from_millis(1))
            .lifespan()
    };
    let (_, code): (ExitCode, _) = run_main_in_process(quick(), move |yielder| async move {
        short_lived().enter().await.unwrap();
        yielder.yield_app(()).await;
    });
    assert_eq!(code, Some(70), "it exited while running");
    let (_, code): (ExitCode, _) = run_main_in_process(quick(), move |yielder| async move {
        let policy = lifespan_runtime::Restart::on_failure().delay(Duration::from_millis(1));
        let sleeper = lifespan_runtime::supervised(policy, short_lived)
            .enter()
            .await
            .unwrap();
        let first = sleeper.get().unwrap().pid();
        let mut changes = sleeper.clone();
        changes.changed().await.unwrap(); // it exited: down
        let second = sleeper.wait().await.unwrap().pid();
        assert_ne!(first, second);
        assert!(!lifespan_runtime::is_app_shutdown_requested());
        lifespan_runtime::request_shutdown();
        yielder.yield_app(()).await;
    });
    assert_eq!(code, None, "restarted, then stopped cleanly");
}
