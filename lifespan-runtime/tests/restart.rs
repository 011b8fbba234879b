//! Supervised tasks: restarted as their policy says, with the documented delays, given
//! up past the limit, and never restarted once a stop was asked for. On a paused clock,
//! so that every delay is exact and a wait that never ends fails at once.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::bounded;
use lifespan_runtime::{ErrorKind, Lifespan, Origin, Restart, Scope, from_fn};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// When each instance began, and how many there were.
#[derive(Clone, Default)]
struct Instances(Arc<Mutex<Vec<Instant>>>);

impl Instances {
    /// Records an instance beginning now, and returns its number, from 1.
    fn begin(&self) -> usize {
        let mut began = self.0.lock().unwrap();
        began.push(Instant::now());
        began.len()
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The time between one instance's beginning and the next's.
    fn gaps(&self) -> Vec<Duration> {
        let began = self.0.lock().unwrap();
        began.windows(2).map(|pair| pair[1] - pair[0]).collect()
    }
}

#[tokio::test(start_paused = true)]
async fn a_task_that_fails_three_times_is_restarted_after_the_documented_delays() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let task = scope.spawn_supervised("consumer", Restart::on_failure(), move || {
        let instance = counted.begin();
        async move {
            if instance <= 3 {
                return Err(format!("broker gone ({instance})"));
            }
            lifespan::shutdown_requested().await;
            Ok(())
        }
    });
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(instances.count(), 4);
    assert_eq!(instances.gaps(), [100 * MS, 200 * MS, 400 * MS]);
    assert!(
        !scope.is_app_shutdown_requested(),
        "a restarted failure is not the app's"
    );
    bounded(scope.shutdown()).await.unwrap();
    assert!(bounded(task).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn one_that_keeps_failing_escalates_past_the_limit_and_says_how_far_it_got() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let policy = Restart::on_failure().limit(3, Duration::from_secs(10));
    let task = scope.spawn_supervised("consumer", policy, move || {
        counted.begin();
        async { Err::<(), _>("broker gone") }
    });
    let error = bounded(task).await.unwrap_err();
    // The first instance and three restarts, 100 + 200 + 400 ms apart.
    assert_eq!(instances.count(), 4);
    assert_eq!(error.kind(), ErrorKind::Failed);
    assert_eq!(error.origin(), Origin::Task);
    assert_eq!(error.name(), "consumer");
    let gave_up = error.gave_up().expect("it gave up");
    assert_eq!(gave_up.restarts(), 3);
    assert_eq!(gave_up.limit(), (3, Duration::from_secs(10)));
    assert_eq!(gave_up.over(), 700 * MS); // restarts at 0, 100 and 300 ms; the last failure at 700
    assert_eq!(
        error.to_string(),
        "task `consumer` failed: broker gone; gave up after 3 restarts in 700.0ms \
         (its limit: 3 within 10s)"
    );
    // As without a policy: the app's shutdown is requested, the teardown reports it.
    assert!(scope.is_app_shutdown_requested());
    let teardown = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(teardown.gave_up(), Some(gave_up));
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_restarted_and_past_the_limit_is_reported_as_a_panic() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let policy = Restart::on_failure().limit(1, Duration::from_secs(10));
    let task = scope.spawn_supervised("parser", policy, move || {
        let instance = counted.begin();
        async move { panic!("bad frame {instance}") }
    });
    let error = bounded(task).await.unwrap_err();
    assert_eq!(instances.count(), 2);
    assert_eq!(error.kind(), ErrorKind::Panicked);
    assert_eq!(error.panic_message(), Some("bad frame 2"));
    assert_eq!(error.gave_up().map(|gave_up| gave_up.restarts()), Some(1));
    assert_eq!(
        error.to_string(),
        "task `parser` panicked: bad frame 2; gave up after 1 restart in 100.0ms (its limit: 1 within 10s)"
    );
    let _ = bounded(scope.shutdown()).await;
}

#[tokio::test(start_paused = true)]
async fn a_clean_return_ends_an_on_failure_task_and_restarts_an_always_one() {
    let scope = Scope::new();
    let on_failure = Instances::default();
    let counted = on_failure.clone();
    let finished = scope.spawn_supervised("migrate", Restart::on_failure(), move || {
        counted.begin();
        async {}
    });
    let always = Instances::default();
    let counted = always.clone();
    let policy = Restart::always().limit(2, Duration::from_secs(10));
    let looping = scope.spawn_supervised("poll", policy, move || {
        counted.begin();
        async { Ok::<(), std::io::Error>(()) }
    });
    assert!(bounded(finished).await.is_ok());
    // Past its limit, a clean return ends the task cleanly, as without a policy.
    assert!(bounded(looping).await.is_ok());
    assert_eq!(on_failure.count(), 1);
    assert_eq!(always.count(), 3);
    assert_eq!(always.gaps(), [100 * MS, 200 * MS]);
    assert!(!scope.is_app_shutdown_requested());
    bounded(scope.shutdown()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_backoff_ends_it_at_once() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let policy = Restart::on_failure().delay(Duration::from_secs(3600));
    let task = scope.spawn_supervised("consumer", policy, move || {
        counted.begin();
        async { Err::<(), _>("broker gone") }
    });
    // On the paused clock this returns once every task is idle: the first instance
    // has failed, and the backoff has begun.
    tokio::time::sleep(MS).await;
    assert_eq!(instances.count(), 1);
    let began = Instant::now();
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
    assert_eq!(
        began.elapsed(),
        Duration::ZERO,
        "the backoff was waited out"
    );
    assert_eq!(instances.count(), 1);
    assert!(
        bounded(task).await.is_ok(),
        "its failure was logged, not escalated"
    );
}

#[tokio::test(start_paused = true)]
async fn a_task_whose_turn_came_is_not_restarted_whatever_it_returns() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let part = from_fn("listener", move |y| async move {
        lifespan::spawn_supervised("listen", Restart::always(), move || {
            counted.begin();
            async {
                lifespan::shutdown_requested().await;
                Err::<(), _>("connection closed under me")
            }
        });
        y.yield_app(Scope::current()).await;
    });
    let listener = bounded(scope.enter(part)).await.unwrap();
    tokio::time::sleep(MS).await; // the task is up, waiting for its turn
    // A stop asked for by the user, of that part's subtree only.
    listener.request_local_shutdown();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(instances.count(), 1);
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(error.name(), "listen");
    assert_eq!(
        error.gave_up(),
        None,
        "it was not restarted, so it did not give up"
    );
}

#[tokio::test(start_paused = true)]
async fn a_never_policy_runs_the_task_once_like_spawn() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let task = scope.spawn_supervised("once", Restart::never(), move || {
        counted.begin();
        async { Err::<(), _>("refused") }
    });
    let error = bounded(task).await.unwrap_err();
    assert_eq!(instances.count(), 1);
    assert_eq!(error.to_string(), "task `once` failed: refused");
    assert!(scope.is_app_shutdown_requested());
    let _ = bounded(scope.shutdown()).await;
}

