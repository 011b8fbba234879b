//! Starting a lifespan: [`Startup`] drives the startup half to the yield point and
//! rolls back on failure; [`Entering`] does that in a scope and registers the result.
//! The public `Start` and `Enter` futures wrap them.
//!
//! A startup that a shutdown request covers (see `scope/cut.rs`) is cut before its
//! body's next poll: the body is dropped where it stands, as a startup timeout drops
//! it, and what it had started rolls back, with [`ErrorKind::Cancelled`] for the caller.
//! Asked before the body, so that of nested startups the outermost one covered is cut.
//!
//! Both are written by hand, not as `async fn`s, so that they are `Send` exactly when
//! the lifespan is, and so that a future dropped halfway can hand what it had started
//! to someone who will stop it.
//!
//! # Stack
//!
//! A body that enters a lifespan polls that lifespan's body from inside its own poll,
//! so nested startups stack one poll chain per level, and how deep an app can nest is
//! the stack divided by one level's frames. The poll path of a level in progress is
//! kept to small frames that work in place: state changes, finishing, failures and
//! rollbacks are functions of their own (`#[inline(never)]`), called beside the path
//! rather than from inside it, so that their locals are never on the stack while the
//! levels below run. BENCHMARKS.md measures it against a plain boxed async fn.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::time::{Instant, Sleep};

use crate::error::{Error, ErrorKind, Name, Origin, TimeoutCause};
use crate::ledger::Event;
use crate::time::Stopwatch;

use super::body::{Body, Started};
use super::scope::{Child, CutWatch, Frame, Rollback, Scope, abandon, stop_tree};
use super::suspended::Suspended;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs a startup half to its yield point: the value and the suspended lifespan, or
/// the failure after what it had entered was stopped.
pub struct Startup<L: Body> {
    state: StartupState<L>,
}

enum StartupState<L: Body> {
    /// Not polled yet. The lifespan is boxed as soon as it is given, so that the
    /// futures that carry it stay small.
    Idle {
        lifespan: Pin<Box<L>>,
        parent: Option<Scope>,
    },
    Starting(Starting<L>),
    RollingBack {
        error: Error,
        rollback: BoxFuture<Vec<Error>>,
        /// Who finishes the rollback if this future is dropped first.
        parent: Option<Scope>,
    },
    Done,
}

/// A startup half in progress. Its name and limits are read from the boxed lifespan's
/// configuration, and from `scope`, which the name owns.
struct Starting<L: Body> {
    lifespan: Pin<Box<L>>,
    /// The scope it is started in, if any: it inherits what a dropped startup entered.
    parent: Option<Scope>,
    scope: Scope,
    timer: Option<Pin<Box<Sleep>>>,
    /// What wakes it when a shutdown request may cover `scope`, taken once the body
    /// first waits: a startup done in one poll never needs one.
    watch: Option<CutWatch>,
    stopwatch: Stopwatch,
    span: tracing::Span,
    /// The body reached its yield point: [`Startup::finish`] takes what is kept of it.
    yielded: bool,
}

// Nothing in `Startup` is pinned in place: the lifespan and the timer are boxed.
impl<L: Body> Unpin for Startup<L> {}

impl<L: Body> Startup<L> {
    /// A startup of `lifespan`, in `parent` if given.
    pub fn new(lifespan: L, parent: Option<Scope>) -> Self {
        Startup {
            state: StartupState::Idle {
                lifespan: Box::pin(lifespan),
                parent,
            },
        }
    }

    /// Where the startup stands, for `Debug`.
    pub fn state(&self) -> &'static str {
        match &self.state {
            StartupState::Idle { .. } => "idle",
            StartupState::Starting(_) => "starting",
            StartupState::RollingBack { .. } => "rolling back",
            StartupState::Done => "done",
        }
    }
}

impl<L: Body> Future for Startup<L> {
    type Output = Result<(L::Yielded, Suspended<L>), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let value = ready!(this.poll_started(cx))?;
        let (suspended, _parent) = this.finish();
        Poll::Ready(Ok((value, suspended)))
    }
}

