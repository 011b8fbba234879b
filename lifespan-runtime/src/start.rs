//! The futures of [`Lifespan::start`] and [`Lifespan::enter`].
//!
//! They are written by hand, not as `async fn`s, so that they have names the trait can
//! return and are `Send` exactly when the lifespan is.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::time::{Instant, Sleep};

use crate::error::{Error, Name, Stage, TimeoutCause};
use crate::lifespan::{Lifespan, Started};
use crate::running::{ErasedLifespan, Running, Suspended};
use crate::scope::Scope;
use crate::scope::children::{Child, Rollback};
use crate::service::ledger::Event;
use crate::teardown::{Frame, stop_tree};
use crate::time::Stopwatch;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The future returned by [`Lifespan::start`]: runs the startup half up to the yield
/// point, then resolves to the [`Running`] lifespan. It is `Send` when the lifespan is,
/// so it can be awaited inside `tokio::spawn`.
///
/// ```
/// # use lifespan_runtime::{from_fn, Lifespan};
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let handle = tokio::spawn(async {
///     let running = from_fn("remote", |y| y.yield_app(5)).start().await?;
///     let value = *running;
///     running.stop().await?;
///     Ok::<_, lifespan_runtime::Error>(value)
/// });
/// assert_eq!(handle.await.unwrap().unwrap(), 5);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Start<L: Lifespan> {
    state: StartState<L>,
}

enum StartState<L: Lifespan> {
    /// Not polled yet. The lifespan is boxed as soon as it is given, so that the
    /// futures that carry it stay small.
    Idle {
        lifespan: Pin<Box<L>>,
        parent: Option<Scope>,
    },
    Starting(Starting<L>),
    RollingBack {
        error: Option<Error>,
        rollback: BoxFuture<Vec<Error>>,
        /// Who finishes the rollback if this future is dropped first.
        parent: Option<Scope>,
    },
    Done,
}

/// A finished startup: the yielded value, and the state the suspended lifespan is
/// made from.
type Finished<L> = (<L as Lifespan>::Value, Starting<L>);

/// A startup half in progress. Its name and limits are read from the boxed lifespan's
/// configuration, and from `scope`, which the name owns.
struct Starting<L: Lifespan> {
    lifespan: Pin<Box<L>>,
    /// The scope it is started in, if any: it inherits what a dropped startup entered.
    parent: Option<Scope>,
    scope: Scope,
    timer: Option<Pin<Box<Sleep>>>,
    stopwatch: Stopwatch,
    span: tracing::Span,
    begun: bool,
}

// Nothing in `Start` is pinned in place: the lifespan and the timer are boxed.
impl<L: Lifespan> Unpin for Start<L> {}

impl<L: Lifespan> Start<L> {
    pub(crate) fn new(lifespan: L, parent: Option<Scope>) -> Self {
        Start {
            state: StartState::Idle {
                lifespan: Box::pin(lifespan),
                parent,
            },
        }
    }
}

impl<L: Lifespan> std::fmt::Debug for Start<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            StartState::Idle { .. } => "idle",
            StartState::Starting(_) => "starting",
            StartState::RollingBack { .. } => "rolling back",
            StartState::Done => "done",
        };
        f.debug_struct("Start").field("state", &state).finish()
    }
}

impl<L: Lifespan> Start<L> {
    /// Drives the startup half. On success it gives back the value and the startup's
    /// state, from which the caller builds what it keeps: a [`Running`], or a child of
    /// the scope it entered.
    fn poll_started(&mut self, cx: &mut Context<'_>) -> Poll<Result<Finished<L>, Error>> {
        loop {
            let error = match &mut self.state {
                StartState::Idle { .. } => {
                    let StartState::Idle { lifespan, parent } =
                        std::mem::replace(&mut self.state, StartState::Done)
                    else {
                        unreachable!()
                    };
                    self.state = StartState::Starting(Starting::new(lifespan, parent));
                    continue;
                }
                StartState::Starting(starting) => match ready!(starting.poll_startup(cx)) {
                    Ok(value) => {
                        let StartState::Starting(starting) =
                            std::mem::replace(&mut self.state, StartState::Done)
                        else {
                            unreachable!()
                        };
                        starting.started();
                        return Poll::Ready(Ok((value, starting)));
                    }
                    Err(error) => error,
                },
                StartState::RollingBack {
                    error, rollback, ..
                } => {
                    let rollback_errors = ready!(rollback.as_mut().poll(cx));
                    let error = error.take().expect("polled after completion");
                    self.state = StartState::Done;
                    return Poll::Ready(Err(with_rollback(error, rollback_errors)));
                }
                StartState::Done => panic!("`Start` polled after completion"),
            };
            let StartState::Starting(starting) =
                std::mem::replace(&mut self.state, StartState::Done)
            else {
                unreachable!()
            };
            // Rolling back is this lifespan's teardown: its shutdown timeout bounds it,
            // so a task that ignores shutdown cannot hold the failure back for ever.
            let deadline = starting.deadline();
            let parent = starting.parent.clone();
            let scope = starting.end(Some(&error));
            self.state = StartState::RollingBack {
                error: Some(error),
                rollback: Box::pin(stop_tree(Frame::Root(scope), deadline)),
                parent,
            };
        }
    }
}

