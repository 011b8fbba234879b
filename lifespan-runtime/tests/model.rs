//! Model-based property test: random trees of lifespans with faults injected in each
//! half and in spawned tasks, run on a paused clock, and checked against what the
//! guarantees say must have happened.
//!
//! ```text
//! cargo test -p lifespan-runtime --test model                        # 64 cases
//! PROPTEST_CASES=10000 cargo test -p lifespan-runtime --release --test model
//! ```
//!
//! Shrunk failures are kept by proptest in `tests/model.proptest-regressions` and
//! replayed first on every run; commit that file with the fix.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifespan_runtime::{BoxError, Error, ErrorKind, Lifespan, Origin, Scope, from_fn};
use proptest::prelude::*;

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

#[derive(Clone, Debug)]
struct Node {
    startup: Act,
    shutdown: Act,
    /// Children entered with `try_join_all` rather than one after another.
    concurrent: bool,
    tasks: Vec<Task>,
    children: Vec<Node>,
}

/// A node with its name and its children's indexes, flattened for the checks.
struct Flat {
    name: String,
    node: Node,
    children: Vec<usize>,
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

fn tree() -> impl Strategy<Value = Node> {
    let leaf = (act(), act(), prop::collection::vec(task(), 0..2)).prop_map(
        |(startup, shutdown, tasks)| Node {
            startup,
            shutdown,
            concurrent: false,
            tasks,
            children: Vec::new(),
        },
    );
    leaf.prop_recursive(4, 50, 4, |inner| {
        (
            act(),
            act(),
            any::<bool>(),
            prop::collection::vec(task(), 0..2),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(startup, shutdown, concurrent, tasks, children)| Node {
                startup,
                shutdown,
                concurrent,
                tasks,
                children,
            })
    })
}

fn flatten(node: &Node, flat: &mut Vec<Flat>) -> usize {
    let index = flat.len();
    flat.push(Flat {
        name: format!("n{index}"),
        node: node.clone(),
        children: Vec::new(),
    });
    let children = node
        .children
        .iter()
        .map(|child| flatten(child, flat))
        .collect();
    flat[index].children = children;
    index
}

type Journal = Arc<Mutex<Vec<String>>>;
/// A reported failure: who, when, what kind, and its message.
type Reported = (String, Origin, ErrorKind, String);
type Entering = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

fn log(journal: &Journal, entry: String) {
    journal.lock().unwrap().push(entry);
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

/// Enters node `index` in the current scope; boxed, because lifespans nest.
fn enter(flat: Arc<Vec<Flat>>, index: usize, journal: Journal) -> Entering {
    let name = flat[index].name.clone();
    let lifespan = from_fn(name.clone(), move |yielder| async move {
        let node = &flat[index];
        let children = node
            .children
            .iter()
            .map(|&child| enter(flat.clone(), child, journal.clone()));
        if node.node.concurrent {
            futures_util::future::try_join_all(children).await?;
        } else {
            for child in children {
                child.await?;
            }
        }
        perform(node.node.startup, &format!("startup of {name}")).await?;
        for (number, &task) in node.node.tasks.iter().enumerate() {
            lifespan_runtime::spawn(format!("{name}-task{number}"), async move {
                match task {
                    Task::Finish => Ok(()),
                    Task::Fail => Err::<(), BoxError>("task failed".into()),
                    Task::IgnoreShutdown => std::future::pending().await,
                }
            });
        }
        log(&journal, format!("started {name}"));
        yielder.yield_app(()).await;
        log(&journal, format!("stopping {name}"));
        perform(node.node.shutdown, &format!("shutdown of {name}")).await
    })
    .startup_timeout(HALF_TIMEOUT)
    .shutdown_timeout(HALF_TIMEOUT);
    Box::pin(lifespan.enter())
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

/// Runs the tree; returns the journal, every failure reported, and teardown's time.
fn run(flat: Arc<Vec<Flat>>, wait: Duration) -> (Vec<String>, Vec<Reported>, Duration) {
    let journal = Journal::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (errors, teardown) = runtime.block_on(async {
        let scope = Scope::with_shutdown_timeout(DEADLINE);
        let started = scope.enter(from_fn("root", {
            let (flat, journal) = (flat.clone(), journal.clone());
            move |yielder| async move {
                enter(flat, 0, journal).await?;
                yielder.yield_app(()).await;
                Ok::<(), Error>(())
            }
        }));
        let startup = started.await.err();
        tokio::time::sleep(wait).await;
        let began = tokio::time::Instant::now();
        let teardown = scope.shutdown().await.err();
        let mut errors = Vec::new();
        for error in startup.iter().chain(teardown.iter()) {
            leaves(error, &mut errors);
        }
        (errors, began.elapsed())
    });
    let journal = journal.lock().unwrap().clone();
    (journal, errors, teardown)
}

fn position(journal: &[String], entry: &str) -> Option<usize> {
    journal.iter().position(|logged| logged == entry)
}

fn check(root: &Node, wait: Duration) -> Result<(), TestCaseError> {
    let mut flat = Vec::new();
    flatten(root, &mut flat);
    let flat = Arc::new(flat);
    let (journal, errors, teardown) = run(flat.clone(), wait);
    let started = |name: &str| position(&journal, &format!("started {name}"));
    let stopping = |name: &str| position(&journal, &format!("stopping {name}"));
    let deadline_hit = errors
        .iter()
        .any(|(_, _, _, text)| text.contains("left of the shutdown deadline"));

    for part in flat.iter() {
        let name = &part.name;
        let stops = journal
            .iter()
            .filter(|entry| **entry == format!("stopping {name}"))
            .count();
        // Exactly once for every part that started; never for one that did not.
        prop_assert_eq!(
            stops,
            usize::from(started(name).is_some()),
            "{} stopped {} times",
            name,
            stops
        );
        if started(name).is_none() {
            continue;
        }
        // Children after their owner, and in reverse of the order they started.
        let mut children: Vec<&str> = part
            .children
            .iter()
            .map(|&child| flat[child].name.as_str())
            .filter(|child| started(child).is_some())
            .collect();
        for child in &children {
            prop_assert!(
                stopping(child) > stopping(name),
                "{} stopped before its owner {}",
                child,
                name
            );
        }
        children.sort_by_key(|child| started(child));
        for pair in children.windows(2) {
            prop_assert!(
                stopping(pair[1]) < stopping(pair[0]),
                "{} and {} stopped in start order",
                pair[0],
                pair[1]
            );
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
                    || ancestors(&flat, name).any(|ancestor| ancestor == who))
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
    for (who, stage, kind, _) in &errors {
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
    // The whole teardown fits in the global deadline.
    prop_assert!(
        teardown <= DEADLINE + Duration::from_millis(1),
        "teardown took {:?}",
        teardown
    );
    Ok(())
}

/// The names of the parts above `name`, nearest first.
fn ancestors<'a>(flat: &'a [Flat], name: &'a str) -> impl Iterator<Item = &'a String> + 'a {
    let mut current = name.to_owned();
    std::iter::from_fn(move || {
        let parent = flat.iter().find(|part| {
            part.children
                .iter()
                .any(|&child| flat[child].name == current)
        })?;
        current = parent.name.clone();
        Some(&parent.name)
    })
}

/// Whether anything in `node`'s subtree can take time: a slow or hanging half, or a
/// task that ignores shutdown.
fn slow_below(node: &Node) -> bool {
    let slow = |act: Act| matches!(act, Act::Slow | Act::Hang);
    slow(node.startup)
        || slow(node.shutdown)
        || node.tasks.contains(&Task::IgnoreShutdown)
        || node.children.iter().any(slow_below)
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64);
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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_trees_keep_every_guarantee(root in tree(), wait_ms in 0_u64..3_000) {
        check(&root, Duration::from_millis(wait_ms))?;
    }
}
