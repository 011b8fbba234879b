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

use super::scope::{Frame, Scope, stop_tree};

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
pub struct Suspended<L: ?Sized + Stoppable> {
    /// The scope the body runs in, owned by the lifespan's name; its children stop
    /// after the shutdown half.
    pub(super) scope: Scope,
    body: Unstopped<L>,
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
        Suspended {
            scope,
            body: Unstopped(Some(Mutex::new(body))),
        }
    }

    /// The lifespan's name, as its scope's owner.
    pub fn name(&self) -> &Name {
        self.scope.owner()
    }

    /// The scope its body runs in.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The same lifespan behind `dyn Stoppable + Send`.
    pub fn erased(mut self) -> Suspended<dyn Stoppable + Send>
    where
        L: Sized + Send + 'static,
    {
        let body: Pin<Box<dyn Stoppable + Send>> =
            self.body.0.take().map(into_inner).expect("not stopped yet");
        Suspended::new(self.scope, body)
    }

    /// The shutdown half and then the children, with every failure collected.
    pub async fn stop(mut self, deadline: Option<Instant>) -> Result<(), Error> {
        let stopwatch = Stopwatch::start();
        let mut errors = Vec::new();
        if let Err(error) = self.run_shutdown_half(deadline).await {
            errors.push(error);
        }
        let name = self.name().clone();
        errors.extend(stop_tree(Frame::Owned(self.scope, stopwatch), deadline).await);
        Error::collect(&name, Origin::Teardown, errors)
    }

    /// Resumes the body after its yield point and runs it to the end, within the
    /// shutdown timeout capped by `deadline`. A panic is caught; on timeout the body is
    /// dropped (cancelled). Runs at most once.
    pub(super) async fn run_shutdown_half(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        // Tasks the lifespan spawned learn now that shutdown has begun.
        self.scope.cancel();
        let Some(body) = self.body.0.take() else {
            return Ok(());
        };
        let mut body = into_inner(body);
        let name = self.scope.owner();
        let span = tracing::info_span!("lifespan", name = %name, half = "shutdown");
        tracing::debug!(parent: &span, "stopping");
        self.scope.record(Event::Stopping);
        let limit = effective_limit(body.__config().shutdown_timeout, deadline);
        let resume =
            AssertUnwindSafe(poll_fn(|cx| body.as_mut().__poll_shutdown(cx))).catch_unwind();
        let outcome = within(limit.map(|(limit, _)| limit), resume)
            .instrument(span.clone())
            .await;
        let error = match outcome {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(source))) => Some(Error::failed(name.clone(), Origin::Shutdown, source)),
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
                self.scope.record(Event::ShutdownFailed(&error));
                Err(error)
            }
            None => Ok(()),
        }
    }
}
