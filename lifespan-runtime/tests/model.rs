//! Model-based property test: random trees of lifespans with faults injected in each
//! half and in spawned tasks, run on a paused clock, and checked against what the
//! guarantees say must have happened.
//!
//! ```text
//! cargo test -p lifespan-runtime --test model                        # 512 cases
//! PROPTEST_CASES=10000 cargo test -p lifespan-runtime --release --test model
//! ```
//!
//! Shrunk failures are kept by proptest in `tests/model.proptest-regressions` and
//! replayed first on every run; commit that file with the fix.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifespan_runtime::{BoxError, Error, ErrorKind, Lifespan, Origin, Running, Scope, from_fn};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// How one half ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Ok,
    /// Within its timeout.
    Slow,
    Fail,
    Panic,
    /// Past its timeout, forever.
    Hang,
}

/// How a spawned task ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Task {
    Finish,
    Fail,
    /// Ignores shutdown: only the deadline ends it.
    IgnoreShutdown,
}

/// What a startup awaits before anything else, so that startups entered together
/// overlap (a startup that never awaits finishes, and registers, before the next one
/// begins).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pause {
    None,
    Yield,
    /// Milliseconds, on the paused clock.
    Sleep(u64),
}

/// How a node's owner starts it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Placement {
    /// `enter`ed into the owner's scope.
    Entered,
    /// Started with `start()` in the owner's body, and its `Running` dropped without
    /// `stop`: at once, or when the owner's shutdown half begins.
    Dropped { at_once: bool },
}

#[derive(Clone, Debug)]
struct Node {
    startup: Act,
    shutdown: Act,
    pause: Pause,
    /// Milliseconds the owner waits before starting this node, when the owner starts
    /// its children concurrently: startups that begin one after another within a
    /// concurrent group.
    lead: u64,
    placement: Placement,
    /// Children started with `try_join_all` rather than one after another.
    concurrent: bool,
    tasks: Vec<Task>,
    children: Vec<Node>,
}

/// A node with its name, its owner and its children's indexes, flattened for the checks.
struct Flat {
    name: String,
    node: Node,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// How the root scope is torn down.
#[derive(Clone, Copy, Debug)]
enum Teardown {
    /// `shutdown().await`.
    Once,
    /// `timeout(cut, shutdown())`, which may cut the call short mid-teardown, then
    /// `shutdown()` again.
    Cut(Duration),
}

const HALF_TIMEOUT: Duration = Duration::from_secs(1);
const SLOW: Duration = Duration::from_millis(300);
const DEADLINE: Duration = Duration::from_secs(60);

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![6 => Just(Act::Ok), 2 => Just(Act::Slow), 1 => Just(Act::Fail), 1 => Just(Act::Panic), 1 => Just(Act::Hang)]
}

fn task() -> impl Strategy<Value = Task> {
    prop_oneof![4 => Just(Task::Finish), 1 => Just(Task::Fail), 1 => Just(Task::IgnoreShutdown)]
}

fn pause() -> impl Strategy<Value = Pause> {
    prop_oneof![
        2 => Just(Pause::None),
        2 => Just(Pause::Yield),
        1 => (1_u64..=3).prop_map(|n| Pause::Sleep(n * 100)),
    ]
}

fn lead() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0_u64), 1 => (1_u64..=3).prop_map(|n| n * 100)]
}

fn placement() -> impl Strategy<Value = Placement> {
    prop_oneof![
        8 => Just(Placement::Entered),
        1 => Just(Placement::Dropped { at_once: true }),
        1 => Just(Placement::Dropped { at_once: false }),
    ]
}

