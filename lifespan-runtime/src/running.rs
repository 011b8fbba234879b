//! [`Running`]: a lifespan suspended between its halves.

use std::future::poll_fn;
use std::ops::{Deref, DerefMut};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{BoxError, Error, Name, Stage};
use crate::scope::Scope;
use crate::service::ledger::Event;
use crate::sync::{get_mut, into_inner};
use crate::teardown::{Frame, stop_tree};
use crate::time::{Stopwatch, effective_limit, within};

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A started lifespan whose type is no longer known: the `L` of [`Running<T, L>`].
///
/// Every [`Lifespan`](crate::Lifespan) is one. `Running<T>` stores its lifespan as
/// `dyn ErasedLifespan + Send`; this is what [`Running::erased`] and a scope's
/// children hold. The trait is sealed and has nothing to call.
///
/// ```
/// use lifespan_runtime::{ErasedLifespan, Running};
///
/// // What `Running<T>` stands for:
/// fn same<T>(running: Running<T>) -> Running<T, dyn ErasedLifespan + Send> {
///     running
/// }
/// # let _ = same::<()>;
/// ```
pub trait ErasedLifespan: sealed::Sealed {
    #[doc(hidden)]
    fn __config(&self) -> &crate::lifespan::Config;

    #[doc(hidden)]
    fn __poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>>;
}

/// A started lifespan, suspended at its yield point: the app runs now.
///
/// It dereferences to the yielded value. [`stop`](Running::stop) runs the shutdown
/// half, then stops whatever the lifespan entered, spawned or registered, in reverse
/// order. Dropping a `Running` without stopping it cannot run the shutdown half: the
/// body is dropped where it stands and a warning is logged.
///
/// `L` is the lifespan's own type, which only the compiler can name; `Running<T>` (the
/// default) holds it boxed as `dyn ErasedLifespan + Send`, for storing in structs. Get
/// one with [`erased`](Running::erased).
///
/// # Examples
///
/// ```
/// use lifespan_runtime::{from_fn, Lifespan, Running};
///
/// struct App {
///     greeting: Running<String>,
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let greeting = from_fn("greeting", |y| y.yield_app(String::from("hello")));
/// let app = App { greeting: greeting.start().await?.erased() };
/// assert_eq!(app.greeting.len(), 5);
/// app.greeting.stop().await?;
/// # Ok::<(), lifespan_runtime::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "a running lifespan only runs its shutdown half when `stop` is awaited"]
pub struct Running<T, L: ?Sized + ErasedLifespan = dyn ErasedLifespan + Send> {
    value: T,
    suspended: Suspended<L>,
}

impl<T, L: ?Sized + ErasedLifespan> Running<T, L> {
    pub(crate) fn new(value: T, suspended: Suspended<L>) -> Self {
        Running { value, suspended }
    }

    /// The lifespan's name, as used in logs and errors.
    ///
    /// ```
    /// # use lifespan_runtime::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let running = from_fn("cache", |y| y.yield_app(())).start().await.unwrap();
    /// assert_eq!(running.name(), "cache");
    /// # running.stop().await.unwrap();
    /// # });
    /// ```
    pub fn name(&self) -> &str {
        self.suspended.name()
    }

    /// The scope the lifespan's body runs in: what it entered, spawned and registered
    /// is stopped with it. Useful to wait for [`Scope::shutdown_requested`], which
    /// resolves when one of its tasks fails.
    ///
    /// ```
    /// # use lifespan_runtime::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let running = from_fn("worker", |y| y.yield_app(())).start().await.unwrap();
    /// assert!(!running.scope().is_shutdown_requested());
    /// # running.stop().await.unwrap();
    /// # });
    /// ```
    pub fn scope(&self) -> &Scope {
        &self.suspended.scope
    }

    /// Runs the shutdown half, then stops the lifespan's children (entered lifespans,
    /// spawned tasks, shutdown hooks) in reverse order. The yielded value is dropped
    /// first, so that a channel or handle given to the app is closed before the
    /// shutdown half starts.
    ///
    /// Every failure is collected: a failing shutdown half does not keep the children
    /// from stopping, and the error holds all of them.
    ///
    /// ```
    /// # use lifespan_runtime::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let flaky = from_fn("flaky", |yielder| async move {
    ///     yielder.yield_app(()).await;
    ///     Err::<(), _>("could not flush")
    /// });
    /// let error = flaky.start().await.unwrap().stop().await.unwrap_err();
    /// assert_eq!(error.to_string(), "lifespan `flaky` failed during shutdown: could not flush");
    /// # });
    /// ```
    pub async fn stop(self) -> Result<(), Error> {
        let Running { value, suspended } = self;
        drop(value);
        suspended.stop(None).await
    }

