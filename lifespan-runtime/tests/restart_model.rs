//! Restart policies against a model: a random kind (`never`, `on_failure`, `always`),
//! limit and first delay (a window and a reset longer than any run, so that the limit
//! counts every restart and delays double from the first), random scripts of how each
//! instance ends (fails, returns, stays, or, for a restarted lifespan, fails or is cut
//! in its startup), and a shutdown at a random moment, for a supervised task and for a
//! supervised lifespan with a subtree. The window, the reset and jitter are checked by
//! the unit tests of `restart/backoff.rs` and by `restart.rs`. On a paused clock, the
//! model says what must have happened, and the run is checked against it:
//!
//! - every instance that came up was stopped exactly once (a lifespan's: its shutdown
//!   half, then its child), and none after the shutdown; a restart whose startup failed
//!   or was cut by the shutdown ran no shutdown half, and its child was rolled back;
//! - no instance starts once shutdown has been requested;
//! - the restarts are the scripted ends the kind restarts, up to the limit, each after
//!   the delay the policy gives it; a clean return ends an `on_failure` task for good,
//!   and is restarted under `always`; a task returning below a lifespan restarts
//!   nothing;
//! - a failure the policy does not restart reaches the app: past the limit saying how
//!   many restarts were tried, under `never` as it would with no policy at all.

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
    /// Returns cleanly after running this many milliseconds. Below a lifespan, its
    /// task does, and the lifespan stays.
    Returns(u64),
    /// A restarted lifespan's startup fails, once it has entered its child. A task has
    /// no startup: it fails at once.
    FailsStarting,
    /// Runs until its turn to stop.
    Stays,
}

/// Which `Restart` constructor the case uses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Never,
    OnFailure,
    Always,
}

#[derive(Debug, Clone)]
struct Case {
    kind: Kind,
    limit: u32,
    delay_ms: u64,
    /// How long a restarted lifespan's startup takes (its first is at once).
    startup_ms: u64,
    /// How each instance ends, in order; past the script, instances stay. The first
    /// never fails starting: a restarting lifespan's first startup is not retried.
    script: Vec<End>,
    /// When shutdown is requested, in milliseconds from the start.
    shutdown_at: u64,
}

/// One instance, as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Instance {
    /// When it was made, in ms.
    start: u64,
    /// Whether its startup finished: not failed, not cut.
    up: bool,
}

fn running_end() -> impl Strategy<Value = End> {
    prop_oneof![
        3 => (0u64..30).prop_map(|tens| End::FailsAfter(tens * 10)),
        1 => (0u64..30).prop_map(|tens| End::Returns(tens * 10)),
        1 => Just(End::Stays),
    ]
}

/// Every moment is a multiple of 10 ms but the shutdown, 5 ms past one: no two
/// events of a case fall in the same millisecond, whose order a paused clock leaves open.
fn case() -> impl Strategy<Value = Case> {
    let kind = prop_oneof![
        1 => Just(Kind::Never),
        3 => Just(Kind::OnFailure),
        2 => Just(Kind::Always),
    ];
    let later = prop_oneof![4 => running_end(), 1 => Just(End::FailsStarting)];
    (
        kind,
        0u32..4,
        prop_oneof![Just(0u64), (1u64..20).prop_map(|tens| tens * 10)],
        prop_oneof![Just(0u64), (1u64..6).prop_map(|tens| tens * 10)],
        running_end(),
        prop::collection::vec(later, 0..5),
        (0u64..300).prop_map(|tens| tens * 10 + 5),
    )
        .prop_map(
            |(kind, limit, delay_ms, startup_ms, first, later, shutdown_at)| Case {
                kind,
                limit,
                delay_ms,
                startup_ms,
                script: std::iter::once(first).chain(later).collect(),
                shutdown_at,
            },
        )
}

impl Case {
    fn policy(&self) -> Restart {
        let kind = match self.kind {
            Kind::Never => Restart::never(),
            Kind::OnFailure => Restart::on_failure(),
            Kind::Always => Restart::always(),
        };
        // A window longer than any run, and no reset: the limit counts every restart,
        // and delays double from the first.
        kind.delay(Duration::from_millis(self.delay_ms))
            .max_delay(Duration::from_secs(3600))
            .reset_after(Duration::from_secs(3600))
            .limit(self.limit, Duration::from_secs(3600))
    }

    /// How instance `instance` ends, for a supervised lifespan or a supervised task.
    fn end(&self, instance: usize, lifespan: bool) -> End {
        match self.script.get(instance).copied().unwrap_or(End::Stays) {
            End::FailsStarting if !lifespan => End::FailsAfter(0),
            end => end,
        }
    }

