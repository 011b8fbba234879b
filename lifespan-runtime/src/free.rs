//! The free functions: each acts on the current scope, as `tokio::spawn` acts on the
//! current runtime.

use std::borrow::Cow;
use std::future::Future;

use crate::engine::Scope;
use crate::engine::scope::{TaskHandle, turn_for, until_cancelled};
use crate::lifespan::{Enter, Lifespan};
use crate::outcome::Outcome;
use crate::phase::Phase;
use crate::restart::Restart;

/// Starts `lifespan` and registers it in the current scope; returns its value. The same
/// as [`Lifespan::enter`].
///
/// Outside a scope it fails with [`ErrorKind::NoScope`](crate::ErrorKind::NoScope),
/// whose message names the fix.
///
/// ```
/// # use lifespan::{from_fn, ErrorKind};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let error = lifespan::enter(from_fn("pool", |y| y.yield_app(()))).await.unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::NoScope);
/// # });
/// ```
///
/// It returns the same [`Enter`] future, not an `async fn`'s: a body that enters
/// another lifespan polls it from inside its own poll, and a wrapper would add a frame
/// (and a copy of the lifespan) to the stack of every level of a nested startup.
pub fn enter<L>(lifespan: L) -> Enter<L>
where
    L: Lifespan + Send + 'static,
{
    lifespan.enter()
}

/// Spawns a task tracked by the current scope, and returns its handle; see
/// [`Scope::spawn`]: the task stops at its own turn in the teardown.
///
/// # Panics
///
/// Outside a scope (the message names the fix), and outside a tokio runtime.
///
/// ```
/// # use lifespan::{from_fn, Lifespan};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let running = from_fn("server", |y| async move {
///     lifespan::spawn("accept-loop", async {
///         lifespan::shutdown_requested().await;
///     });
///     y.yield_app(()).await;
/// }).start().await.unwrap();
/// running.stop().await.unwrap(); // the shutdown half, then the accept loop
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(name: impl Into<Cow<'static, str>>, task: F) -> TaskHandle
where
    F: Future + Send + 'static,
    F::Output: Outcome,
{
    Scope::current_for("spawn").spawn(name, task)
}

/// Spawns a task whose failure does not concern the app; see [`Scope::spawn_isolated`].
///
/// # Panics
///
/// Outside a scope, and outside a tokio runtime.
///
/// ```
/// # use lifespan::Scope;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// scope.spawn("acceptor", async {
///     lifespan::spawn_isolated("connection-1", async { Err::<(), _>("reset by peer") });
/// });
/// scope.shutdown().await.unwrap(); // the connection's failure was only logged
/// # });
/// ```
#[track_caller]
pub fn spawn_isolated<F>(name: impl Into<Cow<'static, str>>, task: F) -> TaskHandle
where
    F: Future + Send + 'static,
    F::Output: Outcome,
{
    Scope::current_for("spawn_isolated").spawn_isolated(name, task)
}

/// Spawns a task that is started again after it ends, as `policy` says; see
/// [`Scope::spawn_supervised`].
///
/// # Panics
///
/// Outside a scope, and outside a tokio runtime.
///
/// ```
/// use std::time::Duration;
/// use lifespan::{from_fn, Lifespan, Restart};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let listener = from_fn("notifications", |y| async move {
///     let policy = Restart::on_failure().max_delay(Duration::from_secs(5));
///     lifespan::spawn_supervised("listen", policy, || async {
///         // LISTEN on a connection; an error reconnects after the backoff.
///         lifespan::shutdown_requested().await;
///         Ok::<(), std::io::Error>(())
///     });
///     y.yield_app(()).await;
/// }).start().await.unwrap();
/// listener.stop().await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn spawn_supervised<M, F>(
    name: impl Into<Cow<'static, str>>,
    policy: Restart,
    make: M,
) -> TaskHandle
where
    M: FnMut() -> F + Send + 'static,
    F: Future + Send + 'static,
    F::Output: Outcome,
{
    Scope::current_for("spawn_supervised").spawn_supervised(name, policy, make)
}

/// Registers a hook that runs at the current scope's teardown; see [`Scope::on_shutdown`].
///
/// # Panics
///
/// Outside a scope.
///
/// ```
/// # use lifespan::{from_fn, Lifespan};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let running = from_fn("metrics", |y| async move {
///     lifespan::on_shutdown("flush", async { println!("flushed") });
///     y.yield_app(()).await;
/// }).start().await.unwrap();
/// running.stop().await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn on_shutdown<F>(name: impl Into<Cow<'static, str>>, hook: F)
where
    F: Future + Send + 'static,
    F::Output: Outcome,
{
    Scope::current_for("on_shutdown").on_shutdown(name, hook);
}

/// Asks the whole app to shut down; see [`Scope::request_shutdown`].
///
/// # Panics
///
/// Outside a scope.
///
/// ```
/// # use lifespan::Scope;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// scope.spawn("admin", async { lifespan::request_shutdown() });
/// scope.shutdown_requested().await;
/// # scope.shutdown().await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn request_shutdown() {
    Scope::current_for("request_shutdown").request_shutdown();
}

