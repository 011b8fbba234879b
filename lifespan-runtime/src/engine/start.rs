//! Starting a lifespan: [`Startup`] drives the startup half to the yield point and
//! rolls back on failure; [`Entering`] does that in a scope and registers the result.
//! The public `Start` and `Enter` futures wrap them.
//!
//! Both are written by hand, not as `async fn`s, so that they are `Send` exactly when
//! the lifespan is, and so that a future dropped halfway can hand what it had started
//! to someone who will stop it.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::time::{Instant, Sleep};

use crate::error::{Error, Name, Origin, TimeoutCause};
use crate::ledger::Event;
use crate::time::Stopwatch;

use super::body::{Body, Started};
use super::scope::{Child, Frame, Rollback, Scope, abandon, stop_tree};
use super::suspended::{Stoppable, Suspended};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs a startup half to its yield point: the value and the suspended lifespan, or
/// the failure after what it had entered was stopped.
pub struct Startup<L: Body> {
    state: StartupState<L>,
}

enum StartupState<L: ?Sized> {
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
struct Starting<L: ?Sized> {
    lifespan: Pin<Box<L>>,
    /// The scope it is started in, if any: it inherits what a dropped startup entered.
    parent: Option<Scope>,
    scope: Scope,
    timer: Option<Pin<Box<Sleep>>>,
    stopwatch: Stopwatch,
    span: tracing::Span,
    begun: bool,
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
        let (value, suspended, _parent) = ready!(self.get_mut().poll_started(cx))?;
        Poll::Ready(Ok((value, suspended)))
    }
}

/// A started lifespan: its value, what is kept of it, and the scope it was started in.
type Finished<T, L> = (T, Suspended<L>, Option<Scope>);

impl<L: Body> Startup<L> {
    fn poll_started(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Finished<L::Yielded, L>, Error>> {
        let this = self;
        loop {
            this.state = match std::mem::replace(&mut this.state, StartupState::Done) {
                StartupState::Idle { lifespan, parent } => {
                    StartupState::Starting(Starting::new(lifespan, parent))
                }
                StartupState::Starting(mut starting) => match starting.poll_startup(cx) {
                    Poll::Pending => {
                        this.state = StartupState::Starting(starting);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(value)) => {
                        starting.started();
                        let parent = starting.parent.take();
                        return Poll::Ready(Ok((value, starting.suspend(), parent)));
                    }
                    // Rolling back is this lifespan's teardown: its shutdown timeout
                    // bounds it, so a task that ignores shutdown cannot hold the failure
                    // back for ever.
                    Poll::Ready(Err(error)) => {
                        let deadline = starting.deadline();
                        let parent = starting.parent.clone();
                        let scope = starting.end(Some(&error));
                        StartupState::RollingBack {
                            error,
                            rollback: Box::pin(stop_tree(Frame::Root(scope), deadline)),
                            parent,
                        }
                    }
                },
                StartupState::RollingBack {
                    error,
                    mut rollback,
                    parent,
                } => match rollback.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = StartupState::RollingBack {
                            error,
                            rollback,
                            parent,
                        };
                        return Poll::Pending;
                    }
                    Poll::Ready(errors) => return Poll::Ready(Err(with_rollback(error, errors))),
                },
                StartupState::Done => panic!("a startup polled after completion"),
            };
        }
    }
}

/// A startup dropped before it finished (its caller gave up, a `try_join!` sibling
/// failed, an outer timeout passed) still stops what it had entered: the scope it was
/// started in inherits the work, and stops it with its own children.
impl<L: Body> Drop for Startup<L> {
    fn drop(&mut self) {
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
                    let rollback = Rollback {
                        failure: Some(error),
                        rest: rollback,
                    };
                    // A rollback in progress carries its own deadline.
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

impl<L: ?Sized + Stoppable> Starting<L> {
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
            None => {
                tracing::warn!(
                    parent: &span,
                    "startup dropped before it finished; stopping what it had started"
                );
                // Its tasks learn at once that they will be stopped, and a handle kept
                // elsewhere registers nothing more.
                scope.cancel();
            }
        }
        scope
    }
}

impl<L: ?Sized + Stoppable> Starting<L> {
    /// Polls the body once (the first poll sets it up in its scope), then the timer;
    /// catches panics.
    fn poll_startup(&mut self, cx: &mut Context<'_>) -> Poll<Result<L::Yielded, Error>>
    where
        L: Body,
    {
        let _entered = self.span.enter();
        let polled = catch_unwind(AssertUnwindSafe(|| {
            if !self.begun {
                self.begun = true;
                self.lifespan.as_mut().__begin(self.scope.clone());
            }
            self.lifespan.as_mut().__poll_start(cx)
        }));
        let name = || self.scope.owner().clone();
        let failure = match polled {
            Ok(Poll::Ready(Started::Yielded(value))) => return Poll::Ready(Ok(value)),
            Ok(Poll::Ready(Started::Returned(Ok(())))) => Error::returned_before_yield(name()),
            Ok(Poll::Ready(Started::Returned(Err(source)))) => {
                Error::failed(name(), Origin::Startup, source)
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            this.state = match std::mem::replace(&mut this.state, EnteringState::Done) {
                EnteringState::Outside(name) => return Poll::Ready(Err(Error::no_scope(name))),
                EnteringState::Starting(mut startup) => {
                    let (value, suspended, scope) = match startup.poll_started(cx) {
                        Poll::Pending => {
                            this.state = EnteringState::Starting(startup);
                            return Poll::Pending;
                        }
                        Poll::Ready(started) => started?,
                    };
                    let scope = scope.expect("entering starts in a scope");
                    match scope.adopt(suspended.erased()) {
                        Ok(()) => return Poll::Ready(Ok(value)),
                        Err(suspended) => {
                            drop(value);
                            EnteringState::Unwinding {
                                error: Error::scope_closed(suspended.name().clone()),
                                stop: Box::pin(suspended.stop(None)),
                            }
                        }
                    }
                }
                EnteringState::Unwinding { error, mut stop } => match stop.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = EnteringState::Unwinding { error, stop };
                        return Poll::Pending;
                    }
                    Poll::Ready(stopped) => {
                        let rollback = stopped.err().into_iter().collect();
                        return Poll::Ready(Err(with_rollback(error, rollback)));
                    }
                },
                EnteringState::Done => panic!("an `enter` polled after completion"),
            };
        }
    }
}