    /// Boxes the lifespan as `dyn ErasedLifespan + Send`, so that the `Running` has a
    /// type you can write: `Running<T>`. Costs nothing: the lifespan is boxed already.
    ///
    /// ```
    /// # use lifespan_runtime::{from_fn, Lifespan, Running};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let all: Vec<Running<u8>> = vec![
    ///     from_fn("a", |y| y.yield_app(1)).start().await.unwrap().erased(),
    ///     from_fn("b", |y| y.yield_app(2)).start().await.unwrap().erased(),
    /// ];
    /// for running in all.into_iter().rev() {
    ///     running.stop().await.unwrap();
    /// }
    /// # });
    /// ```
    pub fn erased(self) -> Running<T>
    where
        L: Sized + Send + 'static,
    {
        let Running { value, suspended } = self;
        Running {
            value,
            suspended: suspended.erased(),
        }
    }

    pub(crate) fn into_parts(self) -> (T, Suspended<L>) {
        (self.value, self.suspended)
    }
}

impl<T, L: ?Sized + ErasedLifespan> Deref for Running<T, L> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T, L: ?Sized + ErasedLifespan> DerefMut for Running<T, L> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: std::fmt::Debug, L: ?Sized + ErasedLifespan> std::fmt::Debug for Running<T, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("name", self.suspended.name())
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

/// A started lifespan without its value: what a scope keeps of an entered lifespan.
pub(crate) struct Suspended<L: ?Sized + ErasedLifespan> {
    /// The scope the body runs in, owned by the lifespan's name; its children stop
    /// after the shutdown half.
    pub(crate) scope: Scope,
    body: Unstopped<L>,
}

/// The boxed lifespan until its shutdown half has run. Dropping it before then warns:
/// the shutdown half can never run.
struct Unstopped<L: ?Sized + ErasedLifespan>(
    /// `None` once the shutdown half has run. The mutex is never locked: it only makes
    /// a `Running` `Sync` (and so shareable through an `Arc`) when its value is.
    Option<Mutex<Pin<Box<L>>>>,
);

impl<L: ?Sized + ErasedLifespan> Drop for Unstopped<L> {
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

impl<L: ?Sized + ErasedLifespan> Suspended<L> {
    pub(crate) fn new(scope: Scope, body: Pin<Box<L>>) -> Self {
        Suspended {
            scope,
            body: Unstopped(Some(Mutex::new(body))),
        }
    }

    /// The lifespan's name, as its scope's owner.
    pub(crate) fn name(&self) -> &Name {
        self.scope.owner()
    }

    pub(crate) fn erased(mut self) -> Suspended<dyn ErasedLifespan + Send>
    where
        L: Sized + Send + 'static,
    {
        let body: Pin<Box<dyn ErasedLifespan + Send>> =
            self.body.0.take().map(into_inner).expect("not stopped yet");
        Suspended::new(self.scope, body)
    }

    /// The shutdown half and then the children, with every failure collected.
    pub(crate) async fn stop(mut self, deadline: Option<Instant>) -> Result<(), Error> {
        let stopwatch = Stopwatch::start();
        let mut errors = Vec::new();
        if let Err(error) = self.run_shutdown_half(deadline).await {
            errors.push(error);
        }
        let name = self.name().clone();
        errors.extend(stop_tree(Frame::Owned(self.scope, stopwatch), deadline).await);
        Error::collect(&name, Stage::Shutdown, errors)
    }

    /// Resumes the body after its yield point and runs it to the end, within the
    /// shutdown timeout capped by `deadline`. A panic is caught; on timeout the body is
    /// dropped (cancelled). Runs at most once.
    pub(crate) async fn run_shutdown_half(
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
        let span = tracing::info_span!("lifespan", name = %name, phase = "shutdown");
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
            Ok(Ok(Err(source))) => Some(Error::failed(name.clone(), Stage::Shutdown, source)),
            Ok(Err(payload)) => Some(Error::panicked(name.clone(), Stage::Shutdown, &*payload)),
            Err(_elapsed) => {
                let (limit, cause) = limit.expect("only a limited half times out");
                Some(Error::timed_out(
                    name.clone(),
                    Stage::Shutdown,
                    limit,
                    cause,
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