fn tree() -> impl Strategy<Value = Node> {
    let leaf = (
        act(),
        act(),
        pause(),
        lead(),
        placement(),
        prop::collection::vec(task(), 0..2),
    )
        .prop_map(|(startup, shutdown, pause, lead, placement, tasks)| Node {
            startup,
            shutdown,
            pause,
            lead,
            placement,
            concurrent: false,
            tasks,
            children: Vec::new(),
        });
    let node = leaf.prop_recursive(4, 50, 4, |inner| {
        (
            (act(), act(), pause(), lead(), placement()),
            any::<bool>(),
            prop::collection::vec(task(), 0..2),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(
                |((startup, shutdown, pause, lead, placement), concurrent, tasks, children)| Node {
                    startup,
                    shutdown,
                    pause,
                    lead,
                    placement,
                    concurrent,
                    tasks,
                    children,
                },
            )
    });
    // The root lifespan enters the tree's first node.
    node.prop_map(|mut root| {
        root.placement = Placement::Entered;
        root.lead = 0;
        root
    })
}

fn teardown() -> impl Strategy<Value = Teardown> {
    prop_oneof![
        2 => Just(Teardown::Once),
        // Cut at once: the teardown, on a task of its own, has not run yet.
        1 => Just(Teardown::Cut(Duration::ZERO)),
        1 => (1_u64..3_000).prop_map(|ms| Teardown::Cut(Duration::from_millis(ms))),
    ]
}

fn flatten(node: &Node, parent: Option<usize>, flat: &mut Vec<Flat>) -> usize {
    let index = flat.len();
    flat.push(Flat {
        name: format!("n{index}"),
        node: node.clone(),
        parent,
        children: Vec::new(),
    });
    let children = node
        .children
        .iter()
        .map(|child| flatten(child, Some(index), flat))
        .collect();
    flat[index].children = children;
    index
}

/// What a part did, by index, in the order it happened: the runtime is single-threaded,
/// so the journal's order is the order of events.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ev {
    /// Its startup half began.
    Began(usize),
    /// Its startup half completed: registered in its owner's scope, if entered.
    Registered(usize),
    /// Its shutdown half began.
    Halting(usize),
    /// Its shutdown half ended: returned, panicked, or was cancelled.
    HalfEnded(usize),
    /// One of its tasks ended: finished, failed, or was aborted.
    TaskEnded(usize),
    /// Its `Running` was dropped without `stop`.
    Dropped(usize),
}

type Journal = Arc<Mutex<Vec<Ev>>>;
/// A reported failure: who, when, what kind, and its message.
type Reported = (String, Origin, ErrorKind, String);
type Starting = Pin<Box<dyn Future<Output = Result<Option<Held>, Error>> + Send>>;

fn log(journal: &Journal, event: Ev) {
    journal.lock().unwrap().push(event);
}

/// Logs its event when dropped: however a half or a task ends, cancelled included.
struct LogOnDrop(Journal, Ev);

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        log(&self.0, self.1);
    }
}

/// A part started with `start()`, held by its owner's body until it is dropped, never
/// stopped.
struct Held {
    index: usize,
    journal: Journal,
    running: Option<Running<()>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        log(&self.journal, Ev::Dropped(self.index));
        drop(self.running.take());
    }
}

async fn perform(act: Act, what: &str) -> Result<(), BoxError> {
    match act {
        Act::Ok => Ok(()),
        Act::Slow => {
            tokio::time::sleep(SLOW).await;
            Ok(())
        }
        Act::Fail => Err(format!("{what} failed").into()),
        Act::Panic => panic!("{what} panicked"),
        Act::Hang => std::future::pending().await,
    }
}

/// Starts node `index` as its placement says, in the current scope; boxed, because
/// lifespans nest. A node whose `Running` its owner holds is handed back.
fn start(flat: Arc<Vec<Flat>>, index: usize, journal: Journal) -> Starting {
    let name = flat[index].name.clone();
    let placement = flat[index].node.placement;
    let lifespan = {
        let journal = journal.clone();
        from_fn(name.clone(), move |yielder| async move {
            log(&journal, Ev::Began(index));
            let node = &flat[index];
            match node.node.pause {
                Pause::None => {}
                Pause::Yield => tokio::task::yield_now().await,
                Pause::Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            }
            let children = node.children.iter().map(|&child| {
                let lead = if node.node.concurrent {
                    flat[child].node.lead
                } else {
                    0
                };
                let starting = start(flat.clone(), child, journal.clone());
                async move {
                    if lead > 0 {
                        tokio::time::sleep(Duration::from_millis(lead)).await;
                    }
                    starting.await
                }
            });
            let mut held: Vec<Held> = Vec::new();
            if node.node.concurrent {
                let all = futures_util::future::try_join_all(children).await?;
                held.extend(all.into_iter().flatten());
            } else {
                for child in children {
                    held.extend(child.await?);
                }
            }
            perform(node.node.startup, &format!("startup of {name}")).await?;
            for (number, &task) in node.node.tasks.iter().enumerate() {
                let ended = LogOnDrop(journal.clone(), Ev::TaskEnded(index));
                lifespan_runtime::spawn(format!("{name}-task{number}"), async move {
                    let _ended = ended;
                    match task {
                        Task::Finish => Ok(()),
                        Task::Fail => Err::<(), BoxError>("task failed".into()),
                        Task::IgnoreShutdown => std::future::pending().await,
                    }
                });
            }
            log(&journal, Ev::Registered(index));
            yielder.yield_app(()).await;
            log(&journal, Ev::Halting(index));
            let _ended = LogOnDrop(journal.clone(), Ev::HalfEnded(index));
            drop(held);
            perform(node.node.shutdown, &format!("shutdown of {name}")).await
        })
        .startup_timeout(HALF_TIMEOUT)
        .shutdown_timeout(HALF_TIMEOUT)
    };
    Box::pin(async move {
        match placement {
            Placement::Entered => {
                lifespan.enter().await?;
                Ok(None)
            }
            Placement::Dropped { at_once } => {
                let running = lifespan.start().await?.erased();
                let held = Held {
                    index,
                    journal,
                    running: Some(running),
                };
                Ok((!at_once).then_some(held))
            }
        }
    })
}

