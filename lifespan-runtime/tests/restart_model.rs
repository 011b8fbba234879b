//! Restart policies against a model: `on_failure` with a random limit and first delay
//! (a window and a reset longer than any run, so that the limit counts every restart
//! and delays double from the first), random scripts of how each instance ends, and a
//! shutdown at a random moment, for a supervised task and for a supervised lifespan
//! with a subtree. The window, the reset, jitter and `always` are checked by the unit
//! tests of `restart/backoff.rs` and by `restart.rs`. On a paused clock, the
//! model says what must have happened, and the run is checked against it:
//!
//! - every instance that started was stopped exactly once (a lifespan's: its shutdown
//!   half, then its child), and none after the shutdown;
//! - no instance starts once shutdown has been requested;
//! - the restarts are the scripted failures up to the limit, each after the delay the
//!   policy gives it;
//! - a failure past the limit reaches the app (its shutdown is requested, and the error
//!   says how many restarts were tried); one within the limit does not.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Journal, bounded};
use lifespan_runtime::{Error, Lifespan, Restart, Scope, from_fn, supervised};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tokio::time::Instant;

/// How an instance ends while the app runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Fails after running this many milliseconds.
    FailsAfter(u64),
    /// Runs until its turn to stop.
    Stays,
}

#[derive(Debug, Clone)]
struct Case {
    limit: u32,
    delay_ms: u64,
    /// How each instance ends, in order; past the script, instances stay.
    script: Vec<End>,
    /// When shutdown is requested, in milliseconds from the start.
    shutdown_at: u64,
}

/// Every moment is a multiple of 10 ms but the shutdown, 5 ms past one: no two
/// events of a case fall in the same millisecond, whose order a paused clock leaves open.
fn case() -> impl Strategy<Value = Case> {
    (
        0u32..4,
        prop_oneof![Just(0u64), (1u64..20).prop_map(|tens| tens * 10)],
        prop::collection::vec(
            prop_oneof![
                3 => (0u64..30).prop_map(|tens| End::FailsAfter(tens * 10)),
                1 => Just(End::Stays),
            ],
            0..6,
        ),
        (0u64..300).prop_map(|tens| tens * 10 + 5),
    )
        .prop_map(|(limit, delay_ms, script, shutdown_at)| Case {
            limit,
            delay_ms,
            script,
            shutdown_at,
        })
}

impl Case {
    fn policy(&self) -> Restart {
        // A window longer than any run, and no reset: the limit counts every restart,
        // and delays double from the first.
        Restart::on_failure()
            .delay(Duration::from_millis(self.delay_ms))
            .max_delay(Duration::from_secs(3600))
            .reset_after(Duration::from_secs(3600))
            .limit(self.limit, Duration::from_secs(3600))
    }

    fn end(&self, instance: usize) -> End {
        self.script.get(instance).copied().unwrap_or(End::Stays)
    }

    /// What the model says: when each instance starts (ms), and whether the run gave
    /// up (at which ms, after how many restarts), given when shutdown comes.
    fn expected(&self) -> Expected {
        let policy = self.policy();
        let mut starts = vec![0u64];
        let mut now = 0u64;
        let mut restarts = 0u32;
        loop {
            let instance = starts.len() - 1;
            let End::FailsAfter(after) = self.end(instance) else {
                return Expected {
                    starts,
                    gave_up: None,
                };
            };
            let failed_at = now + after;
            if failed_at >= self.shutdown_at {
                return Expected {
                    starts,
                    gave_up: None,
                };
            }
            if restarts >= self.limit {
                return Expected {
                    starts,
                    gave_up: Some((failed_at, restarts)),
                };
            }
            restarts += 1;
            let delay = policy.delay_before(restarts).as_millis() as u64;
            let next = failed_at + delay;
            if next >= self.shutdown_at {
                return Expected {
                    starts,
                    gave_up: None,
                };
            }
            starts.push(next);
            now = next;
        }
    }
}

#[derive(Debug, PartialEq)]
struct Expected {
    /// When each instance started, in ms.
    starts: Vec<u64>,
    /// When the failure past the limit came, and the restarts before it.
    gave_up: Option<(u64, u32)>,
}

/// Milliseconds since `origin`.
fn ms(origin: Instant) -> u64 {
    origin.elapsed().as_millis() as u64
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Records an instance beginning now, in ms from `origin`; returns its number, from 0.
fn begin(starts: &Mutex<Vec<u64>>, origin: Instant) -> usize {
    let mut starts = starts.lock().unwrap();
    starts.push(ms(origin));
    starts.len() - 1
}

/// Fails `after` ms from now, unless the current code's turn to stop comes first.
async fn fails_after(after: u64) -> Result<(), &'static str> {
    let waited = tokio::time::sleep(Duration::from_millis(after));
    match lifespan_runtime::until_shutdown(waited).await {
        Some(()) => Err("scripted failure"),
        None => Ok(()),
    }
}