impl<L: Body> Startup<L> {
    /// Polls the startup half. On `Ready(Ok(value))` the lifespan has started, and
    /// [`finish`](Startup::finish) must be called next for what is kept of it.
    ///
    /// This is the path every level of a nested startup polls through, and it holds
    /// no more than one poll of the body needs: the span's guard, the panic guard and
    /// the poll's outcome. The first poll's setup, what a poll that was not simply
    /// pending means, failures and the rollback are all out of line, and return before
    /// the body is polled or after it was.
    #[inline(always)]
    pub(super) fn poll_started(&mut self, cx: &mut Context<'_>) -> Poll<Result<L::Yielded, Error>> {
        if let StartupState::Idle { .. } = self.state {
            self.begin();
        }
        let StartupState::Starting(starting) = &mut self.state else {
            return self.poll_rollback(cx);
        };
        // Before the body: of nested startups that a shutdown request covers, the
        // outermost is cut, and the ones inside it are dropped with its body.
        if starting.cut_requested(cx) {
            return self.cut(cx);
        }
        let polled = catch_unwind(AssertUnwindSafe(|| starting.poll_once(cx)));
        if let (Ok(Poll::Pending), None, Some(_)) = (&polled, &starting.timer, &starting.watch) {
            return Poll::Pending;
        }
        self.polled(polled, cx)
    }

    /// A poll of the body that did not simply stay pending: the value, or pending
    /// still (the startup timer has not fired), or a failure and its rollback.
    #[inline(never)]
    fn polled(
        &mut self,
        polled: std::thread::Result<Poll<Started<L::Yielded, L::Failure>>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<L::Yielded, Error>> {
        let StartupState::Starting(starting) = &mut self.state else {
            unreachable!("polled while starting")
        };
        // The body waits for the first time: from now on a request must wake it.
        if let (Ok(Poll::Pending), None) = (&polled, &starting.watch) {
            if starting.scope.watch_cut(&mut starting.watch, cx) {
                return self.cut(cx);
            }
        }
        let error = match starting.failure(polled, cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(value)) => {
                starting.yielded = true;
                return Poll::Ready(Ok(value));
            }
            Poll::Ready(Err(error)) => error,
        };
        self.roll_back(error);
        self.poll_rollback(cx)
    }

    /// A shutdown request covers this startup: its body is dropped where it stands, and
    /// what it had started is stopped, as after a failure.
    #[inline(never)]
    fn cut(&mut self, cx: &mut Context<'_>) -> Poll<Result<L::Yielded, Error>> {
        self.roll_back(Error::cancelled(self.name()));
        self.poll_rollback(cx)
    }

    /// The name of the lifespan being started.
    fn name(&self) -> Name {
        let StartupState::Starting(starting) = &self.state else {
            unreachable!("named while starting")
        };
        starting.scope.owner().clone()
    }

    /// The first poll: the startup half begins, in a scope of its own.
    #[inline(never)]
    fn begin(&mut self) {
        let StartupState::Idle { lifespan, parent } =
            std::mem::replace(&mut self.state, StartupState::Done)
        else {
            unreachable!("a startup begins once")
        };
        let mut starting = Starting::new(lifespan, parent);
        let scope = starting.scope.clone();
        let refused = scope.is_cut();
        let lifespan = starting.lifespan.as_mut();
        starting.span.in_scope(|| lifespan.__begin(scope));
        self.state = StartupState::Starting(starting);
        if refused {
            // Shutdown was requested before: the startup half never runs.
            self.roll_back(Error::cancelled_before_start(self.name()));
        }
    }

    /// The startup half failed with `error`: what it had entered is stopped, within
    /// this lifespan's shutdown timeout (rolling back is its teardown), so that a task
    /// that ignores shutdown cannot hold the failure back for ever.
    #[inline(never)]
    fn roll_back(&mut self, error: Error) {
        let StartupState::Starting(starting) =
            std::mem::replace(&mut self.state, StartupState::Done)
        else {
            unreachable!("only a startup in progress fails")
        };
        let deadline = starting.deadline();
        let parent = starting.parent.clone();
        let scope = starting.end(Some(&error));
        self.state = StartupState::RollingBack {
            error,
            rollback: Box::pin(stop_tree(Frame::Root(scope), deadline)),
            parent,
        };
    }

    /// Polls the rollback of a failed startup; resolves to its failure.
    #[inline(never)]
    fn poll_rollback(&mut self, cx: &mut Context<'_>) -> Poll<Result<L::Yielded, Error>> {
        let StartupState::RollingBack { rollback, .. } = &mut self.state else {
            panic!("a startup polled after completion")
        };
        let errors = ready!(rollback.as_mut().poll(cx));
        let StartupState::RollingBack { error, .. } =
            std::mem::replace(&mut self.state, StartupState::Done)
        else {
            unreachable!("matched above")
        };
        Poll::Ready(Err(with_rollback(error, errors)))
    }