#[tokio::test(start_paused = true)]
async fn an_instance_that_stayed_up_starts_the_backoff_over() {
    let scope = Scope::new();
    let instances = Instances::default();
    let counted = instances.clone();
    let policy = Restart::on_failure()
        .reset_after(Duration::from_secs(5))
        .unlimited();
    let _task = scope.spawn_supervised("consumer", policy, move || {
        let instance = counted.begin();
        async move {
            if instance == 3 {
                tokio::time::sleep(Duration::from_secs(5)).await; // up long enough
            }
            if instance <= 4 {
                return Err("broker gone");
            }
            lifespan::shutdown_requested().await;
            Ok(())
        }
    });
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(instances.count(), 5);
    let gaps = instances.gaps();
    assert_eq!(gaps, [100 * MS, 200 * MS, 5000 * MS + 100 * MS, 200 * MS]);
    bounded(scope.shutdown()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn each_instance_runs_with_its_scope_current() {
    let scope = Scope::new();
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    let part = from_fn("feed", move |y| async move {
        let policy = Restart::on_failure().limit(1, Duration::from_secs(1));
        lifespan::spawn_supervised("poll", policy, move || {
            seen.lock().unwrap().push(Scope::current().path());
            async { Err::<(), _>("timeout") }
        });
        y.yield_app(()).await;
    });
    bounded(scope.enter(part)).await.unwrap();
    bounded(scope.shutdown_requested()).await; // it gave up
    assert_eq!(*paths.lock().unwrap(), ["feed", "feed"]);
    let _ = bounded(scope.shutdown()).await;
}

#[tokio::test(start_paused = true)]
async fn a_supervised_task_on_a_stopped_part_is_refused_like_any_task() {
    let scope = Scope::new();
    let running = from_fn("gone", |y| async move {
        y.yield_app(Scope::current()).await;
    })
    .start()
    .await
    .unwrap();
    let gone: Scope = (*running).clone();
    running.stop().await.unwrap();
    let refused = gone.spawn_supervised("late", Restart::always(), || async {});
    let error = bounded(refused).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ScopeClosed);
    bounded(scope.shutdown()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_task_in_backoff_turns_readiness_off_only_when_its_policy_says_so() {
    let scope = Scope::new();
    let policy = Restart::on_failure().delay(Duration::from_secs(10));
    let instances = Instances::default();
    let counted = instances.clone();
    scope.spawn_supervised("quiet", policy.clone(), || async { Err::<(), _>("x") });
    scope.spawn_supervised("loud", policy.unready_while_down(), move || {
        let instance = counted.begin();
        async move {
            if instance == 1 {
                return Err("broker gone");
            }
            lifespan::shutdown_requested().await;
            Ok(())
        }
    });
    tokio::time::sleep(Duration::from_secs(5)).await; // both in their first backoff
    assert!(!scope.is_ready(), "`loud` is down");
    tokio::time::sleep(Duration::from_secs(6)).await; // `loud` runs again; `quiet` failed again
    assert_eq!(instances.count(), 2);
    assert!(
        scope.is_ready(),
        "only `quiet` is down, and it leaves readiness alone"
    );
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
}

/// The summary counts a restart once it happens: a shutdown during the backoff counts
/// none.
#[tokio::test(start_paused = true)]
async fn a_restart_is_counted_on_its_part_s_row_once_it_happens() {
    let scope = Scope::new();
    scope.record_timeline();
    let part = from_fn("feed", |y| async move {
        let instances = Instances::default();
        let policy = Restart::on_failure().delay(Duration::from_secs(10));
        lifespan::spawn_supervised("poll", policy, move || {
            let instance = instances.begin();
            async move {
                if instance <= 2 {
                    return Err("timeout");
                }
                lifespan::shutdown_requested().await;
                Ok(())
            }
        });
        y.yield_app(()).await;
    });
    bounded(scope.enter(part)).await.unwrap();
    // One restart after 10 s; the second failure's backoff is cut by the shutdown.
    tokio::time::sleep(Duration::from_secs(15)).await;
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
    let timeline = scope.timeline().expect("recorded");
    let feed = timeline
        .rows()
        .iter()
        .find(|row| row.name() == "feed")
        .unwrap();
    assert_eq!(feed.notes(), ["task `poll` restarted once"]);
}

/// The timeline draws each instance of a supervised task as a row of its own, beside
/// the task's row for its whole life: where it began and ended, and how it failed.
#[tokio::test(start_paused = true)]
async fn each_instance_of_a_task_is_a_row_of_its_own_in_the_timeline() {
    let scope = Scope::new();
    scope.record_timeline();
    let part = from_fn("feed", |y| async move {
        let instances = Instances::default();
        lifespan::spawn_supervised("poll", Restart::on_failure(), move || {
            let instance = instances.begin();
            async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if instance <= 2 {
                    return Err(format!("timeout {instance}"));
                }
                lifespan::shutdown_requested().await;
                Ok(())
            }
        });
        y.yield_app(()).await;
    });
    bounded(scope.enter(part)).await.unwrap();
    // Instance 1 fails at 1 s, 2 at 2.1 s, and 3 begins at 2.3 s.
    tokio::time::sleep(Duration::from_secs(5)).await;
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
    let timeline = scope.timeline().expect("recorded");
    let rows: Vec<_> = timeline
        .rows()
        .iter()
        .filter(|row| row.name().starts_with("poll"))
        .map(|row| {
            let bar = row.startup().expect("a task's row has one bar");
            (
                row.path(),
                bar.start(),
                bar.end(),
                bar.failure().map(|failure| failure.message().to_owned()),
            )
        })
        .collect();
    let stopped = Some(Duration::from_secs(5));
    assert_eq!(
        rows,
        [
            ("feed/poll", Duration::ZERO, stopped, None),
            (
                "feed/poll#1",
                Duration::ZERO,
                Some(Duration::from_secs(1)),
                Some("task `poll` failed: timeout 1".to_owned())
            ),
            (
                "feed/poll#2",
                1100 * MS,
                Some(2100 * MS),
                Some("task `poll` failed: timeout 2".to_owned())
            ),
            ("feed/poll#3", 2300 * MS, stopped, None),
        ]
    );
}

/// A supervised task aborted while an instance runs ends that instance's row where
/// it was aborted: it is not drawn as still running.
#[tokio::test(start_paused = true)]
async fn an_aborted_supervised_task_ends_its_instance_s_row() {
    let scope = Scope::new();
    scope.record_timeline();
    let handle = scope.spawn_supervised("poll", Restart::always(), || {
        std::future::pending::<Result<(), &'static str>>()
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    handle.abort();
    let _ = handle.await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let timeline = scope.timeline().expect("recorded");
    let instance = timeline
        .rows()
        .iter()
        .find(|row| row.name() == "poll#1")
        .expect("the instance has a row");
    let bar = instance.startup().expect("a task's row has one bar");
    assert_eq!(
        bar.end(),
        Some(Duration::from_secs(1)),
        "ended at the abort, not open until the timeline was taken"
    );
    bounded(scope.shutdown()).await.unwrap();
}

/// A task restarted for the service's whole life keeps a timeline of bounded size:
/// twenty instances get a row each, and the later ones share one, counted.
#[tokio::test(start_paused = true)]
async fn instances_past_twenty_share_one_counted_row() {
    let scope = Scope::new();
    scope.record_timeline();
    let instances = Instances::default();
    let counted = instances.clone();
    let policy = Restart::always().delay(Duration::ZERO).unlimited();
    scope.spawn_supervised("tick", policy, move || {
        let instance = counted.begin();
        async move {
            if instance == 30 {
                lifespan_runtime::shutdown_requested().await;
            }
            Ok::<(), &'static str>(())
        }
    });
    while instances.count() < 30 {
        tokio::task::yield_now().await;
    }
    let timeline = scope.timeline().expect("recorded");
    let rows: Vec<(&str, u64)> = timeline
        .rows()
        .iter()
        .filter(|row| row.name().starts_with("tick#"))
        .map(|row| (row.name(), row.count()))
        .collect();
    let mut expected: Vec<(String, u64)> = (1..=20).map(|n| (format!("tick#{n}"), 1)).collect();
    expected.push(("tick#21+".to_owned(), 10));
    let expected: Vec<(&str, u64)> = expected
        .iter()
        .map(|(name, count)| (name.as_str(), *count))
        .collect();
    assert_eq!(rows, expected);
    bounded(scope.shutdown()).await.unwrap();
}
