//! The [`Lifespan`] trait: a resource's startup and shutdown as one suspended future.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use crate::engine::start::{Entering, Startup};
use crate::engine::{Body, Scope};
use crate::error::{BoxError, Error};
use crate::running::Running;

/// A resource's startup and shutdown, written as one async body with a yield point in
/// the middle.
///
/// A lifespan is lazy, like a future: creating one runs nothing. [`start`] runs the
/// startup half up to the yield point and hands back a [`Running`] that holds the
/// yielded value; [`Running::stop`] runs the shutdown half. [`enter`] starts it and
/// registers it in the current [`Scope`], which stops it at teardown, after everything
/// entered later.
///
/// Lifespans are written with `#[lifespan]` or with [`from_fn`]. The trait is sealed:
/// its `where` clause names the engine's interface, which nothing outside the crate can
/// implement.
///
/// [`start`]: Lifespan::start
/// [`enter`]: Lifespan::enter
/// [`Running`]: crate::Running
/// [`Running::stop`]: crate::Running::stop
/// [`from_fn`]: crate::from_fn
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lifespan::{from_fn, Lifespan};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let counter = from_fn("counter", |yielder| async move {
///     let opened = 41;
///     yielder.yield_app(opened + 1).await;
///     println!("closing counter {opened}");
/// })
/// .named("request-counter")
/// .startup_timeout(Duration::from_secs(1));
///
/// let running = counter.start().await?;
/// assert_eq!(*running, 42);
/// running.stop().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "a lifespan does nothing until it is started: write `.enter().await?` to run it in the current scope, or `.start().await` to run it on its own"]
pub trait Lifespan: Sized
where
    Self: Body<Yielded = <Self as Lifespan>::Value, Failure = <Self as Lifespan>::Error>,
{
    /// What the startup half yields to the app: a pool, a client, a handle.
    type Value;

    /// The error either half may fail with; [`Infallible`](std::convert::Infallible)
    /// when the body returns `()`.
    type Error: Into<BoxError>;

    /// Renames the lifespan: the name used in logs and errors. Defaults to the name given
    /// to [`from_fn`](crate::from_fn) (for `#[lifespan]`, the function's name).
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan};
    /// let replica = from_fn("database", |y| y.yield_app(())).named("database-replica");
    /// # let _ = replica;
    /// ```
    fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.__config_mut().name = name.into();
        self
    }

    /// Limits the startup half to `limit`; past it the half is cancelled, whatever it had
    /// entered is stopped, and startup fails with [`ErrorKind::TimedOut`]. Overrides the
    /// attribute's `startup_timeout`. Without one, startup may take as long as it takes.
    ///
    /// [`ErrorKind::TimedOut`]: crate::ErrorKind::TimedOut
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::{from_fn, Lifespan};
    /// let quick = from_fn("cache", |y| y.yield_app(())).startup_timeout(Duration::from_millis(250));
    /// # let _ = quick;
    /// ```
    fn startup_timeout(mut self, limit: Duration) -> Self {
        self.__config_mut().startup_timeout = Some(limit);
        self
    }

    /// Limits the shutdown half to `limit`; past it the half is cancelled and the
    /// lifespan's children are stopped all the same. During a scope's teardown the limit
    /// is further capped by what is left of the scope's deadline. Overrides the
    /// attribute's `shutdown_timeout`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::{from_fn, Lifespan};
    /// let bounded = from_fn("producer", |y| y.yield_app(())).shutdown_timeout(Duration::from_secs(5));
    /// # let _ = bounded;
    /// ```
    fn shutdown_timeout(mut self, limit: Duration) -> Self {
        self.__config_mut().shutdown_timeout = Some(limit);
        self
    }

    /// Runs the startup half, up to the yield point, and returns the suspended lifespan.
    ///
    /// Needs no scope: the caller owns the [`Running`](crate::Running) and must call
    /// [`stop`](crate::Running::stop). Works with borrowed arguments and `!Send` bodies.
    /// Needs a tokio runtime only when a startup timeout is set.
    ///
    /// On failure (an error, a panic, a timeout, or a body that returns before its yield
    /// point) the startup half is cancelled, whatever it had entered is stopped in
    /// reverse order, and the error names this lifespan.
    ///
    /// # Cancellation safety
    ///
    /// Dropping the future before it completes (a `select!`, a `try_join!` whose sibling
    /// failed, an outer timeout) cancels the startup half where it stands, and nothing it
    /// had started is lost: the scope current where `start` was called inherits what it
    /// had entered (or its rollback, halfway through) and stops it with its own children.
    /// Outside any scope, a task on the current runtime stops it, and its failures are
    /// logged.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let config = String::from("borrowed, not moved");
    /// let reader = from_fn("reader", |y| async { y.yield_app(config.len()).await });
    /// let running = reader.start().await.unwrap();
    /// assert_eq!(*running, 19);
    /// running.stop().await.unwrap();
    /// # });
    /// ```
    fn start(self) -> Start<Self> {
        Start::new(self, Scope::try_current())
    }

    /// Starts the lifespan and registers it in the current scope, which stops it during
    /// teardown: after its owner's shutdown half, before everything registered earlier.
    /// Returns the yielded value.
    ///
    /// The scope is the one current where `enter` is called: inside a lifespan's body, a
    /// `#[lifespan::main]` or `#[lifespan::test]` body, or a task from `spawn`.
    /// Elsewhere it fails with [`ErrorKind::NoScope`](crate::ErrorKind::NoScope).
    /// Independent lifespans start concurrently with `tokio::try_join!`; each registers
    /// when its own startup completes.
    ///
    /// # Cancellation safety
    ///
    /// As for [`start`](Lifespan::start): a dropped `enter` has registered nothing, and
    /// the scope stops what its startup had entered.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let app = from_fn("app", |yielder| async move {
    ///     let pool = from_fn("pool", |y| y.yield_app("pool")).enter().await?;
    ///     yielder.yield_app(pool).await;
    ///     Ok::<(), lifespan::Error>(())
    /// });
    /// let scope = Scope::new();
    /// assert_eq!(scope.enter(app).await.unwrap(), "pool");
    /// scope.shutdown().await.unwrap(); // stops app, then pool
    /// # });
    /// ```
    fn enter(self) -> Enter<Self>
    where
        Self: Send + 'static,
    {
        Enter::new(self, Scope::try_current())
    }
}