    /// After [`poll_started`](Startup::poll_started) gave the value: the lifespan is
    /// started, and this is what is kept of it, with the scope it was started in.
    #[inline(never)]
    pub(super) fn finish(&mut self) -> (Suspended<L>, Option<Scope>) {
        let StartupState::Starting(mut starting) =
            std::mem::replace(&mut self.state, StartupState::Done)
        else {
            unreachable!("finished once, after the value")
        };
        debug_assert!(starting.yielded, "finished after the yield point");
        starting.started();
        let parent = starting.parent.take();
        (starting.suspend(), parent)
    }
}

/// A startup dropped before it finished (its caller gave up, a `try_join!` sibling
/// failed, an outer timeout passed) still stops what it had entered: the scope it was
/// started in inherits the work, and stops it with its own children.
impl<L: Body> Drop for Startup<L> {
    fn drop(&mut self) {
        // The body first, in this small frame: a body that had entered lifespans drops
        // their startups inside this call, each with this same drop, so everything else
        // waits until it returns.
        if let StartupState::Starting(starting) = &mut self.state {
            let _entered = starting.span.enter();
            starting.lifespan.as_mut().__cancel();
        }
        self.hand_over();
    }
}

impl<L: Body> Startup<L> {
    /// What a dropped startup had started, to whoever will stop it.
    #[inline(never)]
    fn hand_over(&mut self) {
        let (parent, orphan, deadline) =
            match std::mem::replace(&mut self.state, StartupState::Done) {
                StartupState::Starting(starting) => {
                    let parent = starting.parent.clone();
                    let deadline = starting.deadline();
                    let scope = starting.end(None);
                    if scope.close_if_empty() {
                        return;
                    }
                    (parent, Child::Orphans(scope), deadline)
                }
                StartupState::RollingBack {
                    error,
                    rollback,
                    parent,
                } => {
                    // A rollback in progress carries its own deadline.
                    let rollback = Rollback {
                        failure: Some(error),
                        rest: rollback,
                    }
                    .going_on();
                    (parent, Child::Rollback(rollback), None)
                }
                StartupState::Idle { .. } | StartupState::Done => return,
            };
        hand_over(orphan, deadline, parent);
    }
}

/// What a dropped startup leaves to stop goes to the scope it was started in, while
/// that is open; otherwise to a task on the current runtime, which stops it within
/// `deadline` and logs its failures.
fn hand_over(orphan: Child, deadline: Option<Instant>, parent: Option<Scope>) {
    let orphan = match parent {
        Some(parent) => match parent.push_child(orphan) {
            Ok(()) => return,
            Err(orphan) => orphan,
        },
        None => orphan,
    };
    match orphan {
        Child::Orphans(scope) => {
            abandon(
                scope.owner().clone(),
                stop_tree(Frame::Root(scope), deadline),
            );
        }
        Child::Rollback(rollback) => abandon(rollback.name(), rollback.finish()),
        _ => unreachable!("only orphans and rollbacks are handed over"),
    }
}

impl<L: Body> Starting<L> {
    fn new(lifespan: Pin<Box<L>>, parent: Option<Scope>) -> Self {
        let config = lifespan.__config();
        let name = config.name.clone();
        let span = tracing::info_span!("lifespan", name = %name, half = "startup");
        tracing::debug!(parent: &span, "starting");
        let timer = config
            .startup_timeout
            .map(|limit| Box::pin(tokio::time::sleep(limit)));
        let scope = match &parent {
            Some(parent) => parent.child(name),
            None => Scope::standalone(name),
        };
        if let Some(limit) = config.startup_timeout {
            scope.record(Event::StartupLimit(limit)); // bounds systemd's EXTEND_TIMEOUT_USEC
        }
        Starting {
            lifespan,
            parent,
            scope,
            timer,
            watch: None,
            stopwatch: Stopwatch::start(),
            span,
            yielded: false,
        }
    }

    fn started(&self) {
        match self.stopwatch.elapsed() {
            Some(elapsed) => tracing::info!(parent: &self.span, ?elapsed, "started"),
            None => tracing::info!(parent: &self.span, "started"),
        }
        self.scope.record(Event::Started);
    }

    /// What is kept of a started lifespan until it stops.
    fn suspend(self) -> Suspended<L> {
        Suspended::new(self.scope, self.lifespan)
    }