/// Every failure inside `error`, however nested: `Several` and failed parents whose
/// source is another lifespan error are opened up.
fn leaves(error: &Error, into: &mut Vec<Reported>) {
    if error.kind() == ErrorKind::Several {
        for nested in error.errors() {
            leaves(nested, into);
        }
        return;
    }
    into.push((
        error.name().to_owned(),
        error.origin(),
        error.kind(),
        error.to_string(),
    ));
    if let Some(source) = error.downcast_ref::<Error>() {
        leaves(source, into);
    }
}

/// What a run left to check.
struct Outcome {
    journal: Vec<Ev>,
    /// Every failure reported, by the startup and by the teardown.
    errors: Vec<Reported>,
    /// From the first call to `shutdown` to the end of the one that reported.
    teardown: Duration,
    /// The first call was cut short by its outer timeout.
    cut_short: bool,
    /// What the calls to `shutdown` after the one that reported returned.
    later: Vec<Result<(), Error>>,
    /// What the teardown that reported returned, as text: later calls return the same.
    reported: Option<String>,
}

/// Runs the tree and tears it down as `how` says.
fn run(flat: Arc<Vec<Flat>>, wait: Duration, how: Teardown) -> Outcome {
    let journal = Journal::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let scope = Scope::with_shutdown_timeout(DEADLINE);
        let started = scope.enter(from_fn("root", {
            let (flat, journal) = (flat.clone(), journal.clone());
            move |yielder| async move {
                let held = start(flat, 0, journal).await?;
                yielder.yield_app(()).await;
                drop(held);
                Ok::<(), Error>(())
            }
        }));
        let startup = started.await.err();
        tokio::time::sleep(wait).await;
        let began = tokio::time::Instant::now();
        let mut later = Vec::new();
        let (teardown, cut_short) = match how {
            Teardown::Once => (scope.shutdown().await, false),
            Teardown::Cut(cut) => match tokio::time::timeout(cut, scope.shutdown()).await {
                Ok(first) => {
                    later.push(scope.shutdown().await);
                    (first, false)
                }
                Err(_) => (scope.shutdown().await, true),
            },
        };
        let took = began.elapsed();
        // Stops nothing twice, and returns the same result.
        later.push(scope.shutdown().await);
        // What dropped `Running`s had started stops on tasks of its own, each within a
        // shutdown timeout: let them finish.
        tokio::time::sleep(2 * DEADLINE).await;
        let mut errors = Vec::new();
        for error in startup.iter().chain(teardown.as_ref().err()) {
            leaves(error, &mut errors);
        }
        Outcome {
            journal: Vec::new(),
            errors,
            teardown: took,
            cut_short,
            later,
            reported: teardown.as_ref().err().map(ToString::to_string),
        }
    });
    let journal = journal.lock().unwrap().clone();
    Outcome { journal, ..outcome }
}

