//! A failed startup unwinds what had started: in reverse, once each, nothing leaked.

mod common;

use common::{Act, Journal, part, scripted};
use lifespan_runtime::{Error, ErrorKind, Lifespan, Origin, Scope, from_fn};

/// An owner that enters `first`, `second`, then `third` (scripted to fail as `act`),
/// and fails in turn with `?`.
fn owner_of_three(
    journal: &Journal,
    act: Act,
) -> impl Lifespan<Value = (), Error = Error> + Send + 'static {
    let journal = journal.clone();
    from_fn("owner", move |yielder| async move {
        part(&journal, "first").enter().await?;
        part(&journal, "second").enter().await?;
        scripted(&journal, "third", act, Act::Succeed)
            .enter()
            .await?;
        journal.log("start owner");
        yielder.yield_app(()).await;
        Ok(())
    })
}

async fn assert_rollback_after(act: Act, kind: ErrorKind) {
    let journal = Journal::new();
    let scope = Scope::new();
    let error = scope
        .enter(owner_of_three(&journal, act))
        .await
        .unwrap_err();
    // The owner failed because `third` did; the cause is kept, named.
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("owner", Origin::Startup, ErrorKind::Failed)
    );
    let cause = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<Error>())
        .expect("the owner's error is the failure of `third`");
    assert_eq!(
        (cause.name(), cause.origin(), cause.kind()),
        ("third", Origin::Startup, kind)
    );
    // Started siblings were stopped in reverse; `third` and `owner` never started, so
    // they were never stopped.
    assert_eq!(
        journal.entries(),
        ["start first", "start second", "stop second", "stop first"]
    );
    // Nothing is left for the scope to stop.
    scope.shutdown().await.unwrap();
    assert_eq!(journal.entries().len(), 4);
}

#[tokio::test]
async fn a_failing_startup_rolls_back_started_siblings_in_reverse() {
    assert_rollback_after(Act::Fail, ErrorKind::Failed).await;
}

#[tokio::test]
async fn a_panicking_startup_rolls_back_started_siblings_in_reverse() {
    assert_rollback_after(Act::Panic, ErrorKind::Panicked).await;
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_startup_rolls_back_started_siblings_in_reverse() {
    let journal = Journal::new();
    let scope = Scope::new();
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            part(&journal, "first").enter().await?;
            scripted(&journal, "stuck", Act::Hang, Act::Succeed)
                .startup_timeout(std::time::Duration::from_secs(2))
                .enter()
                .await?;
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        })
    };
    let error = scope.enter(owner).await.unwrap_err();
    let cause = std::error::Error::source(&error)
        .unwrap()
        .downcast_ref::<Error>()
        .unwrap();
    assert_eq!(cause.kind(), ErrorKind::TimedOut);
    assert_eq!(journal.entries(), ["start first", "stop first"]);
}

#[tokio::test]
async fn a_failing_rollback_is_reported_with_the_startup_failure() {
    let journal = Journal::new();
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            part(&journal, "first").enter().await?;
            scripted(&journal, "broken-close", Act::Succeed, Act::Fail)
                .enter()
                .await?;
            scripted(&journal, "third", Act::Fail, Act::Succeed)
                .enter()
                .await?;
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        })
    };
    let error = owner.start().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Several);
    assert_eq!(error.origin(), Origin::Startup);
    assert!(
        error.to_string().starts_with(
            "2 failures while starting `owner`: (1) lifespan `owner` failed during startup"
        ),
        "{error}"
    );
    let parts: Vec<_> = error
        .errors()
        .iter()
        .map(|e| (e.name(), e.origin(), e.kind()))
        .collect();
    assert_eq!(
        parts,
        [
            ("owner", Origin::Startup, ErrorKind::Failed),
            ("broken-close", Origin::Shutdown, ErrorKind::Failed),
        ]
    );
    // `first` was still stopped after `broken-close` failed to.
    assert_eq!(
        journal.entries(),
        ["start first", "start broken-close", "stop first"]
    );
}

#[tokio::test]
async fn returning_before_the_yield_point_is_an_error_and_unwinds_the_children() {
    let journal = Journal::new();
    let early = {
        let journal = journal.clone();
        from_fn("early", move |yielder| async move {
            part(&journal, "child").enter().await?;
            if journal.count("start child") == 1 {
                return Ok(());
            }
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        })
    };
    let error = early.start().await.unwrap_err();
    assert_eq!(
        (error.name(), error.kind()),
        ("early", ErrorKind::ReturnedBeforeYield)
    );
    assert!(
        error
            .to_string()
            .contains("fail startup with `?` or `return Err(..)`")
    );
    assert_eq!(journal.entries(), ["start child", "stop child"]);
}