impl<L: Lifespan> Future for Start<L> {
    type Output = Result<Running<L::Value, L>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (value, starting) = ready!(self.get_mut().poll_started(cx))?;
        Poll::Ready(Ok(Running::new(value, starting.suspend())))
    }
}

/// A startup dropped before it finished (its caller gave up, a `try_join!` sibling
/// failed, an outer timeout passed) still stops what it had entered: the scope it was
/// started in inherits the work, and stops it with its own children.
impl<L: Lifespan> Drop for Start<L> {
    fn drop(&mut self) {
        let (parent, orphan) = match std::mem::replace(&mut self.state, StartState::Done) {
            StartState::Starting(starting) => {
                let parent = starting.parent.clone();
                let deadline = starting.deadline();
                let scope = starting.end(None);
                if !scope.has_children() {
                    return;
                }
                (parent, Orphan::Scope(scope, deadline))
            }
            StartState::RollingBack {
                error,
                rollback,
                parent,
                ..
            } => (
                parent,
                Orphan::Rollback(Rollback {
                    failure: error,
                    rest: rollback,
                }),
            ),
            StartState::Idle { .. } | StartState::Done => return,
        };
        orphan.hand_over(parent);
    }
}

/// What a dropped startup leaves to stop.
enum Orphan {
    /// What it had entered, and the deadline its rollback would have had.
    Scope(Scope, Option<Instant>),
    /// Its rollback, halfway through.
    Rollback(Rollback),
}

impl Orphan {
    /// To the scope it was started in, while that is open; otherwise to a task on the
    /// current runtime, whose failures are logged.
    fn hand_over(self, parent: Option<Scope>) {
        let (child, deadline) = match self {
            Orphan::Scope(scope, deadline) => (Child::Orphans(scope), deadline),
            Orphan::Rollback(rollback) => (Child::Rollback(rollback), None),
        };
        let child = match parent.map(|parent| parent.push_child(child)) {
            Some(Ok(())) => return,
            Some(Err(child)) => child,
            None => return,
        };
        let finish: BoxFuture<Vec<Error>> = match child {
            Child::Orphans(scope) => Box::pin(stop_tree(Frame::Root(scope), deadline)),
            Child::Rollback(rollback) => Box::pin(rollback.finish()),
            _ => unreachable!("push_child gives back what it was given"),
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    for error in finish.await {
                        tracing::error!(%error, "stopping what a dropped startup had started failed");
                    }
                });
            }
            Err(_) => tracing::warn!(
                "a startup was dropped outside a tokio runtime; what it had started is dropped \
                 without being stopped"
            ),
        }
    }
}

impl<L: Lifespan> Starting<L> {
    fn new(lifespan: Pin<Box<L>>, parent: Option<Scope>) -> Self {
        let config = lifespan.__config();
        let name = config.name.clone();
        let span = tracing::info_span!("lifespan", name = %name, phase = "startup");
        tracing::debug!(parent: &span, "starting");
        let timer = config
            .startup_timeout
            .map(|limit| Box::pin(tokio::time::sleep(limit)));
        let scope = match &parent {
            Some(parent) => parent.child(name),
            None => Scope::root(name, None, crate::Phase::Running),
        };
        Starting {
            lifespan,
            parent,
            scope,
            timer,
            stopwatch: Stopwatch::start(),
            span,
            begun: false,
        }
    }

