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
//!
//! Nested supervisors get a model of their own: a supervised lifespan inside another,
//! each `on_failure` with its own limit and delay. When the inner one gives up, the
//! outer one takes its failure and restarts its whole subtree, with a new inner
//! supervisor whose count starts over, so restarts multiply as OTP warns; the outer one
//! giving up reaches the app, saying how many restarts it tried.

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

/// A supervised lifespan, `outer`, whose instances each enter a supervised lifespan,
/// `inner`, whose instances each spawn a task that ends as scripted.
#[derive(Debug, Clone)]
struct Nested {
    outer_limit: u32,
    outer_delay_ms: u64,
    inner_limit: u32,
    inner_delay_ms: u64,
    /// How each instance of `inner` ends, in order, across the instances of `outer`:
    /// fails or stays.
    script: Vec<End>,
    shutdown_at: u64,
}

fn nested() -> impl Strategy<Value = Nested> {
    let delay = || prop_oneof![Just(0u64), (1u64..10).prop_map(|tens| tens * 10)];
    let end = prop_oneof![
        4 => (0u64..20).prop_map(|tens| End::FailsAfter(tens * 10)),
        1 => Just(End::Stays),
    ];
    (
        0u32..3,
        delay(),
        0u32..3,
        delay(),
        prop::collection::vec(end, 0..12),
        (0u64..300).prop_map(|tens| tens * 10 + 5),
    )
        .prop_map(
            |(outer_limit, outer_delay_ms, inner_limit, inner_delay_ms, script, shutdown_at)| {
                Nested {
                    outer_limit,
                    outer_delay_ms,
                    inner_limit,
                    inner_delay_ms,
                    script,
                    shutdown_at,
                }
            },
        )
}

/// `on_failure` with `limit` restarts and a first delay, in a window and with a reset
/// longer than any run.
fn counting(limit: u32, delay_ms: u64) -> Restart {
    Restart::on_failure()
        .delay(Duration::from_millis(delay_ms))
        .max_delay(Duration::from_secs(3600))
        .reset_after(Duration::from_secs(3600))
        .limit(limit, Duration::from_secs(3600))
}

#[derive(Debug, PartialEq)]
struct NestedExpected {
    /// When each instance of `outer` was made, in ms.
    outer: Vec<u64>,
    /// When each instance of `inner` was made, in ms.
    inner: Vec<u64>,
    /// When `outer` gave up, and after how many restarts of its own.
    gave_up: Option<(u64, u32)>,
}

impl Nested {
    fn outer_policy(&self) -> Restart {
        counting(self.outer_limit, self.outer_delay_ms)
    }

    fn inner_policy(&self) -> Restart {
        counting(self.inner_limit, self.inner_delay_ms)
    }

    fn end(&self, instance: usize) -> End {
        self.script.get(instance).copied().unwrap_or(End::Stays)
    }

    /// What the model says: each inner failure within the inner limit restarts
    /// `inner`; one past it restarts `outer` (and with it a new `inner`, whose count
    /// starts over); one past both limits reaches the app.
    fn expected(&self) -> NestedExpected {
        let (outer_policy, inner_policy) = (self.outer_policy(), self.inner_policy());
        let mut expected = NestedExpected {
            outer: vec![0],
            inner: Vec::new(),
            gave_up: None,
        };
        let (mut began, mut inner_restarts, mut outer_restarts) = (0u64, 0u32, 0u32);
        loop {
            let instance = expected.inner.len();
            expected.inner.push(began);
            let End::FailsAfter(after) = self.end(instance) else {
                return expected;
            };
            let failed_at = began + after;
            if failed_at >= self.shutdown_at {
                return expected;
            }
            let next = if inner_restarts < self.inner_limit {
                inner_restarts += 1;
                failed_at + inner_policy.delay_before(inner_restarts).as_millis() as u64
            } else if outer_restarts < self.outer_limit {
                // `inner` gave up: `outer` restarts its subtree.
                outer_restarts += 1;
                inner_restarts = 0;
                failed_at + outer_policy.delay_before(outer_restarts).as_millis() as u64
            } else {
                expected.gave_up = Some((failed_at, outer_restarts));
                return expected;
            };
            if next >= self.shutdown_at {
                return expected;
            }
            if inner_restarts == 0 {
                expected.outer.push(next);
            }
            began = next;
        }
    }
}

