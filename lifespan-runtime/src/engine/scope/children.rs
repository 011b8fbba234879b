//! What a scope stops at teardown: entered lifespans, groups of tasks, hooks.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{self, Either};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::error::{BoxError, Error, Name, Origin, TimeoutCause};
use crate::outcome::Outcome;
use crate::time::{effective_limit, overran, within};

use super::Scope;
use super::current::{in_scope, in_task};
use crate::engine::suspended::{Stoppable, Suspended};

/// One entry of a scope's exit stack.
pub(in crate::engine) enum Child {
    Lifespan(Suspended<dyn Stoppable + Send>),
    Tasks(TaskGroup),
    Hook(Hook),
    /// The scope of a startup dropped before it finished: what it had entered, stopped
    /// in its place like the children of any scope.
    Orphans(Scope),
    /// The rollback of a failed startup whose caller dropped it halfway: finished in its
    /// place, within its own deadline, and reported with the startup's failure.
    Rollback(Rollback),
}

/// A child with its place in the teardown order. `seq` counts the scope's
/// registrations; `began_after` is how many had been registered when the child's
/// startup began (its own `seq` for a child with no startup). A child must stop before
/// every child that was already registered when it began; two children of which
/// neither was registered when the other began (their startups overlapped, so neither
/// can hold the other's value) stop together.
pub(in crate::engine) struct Registered {
    pub(in crate::engine) child: Child,
    pub(in crate::engine) seq: u64,
    pub(in crate::engine) began_after: u64,
}

/// The children a teardown stops next: one, as in a scope entered in sequence, or
/// several whose startups overlapped, which stop concurrently.
pub(in crate::engine) enum Batch {
    One(Child),
    Together(Vec<Child>),
}

/// A rollback handed over by a dropped `Start`.
pub(in crate::engine) struct Rollback {
    pub(in crate::engine) failure: Option<Error>,
    pub(in crate::engine) rest: Pin<Box<dyn Future<Output = Vec<Error>> + Send>>,
}

impl Rollback {
    /// The name of the lifespan whose startup failed, for what is logged about it.
    pub(in crate::engine) fn name(&self) -> Name {
        match &self.failure {
            Some(error) => Name::Owned(error.name().to_owned()),
            None => Name::Borrowed("a failed startup"),
        }
    }

    /// The startup's failure, then every failure of the rest of its rollback.
    pub(in crate::engine) async fn finish(self) -> Vec<Error> {
        let mut errors: Vec<Error> = self.failure.into_iter().collect();
        errors.extend(self.rest.await);
        errors
    }
}

/// Tasks spawned one after another, with nothing entered or registered in between.
///
/// They stop together: at teardown the group waits for all of them, within what is
/// left of the deadline, then aborts the rest. A long-running server that spawns a task
/// per connection keeps one group, whose tracker counts live tasks only, so memory does
/// not grow with the number of tasks ever spawned.
///
/// Their turn to stop comes when the teardown reaches the group, not when it begins: a
/// task spawned before a part that feeds it keeps running until that part has stopped.
pub(in crate::engine) struct TaskGroup {
    tracker: TaskTracker,
    /// Cancelled at the group's turn, or by a local shutdown request above it: what
    /// `shutdown_requested()` inside its tasks awaits.
    turn: CancellationToken,
    /// The app's: once cancelled, the group aborts its tasks at its turn, or at once if
    /// its turn has come, instead of waiting for them.
    hurry: CancellationToken,
    abort: Arc<Abort>,
}

/// Tells the tasks of a group when they must be done, and that they ran out of time.
struct Abort {
    token: CancellationToken,
    /// When the group's teardown must be over, and the limit that makes it so: set
    /// when the teardown begins, if it has a deadline.
    deadline: OnceLock<(Instant, Duration)>,
    /// The abort came from a hurried teardown, not from the deadline.
    hurried: AtomicBool,
}

impl TaskGroup {
    /// Whether none of its tasks is running: nothing to stop.
    pub(super) fn is_idle(&self) -> bool {
        self.tracker.is_empty()
    }

    /// A group told to stop by `turn`, and hurried by `hurry`.
    pub(super) fn new(turn: CancellationToken, hurry: CancellationToken) -> Self {
        TaskGroup {
            tracker: TaskTracker::new(),
            turn,
            hurry,
            abort: Arc::new(Abort {
                token: CancellationToken::new(),
                deadline: OnceLock::new(),
                hurried: AtomicBool::new(false),
            }),
        }
    }

    /// Wraps `future` as a task of this group: tracked, run in `scope`, its panics caught
    /// and its failure reported to `scope`, and returned for its handle.
    pub(super) fn track<F>(
        &self,
        scope: Scope,
        name: Name,
        future: F,
        isolated: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        let task = Task {
            scope,
            name,
            turn: self.turn.clone(),
            abort: self.abort.clone(),
            isolated,
        };
        self.tracker.track_future(task.run(future))
    }

