//! [`Follow`]: what a restarting lifespan hands out, so that its holders always reach
//! the instance that runs now.

use std::fmt;

use tokio::sync::watch;

/// The value of a lifespan started with [`supervised`](crate::supervised), as it is
/// now: each restart hands over the new instance's value, and while the part is down
/// (stopped after a failure, waiting out its backoff, starting again) there is none.
///
/// A holder asks for the value when it needs it, rather than keeping one: a
/// connection pool that was replaced is not used after its restart. `Follow` is cheap
/// to clone; every clone follows the same part.
///
/// ```
/// use lifespan::{from_fn, Follow, Restart, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let pool: Follow<&str> = scope
///     .enter(lifespan::supervised(Restart::on_failure(), || from_fn("pool", |y| y.yield_app("pool"))))
///     .await?;
/// assert_eq!(pool.get(), Some("pool"));
/// assert!(pool.is_up());
/// scope.shutdown().await?;
/// assert_eq!(pool.get(), None); // stopped for good
/// assert_eq!(pool.wait().await, None);
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
pub struct Follow<T> {
    current: watch::Receiver<Option<T>>,
}

impl<T: Clone> Follow<T> {
    /// A new part, up with `value`, and what publishes its instances.
    pub(super) fn channel(value: T) -> (watch::Sender<Option<T>>, Follow<T>) {
        let (publish, current) = watch::channel(Some(value));
        (publish, Follow { current })
    }

    /// The running instance's value, or `None` while the part is down or once it has
    /// stopped.
    ///
    /// ```
    /// # use lifespan::{from_fn, Restart, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// # let scope = Scope::new();
    /// # let follow = scope.enter(lifespan::supervised(Restart::on_failure(), || from_fn("n", |y| y.yield_app(7)))).await?;
    /// if let Some(value) = follow.get() {
    ///     assert_eq!(value, 7);
    /// }
    /// # scope.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn get(&self) -> Option<T> {
        self.current.borrow().clone()
    }

    /// Whether an instance runs now.
    ///
    /// ```
    /// # use lifespan::{from_fn, Restart, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// # let scope = Scope::new();
    /// let follow = scope.enter(lifespan::supervised(Restart::on_failure(), || from_fn("n", |y| y.yield_app(())))).await?;
    /// assert!(follow.is_up());
    /// # scope.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn is_up(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// The running instance's value, waiting while the part is down; `None` once it has
    /// stopped for good: its teardown has begun. A part that gave up is down (`get` is
    /// `None`) until the app's teardown, which its giving up requested, stops it.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: it only waits.
    ///
    /// ```
    /// # use lifespan::{from_fn, Restart, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// # let scope = Scope::new();
    /// let follow = scope.enter(lifespan::supervised(Restart::on_failure(), || from_fn("n", |y| y.yield_app(3)))).await?;
    /// assert_eq!(follow.wait().await, Some(3));
    /// # scope.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn wait(&self) -> Option<T> {
        let mut current = self.current.clone();
        let value = current.wait_for(Option::is_some).await.ok()?;
        value.clone()
    }

    /// Resolves at the next change: the part went down, or a new instance came up.
    /// `Err` once the part has stopped for good and the change was seen.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe, as `watch::Receiver::changed` is.
    ///
    /// ```
    /// # use lifespan::{from_fn, Restart, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// # let scope = Scope::new();
    /// let mut follow = scope.enter(lifespan::supervised(Restart::on_failure(), || from_fn("n", |y| y.yield_app(())))).await?;
    /// scope.shutdown().await?;
    /// assert!(follow.changed().await.is_ok()); // it went down
    /// assert!(follow.changed().await.is_err()); // and stopped for good
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn changed(&mut self) -> Result<(), StoppedForGood> {
        self.current.changed().await.map_err(|_| StoppedForGood)
    }
}

impl<T> Clone for Follow<T> {
    fn clone(&self) -> Self {
        Follow {
            current: self.current.clone(),
        }
    }
}

/// `Follow { up: true }`: whether an instance runs, not its value.
impl<T> fmt::Debug for Follow<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Follow")
            .field("up", &self.current.borrow().is_some())
            .finish()
    }
}

/// Returned by [`Follow::changed`] once the part has stopped for good.
///
/// ```
/// assert_eq!(lifespan::StoppedForGood.to_string(), "the part has stopped for good");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoppedForGood;

impl fmt::Display for StoppedForGood {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the part has stopped for good")
    }
}

impl std::error::Error for StoppedForGood {}