    /// When a rollback that begins now must be done: within the lifespan's shutdown
    /// timeout, and the app's shutdown deadline, as any teardown. A startup cut by the
    /// app's shutdown is rolled back as part of it, so a task that ignores its turn
    /// there is aborted at the app's deadline, as it would have been in the teardown.
    fn deadline(&self) -> Option<Instant> {
        let own = self.lifespan.__config().shutdown_timeout;
        let limit = match (own, self.scope.shutdown_timeout()) {
            (Some(own), Some(app)) => Some(own.min(app)),
            (own, app) => own.or(app),
        };
        limit.map(|limit| Instant::now() + limit)
    }

    /// Drops the startup half where it stands and returns its scope, whose children must
    /// still be stopped: after `failure`, or because the caller dropped the future.
    fn end(self, failure: Option<&Error>) -> Scope {
        let Starting {
            lifespan,
            span,
            scope,
            ..
        } = self;
        span.in_scope(|| drop(lifespan));
        match failure {
            Some(error) if error.kind() != ErrorKind::Cancelled => {
                tracing::error!(parent: &span, %error, "startup failed");
                scope.record(Event::StartupFailed(error));
            }
            // Cut by a shutdown request, itself or as the body of one that was: a stop
            // that was asked for, not a fault.
            _ if scope.is_cut() => {
                tracing::info!(
                    parent: &span,
                    "startup cut: shutdown was requested; stopping what it had started"
                );
                scope.record(Event::StartupCancelled);
            }
            _ => {
                tracing::warn!(
                    parent: &span,
                    "startup dropped before it finished; stopping what it had started"
                );
                scope.record(Event::StartupDropped);
            }
        }
        if failure.is_none() {
            // Its turn has come: what awaits its `shutdown_requested()` hears it; its
            // tasks hear theirs as its orphans are stopped.
            scope.cancel();
        }
        scope
    }
}

impl<L: Body> Starting<L> {
    /// Whether a shutdown request covers this startup: asked before each poll of the
    /// body, with loads only until the body has waited once.
    #[inline(always)]
    fn cut_requested(&mut self, cx: &mut Context<'_>) -> bool {
        match &mut self.watch {
            None => self.scope.is_cut(),
            Some(watch) => watch.poll_request(cx) && self.scope.watch_cut(&mut self.watch, cx),
        }
    }

    /// Polls the body once, in its span.
    #[inline(always)]
    fn poll_once(&mut self, cx: &mut Context<'_>) -> Poll<Started<L::Yielded, L::Failure>> {
        let _entered = self.span.enter();
        self.lifespan.as_mut().__poll_start(cx)
    }

    /// What a poll of the body means: the value, or pending still (the startup timer
    /// has not fired), or a failure.
    fn failure(
        &mut self,
        polled: std::thread::Result<Poll<Started<L::Yielded, L::Failure>>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<L::Yielded, Error>>
    where
        L: Body,
    {
        let name = || self.scope.owner().clone();
        let failure = match polled {
            Ok(Poll::Ready(Started::Yielded(value))) => return Poll::Ready(Ok(value)),
            Ok(Poll::Ready(Started::Returned(Ok(())))) => {
                self.unless_cut(Error::returned_before_yield(name()))
            }
            Ok(Poll::Ready(Started::Returned(Err(source)))) => {
                self.unless_cut(Error::returned(&name(), Origin::Startup, source.into()))
            }
            Err(payload) => Error::panicked(name(), Origin::Startup, &*payload),
            Ok(Poll::Pending) => {
                let Some(timer) = &mut self.timer else {
                    return Poll::Pending;
                };
                ready!(timer.as_mut().poll(cx));
                let limit = self.lifespan.__config().startup_timeout;
                let limit = limit.expect("a timer is set for a startup timeout");
                Error::timed_out(name(), Origin::Startup, limit, TimeoutCause::Own)
            }
        };
        Poll::Ready(Err(failure))
    }
}

impl<L: Body> Starting<L> {
    /// `failure`, unless a shutdown request covers this startup: a body that returns
    /// once a request came (within the poll that saw it, before this startup's own turn
    /// to be cut) returns because of it, as a part it was entering was cut and `?` passed
    /// that on, or as it saw `shutdown_requested()`. Then it was cut too, and what it
    /// returned is only logged. A panic is never taken for a cut.
    fn unless_cut(&self, failure: Error) -> Error {
        if !self.scope.is_cut() {
            return failure;
        }
        tracing::info!(
            parent: &self.span,
            %failure,
            "startup ended after shutdown was requested, so it counts as cut"
        );
        Error::cancelled(self.scope.owner().clone())
    }
}

/// The startup error, with what failed while stopping what it had started.
fn with_rollback(error: Error, rollback: Vec<Error>) -> Error {
    if rollback.is_empty() {
        return error;
    }
    let name: Name = Name::Owned(error.name().to_owned());
    let mut all = Vec::with_capacity(rollback.len() + 1);
    all.push(error);
    all.extend(rollback);
    Error::collect(&name, Origin::Startup, all).expect_err("two or more errors")
}

/// Starts a lifespan in a scope and registers it there; resolves to its value. Outside
/// a scope it fails at once.
pub struct Entering<L: Body> {
    state: EnteringState<L>,
}

enum EnteringState<L: Body> {
    Outside(Name),
    /// Starting, in the scope the `Startup` was given as its parent.
    Starting(Startup<L>),
    /// The scope closed while the lifespan started: it is stopped again.
    Unwinding {
        error: Error,
        stop: BoxFuture<Result<(), Error>>,
    },
    Done,
}

// As for `Startup`: the lifespan is only ever moved, never pinned, inside `Entering`.
impl<L: Body> Unpin for Entering<L> {}

impl<L: Body> Entering<L> {
    /// Entering `lifespan` into `scope`; with no scope, the future fails with
    /// [`ErrorKind::NoScope`](crate::ErrorKind::NoScope).
    pub fn new(lifespan: L, scope: Option<Scope>) -> Self {
        let state = match scope {
            Some(scope) => EnteringState::Starting(Startup::new(lifespan, Some(scope))),
            None => EnteringState::Outside(lifespan.__config().name.clone()),
        };
        Entering { state }
    }