    /// How long instance `instance` takes to start.
    fn startup(&self, instance: usize, lifespan: bool) -> u64 {
        if lifespan && instance > 0 {
            self.startup_ms
        } else {
            0
        }
    }

    /// What the model says, for a lifespan or a task: each instance, when it was made
    /// and whether it came up, and the failure that reached the app, if one did (at
    /// which ms; how many restarts it gave up after, `None` if the policy never
    /// restarts it).
    fn expected(&self, lifespan: bool) -> Expected {
        let policy = self.policy();
        let mut instances = Vec::new();
        let mut began = 0u64;
        let mut restarts = 0u32;
        let expected = |instances, escalated| Expected {
            instances,
            escalated,
        };
        loop {
            let number = instances.len();
            let up_at = began + self.startup(number, lifespan);
            if up_at > self.shutdown_at {
                // Cut while it started.
                instances.push(Instance {
                    start: began,
                    up: false,
                });
                return expected(instances, None);
            }
            let (ended_at, failed, up) = match self.end(number, lifespan) {
                End::FailsStarting => (up_at, true, false),
                End::FailsAfter(after) => (up_at + after, true, true),
                End::Returns(after) if !lifespan => (up_at + after, false, true),
                // A task below that returns leaves its lifespan up.
                End::Returns(_) | End::Stays => (u64::MAX, false, true),
            };
            instances.push(Instance { start: began, up });
            if ended_at >= self.shutdown_at {
                return expected(instances, None);
            }
            let restarted = match self.kind {
                Kind::Never => false,
                Kind::OnFailure => failed,
                Kind::Always => true,
            };
            if !restarted {
                let escalated = failed.then_some((ended_at, None));
                return expected(instances, escalated);
            }
            if restarts >= self.limit {
                // A return past the limit ends quietly; a failure goes up.
                let escalated = failed.then_some((ended_at, Some(restarts)));
                return expected(instances, escalated);
            }
            restarts += 1;
            let next = ended_at + policy.delay_before(restarts).as_millis() as u64;
            if next >= self.shutdown_at {
                return expected(instances, None);
            }
            began = next;
        }
    }
}

#[derive(Debug, PartialEq)]
struct Expected {
    instances: Vec<Instance>,
    /// When a failure reached the app, and the restarts it gave up after (`None`: the
    /// policy does not restart it at all).
    escalated: Option<(u64, Option<u32>)>,
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

/// Returns `after` ms from now, or when the current code's turn to stop comes.
async fn returns_after(after: u64) -> Result<(), &'static str> {
    let waited = tokio::time::sleep(Duration::from_millis(after));
    lifespan_runtime::until_shutdown(waited).await;
    Ok(())
}

/// What a run did: when each instance was made, the failure that reached the app (when
/// its shutdown was requested, and the error), and the journal.
type Run = (Vec<u64>, Option<(u64, Error)>, Journal);