/// What a case exercised of what the model is there to check. Summed over a run, as
/// the number of cases that exercised each, every one must have happened.
#[derive(Debug, Default)]
struct Exercised {
    /// Sibling parts whose startups overlapped and whose stops overlapped.
    concurrent_stops: usize,
    /// Sibling parts of one concurrent group of which one registered before the other
    /// began: the rule "stopped before every part running when it began", inside a
    /// concurrent group.
    staggered: usize,
    /// First `shutdown` calls cut short mid-teardown.
    cut_short: usize,
    /// Dropped `Running`s below which a part had started.
    dropped_with_descendants: usize,
}

impl Exercised {
    /// Counts the cases that exercised each.
    fn add(&mut self, case: &Exercised) {
        self.concurrent_stops += usize::from(case.concurrent_stops > 0);
        self.staggered += usize::from(case.staggered > 0);
        self.cut_short += usize::from(case.cut_short > 0);
        self.dropped_with_descendants += usize::from(case.dropped_with_descendants > 0);
    }
}

/// The journal, asked.
struct Seen<'a>(&'a [Ev]);

impl Seen<'_> {
    fn at(&self, event: Ev) -> Option<usize> {
        self.0.iter().position(|seen| *seen == event)
    }

    fn count(&self, event: Ev) -> usize {
        self.0.iter().filter(|seen| **seen == event).count()
    }

    /// Where the stop of `index` and all it stops ended: its shutdown half, its tasks,
    /// and the same of its entered children, recursively. (A dropped child's subtree
    /// stops on its own.) `None` when nothing of it stopped.
    fn stop_ended(&self, flat: &[Flat], index: usize) -> Option<usize> {
        let own = self
            .0
            .iter()
            .rposition(|seen| matches!(seen, Ev::HalfEnded(n) | Ev::TaskEnded(n) if *n == index));
        flat[index]
            .children
            .iter()
            .filter(|&&child| flat[child].node.placement == Placement::Entered)
            .filter_map(|&child| self.stop_ended(flat, child))
            .chain(own)
            .max()
    }
}

