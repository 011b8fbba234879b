//! The runtime's guarantees, through `#[lifespan]`: rollback of what a failed startup
//! had entered, reverse order, teardown that goes on past failures, caught panics and
//! timeouts, with `anyhow` and with a custom error that `lifespan::Error` converts into.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifespan::{ErrorKind, Lifespan, Origin, lifespan, yield_app};

type Journal = Arc<Mutex<Vec<String>>>;

fn entries(journal: &Journal) -> Vec<String> {
    journal.lock().unwrap().clone()
}

/// What a part does in a half.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    Succeed,
    Fail,
    Panic,
}

/// A part that journals both halves and acts as told in each.
#[lifespan]
async fn scripted(
    journal: Journal,
    name: &'static str,
    startup: Act,
    shutdown: Act,
) -> anyhow::Result<()> {
    match startup {
        Act::Fail => anyhow::bail!("{name} refused to start"),
        Act::Panic => panic!("{name} exploded"),
        Act::Succeed => journal.lock().unwrap().push(format!("start {name}")),
    }
    yield_app!(());
    journal.lock().unwrap().push(format!("stop {name}"));
    match shutdown {
        Act::Fail => anyhow::bail!("{name} failed to stop"),
        Act::Panic => panic!("{name} exploded"),
        Act::Succeed => Ok(()),
    }
}

fn part(
    journal: &Journal,
    name: &'static str,
    startup: Act,
    shutdown: Act,
) -> impl Lifespan<Value = (), Error = anyhow::Error> + use<> {
    scripted(journal.clone(), name, startup, shutdown).named(name)
}

/// Starts `lifespan`, which must succeed, and stops it, which must fail.
async fn stop_fails(lifespan: impl Lifespan) -> lifespan::Error {
    let running = lifespan.start().await.expect("startup succeeds");
    running.stop().await.expect_err("shutdown fails")
}

/// An app whose third part acts as told at startup: `?` on `enter` with anyhow.
#[lifespan]
async fn anyhow_app(journal: Journal, third: Act) -> anyhow::Result<()> {
    part(&journal, "first", Act::Succeed, Act::Succeed)
        .enter()
        .await?;
    part(&journal, "second", Act::Succeed, Act::Succeed)
        .enter()
        .await?;
    part(&journal, "third", third, Act::Succeed).enter().await?;
    yield_app!(());
    journal.lock().unwrap().push("stop app".into());
    Ok(())
}

/// A custom error that `lifespan::Error` converts into, so that `?` works on `enter`.
#[derive(Debug)]
enum AppError {
    Part(lifespan::Error),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let AppError::Part(error) = self;
        write!(f, "a part failed: {error}")
    }
}

impl std::error::Error for AppError {}

impl From<lifespan::Error> for AppError {
    fn from(error: lifespan::Error) -> Self {
        AppError::Part(error)
    }
}

#[lifespan]
async fn enum_app(journal: Journal, second: Act) -> Result<u8, AppError> {
    part(&journal, "first", Act::Succeed, Act::Succeed)
        .enter()
        .await?;
    part(&journal, "second", second, Act::Succeed)
        .enter()
        .await?;
    yield_app!(2);
    Ok(())
}

#[tokio::test]
async fn a_failed_or_panicking_enter_rolls_back_what_the_startup_half_had_entered() {
    for (third, cause) in [
        (Act::Fail, "failed during startup: third refused to start"),
        (Act::Panic, "panicked during startup: third exploded"),
    ] {
        let journal = Journal::default();
        let error = anyhow_app(journal.clone(), third)
            .start()
            .await
            .unwrap_err();
        assert_eq!(
            (error.name(), error.origin(), error.kind()),
            ("anyhow_app", Origin::Startup, ErrorKind::Failed)
        );
        assert_eq!(
            error.to_string(),
            format!("lifespan `anyhow_app` failed during startup: lifespan `third` {cause}")
        );
        assert_eq!(
            entries(&journal),
            ["start first", "start second", "stop second", "stop first"]
        );
    }
}

#[tokio::test]
async fn a_custom_error_converts_from_lifespan_error_with_question_mark() {
    let journal = Journal::default();
    let error = enum_app(journal.clone(), Act::Fail)
        .start()
        .await
        .unwrap_err();
    let AppError::Part(cause) = error.downcast_ref::<AppError>().expect("the user's error");
    assert_eq!((cause.name(), cause.origin()), ("second", Origin::Startup));
    assert_eq!(entries(&journal), ["start first", "stop first"]);

    let running = enum_app(journal.clone(), Act::Succeed)
        .start()
        .await
        .unwrap();
    assert_eq!(*running, 2);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn teardown_goes_on_past_failures_and_reports_all_of_them() {
    #[lifespan]
    async fn app(journal: Journal) -> anyhow::Result<()> {
        part(&journal, "first", Act::Succeed, Act::Fail)
            .enter()
            .await?;
        part(&journal, "second", Act::Succeed, Act::Panic)
            .enter()
            .await?;
        part(&journal, "third", Act::Succeed, Act::Succeed)
            .enter()
            .await?;
        yield_app!(());
        journal.lock().unwrap().push("stop app".into());
        anyhow::bail!("app failed to stop")
    }
    let journal = Journal::default();
    let error = stop_fails(app(journal.clone())).await;
    let reported: Vec<(&str, ErrorKind)> = error
        .errors()
        .iter()
        .map(|error| (error.name(), error.kind()))
        .collect();
    assert_eq!(
        reported,
        [
            ("app", ErrorKind::Failed),
            ("second", ErrorKind::Panicked),
            ("first", ErrorKind::Failed),
        ]
    );
    assert_eq!(
        entries(&journal)[3..],
        ["stop app", "stop third", "stop second", "stop first"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_shutdown_half_is_cancelled_and_its_children_still_stop() {
    #[lifespan(shutdown_timeout = "1s")]
    async fn hangs_at_shutdown(journal: Journal) -> anyhow::Result<()> {
        part(&journal, "child", Act::Succeed, Act::Succeed)
            .enter()
            .await?;
        yield_app!(());
        std::future::pending::<()>().await;
        Ok(())
    }
    let journal = Journal::default();
    let started = tokio::time::Instant::now();
    let error = stop_fails(hangs_at_shutdown(journal.clone())).await;
    assert_eq!(
        (error.name(), error.origin(), error.timeout()),
        (
            "hangs_at_shutdown",
            Origin::Shutdown,
            Some(Duration::from_secs(1))
        )
    );
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!(entries(&journal), ["start child", "stop child"]);
}
