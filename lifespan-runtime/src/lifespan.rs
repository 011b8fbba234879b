//! The [`Lifespan`] trait: a resource's startup and shutdown as one suspended future.

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::{BoxError, Name};
use crate::running::ErasedLifespan;
use crate::scope::Scope;
use crate::start::{Enter, Start};

/// A resource's startup and shutdown, written as one async body with a yield point in
/// the middle.
///
/// A lifespan is lazy, like a future: creating one runs nothing. [`start`] runs the
/// startup half up to the yield point and hands back a [`Running`] that holds the
/// yielded value; [`Running::stop`] runs the shutdown half. [`enter`] starts it and
/// registers it in the current [`Scope`], which stops it at teardown, after everything
/// entered later.
///
/// Lifespans are written with `#[lifespan]` or with [`from_fn`]; the trait is sealed.
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
/// use lifespan_runtime::{from_fn, Lifespan};
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
/// # Ok::<(), lifespan_runtime::Error>(())
/// # }).unwrap();
/// ```
pub trait Lifespan: ErasedLifespan + Sized {
    /// What the startup half yields to the app: a pool, a client, a handle.
    type Value;

    /// The error either half may fail with; [`Infallible`](std::convert::Infallible)
    /// when the body returns `()`.
    type Error: Into<BoxError>;

    #[doc(hidden)]
    fn __config_mut(&mut self) -> &mut Config;

    #[doc(hidden)]
    fn __begin(self: Pin<&mut Self>, scope: Scope);

    #[doc(hidden)]
    fn __poll_start(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Started<Self::Value, Self::Error>>;

    /// Renames the lifespan: the name used in logs and errors. Defaults to the name given
    /// to [`from_fn`](crate::from_fn) (for `#[lifespan]`, the function's name).
    ///
    /// ```
    /// # use lifespan_runtime::{from_fn, Lifespan};
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
    /// # use lifespan_runtime::{from_fn, Lifespan};
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
    /// # use lifespan_runtime::{from_fn, Lifespan};
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
    /// # use lifespan_runtime::{from_fn, Lifespan};
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
    /// # use lifespan_runtime::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let app = from_fn("app", |yielder| async move {
    ///     let pool = from_fn("pool", |y| y.yield_app("pool")).enter().await?;
    ///     yielder.yield_app(pool).await;
    ///     Ok::<(), lifespan_runtime::Error>(())
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

/// The settings every lifespan carries.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) name: Name,
    pub(crate) startup_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Option<Duration>,
}

impl Config {
    pub(crate) fn new(name: Name) -> Self {
        Config {
            name,
            startup_timeout: None,
            shutdown_timeout: None,
        }
    }
}

/// How one poll of the startup half ended.
#[doc(hidden)]
#[derive(Debug)]
pub enum Started<T, E> {
    /// The body reached its yield point with this value.
    Yielded(T),
    /// The body ended without yielding.
    Returned(Result<(), E>),
}
