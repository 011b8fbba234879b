//! [`Running`]: a lifespan suspended between its halves.

use std::ops::{Deref, DerefMut};

use crate::engine::{Scope, Stoppable, Suspended};
use crate::error::Error;

/// A started lifespan, suspended at its yield point: the app runs now.
///
/// It dereferences to the yielded value. [`stop`](Running::stop) runs the shutdown
/// half, then stops whatever the lifespan entered, spawned or registered, in reverse
/// order.
///
/// Dropping a `Running` without stopping it cannot run the shutdown half: the body is
/// dropped where it stands and a warning is logged. What the body entered, spawned or
/// registered is not leaked: its tasks are told to stop, and all of it is stopped on a
/// task of the runtime, within the lifespan's shutdown timeout, failures logged at
/// ERROR. Outside a tokio runtime a warning says what was left unstopped.
///
/// `L` is the lifespan's own type, which only the compiler can name. `Running<T>`, the
/// default, holds any `Send` lifespan with its type erased, for storing in structs; get
/// one with [`erased`](Running::erased). (The bound on `L` is sealed: every lifespan
/// meets it, and nothing outside this crate can name it.)
///
/// # Examples
///
/// ```
/// use lifespan::{from_fn, Lifespan, Running};
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
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "a running lifespan only runs its shutdown half when `stop` is awaited"]
pub struct Running<T, L: ?Sized + Stoppable = dyn Stoppable + Send> {
    value: T,
    suspended: Suspended<L>,
}

impl<T, L: ?Sized + Stoppable> Running<T, L> {
    pub(crate) fn new(value: T, suspended: Suspended<L>) -> Self {
        Running { value, suspended }
    }

    /// The lifespan's name, as used in logs and errors.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan};
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
    /// is stopped with it. Useful to wait for
    /// [`Scope::app_shutdown_requested`], which resolves when one of its tasks fails
    /// (as [`Scope::shutdown_requested`] does too for a lifespan started outside any
    /// scope, which is an app of its own), and to ask the lifespan's tasks to wind down
    /// ahead of [`stop`](Running::stop) with
    /// [`request_local_shutdown`](Scope::request_local_shutdown).
    ///
    /// The scope stops with the lifespan, after its shutdown half: its
    /// [`shutdown`](Scope::shutdown) refuses with [`ErrorKind::WrongScope`]; call
    /// [`stop`](Running::stop) instead.
    ///
    /// [`ErrorKind::WrongScope`]: crate::ErrorKind::WrongScope
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let running = from_fn("worker", |y| y.yield_app(())).start().await.unwrap();
    /// assert!(!running.scope().is_shutdown_requested());
    /// # running.stop().await.unwrap();
    /// # });
    /// ```
    pub fn scope(&self) -> &Scope {
        self.suspended.scope()
    }

    /// Runs the shutdown half, then stops the lifespan's children (entered lifespans,
    /// spawned tasks, shutdown hooks) in reverse order. The yielded value is dropped
    /// first, so that a channel or handle given to the app is closed before the
    /// shutdown half starts.
    ///
    /// Every failure is collected: a failing shutdown half does not keep the children
    /// from stopping, and the error holds all of them.
    ///
    /// # Cancellation safety
    ///
    /// Dropped during the shutdown half, the half is cancelled, as a timed-out one is,
    /// and the children are stopped on a task of the runtime. Dropped while the
    /// children stop, they go on stopping there. Failures nobody waits for are logged at
    /// ERROR.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan};
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

    /// Erases the lifespan's type, so that the `Running` has a type you can write:
    /// `Running<T>`. Costs nothing: the lifespan is boxed already.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Running};
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
}

impl<T, L: ?Sized + Stoppable> Deref for Running<T, L> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T, L: ?Sized + Stoppable> DerefMut for Running<T, L> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: std::fmt::Debug, L: ?Sized + Stoppable> std::fmt::Debug for Running<T, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("name", self.suspended.name())
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}