/// Runs `future` until it completes, or until the current code's turn to stop comes
/// (see [`shutdown_requested`]); `None` when the turn came first. The turn is checked
/// first, so a loop around it ends even when `future` is always ready.
///
/// # Panics
///
/// Outside a scope (when called, not when awaited).
///
/// # Cancellation safety
///
/// As cancel-safe as `future`: an accept loop over `until_shutdown(listener.accept())`
/// loses no connection.
///
/// ```
/// # use lifespan::Scope;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// scope.spawn("accept-loop", async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
///         let (_stream, _peer) = accepted?;
///     }
///     Ok::<(), std::io::Error>(()) // this task's turn to stop came
/// });
/// scope.shutdown().await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn until_shutdown<F: Future>(future: F) -> impl Future<Output = Option<F::Output>> {
    until_cancelled(turn_for("until_shutdown"), future)
}

/// A future that resolves once the current code's turn to stop has come: in a task,
/// when the teardown reaches the task (see [`Scope::spawn`]); in a lifespan's body,
/// when its shutdown half begins; in a `#[lifespan::main]` or `#[lifespan::test]`
/// body, when the app's shutdown is requested. A
/// [`Scope::request_local_shutdown`] above resolves it too.
///
/// Turns come in teardown order: a task spawned before a part hears this only after
/// that part has stopped. For the app-wide moment shutdown begins, use
/// [`app_shutdown_requested`].
///
/// # Panics
///
/// Outside a scope (when called, not when awaited).
///
/// # Examples
///
/// A queue worker spawned before the part that feeds it drains the queue to its end:
/// when its turn comes, the feeder has stopped and dropped its sender.
///
/// ```
/// use lifespan::{from_fn, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let (jobs, mut queue) = tokio::sync::mpsc::channel::<u32>(16);
/// let worker = scope.spawn("worker", async move {
///     let mut done = 0;
///     // `recv` returns `None` once every sender is gone: the queue is drained.
///     while let Some(_job) = queue.recv().await {
///         done += 1;
///     }
///     assert_eq!(done, 3);
/// });
/// scope.enter(from_fn("feeder", move |y| async move {
///     y.yield_app(()).await;
///     for job in 0..3 {
///         jobs.send(job).await.unwrap(); // the last requests, while stopping
///     }
/// })).await?;
/// scope.shutdown().await?; // the feeder stops first, then the worker's turn
/// worker.await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn shutdown_requested() -> impl Future<Output = ()> + Send + 'static {
    turn_for("shutdown_requested").cancelled_owned()
}

/// Whether the current code's turn to stop has come: [`shutdown_requested`] would
/// resolve at once. Inside a task this is the task's own turn, which comes after its
/// scope's: prefer it to `Scope::current().is_shutdown_requested()` there.
///
/// # Panics
///
/// Outside a scope.
///
/// ```
/// # use lifespan::Scope;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let poller = scope.spawn("poller", async {
///     while !lifespan::is_shutdown_requested() {
///         tokio::task::yield_now().await; // poll something
///     }
/// });
/// scope.shutdown().await?;
/// assert!(poller.is_finished());
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn is_shutdown_requested() -> bool {
    turn_for("is_shutdown_requested").is_cancelled()
}

/// A future that resolves once the app's shutdown has been requested or has begun: at
/// once everywhere, not at each part's turn. See [`Scope::app_shutdown_requested`].
///
/// # Panics
///
/// Outside a scope (when called, not when awaited).
///
/// ```
/// # use lifespan::Scope;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let readiness = scope.spawn("readiness", async {
///     lifespan::app_shutdown_requested().await;
///     println!("readyz: 503"); // before any part stops
/// });
/// scope.request_shutdown();
/// readiness.await?;
/// scope.shutdown().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn app_shutdown_requested() -> impl Future<Output = ()> + Send + 'static {
    Scope::current_for("app_shutdown_requested").app_shutdown_requested()
}

/// The app's phase, for a `/readyz` handler; see [`Scope::phase`].
///
/// # Panics
///
/// Outside a scope.
///
/// ```
/// # use lifespan::{from_fn, Phase, Scope};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let ready = scope.enter(from_fn("readyz", |y| async move {
///     y.yield_app(lifespan::phase() == Phase::Running).await;
/// })).await.unwrap();
/// assert!(ready);
/// scope.shutdown().await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn phase() -> Phase {
    Scope::current_for("phase").phase()
}

/// Whether the app's shutdown has been requested or has begun; see
/// [`Scope::is_app_shutdown_requested`]. For a `/readyz` handler that must turn 503 the
/// instant shutdown begins.
///
/// # Panics
///
/// Outside a scope.
///
/// ```
/// # use lifespan::{from_fn, Scope};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let probe = scope.enter(from_fn("probe", |y| async move {
///     y.yield_app(Scope::current()).await;
/// })).await?;
/// scope.request_shutdown();
/// assert!(probe.is_app_shutdown_requested());
/// assert!(!probe.is_shutdown_requested()); // its own turn comes at teardown
/// scope.shutdown().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn is_app_shutdown_requested() -> bool {
    Scope::current_for("is_app_shutdown_requested").is_app_shutdown_requested()
}
