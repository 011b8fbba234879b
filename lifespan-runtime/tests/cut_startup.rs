//! A shutdown request that comes while a lifespan starts cuts that startup where it
//! stands and stops what it had started, as a failed startup would; the caller gets
//! `ErrorKind::Cancelled`. The app's request cuts every startup in the app; a local
//! request, those in its subtree only. On a paused clock: each cut is seen to come at
//! the request, not when the startup would have ended.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Act, Journal, bounded, part, scripted};
use lifespan_runtime::{
    BoxError, Error, ErrorKind, Lifespan, Origin, Scope, TimeoutCause, from_fn,
};
use tokio::time::{Instant, sleep};

/// Logs `NAME dropped` when dropped: shows where a body was cut.
struct DropLog(Journal, &'static str);

impl Drop for DropLog {
    fn drop(&mut self) {
        self.0.log(format!("{} dropped", self.1));
    }
}

/// A lifespan whose startup enters `inside` first, then takes `takes`, then logs
/// `start NAME`; its body logs `NAME dropped` if it is dropped before then.
fn slow<L>(
    journal: &Journal,
    name: &'static str,
    inside: L,
    takes: Duration,
) -> impl Lifespan<Value = (), Error = Error> + Send + 'static
where
    L: Lifespan + Send + 'static,
{
    let journal = journal.clone();
    from_fn(name, move |yielder| async move {
        inside.enter().await?;
        let guard = DropLog(journal.clone(), name);
        sleep(takes).await;
        std::mem::forget(guard);
        journal.log(format!("start {name}"));
        yielder.yield_app(()).await;
        journal.log(format!("stop {name}"));
        Ok(())
    })
}

/// Asks `scope`'s whole app to shut down after `after`.
fn request_after(scope: &Scope, after: Duration) {
    let scope = scope.clone();
    tokio::spawn(async move {
        sleep(after).await;
        scope.request_shutdown();
    });
}

#[tokio::test(start_paused = true)]
async fn the_apps_request_cuts_a_startup_at_once_and_stops_what_it_had_started() {
    let journal = Journal::new();
    let root = Scope::new();
    root.record_timeline();
    root.enter(part(&journal, "a")).await.unwrap();
    let began = Instant::now();
    request_after(&root, Duration::from_secs(1));

    let error = root
        .enter(slow(
            &journal,
            "slow",
            part(&journal, "inner"),
            Duration::from_secs(5),
        ))
        .await
        .unwrap_err();

    assert_eq!(
        began.elapsed(),
        Duration::from_secs(1),
        "cut at the request"
    );
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    assert_eq!((error.name(), error.origin()), ("slow", Origin::Startup));
    assert_eq!(
        error.to_string(),
        "lifespan `slow` was cut while starting: shutdown was requested, and what it had \
         started was stopped"
    );
    assert_eq!(
        journal.entries(),
        ["start a", "start inner", "slow dropped", "stop inner"],
        "its body was dropped where it stood, then what it had entered was stopped"
    );

    root.shutdown().await.unwrap();
    assert_eq!(
        journal.entries()[4..],
        ["stop a"],
        "`a`, started before, stops with the scope, once"
    );
    let timeline = root.timeline().unwrap();
    let slow = timeline
        .rows()
        .iter()
        .find(|row| row.path() == "slow")
        .unwrap();
    let failure = slow.startup().unwrap().failure().unwrap();
    assert_eq!(failure.kind(), ErrorKind::Cancelled);
    assert_eq!(slow.failures(), ["cut while starting"]);
}

#[tokio::test(start_paused = true)]
async fn a_lifespan_entered_once_shutdown_was_requested_never_runs_its_body() {
    let journal = Journal::new();
    let root = Scope::new();
    root.request_shutdown();
    let error = root.enter(part(&journal, "late")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    assert!(journal.entries().is_empty(), "{:?}", journal.entries());
    root.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn nested_startups_are_cut_at_the_outermost_and_every_started_part_stops_once() {
    let journal = Journal::new();
    let root = Scope::new();
    request_after(&root, Duration::from_secs(1));
    let outer = {
        let journal = journal.clone();
        let first = part(&journal, "first");
        let second = slow(
            &journal,
            "second",
            part(&journal, "deep"),
            Duration::from_secs(5),
        );
        from_fn("outer", move |yielder| async move {
            first.enter().await?;
            second.enter().await?;
            journal.log("start outer");
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        })
    };

    let error = root.enter(outer).await.unwrap_err();

    // The caller hears of the part it entered, which is what was cut for it.
    assert_eq!(
        (error.kind(), error.name()),
        (ErrorKind::Cancelled, "outer")
    );
    assert_eq!(
        journal.entries(),
        [
            "start first",
            "start deep",
            "second dropped",
            "stop deep",
            "stop first"
        ],
        "the innermost started part stops first, each once"
    );
    root.shutdown().await.unwrap();
    assert_eq!(journal.count("stop deep") + journal.count("stop first"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_local_request_cuts_the_startups_of_its_subtree_and_no_other() {
    let journal = Journal::new();
    let root = Scope::new();
    let poller = root
        .enter(from_fn("poller", |yielder| {
            yielder.yield_app(Scope::current())
        }))
        .await
        .unwrap();
    let began = Instant::now();
    let inside = poller.enter(slow(
        &journal,
        "inside",
        part(&journal, "nested"),
        Duration::from_secs(5),
    ));
    let beside = root.enter(slow(
        &journal,
        "beside",
        part(&journal, "other"),
        Duration::from_secs(3),
    ));
    let request = async {
        sleep(Duration::from_secs(1)).await;
        poller.request_local_shutdown();
    };

    let (inside, beside, ()) = tokio::join!(inside, beside, request);

    let inside = inside.unwrap_err();
    assert_eq!(
        (inside.kind(), inside.name()),
        (ErrorKind::Cancelled, "inside")
    );
    beside.expect("a startup outside the subtree goes on");
    assert_eq!(began.elapsed(), Duration::from_secs(3));
    assert_eq!(journal.count("stop nested"), 1);
    assert_eq!(journal.count("start beside"), 1);
    assert!(!root.is_app_shutdown_requested());
    root.shutdown().await.unwrap();
    assert_eq!(journal.count("stop beside"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_request_on_a_running_lifespans_scope_cuts_a_child_starting_in_it() {
    let journal = Journal::new();
    let running = from_fn("owner", |yielder| yielder.yield_app(()))
        .start()
        .await
        .unwrap();
    let scope = running.scope().clone();
    let entering = scope.enter(slow(
        &journal,
        "child",
        part(&journal, "grandchild"),
        Duration::from_secs(5),
    ));
    let request = async {
        sleep(Duration::from_millis(500)).await;
        running.scope().request_shutdown();
    };

    let (entered, ()) = tokio::join!(entering, request);

    assert_eq!(entered.unwrap_err().kind(), ErrorKind::Cancelled);
    assert_eq!(journal.count("stop grandchild"), 1);
    running.stop().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_cut_startup_whose_rollback_fails_reports_both() {
    let journal = Journal::new();
    let root = Scope::new();
    request_after(&root, Duration::from_secs(1));
    let brittle = scripted(&journal, "brittle", Act::Succeed, Act::Fail);

    let error = root
        .enter(slow(&journal, "slow", brittle, Duration::from_secs(5)))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Several);
    let kinds: Vec<(ErrorKind, &str)> = error
        .errors()
        .iter()
        .map(|error| (error.kind(), error.name()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ErrorKind::Cancelled, "slow"),
            (ErrorKind::Failed, "brittle")
        ]
    );
    root.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_startup_that_ends_before_the_request_is_not_cut() {
    let journal = Journal::new();
    let root = Scope::new();
    root.enter(slow(
        &journal,
        "quick",
        part(&journal, "inner"),
        Duration::from_secs(1),
    ))
    .await
    .unwrap();
    root.request_shutdown();
    root.shutdown().await.unwrap();
    assert_eq!(
        journal.entries(),
        ["start inner", "start quick", "stop quick", "stop inner"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_that_asks_its_own_scope_to_stop_is_cut_as_soon_as_it_waits() {
    let journal = Journal::new();
    let root = Scope::new();
    let inner = part(&journal, "inner");
    let began = Instant::now();
    let quitter = from_fn("quitter", move |yielder| async move {
        inner.enter().await?;
        Scope::current().request_local_shutdown();
        sleep(Duration::from_secs(5)).await;
        yielder.yield_app(()).await;
        Ok::<(), Error>(())
    });

    let error = root.enter(quitter).await.unwrap_err();

    assert_eq!(
        (error.kind(), error.name()),
        (ErrorKind::Cancelled, "quitter")
    );
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(journal.entries(), ["start inner", "stop inner"]);
    assert!(!root.is_app_shutdown_requested(), "the request was local");
    root.shutdown().await.unwrap();
}

/// A rollback is a teardown: what ignores its turn there is cut at the app's deadline,
/// not waited for without end, even when the part has no shutdown timeout of its own.
#[tokio::test(start_paused = true)]
async fn a_cut_startup_rolls_back_within_the_apps_shutdown_deadline() {
    let root = Scope::with_shutdown_timeout(Duration::from_secs(2));
    request_after(&root, Duration::from_secs(1));
    let began = Instant::now();
    let stubborn = from_fn("stubborn", |yielder| async move {
        lifespan_runtime::spawn("deaf", std::future::pending::<()>());
        sleep(Duration::from_secs(60)).await;
        yielder.yield_app(()).await;
    });

    // Bounded: on the paused clock, a rollback that waits for ever fails in an instant.
    let error = tokio::time::timeout(Duration::from_secs(600), root.enter(stubborn))
        .await
        .expect("the rollback ends at the deadline")
        .unwrap_err();

    assert_eq!(
        began.elapsed(),
        Duration::from_secs(3),
        "cut at 1 s, then 2 s"
    );
    let kinds: Vec<(ErrorKind, Origin, &str)> = error
        .errors()
        .iter()
        .map(|error| (error.kind(), error.origin(), error.name()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ErrorKind::Cancelled, Origin::Startup, "stubborn"),
            (ErrorKind::TimedOut, Origin::Task, "deaf")
        ]
    );
    root.shutdown().await.unwrap();
}

/// A lifespan named `failing` that enters `inside`, then fails: `inside` rolls back.
fn fails_after_entering<L>(
    inside: L,
) -> impl Lifespan<Value = (), Error = BoxError> + Send + 'static
where
    L: Lifespan + Send + 'static,
{
    from_fn("failing", move |yielder| async move {
        inside.enter().await?;
        Err::<(), BoxError>("failing refused".into())?;
        yielder.yield_app(()).await;
        Ok::<(), BoxError>(())
    })
}

/// A failed startup's rollback in progress when a request cuts the startup around it:
/// what the rollback was stopping keeps its own shutdown timeout, counted from when its
/// half began, not the app's whole deadline.
#[tokio::test(start_paused = true)]
async fn a_rollback_cut_short_by_a_request_keeps_each_half_s_own_timeout() {
    let journal = Journal::new();
    let root = Scope::with_shutdown_timeout(Duration::from_secs(60));
    let failing = fails_after_entering(
        scripted(&journal, "stuck", Act::Succeed, Act::Hang)
            .shutdown_timeout(Duration::from_secs(1)),
    );
    let outer = from_fn("outer", move |yielder| async move {
        failing.enter().await?;
        yielder.yield_app(()).await;
        Ok::<(), Error>(())
    });
    request_after(&root, Duration::from_millis(500));
    let began = Instant::now();

    let error = bounded(root.enter(outer)).await.unwrap_err();

    assert_eq!(began.elapsed(), Duration::from_secs(1), "{error}");
    let kinds: Vec<(ErrorKind, &str, Option<TimeoutCause>)> = error
        .errors()
        .iter()
        .map(|error| (error.kind(), error.name(), error.timeout_cause()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ErrorKind::Cancelled, "outer", None),
            (ErrorKind::Failed, "failing", None),
            (ErrorKind::TimedOut, "stuck", Some(TimeoutCause::Own))
        ]
    );
    root.shutdown().await.unwrap();
}

/// Sets the time it is dropped: shows when a hanging half was given up.
struct DropTime(Arc<Mutex<Option<Instant>>>);

impl Drop for DropTime {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(Instant::now());
    }
}

/// The same, with the rollback's turn far off: a sibling started beside the failing
/// startup left a task that holds the teardown to the deadline. The rollback in
/// progress goes on meanwhile, and its hanging half is given up at its own timeout, not
/// when the teardown reaches it.
#[tokio::test(start_paused = true)]
async fn a_rollback_cut_short_goes_on_while_it_waits_for_its_turn() {
    let root = Scope::with_shutdown_timeout(Duration::from_secs(60));
    let given_up = Arc::new(Mutex::new(None));
    let stuck = {
        let given_up = given_up.clone();
        from_fn("stuck", move |yielder| async move {
            yielder.yield_app(()).await;
            let _guard = DropTime(given_up);
            std::future::pending::<()>().await;
        })
        .shutdown_timeout(Duration::from_secs(1))
    };
    let failing = fails_after_entering(stuck);
    let beside = from_fn("beside", |yielder| async move {
        lifespan_runtime::spawn("deaf", std::future::pending::<()>());
        sleep(Duration::from_secs(10)).await;
        yielder.yield_app(()).await;
    });
    let outer = from_fn("outer", move |yielder| async move {
        tokio::try_join!(
            async { failing.enter().await.map_err(BoxError::from) },
            async { beside.enter().await.map_err(BoxError::from) },
        )?;
        yielder.yield_app(()).await;
        Ok::<(), BoxError>(())
    });
    request_after(&root, Duration::from_millis(500));
    let began = Instant::now();

    let error = bounded(root.enter(outer)).await.unwrap_err();

    let given_up = given_up.lock().unwrap().expect("the half was given up");
    assert_eq!(given_up - began, Duration::from_secs(1), "{error}");
    let names: Vec<(&str, ErrorKind)> = error
        .errors()
        .iter()
        .map(|error| (error.name(), error.kind()))
        .collect();
    assert!(
        names.contains(&("stuck", ErrorKind::TimedOut))
            && names.contains(&("deaf", ErrorKind::TimedOut)),
        "{names:?}"
    );
    root.shutdown().await.unwrap();
}