#[tokio::test]
async fn enter_outside_a_scope_is_an_error_that_names_the_fix() {
    let journal = Journal::new();
    let error = part(&journal, "orphan").enter().await.unwrap_err();
    assert_eq!((error.name(), error.kind()), ("orphan", ErrorKind::NoScope));
    let message = error.to_string();
    assert!(message.contains("#[lifespan] fn"), "{message}");
    assert!(message.contains("`Scope::enter`"), "{message}");
    // Nothing ran.
    assert!(journal.entries().is_empty());
    let error = lifespan_runtime::enter(part(&journal, "orphan"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoScope);
}

/// Its shutdown was asked for, so nothing new starts in it: the startup half never runs.
#[tokio::test]
async fn a_lifespan_entered_into_a_scope_that_has_shut_down_never_starts() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.shutdown().await.unwrap();
    let error = scope.enter(part(&journal, "late")).await.unwrap_err();
    assert_eq!((error.name(), error.kind()), ("late", ErrorKind::Cancelled));
    assert_eq!(
        error.to_string(),
        "lifespan `late` was not started: shutdown had been requested before it was entered; \
         enter lifespans before the shutdown of their scope is requested"
    );
    assert!(journal.entries().is_empty(), "{:?}", journal.entries());
}

#[tokio::test]
async fn a_second_shutdown_stops_nothing_twice() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.enter(part(&journal, "once")).await.unwrap();
    let (first, second) = tokio::join!(scope.shutdown(), scope.shutdown());
    first.unwrap();
    second.unwrap();
    scope.shutdown().await.unwrap();
    assert_eq!(journal.entries(), ["start once", "stop once"]);
}

#[tokio::test]
async fn a_running_lifespan_dropped_without_stop_never_runs_its_shutdown_half() {
    let journal = Journal::new();
    let running = part(&journal, "dropped").start().await.unwrap();
    drop(running);
    assert_eq!(journal.entries(), ["start dropped"]);
}

/// A lifespan that enters `inner`, then never finishes starting.
fn stuck_after_entering(
    journal: &Journal,
    inner: &'static str,
) -> impl Lifespan<Value = (), Error = lifespan_runtime::Error> + Send + 'static {
    let journal = journal.clone();
    lifespan_runtime::from_fn("stuck", move |yielder| async move {
        part(&journal, inner).enter().await?;
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
        Ok(())
    })
}

#[tokio::test]
async fn a_startup_dropped_by_a_failing_sibling_still_stops_what_it_entered() {
    let journal = Journal::new();
    let scope = Scope::new();
    let (stuck, failing) = (
        scope.enter(stuck_after_entering(&journal, "inner")),
        scope.enter(scripted(&journal, "failing", Act::Fail, Act::Succeed)),
    );
    // `try_join!` drops `stuck` mid-startup as soon as `failing` fails.
    let error = tokio::try_join!(stuck, failing).unwrap_err();
    assert_eq!(error.name(), "failing");
    assert_eq!(journal.entries(), ["start inner"]);
    scope.shutdown().await.unwrap();
    assert_eq!(journal.entries(), ["start inner", "stop inner"]);
}

#[tokio::test(start_paused = true)]
async fn a_startup_cut_by_an_outer_timeout_still_stops_what_it_entered() {
    let journal = Journal::new();
    let outer = {
        let journal = journal.clone();
        lifespan_runtime::from_fn("outer", move |yielder| async move {
            stuck_after_entering(&journal, "inner").enter().await?;
            yielder.yield_app(()).await;
            Ok::<(), lifespan_runtime::Error>(())
        })
    }
    .startup_timeout(std::time::Duration::from_secs(1));
    let error = outer.start().await.unwrap_err();
    assert_eq!((error.name(), error.kind()), ("outer", ErrorKind::TimedOut));
    // The outer rollback stopped what the dropped inner startup had entered.
    assert_eq!(journal.entries(), ["start inner", "stop inner"]);
}