    /// Waits for every task of the group, within what is left of `deadline`; aborts
    /// those still running then, or as soon as the teardown is hurried. Their failures
    /// go to the scope, by the tasks themselves.
    ///
    /// Dropped before it finishes (its teardown was cut short), it aborts the tasks
    /// still running rather than leave them behind.
    pub(super) async fn stop(self, deadline: Option<Instant>) {
        self.turn.cancel();
        self.tracker.close();
        let limit = effective_limit(None, deadline).map(|(limit, _)| limit);
        if let Some(limit) = limit {
            let _ = self.abort.deadline.set((Instant::now() + limit, limit));
        }
        let abort_if_dropped = self.abort.token.clone().drop_guard();
        let waited = std::pin::pin!(within(limit, self.tracker.wait()));
        let hurried = std::pin::pin!(self.hurry.cancelled());
        let finished = match future::select(waited, hurried).await {
            Either::Left((waited, _)) => waited.is_ok(),
            Either::Right(((), _)) => {
                self.abort.hurried.store(true, Ordering::Release);
                false
            }
        };
        if !finished {
            self.abort.token.cancel();
            self.tracker.wait().await;
        }
        abort_if_dropped.disarm();
    }
}

/// A task of a group, and what it needs to run and report.
struct Task {
    scope: Scope,
    name: Name,
    turn: CancellationToken,
    abort: Arc<Abort>,
    isolated: bool,
}

impl Task {
    /// Runs `future` to its end, or until aborted at the deadline; reports a failure to
    /// the scope and returns it for the task's handle.
    async fn run<F>(self, future: F) -> Result<(), Error>
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        let Task {
            scope,
            name,
            turn,
            abort,
            isolated,
        } = self;
        let span = tracing::info_span!("task", name = %name);
        let run = in_task(
            scope.reference(),
            turn,
            AssertUnwindSafe(future).catch_unwind(),
        );
        let mut run = std::pin::pin!(abort.token.run_until_cancelled(run));
        // Once the group's teardown has a deadline, each poll is timed: a task whose own
        // poll held the thread past it blocked, and is named for it.
        let mut blocked = None;
        let outcome = std::future::poll_fn(|cx| {
            let began = abort.deadline.get().map(|_| Instant::now());
            // In teardown, a service's watchdog can name this task if the poll blocks.
            let _busy = began.and(scope.ledger()).map(|ledger| {
                ledger.busy(format!("task `{name}` of `{}`, in one poll", scope.path()))
            });
            let polled = run.as_mut().poll(cx);
            // A deadline set while this poll ran (on another thread, at the group's turn)
            // counts too: the poll held its thread from before the deadline existed.
            if let Some(&(deadline, limit)) = abort.deadline.get() {
                if overran(deadline, began.unwrap_or(deadline)) {
                    blocked = Some(limit);
                }
            }
            polled
        })
        .instrument(span.clone())
        .await;
        let error = match (outcome, blocked) {
            (_, Some(limit)) => Error::timed_out(name, Origin::Task, limit, TimeoutCause::Blocked),
            (Some(Ok(output)), None) => match output.into_result() {
                Ok(()) => return Ok(()),
                Err(source) => Error::failed(name, Origin::Task, source),
            },
            (Some(Err(payload)), None) => Error::panicked(name, Origin::Task, &*payload),
            (None, None) if abort.hurried.load(Ordering::Acquire) => Error::hurried(name),
            (None, None) => {
                let limit = abort
                    .deadline
                    .get()
                    .map_or(Duration::ZERO, |&(_, limit)| limit);
                Error::timed_out(name, Origin::Task, limit, TimeoutCause::Deadline)
            }
        };
        span.in_scope(|| scope.task_failed(error.clone(), isolated));
        Err(error)
    }
}

/// A future registered with `on_shutdown`, run during teardown.
pub(in crate::engine) struct Hook {
    name: Name,
    future: Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>,
}

impl Hook {
    pub(super) fn new<F>(name: Name, future: F) -> Self
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        Hook {
            name,
            future: Box::pin(async move { future.await.into_result().map_err(Into::into) }),
        }
    }

    /// Runs the hook in `scope` within what is left of `deadline`, its panic caught.
    pub(super) async fn run(self, scope: Scope, deadline: Option<Instant>) -> Result<(), Error> {
        let Hook { name, future } = self;
        let span = tracing::info_span!("hook", name = %name);
        // A service's watchdog can name this hook if it blocks its thread.
        let _busy = scope
            .ledger()
            .map(|ledger| ledger.busy(format!("hook `{name}` of `{}`", scope.path())));
        let limit = effective_limit(None, deadline);
        let run = in_scope(scope.clone(), AssertUnwindSafe(future).catch_unwind());
        let outcome = within(limit.map(|(limit, _)| limit), run)
            .instrument(span.clone())
            .await;
        let error = match outcome {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(source))) => Error::failed(name, Origin::Hook, source),
            Ok(Err(payload)) => Error::panicked(name, Origin::Hook, &*payload),
            Err(timed_out) => {
                let (limit, cause) = limit.expect("only a limited hook times out");
                Error::timed_out(name, Origin::Hook, limit, timed_out.cause(cause))
            }
        };
        tracing::error!(parent: &span, %error, "shutdown hook failed");
        Err(error)
    }
}
