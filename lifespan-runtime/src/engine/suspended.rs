//! [`Suspended`]: a started lifespan without its value, between its halves. A scope
//! holds these for what was entered into it; a `Running` wraps one.

use std::future::poll_fn;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::Config;
use crate::error::{BoxError, Error, Name, Origin};
use crate::ledger::Event;
use crate::sync::{get_mut, into_inner};
use crate::time::{Stopwatch, effective_limit, within};

use super::scope::{Detached, Frame, Scope, abandon, stop_tree};

/// A started lifespan whose type is no longer known: what a scope's children and the
/// default `Running<T>` hold. Object-safe.
pub trait Stoppable {
    #[doc(hidden)]
    fn __config(&self) -> &Config;

    /// Resumes the body after its yield point and polls it to the end.
    #[doc(hidden)]
    fn __poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>>;
}

/// A started lifespan suspended at its yield point, and the scope its body runs in.
///
/// Dropped before it is stopped (a `Running` nobody stopped, a stop cut short by its
/// caller), its shutdown half cannot run, but what its body entered, spawned and
/// registered is still stopped, on a task of the runtime.
pub struct Suspended<L: ?Sized + Stoppable> {
    /// Dropped first, so that its warning comes before its children stop.
    body: Unstopped<L>,
    children: Children,
}

/// The scope the body runs in, owned by the lifespan's name, until its children are
/// being stopped. Dropped before then, it hands their teardown to the runtime.
struct Children {
    scope: Option<Scope>,
    /// What bounds that teardown: the lifespan's own shutdown timeout.
    shutdown_timeout: Option<std::time::Duration>,
}

impl Children {
    fn scope(&self) -> &Scope {
        self.scope
            .as_ref()
            .expect("the scope is held until the children stop")
    }

    /// The scope, whose children the caller now stops.
    fn take(&mut self) -> Scope {
        self.scope.take().expect("the children are stopped once")
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        let Some(scope) = self.scope.take() else {
            return;
        };
        scope.cancel();
        if scope.close_if_empty() {
            return;
        }
        let deadline = self.shutdown_timeout.map(|limit| Instant::now() + limit);
        abandon(
            scope.owner().clone(),
            stop_tree(Frame::Root(scope), deadline),
        );
    }
}

/// The boxed lifespan until its shutdown half has run. Dropping it before then warns:
/// the shutdown half can never run.
struct Unstopped<L: ?Sized + Stoppable>(
    /// `None` once the shutdown half has run. The mutex is never locked: it only makes
    /// a `Running` `Sync` (and so shareable through an `Arc`) when its value is.
    Option<Mutex<Pin<Box<L>>>>,
);

impl<L: ?Sized + Stoppable> Drop for Unstopped<L> {
    fn drop(&mut self) {
        if let Some(body) = &mut self.0 {
            let name = &get_mut(body).__config().name;
            tracing::warn!(
                name = %name,
                "lifespan `{name}` was dropped while running, so its shutdown half will never run; \
                 call `stop().await` on it, or `enter` it into a scope that is shut down",
            );
        }
    }
}

impl<L: ?Sized + Stoppable> Suspended<L> {
    pub(super) fn new(scope: Scope, body: Pin<Box<L>>) -> Self {
        let shutdown_timeout = body.__config().shutdown_timeout;
        Suspended {
            body: Unstopped(Some(Mutex::new(body))),
            children: Children {
                scope: Some(scope),
                shutdown_timeout,
            },
        }
    }

    /// The lifespan's name, as its scope's owner.
    pub fn name(&self) -> &Name {
        self.scope().owner()
    }

    /// The scope its body runs in.
    pub fn scope(&self) -> &Scope {
        self.children.scope()
    }

    /// The same lifespan behind `dyn Stoppable + Send`.
    pub fn erased(mut self) -> Suspended<dyn Stoppable + Send>
    where
        L: Sized + Send + 'static,
    {
        let body: Pin<Box<dyn Stoppable + Send>> =
            self.body.0.take().map(into_inner).expect("not stopped yet");
        Suspended::new(self.children.take(), body)
    }