fn check(root: &Node, wait: Duration, how: Teardown) -> Result<Exercised, TestCaseError> {
    let mut flat = Vec::new();
    flatten(root, None, &mut flat);
    let flat = Arc::new(flat);
    let outcome = run(flat.clone(), wait, how);
    let seen = Seen(&outcome.journal);
    let errors = &outcome.errors;
    let mut exercised = Exercised {
        cut_short: usize::from(outcome.cut_short),
        ..Exercised::default()
    };
    let registered = |index: usize| seen.at(Ev::Registered(index));
    let entered = |index: usize| flat[index].node.placement == Placement::Entered;
    let deadline_hit = errors
        .iter()
        .any(|(_, _, _, text)| text.contains("left of the shutdown deadline"));

    for (index, part) in flat.iter().enumerate() {
        let name = &part.name;
        let halts = seen.count(Ev::Halting(index));
        // Exactly once for every part entered that started; never for one that did not,
        // nor for one whose `Running` was dropped.
        let expected = usize::from(registered(index).is_some() && entered(index));
        prop_assert_eq!(halts, expected, "{} stopped {} times", name, halts);
        if let Placement::Dropped { .. } = part.node.placement {
            if registered(index).is_some() {
                prop_assert_eq!(seen.count(Ev::Dropped(index)), 1);
                if descendants(&flat, index).any(|below| registered(below).is_some()) {
                    exercised.dropped_with_descendants += 1;
                }
            }
        }
        // Children after their owner: after its shutdown half began, or after its
        // `Running` was dropped.
        let owner_stopping = seen
            .at(Ev::Halting(index))
            .or_else(|| seen.at(Ev::Dropped(index)));
        for &child in &part.children {
            if let (Some(child_halting), Some(owner)) =
                (seen.at(Ev::Halting(child)), owner_stopping)
            {
                prop_assert!(
                    child_halting > owner,
                    "{} stopped before its owner {}",
                    flat[child].name,
                    name
                );
            }
        }
        // Teardown follows what startup proved: a part whose startup began after a
        // sibling had registered stops, with all it stops, before that sibling's shutdown
        // half begins.
        let siblings: Vec<usize> = part
            .children
            .iter()
            .copied()
            .filter(|&child| entered(child))
            .collect();
        for &earlier in &siblings {
            let Some(earlier_registered) = registered(earlier) else {
                continue;
            };
            for &later in &siblings {
                let Some(later_began) = seen.at(Ev::Began(later)) else {
                    continue;
                };
                if later == earlier || later_began < earlier_registered {
                    continue;
                }
                if part.node.concurrent && registered(later).is_some() {
                    exercised.staggered += 1;
                }
                let (Some(ended), Some(halting)) =
                    (seen.stop_ended(&flat, later), seen.at(Ev::Halting(earlier)))
                else {
                    continue;
                };
                prop_assert!(
                    ended < halting,
                    "{} began while {} was running, but was still stopping when the shutdown \
                     half of {} began",
                    flat[later].name,
                    flat[earlier].name,
                    flat[earlier].name
                );
            }
        }
        // Overlapping startups, overlapping stops: counted, to show the model reaches it.
        for (number, &a) in siblings.iter().enumerate() {
            for &b in &siblings[number + 1..] {
                let (Some(a_began), Some(b_began), Some(a_registered), Some(b_registered)) = (
                    seen.at(Ev::Began(a)),
                    seen.at(Ev::Began(b)),
                    registered(a),
                    registered(b),
                ) else {
                    continue;
                };
                let (Some(a_halting), Some(b_halting), Some(a_ended), Some(b_ended)) = (
                    seen.at(Ev::Halting(a)),
                    seen.at(Ev::Halting(b)),
                    seen.stop_ended(&flat, a),
                    seen.stop_ended(&flat, b),
                ) else {
                    continue;
                };
                let startups_overlapped = a_began < b_registered && b_began < a_registered;
                if startups_overlapped && a_halting < b_ended && b_halting < a_ended {
                    exercised.concurrent_stops += 1;
                }
            }
        }

        // What failed below a dropped `Running` is logged, not reported: not checked.
        if registered(index).is_none() || below_dropped(&flat, index) {
            continue;
        }
        // Every injected shutdown failure is reported, as what it was.
        let expected = match part.node.shutdown {
            Act::Fail => Some(ErrorKind::Failed),
            Act::Panic => Some(ErrorKind::Panicked),
            Act::Hang => Some(ErrorKind::TimedOut),
            Act::Ok | Act::Slow => None,
        };
        let reported: Vec<ErrorKind> = errors
            .iter()
            .filter(|(who, stage, _, _)| who == name && *stage == Origin::Shutdown)
            .map(|(_, _, kind, _)| *kind)
            .collect();
        match expected {
            Some(kind) => prop_assert!(
                reported == [kind] || (deadline_hit && reported == [ErrorKind::TimedOut]),
                "{}: expected {:?}, reported {:?}",
                name,
                kind,
                reported
            ),
            // None invented: only the exhausted deadline may cut a healthy half.
            None => prop_assert!(
                reported.is_empty() || (deadline_hit && reported == [ErrorKind::TimedOut]),
                "{}: healthy, but reported {:?}",
                name,
                reported
            ),
        }
        // Every failing task of a started part is reported. A task that ignores shutdown
        // may instead be cut short with what encloses it, when an outer limit ends at the
        // same instant as its own: then that enclosing teardown is reported timed out.
        let enclosing_timed_out = errors.iter().any(|(who, stage, kind, _)| {
            *kind == ErrorKind::TimedOut
                && (*stage == Origin::Hook
                    || ancestors(&flat, index).any(|ancestor| flat[ancestor].name == *who))
        });
        for (number, task) in part.node.tasks.iter().enumerate() {
            let task_name = format!("{name}-task{number}");
            let reported = errors
                .iter()
                .any(|(who, stage, _, _)| *who == task_name && *stage == Origin::Task);
            match task {
                Task::Fail => prop_assert!(reported, "{} was not reported", task_name),
                Task::IgnoreShutdown => prop_assert!(
                    reported || enclosing_timed_out,
                    "{} was not reported",
                    task_name
                ),
                Task::Finish => prop_assert!(!reported, "{} finished, but was reported", task_name),
            }
        }
    }
    // A panic at startup is one that was scripted; a timeout at startup needs something
    // slow below it: a startup timeout covers the children's startups and rollbacks.
    for (who, stage, kind, _) in errors {
        let Some(part) = flat.iter().find(|part| part.name == *who) else {
            continue;
        };
        if *stage != Origin::Startup {
            continue;
        }
        match kind {
            ErrorKind::Panicked => {
                prop_assert_eq!(part.node.startup, Act::Panic, "{} panicked", who)
            }
            ErrorKind::TimedOut => prop_assert!(
                slow_below(&part.node),
                "{} timed out with nothing slow",
                who
            ),
            _ => {}
        }
    }
    // The whole teardown fits in the global deadline, cut short or not.
    prop_assert!(
        outcome.teardown <= DEADLINE + Duration::from_millis(1),
        "teardown took {:?}",
        outcome.teardown
    );
    // Calls after the one that reported stop nothing twice (the journal above) and
    // return the same result.
    for later in &outcome.later {
        let later = later.as_ref().err().map(ToString::to_string);
        prop_assert_eq!(&later, &outcome.reported, "a later shutdown() differed");
    }
    Ok(exercised)
}