/// Runs the case with a supervised task; returns when each instance started and, if
/// it gave up, the error.
fn run_task(case: &Case) -> (Vec<u64>, Option<(u64, Error)>, Journal) {
    runtime().block_on(async {
        let origin = Instant::now();
        let scope = Scope::new();
        let journal = Journal::new();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let (seen, logged, script) = (starts.clone(), journal.clone(), case.clone());
        scope.spawn_supervised("worker", case.policy(), move || {
            let instance = begin(&seen, origin);
            let (end, journal) = (script.end(instance), logged.clone());
            async move {
                journal.log(format!("start {instance}"));
                let ended = match end {
                    End::FailsAfter(after) => fails_after(after).await,
                    End::Stays => {
                        lifespan_runtime::shutdown_requested().await;
                        Ok(())
                    }
                };
                journal.log(format!("stop {instance}"));
                ended
            }
        });
        let gave_up = drive(&scope, case, origin).await;
        let starts = starts.lock().unwrap().clone();
        (starts, gave_up, journal)
    })
}

/// Runs the case with a supervised lifespan whose instances each enter a child and
/// spawn the task that fails as scripted.
fn run_lifespan(case: &Case) -> (Vec<u64>, Option<(u64, Error)>, Journal) {
    runtime().block_on(async {
        let origin = Instant::now();
        let scope = Scope::new();
        let journal = Journal::new();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let (seen, logged, script) = (starts.clone(), journal.clone(), case.clone());
        let part = supervised(case.policy(), move || {
            let instance = begin(&seen, origin);
            let (end, journal) = (script.end(instance), logged.clone());
            from_fn("part", move |y| async move {
                let child = journal.clone();
                from_fn("child", move |y| async move {
                    y.yield_app(()).await;
                    child.log(format!("stop child {instance}"));
                })
                .enter()
                .await?;
                journal.log(format!("start {instance}"));
                if let End::FailsAfter(after) = end {
                    lifespan_runtime::spawn("poll", fails_after(after));
                }
                y.yield_app(()).await;
                journal.log(format!("stop {instance}"));
                Ok::<(), Error>(())
            })
        });
        bounded(scope.enter(part)).await.unwrap();
        let gave_up = drive(&scope, case, origin).await;
        let starts = starts.lock().unwrap().clone();
        (starts, gave_up, journal)
    })
}

/// Requests shutdown at the case's moment unless the app was asked to stop before (a
/// failure past the limit), then tears down; returns when it gave up, and its error.
async fn drive(scope: &Scope, case: &Case, origin: Instant) -> Option<(u64, Error)> {
    let at = origin + Duration::from_millis(case.shutdown_at);
    let asked = tokio::select! {
        () = scope.shutdown_requested() => Some(ms(origin)),
        () = tokio::time::sleep_until(at) => None,
    };
    scope.request_shutdown();
    let result = bounded(scope.shutdown()).await;
    match (asked, result) {
        (Some(when), Err(error)) => Some((when, error)),
        (None, Ok(())) => None,
        (asked, result) => panic!("asked to stop at {asked:?}, teardown {result:?}"),
    }
}

/// The checks every run shares: the instances the model expects started, when it
/// expects them, each stopped exactly once, and the failure past the limit (if any)
/// reached the app, saying how many restarts were tried.
fn check(
    case: &Case,
    (starts, gave_up, journal): (Vec<u64>, Option<(u64, Error)>, Journal),
) -> Result<(), TestCaseError> {
    let expected = case.expected();
    prop_assert_eq!(&starts, &expected.starts, "{:?}", journal.entries());
    for instance in 0..starts.len() {
        prop_assert_eq!(journal.count(&format!("start {instance}")), 1);
        prop_assert_eq!(
            journal.count(&format!("stop {instance}")),
            1,
            "{:?}",
            journal.entries()
        );
    }
    prop_assert_eq!(journal.count(&format!("start {}", starts.len())), 0);
    match (gave_up, expected.gave_up) {
        (None, None) => {}
        (Some((when, error)), Some((at, restarts))) => {
            prop_assert_eq!(when, at);
            let tried = error.gave_up().map(|gave_up| gave_up.restarts());
            prop_assert_eq!(tried, Some(restarts), "{}", error);
        }
        (run, model) => prop_assert!(false, "gave up: run {:?}, model {:?}", run, model),
    }
    Ok(())
}

fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn a_supervised_task_restarts_as_the_model_says() {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&case(), |case| check(&case, run_task(&case)));
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
}

#[test]
fn a_supervised_lifespan_restarts_its_subtree_as_the_model_says() {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&case(), |case| {
        let run = run_lifespan(&case);
        // Each instance's child stopped once, after the instance's shutdown half.
        let journal = run.2.entries();
        for instance in 0..run.0.len() {
            let stop = journal
                .iter()
                .position(|e| *e == format!("stop {instance}"));
            let child = journal
                .iter()
                .position(|e| *e == format!("stop child {instance}"));
            prop_assert!(stop.is_some() && child > stop, "{:?}", journal);
        }
        check(&case, run)
    });
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
}

#[test]
fn the_model_is_not_vacuous() {
    // A case that restarts twice and gives up at the third failure, as written out.
    let case = Case {
        limit: 2,
        delay_ms: 10,
        script: vec![End::FailsAfter(5); 3],
        shutdown_at: 2_000,
    };
    let expected = Expected {
        starts: vec![0, 15, 40],
        gave_up: Some((45, 2)),
    };
    // 5 ms up, then 10 ms of backoff, 5 ms up, 20 ms of backoff, 5 ms up: given up.
    assert_eq!(case.expected(), expected);
    check(&case, run_task(&case)).unwrap();
    check(&case, run_lifespan(&case)).unwrap();
}