#[tokio::test(start_paused = true)]
async fn a_rollback_ends_within_the_shutdown_timeout_even_when_a_task_ignores_shutdown() {
    let failing = from_fn("failing", |yielder| async move {
        lifespan_runtime::spawn("deaf", std::future::pending::<()>());
        Err::<(), _>("refused")?;
        yielder.yield_app(()).await;
        Ok::<(), lifespan_runtime::BoxError>(())
    })
    .shutdown_timeout(std::time::Duration::from_secs(2));
    let started = tokio::time::Instant::now();
    let error = failing.start().await.unwrap_err();
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(2));
    let reported: Vec<(&str, Origin, ErrorKind)> = error
        .errors()
        .iter()
        .map(|error| (error.name(), error.origin(), error.kind()))
        .collect();
    assert_eq!(
        reported,
        [
            ("failing", Origin::Startup, ErrorKind::Failed),
            ("deaf", Origin::Task, ErrorKind::TimedOut),
        ]
    );
}

/// A lifespan that tells `stopped` when its shutdown half runs.
fn reports_its_stop(
    stopped: tokio::sync::oneshot::Sender<()>,
) -> impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static {
    from_fn("inner", move |yielder| async move {
        yielder.yield_app(()).await;
        let _ = stopped.send(());
    })
}

/// A lifespan that enters `inner` and never finishes starting.
fn stuck_with(
    inner: impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static,
) -> impl Lifespan<Value = (), Error = Error> + Send + 'static {
    from_fn("stuck", move |yielder| async move {
        inner.enter().await?;
        std::future::pending::<()>().await;
        yielder.yield_app(()).await;
        Ok(())
    })
}

/// Started outside any scope, a startup dropped halfway has nobody to inherit what it
/// entered: a task on the runtime stops it.
#[tokio::test(start_paused = true)]
async fn a_dropped_startup_outside_any_scope_is_stopped_by_a_runtime_task() {
    let (stopped, heard) = tokio::sync::oneshot::channel();
    let start = stuck_with(reports_its_stop(stopped)).start();
    let cut = tokio::time::timeout(std::time::Duration::from_secs(1), start).await;
    assert!(cut.is_err(), "the startup never finishes by itself");
    heard
        .await
        .expect("the orphaned part was stopped, not dropped");
}

/// A startup still running when its scope shut down, dropped afterwards, cannot hand
/// its orphans to the closed scope: a task on the runtime stops them.
#[tokio::test]
async fn a_dropped_startup_whose_scope_closed_is_stopped_by_a_runtime_task() {
    let (stopped, heard) = tokio::sync::oneshot::channel();
    let scope = Scope::new();
    let mut entering = Box::pin(scope.enter(stuck_with(reports_its_stop(stopped))));
    // Poll it once: `inner` is entered, and the startup hangs.
    assert!(common::poll_once(&mut entering).await);
    scope.shutdown().await.unwrap();
    drop(entering);
    heard
        .await
        .expect("the orphaned part was stopped, not dropped");
}

/// Dropped halfway through its rollback, outside any scope, a failed startup's
/// rollback is finished by a task on the runtime: the part it was stopping still
/// stops.
#[tokio::test]
async fn a_rollback_dropped_halfway_outside_any_scope_is_finished_by_a_runtime_task() {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (stopped, heard) = tokio::sync::oneshot::channel();
    let slow_close = from_fn("slow-close", move |yielder| async move {
        yielder.yield_app(()).await;
        released.await.unwrap();
        let _ = stopped.send(());
    });
    let failing = from_fn("failing", move |yielder| async move {
        slow_close.enter().await?;
        Err::<(), lifespan_runtime::BoxError>("refused".into())?;
        yielder.yield_app(()).await;
        Ok::<(), lifespan_runtime::BoxError>(())
    });
    let mut start = Box::pin(failing.start());
    // One poll: startup fails, and the rollback waits in `slow-close`'s shutdown half.
    assert!(common::poll_once(&mut start).await);
    drop(start);
    release.send(()).unwrap();
    heard
        .await
        .expect("the rollback went on after its startup was dropped");
}

/// `{:?}` of an error is its one-line message, so that `main` returning it prints
/// something a person can act on; `{:#?}` shows the structure.
#[tokio::test]
async fn an_error_debugs_as_its_message_and_alternate_debug_shows_its_parts() {
    let error = scripted(&Journal::new(), "db", Act::Fail, Act::Succeed)
        .start()
        .await
        .unwrap_err();
    assert_eq!(format!("{error:?}"), error.to_string());
    let structure = format!("{error:#?}");
    assert!(structure.starts_with("Error {"), "{structure}");
    for field in ["name: \"db\"", "origin: Startup", "kind: Failed", "source:"] {
        assert!(structure.contains(field), "{field} in {structure}");
    }
}