    /// Polls the body once, then the timer; catches panics.
    fn poll_startup(&mut self, cx: &mut Context<'_>) -> Poll<Result<L::Value, Error>> {
        let _entered = self.span.enter();
        let polled = catch_unwind(AssertUnwindSafe(|| {
            if !self.begun {
                self.begun = true;
                self.lifespan.as_mut().__begin(self.scope.clone());
            }
            self.lifespan.as_mut().__poll_start(cx)
        }));
        let name = || self.scope.owner().clone();
        match polled {
            Ok(Poll::Ready(Started::Yielded(value))) => Poll::Ready(Ok(value)),
            Ok(Poll::Ready(Started::Returned(Ok(())))) => {
                Poll::Ready(Err(Error::returned_before_yield(name())))
            }
            Ok(Poll::Ready(Started::Returned(Err(source)))) => {
                Poll::Ready(Err(Error::failed(name(), Stage::Startup, source)))
            }
            Err(payload) => Poll::Ready(Err(Error::panicked(name(), Stage::Startup, &*payload))),
            Ok(Poll::Pending) => match &mut self.timer {
                Some(timer) => match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(Error::timed_out(
                        name(),
                        Stage::Startup,
                        self.lifespan
                            .__config()
                            .startup_timeout
                            .expect("a timer is set for a startup timeout"),
                        TimeoutCause::Own,
                    ))),
                    Poll::Pending => Poll::Pending,
                },
                None => Poll::Pending,
            },
        }
    }

    fn started(&self) {
        tracing::info!(parent: &self.span, elapsed = ?self.stopwatch, "started");
        self.scope.record(Event::Started);
    }

    /// What is kept of a started lifespan until it stops.
    fn suspend(self) -> Suspended<L> {
        Suspended::new(self.scope, self.lifespan)
    }

    /// The same, type-erased for a scope's list of children.
    fn suspend_erased(self) -> Suspended<dyn ErasedLifespan + Send>
    where
        L: Send + 'static,
    {
        Suspended::new(self.scope, self.lifespan)
    }

    /// When a rollback that begins now must be done: the lifespan's shutdown timeout.
    fn deadline(&self) -> Option<Instant> {
        let limit = self.lifespan.__config().shutdown_timeout;
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
            Some(error) => {
                tracing::error!(parent: &span, %error, "startup failed");
                scope.record(Event::StartupFailed(error));
            }
            None => tracing::warn!(
                parent: &span,
                "startup dropped before it finished; stopping what it had started"
            ),
        }
        scope
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
    Error::collect(&name, Stage::Startup, all).expect_err("two or more errors")
}

/// The future returned by [`Lifespan::enter`]: starts the lifespan, registers it in the
/// scope that was current when `enter` was called, and resolves to its value.
///
/// ```
/// # use lifespan_runtime::{from_fn, Lifespan, Scope};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let service = from_fn("service", |yielder| async move {
///     // Created here, inside the service's scope, and awaited later.
///     let entering = from_fn("dependency", |y| y.yield_app(3)).enter();
///     let dependency = entering.await?;
///     yielder.yield_app(dependency * 2).await;
///     Ok::<(), lifespan_runtime::Error>(())
/// });
/// let scope = Scope::new();
/// assert_eq!(scope.enter(service).await.unwrap(), 6);
/// scope.shutdown().await.unwrap();
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Enter<L: Lifespan> {
    state: EnterState<L>,
}

enum EnterState<L: Lifespan> {
    Outside(L),
    /// Starting, in the scope the `Start` was given as its parent.
    Starting(Start<L>),
    Unwinding {
        error: Option<Error>,
        stop: BoxFuture<Result<(), Error>>,
    },
    Done,
}

// As for `Start`: the lifespan is only ever moved, never pinned, inside `Enter`.
impl<L: Lifespan> Unpin for Enter<L> {}

impl<L: Lifespan> Enter<L> {
    pub(crate) fn new(lifespan: L, scope: Option<Scope>) -> Self {
        let state = match scope {
            Some(scope) => EnterState::Starting(Start::new(lifespan, Some(scope))),
            None => EnterState::Outside(lifespan),
        };
        Enter { state }
    }
}

impl<L: Lifespan> std::fmt::Debug for Enter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            EnterState::Outside(_) => "outside a scope",
            EnterState::Starting(start) => {
                return f.debug_tuple("Enter").field(start).finish();
            }
            EnterState::Unwinding { .. } => "unwinding",
            EnterState::Done => "done",
        };
        f.debug_struct("Enter").field("state", &state).finish()
    }
}

impl<L: Lifespan + Send + 'static> Future for Enter<L> {
    type Output = Result<L::Value, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                EnterState::Outside(_) => {
                    let EnterState::Outside(mut lifespan) =
                        std::mem::replace(&mut this.state, EnterState::Done)
                    else {
                        unreachable!()
                    };
                    let name = lifespan.__config_mut().name.clone();
                    return Poll::Ready(Err(Error::no_scope(name)));
                }
                EnterState::Starting(start) => {
                    let (value, mut starting) = match ready!(start.poll_started(cx)) {
                        Ok(started) => started,
                        Err(error) => {
                            this.state = EnterState::Done;
                            return Poll::Ready(Err(error));
                        }
                    };
                    let scope = starting.parent.take().expect("`Enter` starts in a scope");
                    match scope.adopt(starting.suspend_erased()) {
                        Ok(()) => {
                            this.state = EnterState::Done;
                            return Poll::Ready(Ok(value));
                        }
                        Err(suspended) => {
                            drop(value);
                            let error = Error::scope_closed(suspended.name().clone());
                            this.state = EnterState::Unwinding {
                                error: Some(error),
                                stop: Box::pin(suspended.stop(None)),
                            };
                        }
                    }
                }
                EnterState::Unwinding { error, stop } => {
                    let stopped = ready!(stop.as_mut().poll(cx));
                    let error = error.take().expect("polled after completion");
                    this.state = EnterState::Done;
                    return Poll::Ready(Err(with_rollback(
                        error,
                        stopped.err().into_iter().collect(),
                    )));
                }
                EnterState::Done => panic!("`Enter` polled after completion"),
            }
        }
    }
}