/// The future returned by [`Lifespan::start`]: runs the startup half up to the yield
/// point, then resolves to the [`Running`] lifespan. It is `Send` when the lifespan is,
/// so it can be awaited inside `tokio::spawn`.
///
/// # Cancellation safety
///
/// Dropping it before it completes cancels the startup half where it stands; what it
/// had entered is stopped by the scope it was started in (see [`Lifespan::start`]).
///
/// ```
/// # use lifespan::{from_fn, Lifespan};
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let handle = tokio::spawn(async {
///     let running = from_fn("remote", |y| y.yield_app(5)).start().await?;
///     let value = *running;
///     running.stop().await?;
///     Ok::<_, lifespan::Error>(value)
/// });
/// assert_eq!(handle.await.unwrap().unwrap(), 5);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Start<L: Lifespan> {
    startup: Startup<L>,
}

impl<L: Lifespan> Start<L> {
    pub(crate) fn new(lifespan: L, parent: Option<Scope>) -> Self {
        Start {
            startup: Startup::new(lifespan, parent),
        }
    }
}

impl<L: Lifespan> Future for Start<L> {
    type Output = Result<Running<L::Value, L>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (value, suspended) = ready!(Pin::new(&mut self.startup).poll(cx))?;
        Poll::Ready(Ok(Running::new(value, suspended)))
    }
}

impl<L: Lifespan> std::fmt::Debug for Start<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Start")
            .field("state", &self.startup.state())
            .finish()
    }
}

/// The future returned by [`Lifespan::enter`] and [`Scope::enter`]: starts the
/// lifespan, registers it in the scope that was current when `enter` was called, and
/// resolves to its value.
///
/// # Cancellation safety
///
/// Dropping it before it completes registers nothing; the scope stops what its startup
/// had entered.
///
/// ```
/// # use lifespan::{from_fn, Lifespan, Scope};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let service = from_fn("service", |yielder| async move {
///     // Created here, inside the service's scope, and awaited later.
///     let entering = from_fn("dependency", |y| y.yield_app(3)).enter();
///     let dependency = entering.await?;
///     yielder.yield_app(dependency * 2).await;
///     Ok::<(), lifespan::Error>(())
/// });
/// let scope = Scope::new();
/// assert_eq!(scope.enter(service).await.unwrap(), 6);
/// scope.shutdown().await.unwrap();
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Enter<L: Lifespan> {
    entering: Entering<L>,
}

impl<L: Lifespan> Enter<L> {
    pub(crate) fn new(lifespan: L, scope: Option<Scope>) -> Self {
        Enter {
            entering: Entering::new(lifespan, scope),
        }
    }
}

impl<L: Lifespan + Send + 'static> Future for Enter<L> {
    type Output = Result<L::Value, Error>;

    // Inlined even in debug builds: nested startups stack this frame once per level.
    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.entering).poll(cx)
    }
}

impl<L: Lifespan> std::fmt::Debug for Enter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enter")
            .field("state", &self.entering.state())
            .finish()
    }
}

/// `Scope::enter` lives here, beside the future it returns: the engine does not know
/// the `Lifespan` trait.
impl Scope {
    /// Starts `lifespan` and registers it in this scope; the [`Enter`] future resolves
    /// to its value. See [`Lifespan::enter`], which does the same in the current scope.
    ///
    /// If this scope has already shut down, the lifespan is stopped again at once and
    /// the error is [`ErrorKind::ScopeClosed`](crate::ErrorKind::ScopeClosed).
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let port = scope.enter(from_fn("listener", |y| y.yield_app(8080_u16))).await.unwrap();
    /// assert_eq!(port, 8080);
    /// scope.shutdown().await.unwrap();
    /// # });
    /// ```
    pub fn enter<L>(&self, lifespan: L) -> Enter<L>
    where
        L: Lifespan + Send + 'static,
    {
        Enter::new(lifespan, Some(self.clone()))
    }
}