    /// The shutdown half and then the children, with every failure collected.
    ///
    /// # Cancellation safety
    ///
    /// Dropped during the shutdown half, the half is cancelled (as a timed-out one is)
    /// and the children are stopped on a task of the runtime; dropped while the children
    /// stop, they go on stopping there. Failures nobody waits for are logged at ERROR.
    pub async fn stop(mut self, deadline: Option<Instant>) -> Result<(), Error> {
        let stopwatch = Stopwatch::start();
        let mut errors = Vec::new();
        if let Err(error) = self.run_shutdown_half(deadline).await {
            errors.push(error);
        }
        let name = self.name().clone();
        errors.extend(stop_children(self.into_scope(), stopwatch, deadline).await);
        Error::collect(&name, Origin::Teardown, errors)
    }

    /// The scope, once the shutdown half has run: its children are the caller's to stop.
    pub(super) fn into_scope(mut self) -> Scope {
        self.children.take()
    }

    /// Resumes the body after its yield point and runs it to the end, within the
    /// shutdown timeout capped by `deadline`. A panic is caught; on timeout the body is
    /// dropped (cancelled). Runs at most once.
    pub(super) async fn run_shutdown_half(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        // The body's turn has come: its `shutdown_requested()` resolves (its tasks hear
        // theirs after this half, in order).
        self.scope().cancel();
        let Some(body) = self.body.0.take() else {
            return Ok(());
        };
        let mut body = into_inner(body);
        let scope = self.children.scope();
        let name = scope.owner();
        let span = tracing::info_span!("lifespan", name = %name, half = "shutdown");
        tracing::debug!(parent: &span, "stopping");
        scope.record(Event::Stopping);
        let limit = effective_limit(body.__config().shutdown_timeout, deadline);
        let resume =
            AssertUnwindSafe(poll_fn(|cx| body.as_mut().__poll_shutdown(cx))).catch_unwind();
        let cut_short = CutShort(Some((name, &span)));
        let outcome = within(limit.map(|(limit, _)| limit), resume)
            .instrument(span.clone())
            .await;
        cut_short.disarm();
        let error = match outcome {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(source))) => Some(Error::returned(name, Origin::Shutdown, source)),
            Ok(Err(payload)) => Some(Error::panicked(name.clone(), Origin::Shutdown, &*payload)),
            Err(timed_out) => {
                let (limit, cause) = limit.expect("only a limited half times out");
                Some(Error::timed_out(
                    name.clone(),
                    Origin::Shutdown,
                    limit,
                    timed_out.cause(cause),
                ))
            }
        };
        // A timed-out body is cancelled here, inside its span.
        span.in_scope(|| drop(body));
        match error {
            Some(error) => {
                tracing::error!(parent: &span, %error, "shutdown half failed");
                scope.record(Event::ShutdownFailed(&error));
                Err(error)
            }
            None => Ok(()),
        }
    }
}

/// Stops the children of a lifespan whose shutdown half has run: in place when there
/// are none (the common case, which costs no task), otherwise on a task of the runtime,
/// so that a caller who stops waiting does not cut the teardown short.
async fn stop_children(
    scope: Scope,
    stopwatch: Stopwatch,
    deadline: Option<Instant>,
) -> Vec<Error> {
    let in_place = !scope.has_children();
    let name = scope.owner().clone();
    let teardown = stop_tree(Frame::Owned(scope, stopwatch), deadline);
    if in_place {
        return teardown.await;
    }
    match Detached::spawn(name, teardown) {
        Ok(detached) => detached.wait().await,
        Err(teardown) => teardown.await,
    }
}

/// Says so if a shutdown half is cancelled because its caller stopped waiting: the
/// half cannot run again, and nothing else would report it.
struct CutShort<'a>(Option<(&'a Name, &'a tracing::Span)>);

impl CutShort<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CutShort<'_> {
    fn drop(&mut self) {
        if let Some((name, span)) = self.0 {
            tracing::error!(
                parent: span,
                "the shutdown half of `{name}` was cancelled: its caller stopped waiting for it"
            );
        }
    }
}