    /// Where the entering stands, for `Debug`.
    pub fn state(&self) -> &'static str {
        match &self.state {
            EnteringState::Outside(_) => "outside a scope",
            EnteringState::Starting(startup) => startup.state(),
            EnteringState::Unwinding { .. } => "unwinding",
            EnteringState::Done => "done",
        }
    }
}

impl<L: Body + Send + 'static> Future for Entering<L> {
    type Output = Result<L::Yielded, Error>;

    /// Polls the startup in place; everything but a startup in progress is out of line,
    /// as for [`Startup::poll_started`]. Inlined into `Enter`'s poll even in debug
    /// builds, so that a level of a nested startup is one frame of this crate.
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let EnteringState::Starting(startup) = &mut this.state {
            return match startup.poll_started(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(started) => this.register(started, cx),
            };
        }
        this.poll_other(cx)
    }
}

impl<L: Body + Send + 'static> Entering<L> {
    /// The startup ended: a started lifespan is registered in its scope, or stopped
    /// again if the scope has closed meanwhile.
    #[inline(never)]
    fn register(
        &mut self,
        started: Result<L::Yielded, Error>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<L::Yielded, Error>> {
        let EnteringState::Starting(mut startup) =
            std::mem::replace(&mut self.state, EnteringState::Done)
        else {
            unreachable!("registered once, after starting")
        };
        let value = started?;
        let (suspended, scope) = startup.finish();
        let scope = scope.expect("entering starts in a scope");
        match scope.adopt(suspended.erased()) {
            Ok(()) => Poll::Ready(Ok(value)),
            Err(suspended) => {
                drop(value);
                self.state = EnteringState::Unwinding {
                    error: Error::scope_closed(suspended.name().clone()),
                    stop: Box::pin(suspended.stop(None)),
                };
                self.poll_other(cx)
            }
        }
    }

    /// Everything but a startup in progress: outside a scope, or unwinding a lifespan
    /// that started after its scope closed.
    #[inline(never)]
    fn poll_other(&mut self, cx: &mut Context<'_>) -> Poll<Result<L::Yielded, Error>> {
        match std::mem::replace(&mut self.state, EnteringState::Done) {
            EnteringState::Outside(name) => Poll::Ready(Err(Error::no_scope(name))),
            EnteringState::Unwinding { error, mut stop } => match stop.as_mut().poll(cx) {
                Poll::Pending => {
                    self.state = EnteringState::Unwinding { error, stop };
                    Poll::Pending
                }
                Poll::Ready(stopped) => {
                    let rollback = stopped.err().into_iter().collect();
                    Poll::Ready(Err(with_rollback(error, rollback)))
                }
            },
            EnteringState::Starting(_) => unreachable!("polled in place"),
            EnteringState::Done => panic!("an `enter` polled after completion"),
        }
    }
}
