//! What a scope stops at teardown: entered lifespans, groups of tasks, hooks.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::CatchUnwind;
use futures_util::future::{self, Either};
use pin_project_lite::pin_project;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::error::{BoxError, Error, Name, Origin, TimeoutCause};
use crate::outcome::Outcome;
use crate::time::{effective_limit, overran, within};

use super::Scope;
use super::current::{InScope, in_scope, in_task, task_parts};
use super::detached::Detached;
use super::group::GroupShared;
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

    /// The same rollback, going on at once on a task of its own: its halves already run
    /// under their limits, and it stops only what its startup had entered, which nothing
    /// else can hold. Whoever stops it in its place waits for it there, at its turn.
    /// Outside a runtime it is left to be polled then.
    pub(in crate::engine) fn going_on(self) -> Rollback {
        let rest: Pin<Box<dyn Future<Output = Vec<Error>> + Send>> =
            match Detached::spawn(self.name(), self.rest) {
                Ok(running) => Box::pin(running.hold().wait()),
                Err(rest) => rest,
            };
        Rollback {
            failure: self.failure,
            rest,
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
    /// The app's: once cancelled, the group aborts its tasks at its turn, or at once if
    /// its turn has come, instead of waiting for them.
    hurry: CancellationToken,
    shared: Arc<GroupShared>,
}

/// Aborts the tasks of a group when dropped, unless disarmed: a teardown cut short
/// leaves none of them running.
struct AbortOnDrop<'a>(Option<&'a GroupShared>);

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(shared) = self.0 {
            shared.abort();
        }
    }
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
            hurry,
            shared: Arc::new(GroupShared::new(turn)),
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
        let run = in_task(
            scope,
            self.shared.clone(),
            AssertUnwindSafe(future).catch_unwind(),
        );
        let task = TaskRun {
            run,
            abort_wait: None,
            registered: None,
            name,
            span: None,
            isolated,
            first: true,
            blocked: false,
            reported: false,
        };
        self.tracker.track_future(task)
    }

    /// Waits for every task of the group, within what is left of `deadline`; aborts
    /// those still running then, or as soon as the teardown is hurried. Their failures
    /// go to the scope, by the tasks themselves.
    ///
    /// Dropped before it finishes (its teardown was cut short), it aborts the tasks
    /// still running rather than leave them behind.
    pub(super) async fn stop(self, deadline: Option<Instant>) {
        let shared = &*self.shared;
        shared.turn.cancel();
        self.tracker.close();
        let limit = effective_limit(None, deadline).map(|(limit, _)| limit);
        if let Some(limit) = limit {
            let _ = shared.deadline.set((Instant::now() + limit, limit));
        }
        let mut abort_if_dropped = AbortOnDrop(Some(shared));
        let waited = std::pin::pin!(within(limit, self.tracker.wait()));
        let hurried = std::pin::pin!(self.hurry.cancelled());
        let finished = match future::select(waited, hurried).await {
            Either::Left((waited, _)) => waited.is_ok(),
            Either::Right(((), _)) => {
                shared.hurried.store(true, Ordering::Release);
                false
            }
        };
        if !finished {
            shared.abort();
            self.tracker.wait().await;
        }
        abort_if_dropped.0 = None;
    }
}

pin_project! {
    /// A task of a group, run to its end or until aborted at the deadline or by a
    /// hurried teardown; its failure is reported to the scope and returned for its
    /// handle.
    ///
    /// Written by hand rather than as an `async fn`, whose state machine kept the
    /// task's future twice (the argument, and the pinned local it moved into) and every
    /// local besides: tokio moves and allocates the whole of it for every task.
    struct TaskRun<F> {
        #[pin]
        run: InScope<CatchUnwind<AssertUnwindSafe<F>>>,
        // What wakes the task to abort: made only once the task has gone pending (one
        // allocation, holding a clone of its group's `GroupShared`), and polled again
        // only if the task's waker changes. Each poll checks `aborted` first, which is
        // set before the token is cancelled.
        abort_wait: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
        // The waker `abort_wait` was last polled with.
        registered: Option<Waker>,
        name: Name,
        // Made at the first poll, as the `async fn` did: its parent is whatever is
        // current where the task runs, not where it was spawned.
        span: Option<tracing::Span>,
        isolated: bool,
        // Not polled yet: an abort before the first poll runs none of the task.
        first: bool,
        // Once the group's teardown has a deadline, each poll is timed: a task whose
        // own poll held the thread past it blocked, and is named for it (with the
        // deadline's limit, set once).
        blocked: bool,
        // Its end is in the ledger: else, dropped unfinished (aborted through its handle,
        // or its runtime gone), it says so as it goes.
        reported: bool,
    }

    impl<F> PinnedDrop for TaskRun<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if *this.reported {
                return;
            }
            let (scope, _) = task_parts(this.run.as_ref());
            if let Some(ledger) = scope.ledger() {
                ledger.task_ended(scope.entry(), this.name, None);
            }
        }
    }
}

