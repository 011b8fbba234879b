//! Deep nesting: each lifespan's body enters the next one, a thousand levels deep, on a
//! thread with a 2 MiB stack, in the debug build that `cargo test` makes. Startup polls
//! through every level at once, so its stack use per level decides how deep an app can
//! nest; teardown is iterative and must not care.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use lifespan::{Lifespan, lifespan, yield_app};
use lifespan_runtime::{BoxError, Error, Scope, from_fn};

const LEVELS: usize = 1_000;

/// The stack of a thread that tokio or a user would spawn: tokio's workers get 2 MiB.
const STACK: usize = 2 << 20;

/// What each level did, in order: `Begin(k)` when its body began, `Started(k)` when it
/// yielded, `Stopped(k)` when its shutdown half ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Begin(usize),
    Started(usize),
    Stopped(usize),
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Step>>>);

impl Log {
    fn push(&self, step: Step) {
        self.0.lock().unwrap().push(step);
    }

    fn steps(&self) -> Vec<Step> {
        self.0.lock().unwrap().clone()
    }
}

/// How a body enters the next level.
#[derive(Clone, Copy)]
enum How {
    /// `next.enter().await`
    Method,
    /// `lifespan::enter(next).await`
    Free,
}

type Entering = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// Level `level` of `levels`, written with `from_fn`. The next level is entered through
/// a box, as a recursive async fn must be; a chain of distinct `#[lifespan]` fns needs
/// none, and nests the same way.
fn level(
    level: usize,
    levels: usize,
    log: Log,
    how: How,
) -> impl Lifespan<Value = (), Error = Error> {
    from_fn("level", move |yielder| async move {
        log.push(Step::Begin(level));
        if level + 1 < levels {
            enter_next(level + 1, levels, log.clone(), how).await?;
        }
        log.push(Step::Started(level));
        yielder.yield_app(()).await;
        log.push(Step::Stopped(level));
        Ok(())
    })
}

fn enter_next(next: usize, levels: usize, log: Log, how: How) -> Entering {
    let lifespan = level(next, levels, log, how);
    match how {
        How::Method => Box::pin(lifespan.enter()),
        How::Free => Box::pin(lifespan_runtime::enter(lifespan)),
    }
}

/// The same, written with `#[lifespan]` as users write it.
#[lifespan]
async fn macro_level(level: usize, levels: usize, log: Log) -> Result<(), Error> {
    log.push(Step::Begin(level));
    if level + 1 < levels {
        enter_macro_level(level + 1, levels, log.clone()).await?;
    }
    log.push(Step::Started(level));
    yield_app!();
    log.push(Step::Stopped(level));
    Ok(())
}

fn enter_macro_level(next: usize, levels: usize, log: Log) -> Entering {
    Box::pin(macro_level(next, levels, log).enter())
}

/// Runs `work` on a current-thread runtime, on a thread with a 2 MiB stack.
fn on_small_stack<F, Fut>(work: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    std::thread::Builder::new()
        .name("nesting".into())
        .stack_size(STACK)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(work());
        })
        .unwrap()
        .join()
        .expect("the nested lifespans ran to the end");
}

/// Every level began in order, finished starting innermost first, and stopped in the
/// reverse of that: outermost first, each before the levels it had entered.
fn assert_nested_order(log: &Log) {
    let steps = log.steps();
    let begun: Vec<Step> = (0..LEVELS).map(Step::Begin).collect();
    let started: Vec<Step> = (0..LEVELS).rev().map(Step::Started).collect();
    let stopped: Vec<Step> = (0..LEVELS).map(Step::Stopped).collect();
    assert_eq!(steps.len(), 3 * LEVELS);
    assert_eq!(steps[..LEVELS], begun[..], "bodies begin outermost first");
    assert_eq!(
        steps[LEVELS..2 * LEVELS],
        started[..],
        "startups end innermost first"
    );
    assert_eq!(
        steps[2 * LEVELS..],
        stopped[..],
        "teardown is the reverse of startup"
    );
}