/// The parts above `index`, nearest first.
fn ancestors(flat: &[Flat], index: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(flat[index].parent, |&above| flat[above].parent)
}

/// The parts below `index`, at any depth.
fn descendants(flat: &[Flat], index: usize) -> impl Iterator<Item = usize> + '_ {
    let mut stack = flat[index].children.clone();
    std::iter::from_fn(move || {
        let next = stack.pop()?;
        stack.extend(&flat[next].children);
        Some(next)
    })
}

/// Whether `index` or a part above it was started with `start()` and dropped.
fn below_dropped(flat: &[Flat], index: usize) -> bool {
    std::iter::once(index)
        .chain(ancestors(flat, index))
        .any(|part| flat[part].node.placement != Placement::Entered)
}

/// Whether anything in `node`'s subtree can take time: a slow or hanging half, a pause
/// or a lead, or a task that ignores shutdown.
fn slow_below(node: &Node) -> bool {
    let slow = |act: Act| matches!(act, Act::Slow | Act::Hang);
    slow(node.startup)
        || slow(node.shutdown)
        || matches!(node.pause, Pause::Sleep(_))
        || node.tasks.contains(&Task::IgnoreShutdown)
        || node
            .children
            .iter()
            .any(|child| (node.concurrent && child.lead > 0) || slow_below(child))
}

/// Enough that each move of the model is exercised in some case, all but surely (the
/// rarest, in about 4% of cases), in well under a second.
const DEFAULT_CASES: u32 = 512;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // Relative to the package: `cargo test` runs this binary there.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/model.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    }
}