/// Runs the case with a supervised task.
fn run_task(case: &Case) -> Run {
    runtime().block_on(async {
        let origin = Instant::now();
        let scope = Scope::new();
        let journal = Journal::new();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let (seen, logged, script) = (starts.clone(), journal.clone(), case.clone());
        scope.spawn_supervised("worker", case.policy(), move || {
            let instance = begin(&seen, origin);
            let (end, journal) = (script.end(instance, false), logged.clone());
            async move {
                journal.log(format!("start {instance}"));
                let ended = match end {
                    End::FailsAfter(after) => fails_after(after).await,
                    End::Returns(after) => returns_after(after).await,
                    End::FailsStarting => unreachable!("a task fails at once instead"),
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

/// Runs the case with a supervised lifespan whose instances each enter a child, take
/// the case's startup time (from the second on), and spawn the task that ends as
/// scripted.
fn run_lifespan(case: &Case) -> Run {
    runtime().block_on(async {
        let origin = Instant::now();
        let scope = Scope::new();
        let journal = Journal::new();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let (seen, logged, script) = (starts.clone(), journal.clone(), case.clone());
        let part = supervised(case.policy(), move || {
            let instance = begin(&seen, origin);
            let end = script.end(instance, true);
            let startup = script.startup(instance, true);
            let journal = logged.clone();
            from_fn("part", move |y| async move {
                let child = journal.clone();
                from_fn("child", move |y| async move {
                    y.yield_app(()).await;
                    child.log(format!("stop child {instance}"));
                })
                .enter()
                .await?;
                if startup > 0 {
                    tokio::time::sleep(Duration::from_millis(startup)).await;
                }
                if end == End::FailsStarting {
                    return Err("refused".into());
                }
                journal.log(format!("start {instance}"));
                match end {
                    End::FailsAfter(after) => {
                        lifespan_runtime::spawn("poll", fails_after(after));
                    }
                    End::Returns(after) => {
                        lifespan_runtime::spawn("poll", returns_after(after));
                    }
                    End::FailsStarting | End::Stays => {}
                }
                y.yield_app(()).await;
                journal.log(format!("stop {instance}"));
                Ok::<(), lifespan_runtime::BoxError>(())
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

/// The checks every run shares: the instances the model expects were made, when it
/// expects them; each that came up started and stopped exactly once, and, below a
/// lifespan, every child was stopped once, after its instance's shutdown half; the
/// failure that reached the app (if any) is the model's, with its count.
fn check(
    case: &Case,
    lifespan: bool,
    (starts, escalated, journal): Run,
) -> Result<(), TestCaseError> {
    let expected = case.expected(lifespan);
    let entries = journal.entries();
    let expected_starts: Vec<u64> = expected.instances.iter().map(|i| i.start).collect();
    prop_assert_eq!(&starts, &expected_starts, "{:?}", entries);
    for (number, instance) in expected.instances.iter().enumerate() {
        let up = usize::from(instance.up);
        let (start, stop) = (format!("start {number}"), format!("stop {number}"));
        prop_assert_eq!(journal.count(&start), up, "{:?}", entries);
        prop_assert_eq!(journal.count(&stop), up, "{:?}", entries);
        if lifespan {
            let child = format!("stop child {number}");
            prop_assert_eq!(journal.count(&child), 1, "{:?}", entries);
            let at = |entry: &str| entries.iter().position(|e| e == entry);
            prop_assert!(at(&child) > at(&stop), "{:?}", entries);
        }
    }
    let made = starts.len();
    prop_assert_eq!(journal.count(&format!("start {made}")), 0);
    match (escalated, expected.escalated) {
        (None, None) => {}
        (Some((when, error)), Some((at, restarts))) => {
            prop_assert_eq!(when, at);
            let tried = error.gave_up().map(|gave_up| gave_up.restarts());
            prop_assert_eq!(tried, restarts, "{}", error);
        }
        (run, model) => prop_assert!(false, "escalated: run {:?}, model {:?}", run, model),
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
    let result = runner.run(&case(), |case| check(&case, false, run_task(&case)));
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
}

#[test]
fn a_supervised_lifespan_restarts_its_subtree_as_the_model_says() {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&case(), |case| check(&case, true, run_lifespan(&case)));
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
}

/// Cases written out, each with what the model says, so that the model itself is
/// checked against arithmetic done by hand.
#[test]
fn the_model_is_not_vacuous() {
    let case = |kind, script: Vec<End>| Case {
        kind,
        limit: 2,
        delay_ms: 10,
        startup_ms: 20,
        script,
        shutdown_at: 2_005,
    };
    let up = |start| Instance { start, up: true };
    // 5 ms up, then 10 ms of backoff, 5 ms up, 20 ms of backoff, 5 ms up: given up.
    let failing = case(Kind::OnFailure, vec![End::FailsAfter(5); 3]);
    assert_eq!(
        failing.expected(false),
        Expected {
            instances: vec![up(0), up(15), up(40)],
            escalated: Some((45, Some(2))),
        }
    );
    // A lifespan's restarts take 20 ms to start: up at 35 and at 80.
    assert_eq!(
        failing.expected(true),
        Expected {
            instances: vec![up(0), up(15), up(60)],
            escalated: Some((85, Some(2))),
        }
    );
    // A restart that fails starting fails when its startup does, and counts.
    let refused = case(
        Kind::OnFailure,
        vec![End::FailsAfter(5), End::FailsStarting],
    );
    assert_eq!(
        refused.expected(true),
        Expected {
            instances: vec![
                up(0),
                Instance {
                    start: 15,
                    up: false
                },
                up(55)
            ],
            escalated: None,
        }
    );
    // A clean return ends an `on_failure` task, and is restarted under `always`; under
    // `never`, a failure goes up at once.
    let returns = |kind| case(kind, vec![End::Returns(5), End::FailsAfter(5)]);
    assert_eq!(returns(Kind::OnFailure).expected(false).instances, [up(0)]);
    assert_eq!(
        returns(Kind::Always).expected(false).instances,
        [up(0), up(15), up(40)]
    );
    let never = case(Kind::Never, vec![End::FailsAfter(5)]);
    assert_eq!(never.expected(false).escalated, Some((5, None)));
    // A shutdown during a restart's startup cuts it.
    let cut = Case {
        shutdown_at: 25,
        ..failing.clone()
    };
    assert_eq!(
        cut.expected(true).instances,
        [
            up(0),
            Instance {
                start: 15,
                up: false
            }
        ]
    );
    for case in [failing, refused, returns(Kind::Always), never, cut] {
        check(&case, false, run_task(&case)).unwrap();
        check(&case, true, run_lifespan(&case)).unwrap();
    }
}