fn a_thousand_levels_entered_in_a_scope(how: How) {
    let log = Log::default();
    let seen = log.clone();
    on_small_stack(move || async move {
        let scope = Scope::new();
        scope.enter(level(0, LEVELS, log, how)).await.unwrap();
        scope.shutdown().await.unwrap();
    });
    assert_nested_order(&seen);
}

#[test]
fn a_thousand_levels_nested_with_enter_method_fit_a_2_mib_thread() {
    a_thousand_levels_entered_in_a_scope(How::Method);
}

#[test]
fn a_thousand_levels_nested_with_free_enter_fit_a_2_mib_thread() {
    a_thousand_levels_entered_in_a_scope(How::Free);
}

#[test]
fn a_thousand_levels_of_lifespan_fns_fit_a_2_mib_thread() {
    let log = Log::default();
    let seen = log.clone();
    on_small_stack(move || async move {
        let scope = Scope::new();
        scope.enter(macro_level(0, LEVELS, log)).await.unwrap();
        scope.shutdown().await.unwrap();
    });
    assert_nested_order(&seen);
}

#[test]
fn a_thousand_levels_started_and_stopped_without_a_scope_fit_a_2_mib_thread() {
    let log = Log::default();
    let seen = log.clone();
    on_small_stack(move || async move {
        let running = level(0, LEVELS, log, How::Method).start().await.unwrap();
        running.stop().await.unwrap();
    });
    assert_nested_order(&seen);
}

/// How the innermost level of a deep startup ends.
#[derive(Clone, Copy)]
enum Innermost {
    /// Its startup fails: every level rolls back.
    Fails,
    /// Its startup never finishes: only dropping the whole startup ends it.
    Hangs,
}

/// Level `level` of `levels`, whose innermost level ends as `innermost` says.
fn deep_level(
    level: usize,
    levels: usize,
    innermost: Innermost,
    log: Log,
) -> impl Lifespan<Value = (), Error = BoxError> {
    from_fn("deep", move |yielder| async move {
        log.push(Step::Begin(level));
        if level + 1 == levels {
            match innermost {
                Innermost::Fails => return Err("the innermost level failed".into()),
                Innermost::Hangs => std::future::pending::<()>().await,
            }
        }
        enter_deep(level + 1, levels, innermost, log.clone()).await?;
        yielder.yield_app(()).await;
        Ok(())
    })
}

fn enter_deep(next: usize, levels: usize, innermost: Innermost, log: Log) -> Entering {
    Box::pin(deep_level(next, levels, innermost, log).enter())
}

#[test]
fn a_failure_a_thousand_levels_down_rolls_every_level_back_on_a_2_mib_thread() {
    let log = Log::default();
    let seen = log.clone();
    on_small_stack(move || async move {
        let scope = Scope::new();
        let error = scope
            .enter(deep_level(0, LEVELS, Innermost::Fails, log))
            .await
            .unwrap_err();
        assert_eq!(error.name(), "deep");
        scope.shutdown().await.unwrap();
    });
    let begun: Vec<Step> = (0..LEVELS).map(Step::Begin).collect();
    assert_eq!(seen.steps(), begun);
}

#[test]
fn a_startup_a_thousand_levels_deep_dropped_halfway_is_stopped_on_a_2_mib_thread() {
    let log = Log::default();
    let seen = log.clone();
    on_small_stack(move || async move {
        let scope = Scope::new();
        let entering = scope.enter(deep_level(0, LEVELS, Innermost::Hangs, log));
        let cut = tokio::time::timeout(std::time::Duration::from_millis(10), entering).await;
        assert!(cut.is_err(), "the innermost level never starts");
        // The scope inherited what the dropped startup had entered, and stops it.
        scope.shutdown().await.unwrap();
    });
    let begun: Vec<Step> = (0..LEVELS).map(Step::Begin).collect();
    assert_eq!(seen.steps(), begun);
}