#[test]
fn random_trees_keep_every_guarantee() {
    let exercised = RefCell::new(Exercised::default());
    let mut runner = TestRunner::new(config());
    let cases = (tree(), 0_u64..3_000, teardown());
    let result = runner.run(&cases, |(root, wait_ms, how)| {
        let seen = check(&root, Duration::from_millis(wait_ms), how)?;
        exercised.borrow_mut().add(&seen);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
    let exercised = exercised.into_inner();
    eprintln!("cases that exercised each move: {exercised:?}");
    if runner.config().cases < DEFAULT_CASES {
        return;
    }
    assert!(exercised.concurrent_stops > 0, "{exercised:?}");
    assert!(exercised.staggered > 0, "{exercised:?}");
    assert!(exercised.cut_short > 0, "{exercised:?}");
    assert!(exercised.dropped_with_descendants > 0, "{exercised:?}");
}

/// A node with neither faults nor pauses, no children and no tasks: the base of the
/// hand-written cases below.
fn plain() -> Node {
    Node {
        startup: Act::Ok,
        shutdown: Act::Ok,
        pause: Pause::None,
        lead: 0,
        placement: Placement::Entered,
        concurrent: false,
        tasks: Vec::new(),
        children: Vec::new(),
    }
}

/// The cases the first runs shrank to, written out: the regressions file keeps seeds,
/// which mean other trees once the generator changes.
#[test]
fn the_first_runs_shrunk_cases_keep_every_guarantee() {
    let cases = [
        // A rollback had no deadline.
        Node {
            children: vec![Node {
                startup: Act::Fail,
                children: vec![Node {
                    tasks: vec![Task::IgnoreShutdown],
                    ..plain()
                }],
                ..plain()
            }],
            ..plain()
        },
        // A task group whose stop was cut short left its tasks running.
        Node {
            children: vec![Node {
                children: vec![
                    Node {
                        tasks: vec![Task::IgnoreShutdown],
                        ..plain()
                    },
                    Node {
                        startup: Act::Fail,
                        children: vec![Node {
                            shutdown: Act::Fail,
                            ..plain()
                        }],
                        ..plain()
                    },
                ],
                ..plain()
            }],
            ..plain()
        },
        Node {
            children: vec![plain(), plain()],
            ..plain()
        },
    ];
    for root in &cases {
        check(root, Duration::ZERO, Teardown::Once).unwrap();
    }
}

/// Each move of the model, in a case of its own, exercised for certain.
#[test]
fn each_move_is_exercised_in_a_case_of_its_own() {
    // Startups that overlap (each awaits once), stops that overlap (each half is slow).
    let together = Node {
        concurrent: true,
        children: vec![
            Node {
                pause: Pause::Yield,
                shutdown: Act::Slow,
                ..plain()
            };
            2
        ],
        ..plain()
    };
    // In one concurrent group, `n1` registers before `n2` begins: `n2` stops first.
    let staggered = Node {
        concurrent: true,
        children: vec![
            plain(),
            Node {
                lead: 100,
                shutdown: Act::Slow,
                ..plain()
            },
        ],
        ..plain()
    };
    // A `Running` dropped at once, and one dropped when its owner's half begins, each
    // with a child and a task that ignores shutdown.
    let dropped = |at_once| Node {
        placement: Placement::Dropped { at_once },
        tasks: vec![Task::IgnoreShutdown],
        children: vec![Node {
            shutdown: Act::Slow,
            ..plain()
        }],
        ..plain()
    };
    let dropped = Node {
        children: vec![dropped(true), dropped(false)],
        ..plain()
    };
    let cases = [
        (together, Teardown::Once),
        (staggered, Teardown::Once),
        (dropped, Teardown::Once),
        // A failure, then a slow part that the first `shutdown()` does not wait out: the
        // second call reports the failure.
        (
            Node {
                shutdown: Act::Fail,
                children: vec![Node {
                    shutdown: Act::Slow,
                    ..plain()
                }],
                ..plain()
            },
            Teardown::Cut(Duration::from_millis(100)),
        ),
    ];
    let mut exercised = Exercised::default();
    for (root, how) in &cases {
        exercised.add(&check(root, Duration::ZERO, *how).unwrap());
    }
    assert_eq!(exercised.concurrent_stops, 1, "{exercised:?}");
    assert_eq!(exercised.staggered, 1, "{exercised:?}");
    assert_eq!(exercised.dropped_with_descendants, 1, "{exercised:?}");
    assert_eq!(exercised.cut_short, 1, "{exercised:?}");
}

/// A part whose startup takes `startup` and whose shutdown half takes `shutdown`,
/// logging when the half begins and ends.
fn timed(
    journal: &Arc<Mutex<Vec<String>>>,
    name: &'static str,
    startup: Duration,
    shutdown: Duration,
) -> impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static {
    let journal = journal.clone();
    from_fn(name, move |yielder| async move {
        tokio::time::sleep(startup).await;
        yielder.yield_app(()).await;
        journal.lock().unwrap().push(format!("stopping {name}"));
        tokio::time::sleep(shutdown).await;
        journal.lock().unwrap().push(format!("stopped {name}"));
    })
}

/// The model's shrunk case (kept in the regressions file) in the shape users write:
/// `first` then `second`, one after another in one branch of a `try_join!` (so `second`
/// may hold `first`'s value), beside `slow`, whose startup overlaps both. `second` began
/// once `first` was running, so it must stop before `first`; `slow` may stop beside
/// either.
#[tokio::test(start_paused = true)]
async fn a_part_stops_before_a_sibling_running_when_it_began_though_a_third_overlaps_both() {
    let journal = Arc::new(Mutex::new(Vec::new()));
    let scope = Scope::new();
    let ms = Duration::from_millis;
    let chain = async {
        scope
            .enter(timed(&journal, "first", ms(100), Duration::ZERO))
            .await?;
        scope
            .enter(timed(&journal, "second", ms(100), ms(50)))
            .await
    };
    tokio::try_join!(
        scope.enter(timed(&journal, "slow", ms(300), Duration::ZERO)),
        chain
    )
    .unwrap();
    scope.shutdown().await.unwrap();
    let journal = journal.lock().unwrap().clone();
    let at = |entry: &str| journal.iter().position(|e| e == entry).unwrap();
    assert!(
        at("stopped second") < at("stopping first"),
        "`first` stopped while `second` was still stopping: {journal:?}"
    );
}