impl<F> Future for TaskRun<F>
where
    F: Future,
    F::Output: Outcome,
{
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let name = &*this.name;
        let span = this
            .span
            .get_or_insert_with(|| tracing::info_span!("task", name = %name));
        let mut run = this.run;
        // The scope and the group are read from the task's `Current`, between polls:
        // the task holds no handles of its own.
        let (_, shared) = task_parts(run.as_ref());
        let aborted_first = std::mem::take(this.first) && shared.aborted.load(Ordering::Acquire);
        let outcome = if aborted_first {
            // Dropped unpolled, in its span and with its scope current, as an aborted
            // task is below.
            let _entered = span.enter();
            run.as_mut().drop_future();
            None
        } else {
            let _entered = span.enter();
            let began = shared.deadline.get().map(|_| Instant::now());
            // In teardown, a service's watchdog can name this task if the poll blocks.
            let watched = began
                .map(|_| task_parts(run.as_ref()).0)
                .filter(|scope| scope.ledger().is_some())
                .map(Scope::reference);
            let _busy = watched.as_ref().and_then(|scope| {
                scope.ledger().map(|ledger| {
                    ledger.busy(format!("task `{name}` of `{}`, in one poll", scope.path()))
                })
            });
            let polled = run.as_mut().poll(cx);
            let (_, shared) = task_parts(run.as_ref());
            let polled = match polled {
                Poll::Ready(output) => Poll::Ready(Some(output)),
                Poll::Pending => {
                    poll_abort(shared, this.abort_wait, this.registered, cx).map(|()| None)
                }
            };
            if let Poll::Ready(None) = polled {
                // Aborted: its future is dropped in this poll, before its failure is
                // reported, as `run_until_cancelled` dropped it; a panic of that drop
                // is the task's.
                run.as_mut().drop_future();
            }
            // A deadline set while this poll ran (on another thread, at the group's turn)
            // counts too: the poll held its thread from before the deadline existed.
            let (_, shared) = task_parts(run.as_ref());
            if let Some(&(deadline, _)) = shared.deadline.get() {
                if overran(deadline, began.unwrap_or(deadline)) {
                    *this.blocked = true;
                }
            }
            match polled {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => return Poll::Pending,
            }
        };
        let (scope, shared) = task_parts(run.as_ref());
        let limit = || {
            shared
                .deadline
                .get()
                .map_or(Duration::ZERO, |&(_, limit)| limit)
        };
        *this.reported = true;
        let ended = |failure: Option<&Error>| {
            if let Some(ledger) = scope.ledger() {
                ledger.task_ended(scope.entry(), name, failure);
            }
        };
        let error = match (outcome, *this.blocked) {
            (_, true) => {
                Error::timed_out(name.clone(), Origin::Task, limit(), TimeoutCause::Blocked)
            }
            (Some(Ok(output)), false) => match output.into_result() {
                Ok(()) => {
                    ended(None);
                    return Poll::Ready(Ok(()));
                }
                Err(source) => Error::returned(name, Origin::Task, source.into()),
            },
            (Some(Err(payload)), false) => Error::panicked(name.clone(), Origin::Task, &*payload),
            (None, false) if shared.hurried.load(Ordering::Acquire) => Error::hurried(name.clone()),
            (None, false) => {
                Error::timed_out(name.clone(), Origin::Task, limit(), TimeoutCause::Deadline)
            }
        };
        ended(Some(&error));
        span.in_scope(|| scope.task_failed(error.clone(), *this.isolated));
        Poll::Ready(Err(error))
    }
}

/// After a pending poll of a task: `Ready` if its group aborts it, else `Pending` with
/// the task's waker registered to hear the abort.
fn poll_abort(
    shared: &Arc<GroupShared>,
    wait: &mut Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    registered: &mut Option<Waker>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if shared.aborted.load(Ordering::Acquire) {
        return Poll::Ready(());
    }
    if registered
        .as_ref()
        .is_some_and(|waker| waker.will_wake(cx.waker()))
    {
        return Poll::Pending;
    }
    let wait = wait.get_or_insert_with(|| {
        let shared = shared.clone();
        Box::pin(async move { shared.abort.cancelled().await })
    });
    if wait.as_mut().poll(cx).is_ready() {
        return Poll::Ready(());
    }
    *registered = Some(cx.waker().clone());
    Poll::Pending
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
        let recorded = scope
            .ledger()
            .and_then(|ledger| Some((ledger, ledger.hook_began(scope.entry(), name.clone())?)));
        let run = in_scope(scope.clone(), AssertUnwindSafe(future).catch_unwind());
        let outcome = within(limit.map(|(limit, _)| limit), run)
            .instrument(span.clone())
            .await;
        let ran = |failure: Option<&Error>| {
            if let Some((ledger, run)) = recorded {
                ledger.hook_ended(run, failure);
            }
        };
        let error = match outcome {
            Ok(Ok(Ok(()))) => {
                ran(None);
                return Ok(());
            }
            Ok(Ok(Err(source))) => Error::failed(name.clone(), Origin::Hook, source),
            Ok(Err(payload)) => Error::panicked(name.clone(), Origin::Hook, &*payload),
            Err(timed_out) => {
                let (limit, cause) = limit.expect("only a limited hook times out");
                Error::timed_out(name.clone(), Origin::Hook, limit, timed_out.cause(cause))
            }
        };
        ran(Some(&error));
        tracing::error!(parent: &span, %error, "shutdown hook failed");
        Err(error)
    }
}
