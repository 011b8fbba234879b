//! Restarting lifespans (`lifespan::supervised`): a task below that fails stops the
//! instance's subtree in teardown order and starts a new one after the backoff; the
//! holder follows; the limit escalates; shutdown and a local stop end it at once. On a
//! paused clock.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Journal, bounded, part};
use lifespan_runtime::{ErrorKind, Follow, Lifespan, Restart, Scope, from_fn, supervised};
use tokio::time::Instant;

/// An instance of `consumer`: numbered from 1, it enters `inner`, logs its halves, and
/// spawns a task that fails at once while `fails(number)`, else waits for its turn.
fn consumer(
    journal: &Journal,
    policy: Restart,
    fails: impl Fn(u32) -> bool + Send + Sync + 'static,
) -> impl Lifespan<Value = Follow<u32>, Error = lifespan_runtime::Error> + Send + 'static {
    let journal = journal.clone();
    let instances = Arc::new(AtomicU32::new(0));
    let fails = Arc::new(fails);
    supervised(policy, move || {
        let number = instances.fetch_add(1, Ordering::SeqCst) + 1;
        let journal = journal.clone();
        let fails = fails.clone();
        from_fn("consumer", move |y| async move {
            part(&journal, "inner").enter().await?;
            journal.log(format!("start consumer {number}"));
            let failing = fails(number);
            lifespan_runtime::spawn("poll", async move {
                if failing {
                    return Err(format!("broker gone ({number})"));
                }
                lifespan_runtime::shutdown_requested().await;
                Ok(())
            });
            y.yield_app(number).await;
            journal.log(format!("stop consumer {number}"));
            Ok::<(), lifespan_runtime::Error>(())
        })
    })
}