/// What a nested run did: when each instance of `outer` and of `inner` was made, the
/// failure that reached the app (when, and the error), and the journal.
type NestedRun = (Vec<u64>, Vec<u64>, Option<(u64, Error)>, Journal);

/// Runs the nested case.
fn run_nested(case: &Nested) -> NestedRun {
    runtime().block_on(async {
        let origin = Instant::now();
        let scope = Scope::new();
        let journal = Journal::new();
        let outer_starts = Arc::new(Mutex::new(Vec::new()));
        let inner_starts = Arc::new(Mutex::new(Vec::new()));
        let (outer_seen, inner_seen) = (outer_starts.clone(), inner_starts.clone());
        let (logged, script) = (journal.clone(), case.clone());
        let part = supervised(case.outer_policy(), move || {
            let outer = begin(&outer_seen, origin);
            let (inner_seen, journal, script) =
                (inner_seen.clone(), logged.clone(), script.clone());
            from_fn("outer", move |y| async move {
                let logged = journal.clone();
                let inner = supervised(script.inner_policy(), move || {
                    let instance = begin(&inner_seen, origin);
                    let (end, journal) = (script.end(instance), logged.clone());
                    from_fn("inner", move |y| async move {
                        journal.log(format!("start inner {instance}"));
                        if let End::FailsAfter(after) = end {
                            lifespan_runtime::spawn("poll", fails_after(after));
                        }
                        y.yield_app(()).await;
                        journal.log(format!("stop inner {instance}"));
                    })
                });
                inner.enter().await?;
                journal.log(format!("start outer {outer}"));
                y.yield_app(()).await;
                journal.log(format!("stop outer {outer}"));
                Ok::<(), Error>(())
            })
        });
        bounded(scope.enter(part)).await.unwrap();
        let asked_at = origin + Duration::from_millis(case.shutdown_at);
        let asked = tokio::select! {
            () = scope.shutdown_requested() => Some(ms(origin)),
            () = tokio::time::sleep_until(asked_at) => None,
        };
        scope.request_shutdown();
        let gave_up = match (asked, bounded(scope.shutdown()).await) {
            (Some(when), Err(error)) => Some((when, error)),
            (None, Ok(())) => None,
            (asked, result) => panic!("asked to stop at {asked:?}, teardown {result:?}"),
        };
        let outer = outer_starts.lock().unwrap().clone();
        let inner = inner_starts.lock().unwrap().clone();
        (outer, inner, gave_up, journal)
    })
}

fn check_nested(case: &Nested) -> Result<(), TestCaseError> {
    let expected = case.expected();
    let (outer, inner, gave_up, journal) = run_nested(case);
    let entries = journal.entries();
    prop_assert_eq!(&outer, &expected.outer, "{:?}", entries);
    prop_assert_eq!(&inner, &expected.inner, "{:?}", entries);
    for (what, made) in [("outer", outer.len()), ("inner", inner.len())] {
        for instance in 0..made {
            for half in ["start", "stop"] {
                let entry = format!("{half} {what} {instance}");
                prop_assert_eq!(journal.count(&entry), 1, "{}: {:?}", entry, entries);
            }
        }
        let unmade = format!("start {what} {made}");
        prop_assert_eq!(journal.count(&unmade), 0);
    }
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

#[test]
fn nested_supervisors_restart_as_the_model_says() {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&nested(), |case| check_nested(&case));
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
}

/// Restarts multiply: with one restart each, `inner` is made four times before `outer`
/// gives up, as worked out by hand.
#[test]
fn the_nested_model_is_not_vacuous() {
    let case = Nested {
        outer_limit: 1,
        outer_delay_ms: 100,
        inner_limit: 1,
        inner_delay_ms: 10,
        script: vec![End::FailsAfter(5); 4],
        shutdown_at: 2_005,
    };
    // inner#0 fails at 5, inner#1 at 20 (10 ms later, 5 up): inner gives up; outer
    // waits 100 ms; inner#2 at 120 fails at 125, inner#3 at 135 fails at 140: given up.
    let expected = NestedExpected {
        outer: vec![0, 120],
        inner: vec![0, 15, 120, 135],
        gave_up: Some((140, 1)),
    };
    assert_eq!(case.expected(), expected);
    check_nested(&case).unwrap();
}