#[tokio::test(start_paused = true)]
async fn a_restarted_subtree_stops_in_teardown_order_starts_again_and_its_holder_follows() {
    let journal = Journal::new();
    let scope = Scope::new();
    let follow = bounded(scope.enter(consumer(&journal, Restart::on_failure(), |n| n == 1)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        journal.entries(),
        [
            "start inner",
            "start consumer 1",
            // The failed instance: its shutdown half, then what it entered.
            "stop consumer 1",
            "stop inner",
            "start inner",
            "start consumer 2",
        ]
    );
    assert_eq!(follow.get(), Some(2));
    assert!(!scope.is_app_shutdown_requested());
    bounded(scope.shutdown()).await.unwrap();
    assert_eq!(journal.entries()[6..], ["stop consumer 2", "stop inner"]);
    assert_eq!(follow.get(), None, "stopped for good");
}

#[tokio::test(start_paused = true)]
async fn while_it_is_down_its_holder_sees_nothing_then_the_new_value_after_the_delay() {
    let journal = Journal::new();
    let scope = Scope::new();
    let policy = Restart::on_failure().delay(Duration::from_secs(5));
    let follow = bounded(scope.enter(consumer(&journal, policy, |n| n == 1)))
        .await
        .unwrap();
    let mut changes = follow.clone();
    let began = Instant::now();
    bounded(changes.changed()).await.unwrap();
    assert_eq!(follow.get(), None, "down while it restarts");
    assert_eq!(bounded(follow.wait()).await, Some(2));
    assert_eq!(
        began.elapsed(),
        Duration::from_secs(5),
        "after the documented delay"
    );
    bounded(scope.shutdown()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn past_the_limit_the_failure_escalates_with_the_count() {
    let journal = Journal::new();
    let scope = Scope::new();
    let policy = Restart::on_failure().limit(2, Duration::from_secs(10));
    let follow = bounded(scope.enter(consumer(&journal, policy, |_| true)))
        .await
        .unwrap();
    bounded(scope.shutdown_requested()).await;
    assert_eq!(journal.count("start consumer 3"), 1);
    assert_eq!(journal.count("start consumer 4"), 0);
    assert_eq!(follow.get(), None);
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Failed);
    assert_eq!(error.name(), "poll");
    assert_eq!(error.gave_up().map(|gave_up| gave_up.restarts()), Some(2));
    assert!(
        error
            .to_string()
            .starts_with("task `poll` failed: broker gone (3); gave up after 2 restarts"),
        "{error}"
    );
    // Every instance that started was stopped, once.
    assert_eq!(journal.count("stop inner"), 3);
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_backoff_ends_it_at_once_and_restarts_nothing() {
    let journal = Journal::new();
    let scope = Scope::new();
    let policy = Restart::on_failure().delay(Duration::from_secs(3600));
    let follow = bounded(scope.enter(consumer(&journal, policy, |n| n == 1)))
        .await
        .unwrap();
    let mut changes = follow.clone();
    bounded(changes.changed()).await.unwrap(); // down: the backoff has begun
    let began = Instant::now();
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(journal.count("start consumer 2"), 0);
    assert_eq!(journal.count("stop inner"), 1);
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_restart_s_startup_rolls_it_back() {
    let journal = Journal::new();
    let scope = Scope::new();
    let instances = Arc::new(AtomicU32::new(0));
    let logged = journal.clone();
    let follow = bounded(scope.enter(supervised(Restart::on_failure(), move || {
        let number = instances.fetch_add(1, Ordering::SeqCst) + 1;
        let journal = logged.clone();
        from_fn("slow", move |y| async move {
            part(&journal, "inner").enter().await?;
            if number == 1 {
                lifespan_runtime::spawn("poll", async { Err::<(), _>("dropped") });
            } else {
                std::future::pending::<()>().await; // a startup that never ends
            }
            y.yield_app(()).await;
            Ok::<(), lifespan_runtime::Error>(())
        })
    })))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await; // the second startup hangs
    assert_eq!(
        journal.entries(),
        ["start inner", "stop inner", "start inner"]
    );
    assert!(!follow.is_up());
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
    assert_eq!(
        journal.count("stop inner"),
        2,
        "the cut startup was rolled back"
    );
}

/// An instance whose task fails once its turn to stop has come: a stop asked for, at
/// the supervisor or above it, or of the instance itself.
fn fails_when_stopped(
    journal: &Journal,
) -> impl Lifespan<Value = Follow<Scope>, Error = lifespan_runtime::Error> + Send + 'static {
    let journal = journal.clone();
    let instances = Arc::new(AtomicU32::new(0));
    supervised(Restart::always(), move || {
        let number = instances.fetch_add(1, Ordering::SeqCst) + 1;
        let journal = journal.clone();
        from_fn("listener", move |y| async move {
            journal.log(format!("start listener {number}"));
            lifespan_runtime::spawn("listen", async {
                lifespan_runtime::shutdown_requested().await;
                Err::<(), _>("connection closed under me")
            });
            y.yield_app(Scope::current()).await;
        })
    })
}

#[tokio::test(start_paused = true)]
async fn a_local_stop_of_its_subtree_is_not_restarted_and_its_failure_is_reported() {
    let journal = Journal::new();
    let scope = Scope::new();
    let holder = from_fn("holder", {
        let journal = journal.clone();
        move |y| async move {
            let follow = fails_when_stopped(&journal).enter().await?;
            y.yield_app((Scope::current(), follow)).await;
            Ok::<(), lifespan_runtime::Error>(())
        }
    });
    let (holder, _follow) = bounded(scope.enter(holder)).await.unwrap();
    holder.request_local_shutdown();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(journal.count("start listener 2"), 0);
    assert!(scope.is_app_shutdown_requested(), "it failed the usual way");
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "task `listen` failed: connection closed under me"
    );
}

#[tokio::test(start_paused = true)]
async fn a_local_stop_of_the_instance_itself_is_not_restarted() {
    let journal = Journal::new();
    let scope = Scope::new();
    let follow = bounded(scope.enter(fails_when_stopped(&journal)))
        .await
        .unwrap();
    follow.get().unwrap().request_local_shutdown(); // the instance's own scope
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(journal.count("start listener 2"), 0);
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(error.name(), "listen");
}

/// A failure taken by the supervisor just as shutdown begins, before it could act on
/// it, is reported by the teardown rather than dropped.
#[tokio::test(start_paused = true)]
async fn a_failure_taken_as_shutdown_begins_is_still_reported() {
    let scope = Scope::new();
    let part = supervised(Restart::on_failure(), || {
        from_fn("consumer", |y| y.yield_app(Scope::current()))
    });
    let instance = bounded(scope.enter(part)).await.unwrap().get().unwrap();
    // Run in this order, before the supervisor's loop: a task below the instance fails
    // (the supervisor takes its failure), then the next one asks the app to stop.
    instance.spawn("poll", async { Err::<(), _>("broker gone") });
    instance.spawn("admin", async { lifespan_runtime::request_shutdown() });
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert!(scope.is_app_shutdown_requested());
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(error.to_string(), "task `poll` failed: broker gone");
}

#[tokio::test(start_paused = true)]
async fn a_first_startup_that_fails_fails_the_enter_and_is_not_retried() {
    let scope = Scope::new();
    let attempts = Arc::new(AtomicU32::new(0));
    let counted = attempts.clone();
    let error = bounded(scope.enter(supervised(Restart::always(), move || {
        counted.fetch_add(1, Ordering::SeqCst);
        from_fn("db", |y| async move {
            Err::<(), _>("refused")?;
            y.yield_app(()).await;
            Ok::<(), lifespan_runtime::BoxError>(())
        })
    })))
    .await
    .unwrap_err();
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert_eq!(
        error.to_string(),
        "lifespan `db#1` failed during startup: refused"
    );
    bounded(scope.shutdown()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_restart_that_fails_to_start_is_the_next_failure_after_its_own_delay() {
    let scope = Scope::new();
    let starts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = starts.clone();
    let instances = Arc::new(AtomicU32::new(0));
    let follow = bounded(scope.enter(supervised(Restart::on_failure(), move || {
        let number = instances.fetch_add(1, Ordering::SeqCst) + 1;
        let recorded = recorded.clone();
        from_fn("db", move |y| async move {
            recorded.lock().unwrap().push(Instant::now());
            match number {
                1 => drop(lifespan_runtime::spawn("ping", async {
                    Err::<(), _>("lost")
                })),
                2 => Err("still down")?,
                _ => {}
            }
            y.yield_app(number).await;
            Ok::<(), lifespan_runtime::BoxError>(())
        })
    })))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(follow.get(), Some(3));
    let starts = starts.lock().unwrap().clone();
    let gaps: Vec<Duration> = starts.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert_eq!(
        gaps,
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
    bounded(scope.shutdown()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn under_never_a_failure_below_stops_the_app_as_usual() {
    let journal = Journal::new();
    let scope = Scope::new();
    let follow = bounded(scope.enter(consumer(&journal, Restart::never(), |_| true)))
        .await
        .unwrap();
    bounded(scope.shutdown_requested()).await;
    assert_eq!(journal.count("start consumer 2"), 0);
    assert!(follow.is_up(), "nothing was stopped before the teardown");
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(error.to_string(), "task `poll` failed: broker gone (1)");
}

#[tokio::test(start_paused = true)]
async fn a_lifespan_down_between_failure_and_restart_turns_readiness_off_if_asked() {
    let journal = Journal::new();
    let scope = Scope::new();
    let policy = Restart::on_failure()
        .delay(Duration::from_secs(5))
        .unready_while_down();
    let follow = bounded(scope.enter(consumer(&journal, policy, |n| n == 1)))
        .await
        .unwrap();
    let mut changes = follow.clone();
    bounded(changes.changed()).await.unwrap(); // down
    assert!(!scope.is_ready());
    bounded(follow.wait()).await;
    assert!(scope.is_ready(), "ready again once the new instance runs");
    bounded(scope.shutdown()).await.unwrap();
}

/// The summary counts a lifespan's restarts on its own row, and draws each instance as
/// a row of its own, numbered.
#[tokio::test(start_paused = true)]
async fn each_instance_is_a_row_and_the_part_s_row_counts_its_restarts() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.record_timeline();
    bounded(scope.enter(consumer(&journal, Restart::on_failure(), |n| n <= 2)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    bounded(scope.shutdown()).await.unwrap();
    let timeline = scope.timeline().expect("recorded");
    let rows: Vec<(&str, &[String])> = timeline
        .rows()
        .iter()
        .filter(|row| row.name().starts_with("consumer"))
        .map(|row| (row.name(), row.notes()))
        .collect();
    let none: &[String] = &[];
    assert_eq!(
        rows,
        [
            ("consumer", &["restarted 2 times".to_owned()][..]),
            // The supervisor's own task, which waits for failures and restarts.
            ("consumer-restarts", none),
            ("consumer#1", none),
            ("consumer#2", none),
            ("consumer#3", none),
        ]
    );
}
