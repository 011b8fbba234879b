//! [`Scope`]: an async exit stack of lifespans, tasks and hooks.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorKind, Name, Origin, WrongScope};
use crate::ledger::{EntryId, Event, Ledger};
use crate::outcome::Outcome;
use crate::phase::{Phase, SharedPhase};
use crate::sync::lock;

use super::suspended::{Stoppable, Suspended};

mod children;
mod current;
mod cut;
mod detached;
mod group;
mod hurry;
mod recording;
mod task_handle;
mod teardown;

pub(in crate::engine) use children::{Batch, Child, Rollback};
use children::{Hook, Registered, TaskGroup};
pub(crate) use current::{InScope, in_root, in_scope, turn_for};
pub(in crate::engine) use cut::CutWatch;
pub(in crate::engine) use detached::{Detached, abandon};
pub use task_handle::TaskHandle;
pub(crate) use teardown::{Frame, stop_tree};

/// An async exit stack: lifespans entered, tasks spawned and hooks registered in it are
/// stopped by [`shutdown`](Scope::shutdown), in reverse order of registration.
///
/// Every lifespan's body runs in a scope of its own, so what it enters is stopped
/// right after its shutdown half. `#[lifespan::main]` and `#[lifespan::test]` make the
/// root scope; [`Scope::new`] makes one by hand.
///
/// A `Scope` is a cheap handle (`Clone`, `Send`, `Sync`, `'static`): clones refer to the
/// same scope. A root dropped by its owner without `shutdown()` while it still holds
/// parts, tasks or hooks does not leak them: when the last of the handles `Scope::new`
/// returned and their clones is gone, its teardown begins by itself on a task of the
/// runtime, with a warning, and failures are logged at ERROR. Handles taken from inside
/// with [`Scope::current`] do not keep it alive; a clone of the owner's handle moved
/// into one of its own tasks does, so inside tasks reach the scope through
/// `Scope::current()` or the free functions. The scopes of one app share its [`Phase`] and its shutdown request: a
/// [`request_shutdown`](Scope::request_shutdown) anywhere in the tree asks the whole app
/// to stop.
///
/// # Examples
///
/// ```
/// use lifespan::{from_fn, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let pool = scope.enter(from_fn("pool", |y| async move {
///     y.yield_app("pool").await;
///     println!("pool closed");
/// })).await?;
/// let shutdown = scope.shutdown_requested();
/// scope.spawn("server", async move {
///     shutdown.await; // stop accepting
///     println!("server drained");
/// });
/// scope.on_shutdown("flush-metrics", async { println!("metrics flushed") });
/// assert_eq!(pool, "pool");
///
/// // prints "metrics flushed" and "server drained" (the server heard the shutdown at
/// // once, so these two may come in either order), then "pool closed"
/// scope.shutdown().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
pub struct Scope {
    inner: Arc<Inner>,
    /// Whether this handle is one of `Inner::handles`: the handle `Scope::new` gave its
    /// owner, and its clones. The engine's own references (a task's, a parent's upgraded
    /// link) and handles taken from inside with `Scope::current` are not, so that a root
    /// whose owner let go of it can be noticed.
    counted: bool,
}

struct Inner {
    /// The lifespan whose body runs in this scope, or "app" for a root.
    owner: Name,
    app: Arc<App>,
    /// The owner's line in the app's ledger, when the app keeps one.
    entry: Option<EntryId>,
    /// This scope's turn to stop: cancelled when its teardown begins (a lifespan's
    /// shutdown half), or by a local shutdown request here or above; a root's is the
    /// app's request. Made on first use, so that a lifespan whose body never asks pays
    /// for no token.
    token: OnceLock<CancellationToken>,
    /// Cancelled by a local shutdown request here or above: the parent of `token`, of
    /// the task groups' tokens and of the children's `subtree`. Made on first use.
    subtree: OnceLock<CancellationToken>,
    /// A local shutdown request was made here: startups in this scope and below are cut.
    locally_stopped: AtomicBool,
    /// Where `subtree` comes from; `None` for a root. Weak: the parent holds its
    /// children, so a strong link would be a cycle.
    parent: Option<Weak<Inner>>,
    /// Its turn came before the token was made: the token starts cancelled.
    cancelled: AtomicBool,
    /// The scope of a lifespan, which stops with it, rather than a root that
    /// [`Scope::shutdown`] tears down.
    owned: bool,
    /// The global deadline of `shutdown()`, for roots made with `with_shutdown_timeout`.
    shutdown_timeout: Option<Duration>,
    /// How many children the parent had registered when this scope's startup began.
    began_after: u64,
    /// How many children this scope has registered: the next one's `seq`. Written under
    /// the state's lock, read without it when a child's startup begins.
    registered: AtomicU64,
    /// How many counted handles exist. When a root's last one is dropped before its
    /// teardown, the teardown begins by itself (see `Drop for Scope`).
    handles: AtomicUsize,
    /// The runtime its first task was spawned on: where that teardown runs when the
    /// last handle is dropped on a thread outside any runtime.
    runtime: OnceLock<tokio::runtime::Handle>,
    /// Set by a lifespan that restarts what runs below it: offered the failures of the
    /// tasks of the scopes below this one before they stop the app.
    supervisor: OnceLock<Supervisor>,
    state: Mutex<State>,
}

/// Keeps the app not ready while a part is down; see [`Scope::down`].
pub(crate) struct Down(Arc<App>);

impl Drop for Down {
    fn drop(&mut self) {
        self.0.down.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes a failure from below a supervised scope (`true`), or lets it go on up; given
/// the supervised scope itself, which it cannot hold without a cycle, and whether the
/// failed part's own stop had begun or been asked for.
pub(crate) type Supervisor = Box<dyn Fn(&Scope, &Error, bool) -> bool + Send + Sync>;

/// What every scope of one app shares.
struct App {
    phase: SharedPhase,
    /// The root scope's token, made when first needed: by a `shutdown_requested()`
    /// anywhere in the app, or by `request_shutdown()`, which cancels it. An app nobody
    /// asks pays nothing for it.
    shutdown: OnceLock<CancellationToken>,
    /// Cancelled when the teardown is hurried: task groups abort at their turn instead
    /// of waiting. Made with the app's first task group, or when asked for.
    hurry: OnceLock<CancellationToken>,
    /// Kept by a `#[lifespan::main]` service only.
    ledger: OnceLock<Ledger>,
    /// What tells the startups in progress that a request may cover them.
    requests: cut::Requests,
    /// The whole teardown's limit: `#[lifespan::main]`'s `shutdown_timeout`, or
    /// `Scope::with_shutdown_timeout`'s.
    shutdown_timeout: Option<Duration>,
    /// Parts down between a failure and their restart whose policy turns readiness off
    /// meanwhile.
    down: AtomicUsize,
}

impl App {
    fn shutdown_token(&self) -> &CancellationToken {
        self.shutdown.get_or_init(CancellationToken::new)
    }

    fn hurry_token(&self) -> &CancellationToken {
        self.hurry.get_or_init(CancellationToken::new)
    }
}

#[derive(Default)]
struct State {
    children: Vec<Registered>,
    /// Failures of tasks not spawned isolated, reported at teardown.
    failures: Vec<Error>,
    /// Torn down: nothing can be registered any more.
    closed: bool,
    /// The teardown of a root, once `shutdown()` began it: later calls wait for the same
    /// one, so a call cut short by its caller leaves it running, not half done.
    teardown: Option<Detached>,
}

impl Scope {
    /// A root scope with no shutdown deadline: [`shutdown`](Scope::shutdown) waits for
    /// every part as long as its own timeouts allow. Its phase starts as
    /// [`Phase::Running`].
    ///
    /// ```
    /// # use lifespan::Scope;
    /// let scope = Scope::new();
    /// assert!(!scope.is_shutdown_requested());
    /// ```
    pub fn new() -> Scope {
        Scope::new_app(None, Phase::Running, None)
    }

    /// A root scope whose [`shutdown`](Scope::shutdown) must finish within `limit`: each
    /// part gets the smaller of its own shutdown timeout and what is left of the
    /// deadline, and tasks still running when it passes are aborted.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Scope;
    /// let scope = Scope::with_shutdown_timeout(Duration::from_secs(30));
    /// # let _ = scope;
    /// ```
    pub fn with_shutdown_timeout(limit: Duration) -> Scope {
        Scope::new_app(Some(limit), Phase::Running, None)
    }

    /// The root of a `#[lifespan::main]` service: [`Phase::Starting`], with a ledger.
    /// Its teardown's deadline is `shutdown_timeout`, counted by the service from the
    /// signal, not by the root's own `shutdown()`.
    pub(crate) fn service_root(shutdown_timeout: Duration) -> Scope {
        let app = App {
            phase: SharedPhase::new(Phase::Starting),
            shutdown: OnceLock::new(),
            hurry: OnceLock::new(),
            ledger: OnceLock::from(Ledger::default()),
            requests: cut::Requests::default(),
            down: AtomicUsize::new(0),
            shutdown_timeout: Some(shutdown_timeout),
        };
        Scope::from_parts(Cow::Borrowed("app"), Arc::new(app), None, None, false)
    }

    /// A root named "app", which [`shutdown`](Scope::shutdown) tears down.
    fn new_app(shutdown_timeout: Option<Duration>, phase: Phase, ledger: Option<Ledger>) -> Scope {
        let app = Arc::new(App {
            phase: SharedPhase::new(phase),
            shutdown: OnceLock::new(),
            hurry: OnceLock::new(),
            ledger: ledger.map_or_else(OnceLock::new, OnceLock::from),
            requests: cut::Requests::default(),
            down: AtomicUsize::new(0),
            shutdown_timeout,
        });
        Scope::from_parts(Cow::Borrowed("app"), app, None, shutdown_timeout, false)
    }

    /// The scope of a lifespan named `owner` started outside any scope: an app of its
    /// own, stopped with the lifespan.
    pub(super) fn standalone(owner: Name) -> Scope {
        let app = Arc::new(App {
            phase: SharedPhase::new(Phase::Running),
            shutdown: OnceLock::new(),
            hurry: OnceLock::new(),
            ledger: OnceLock::new(),
            requests: cut::Requests::default(),
            down: AtomicUsize::new(0),
            shutdown_timeout: None,
        });
        Scope::from_parts(owner, app, None, None, true)
    }

    /// The scope a lifespan named `owner` runs its body in, below this one.
    pub(super) fn child(&self, owner: Name) -> Scope {
        Scope::from_parts(owner, self.inner.app.clone(), Some(self), None, true)
    }

    /// A child scope of `parent`, or a root without one; `owned` when a lifespan's body
    /// runs in it.
    fn from_parts(
        owner: Name,
        app: Arc<App>,
        parent: Option<&Scope>,
        shutdown_timeout: Option<Duration>,
        owned: bool,
    ) -> Scope {
        let began_after =
            parent.map_or(0, |parent| parent.inner.registered.load(Ordering::Acquire));
        let parent_scope = parent;
        let parent = parent.map(|parent| Arc::downgrade(&parent.inner));
        let entry = match (app.ledger.get(), parent_scope) {
            // The root has no entry, so it is not on a path: `main/db`, not `app/main/db`.
            (Some(ledger), Some(parent)) => Some(ledger.begin(owner.clone(), parent.inner.entry)),
            _ => None,
        };
        Scope {
            inner: Arc::new(Inner {
                owner,
                app,
                entry,
                token: OnceLock::new(),
                subtree: OnceLock::new(),
                locally_stopped: AtomicBool::new(false),
                parent,
                cancelled: AtomicBool::new(false),
                owned,
                shutdown_timeout,
                began_after,
                registered: AtomicU64::new(0),
                handles: AtomicUsize::new(1),
                runtime: OnceLock::new(),
                supervisor: OnceLock::new(),
                state: Mutex::new(State::default()),
            }),
            counted: true,
        }
    }

    /// A reference of the engine's own to the scope of `inner`: not a handle, so it
    /// does not keep a root from noticing that its owner let go of it.
    fn uncounted(inner: Arc<Inner>) -> Scope {
        Scope {
            inner,
            counted: false,
        }
    }

    /// The engine's own reference to this scope, for a task that runs in it.
    pub(super) fn reference(&self) -> Scope {
        Scope::uncounted(self.inner.clone())
    }

    /// Spawns `task` on the tokio runtime, tracked by this scope, and returns its
    /// [`TaskHandle`]. The task returns `()` or `Result<(), E>`.
    ///
    /// The task is a child of the scope like the lifespans entered beside it, and stops
    /// at its own turn in the teardown: [`lifespan::shutdown_requested()`](crate::shutdown_requested)
    /// inside it resolves when the teardown reaches it (after every part registered
    /// after it has stopped), and the scope then waits for it within what is left of
    /// the deadline, and aborts it. So a queue worker spawned before the server that
    /// fills its queue drains what the server enqueued while it stopped. Tasks spawned
    /// one after another, with nothing registered between them, share one turn.
    ///
    /// If the task fails or panics, the failure is logged, kept for the teardown's
    /// error, and shutdown of the whole app is requested; use
    /// [`spawn_isolated`](Scope::spawn_isolated) for tasks whose failure is not the
    /// app's.
    ///
    /// A task spawned after the scope has shut down is dropped unrun, with a warning; its
    /// handle says so.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let ticker = scope.spawn("ticker", async {
    ///     lifespan::shutdown_requested().await; // this task's turn to stop
    ///     Ok::<(), std::io::Error>(())
    /// });
    /// scope.shutdown().await.unwrap();
    /// assert!(ticker.await.is_ok());
    /// # });
    /// ```
    pub fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, task: F) -> TaskHandle
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        self.spawn_task(name.into(), task, false)
    }

    /// Like [`spawn`](Scope::spawn), for a task whose failure is isolated from the app
    /// (a per-connection handler): a failure or panic is logged at ERROR, and neither
    /// requests shutdown nor appears in the teardown's error. In every other way it is a
    /// task like the others: tracked, told to stop at its turn, and awaited (then
    /// aborted) at teardown.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.spawn_isolated("connection", async { Err::<(), _>("client hung up") });
    /// tokio::task::yield_now().await;
    /// assert!(!scope.is_shutdown_requested());
    /// scope.shutdown().await.unwrap();
    /// # });
    /// ```
    pub fn spawn_isolated<F>(&self, name: impl Into<Cow<'static, str>>, task: F) -> TaskHandle
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        self.spawn_task(name.into(), task, true)
    }

    /// Spawns `task`, named `name`, as [`spawn`](Scope::spawn) and
    /// [`spawn_isolated`](Scope::spawn_isolated) do.
    pub(crate) fn spawn_task<F>(&self, name: Name, task: F, isolated: bool) -> TaskHandle
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        let tracked = {
            let mut state = lock(&self.inner.state);
            if state.closed {
                drop(state);
                self.warn_closed("task", &name);
                return TaskHandle::refused(name);
            }
            if !matches!(
                state.children.last(),
                Some(Registered {
                    child: Child::Tasks(_),
                    ..
                })
            ) {
                let turn = self.subtree().child_token();
                let hurry = self.inner.app.hurry_token().clone();
                self.register(&mut state, Child::Tasks(TaskGroup::new(turn, hurry)));
            }
            let Some(Registered {
                child: Child::Tasks(group),
                ..
            }) = state.children.last()
            else {
                unreachable!("a task group was just made the last child")
            };
            // Tracked under the lock, so that a concurrent teardown that takes this group
            // waits for the task.
            group.track(self.reference(), name.clone(), task, isolated)
        };
        if let Some(ledger) = self.ledger() {
            ledger.task_spawned(self.inner.entry, &name);
        }
        let _ = self
            .inner
            .runtime
            .get_or_init(tokio::runtime::Handle::current);
        TaskHandle::spawned(name, tokio::spawn(tracked))
    }

    /// Registers `hook` to run at teardown, in its place in the reverse order, within
    /// what is left of the deadline. It returns `()` or `Result<(), E>`; a failure or
    /// panic is part of the teardown's error. Good for flushing, deregistering, saying
    /// goodbye to a peer.
    ///
    /// A hook registered after the scope has shut down is dropped unrun, with a warning.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.on_shutdown("deregister", async { Err::<(), _>("registry unreachable") });
    /// let error = scope.shutdown().await.unwrap_err();
    /// assert_eq!(error.to_string(), "shutdown hook `deregister` failed: registry unreachable");
    /// # });
    /// ```
    pub fn on_shutdown<F>(&self, name: impl Into<Cow<'static, str>>, hook: F)
    where
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        let name = name.into();
        if let Err(Child::Hook(_)) = self.push_child(Child::Hook(Hook::new(name.clone(), hook))) {
            self.warn_closed("shutdown hook", &name);
        }
    }

    /// Tears the scope down: resolves [`app_shutdown_requested`](Scope::app_shutdown_requested)
    /// and this root's [`shutdown_requested`](Scope::shutdown_requested), then stops every
    /// child in reverse order of registration (a lifespan's shutdown half first, then its
    /// own children), each told at its turn. A failure does not stop
    /// the teardown: every part is stopped, and the error holds every failure.
    ///
    /// A part is stopped before every part that was already running when its startup
    /// began; parts whose startups overlapped stop concurrently.
    ///
    /// Each part is stopped exactly once. Calling `shutdown` again, or registering
    /// something afterwards, stops nothing twice; every call, concurrent or later,
    /// returns the same result, with every failure.
    ///
    /// Only a root made with [`Scope::new`] or [`Scope::with_shutdown_timeout`] is torn
    /// down here, and only from outside it. The scope of a lifespan (from
    /// [`Scope::current`] in its body, or [`Running::scope`](crate::Running::scope))
    /// stops with that lifespan, after its shutdown half; and a task, hook or lifespan
    /// body inside the scope would wait for itself. Both fail at once with
    /// [`ErrorKind::WrongScope`](crate::ErrorKind::WrongScope) and stop nothing: stop the
    /// lifespan, or call [`request_shutdown`](Scope::request_shutdown).
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe. The teardown runs on a task of its own, so a call cut short (an
    /// outer timeout, a `select!`) leaves it going, never half done; the next call waits
    /// for the same teardown and returns its failures, and failures that came while
    /// nobody waited are logged at ERROR as well. Outside a tokio runtime the teardown runs in place.
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.enter(from_fn("first", |y| y.yield_app(()))).await.unwrap();
    /// scope.enter(from_fn("second", |y| y.yield_app(()))).await.unwrap();
    /// scope.shutdown().await.unwrap(); // second, then first
    /// # });
    /// ```
    pub async fn shutdown(&self) -> Result<(), Error> {
        if let Some(why) = self.refuses_shutdown() {
            return Err(Error::wrong_scope(self.inner.owner.clone(), why));
        }
        let detached = {
            let mut state = lock(&self.inner.state);
            match &state.teardown {
                Some(detached) => Ok(detached.clone()),
                None => {
                    let began =
                        Detached::spawn(self.inner.owner.clone(), self.reference().tear_down());
                    if let Ok(detached) = &began {
                        state.teardown = Some(detached.clone());
                    }
                    began
                }
            }
        };
        let errors = match detached {
            Ok(detached) => detached.wait().await,
            // Outside a tokio runtime: in place.
            Err(teardown) => teardown.await,
        };
        Error::collect(&self.inner.owner, Origin::Teardown, errors)
    }

    /// The whole teardown of a root, with its deadline counted from now.
    async fn tear_down(self) -> Vec<Error> {
        let deadline = self
            .inner
            .shutdown_timeout
            .map(|limit| Instant::now() + limit);
        self.inner.app.phase.advance(Phase::Stopping);
        if let (Some(ledger), Some(deadline)) = (self.ledger(), deadline) {
            ledger.set_deadline(deadline);
        }
        let errors = stop_tree(Frame::Root(self.clone()), deadline).await;
        self.inner.app.phase.advance(Phase::Stopped);
        errors
    }

    /// Why [`shutdown`](Scope::shutdown) must not tear this scope down, if it must not:
    /// a lifespan's scope stops with that lifespan, and code that the teardown would
    /// wait for (a task, a hook, a lifespan's body, here or below) cannot wait for it.
    fn refuses_shutdown(&self) -> Option<WrongScope> {
        if self.inner.owned {
            return Some(WrongScope::Owned);
        }
        let mut caller = current::stopped_with()?;
        loop {
            if Arc::ptr_eq(&caller.inner, &self.inner) {
                return Some(WrongScope::FromInside);
            }
            let parent = caller.inner.parent.as_ref()?.upgrade()?;
            caller = Scope::uncounted(parent);
        }
    }

    /// A future that resolves once this scope's turn to stop has come: for a root, when
    /// the app's shutdown is requested ([`request_shutdown`](Scope::request_shutdown), a
    /// signal under `#[lifespan::main]`, a failed task) or its teardown begins; for the
    /// scope of a lifespan, when its shutdown half begins. A
    /// [`request_local_shutdown`](Scope::request_local_shutdown) here or above resolves
    /// it too.
    ///
    /// The turn of a part comes in teardown order, not all at once: while the part
    /// entered last stops, the parts entered before it still run, and their
    /// `shutdown_requested()` is still pending. What must react the instant the app's
    /// shutdown begins (readiness, a load balancer's drain) awaits
    /// [`app_shutdown_requested`](Scope::app_shutdown_requested) instead. Inside a task,
    /// [`lifespan::shutdown_requested()`](crate::shutdown_requested) is the task's own
    /// turn, which comes after its scope's (see [`spawn`](Scope::spawn)).
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: drop it and ask again.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let requested = scope.shutdown_requested();
    /// scope.request_shutdown();
    /// requested.await;
    /// # });
    /// ```
    pub fn shutdown_requested(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        self.token().clone().cancelled_owned()
    }

    /// Runs `future` until it completes, or until shutdown is requested for this
    /// scope, whichever comes first: `Some(output)`, or `None` once shutdown is
    /// requested (and `future` is dropped). Shutdown is checked first, so a loop around
    /// it ends promptly even when `future` is always ready.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// assert_eq!(scope.until_shutdown(async { 7 }).await, Some(7));
    /// scope.request_shutdown();
    /// assert_eq!(scope.until_shutdown(async { 7 }).await, None);
    /// # });
    /// ```
    ///
    /// # Cancellation safety
    ///
    /// As cancel-safe as `future`: an accept loop over
    /// `until_shutdown(listener.accept())` loses no connection.
    pub async fn until_shutdown<F: Future>(&self, future: F) -> Option<F::Output> {
        until_cancelled(self.token().clone(), future).await
    }

    /// Whether [`shutdown_requested`](Scope::shutdown_requested) would resolve at once:
    /// this scope's turn to stop has come.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// let scope = Scope::new();
    /// scope.request_shutdown();
    /// assert!(scope.is_shutdown_requested());
    /// ```
    pub fn is_shutdown_requested(&self) -> bool {
        self.token().is_cancelled()
    }

    /// Asks the whole app (the root of this scope's tree) to shut down:
    /// [`app_shutdown_requested`](Scope::app_shutdown_requested) resolves everywhere,
    /// and so does the root's [`shutdown_requested`](Scope::shutdown_requested).
    /// Whoever owns the root then tears it down (under `#[lifespan::main]`,
    /// `yield_app!()` returns), and each part hears its own `shutdown_requested()` at
    /// its turn in the teardown.
    ///
    /// A startup in progress anywhere in the app is cut at once: its body is dropped
    /// where it stands, what it had started is stopped in reverse, and its caller gets
    /// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled). Of nested startups, the
    /// outermost is cut, with the ones inside it. A lifespan entered afterwards is cut
    /// before its body runs.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let root = Scope::new();
    /// root.enter(from_fn("worker", |y| async move {
    ///     lifespan::request_shutdown(); // from deep inside the tree
    ///     y.yield_app(()).await;
    /// })).await.unwrap();
    /// assert!(root.is_shutdown_requested());
    /// # root.shutdown().await.unwrap();
    /// # });
    /// ```
    pub fn request_shutdown(&self) {
        self.inner.app.shutdown_token().cancel();
    }

    /// Asks this scope's subtree alone to shut down: `shutdown_requested()` resolves at
    /// once for this scope, every scope below it and every task in them, while the rest
    /// of the app goes on and does not hear it. The subtree is still stopped by its
    /// owner, in its usual place: the lifespans in it stop when their owner stops them
    /// ([`Running::stop`](crate::Running::stop), or the parent's teardown), and their
    /// tasks, having heard, have usually returned by then.
    ///
    /// A startup in progress in the subtree (this scope's own, if its lifespan is still
    /// starting, or one entered in it or below) is cut, as
    /// [`request_shutdown`](Scope::request_shutdown) cuts every startup in the app; the
    /// rest of the app's startups go on.
    ///
    /// On a root, the subtree is the whole app: it requests the app's shutdown, as
    /// [`request_shutdown`](Scope::request_shutdown) does, and besides every part and
    /// task hears its `shutdown_requested()` at once, not at its turn.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let root = Scope::new();
    /// let poller = root.enter(from_fn("poller", |y| y.yield_app(Scope::current()))).await?;
    /// let worker = poller.spawn("poll-loop", async {
    ///     lifespan::shutdown_requested().await;
    /// });
    /// poller.request_local_shutdown();
    /// worker.await?; // the loop heard it and returned
    /// assert!(poller.is_shutdown_requested());
    /// assert!(!root.is_shutdown_requested()); // the rest of the app did not
    /// root.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn request_local_shutdown(&self) {
        if self.inner.parent.is_none() {
            self.request_shutdown();
        }
        self.subtree().cancel();
        self.cut_locally();
    }

    /// A future that resolves once the app's shutdown has been requested or its
    /// teardown has begun, anywhere in the app: at once for every part, not at each
    /// part's turn. For what must react the instant shutdown begins, while the part
    /// itself keeps working until its turn: a readiness probe that turns 503, a load
    /// balancer told to drain.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: drop it and ask again.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let root = Scope::new();
    /// let db = root.enter(from_fn("db", |y| y.yield_app(Scope::current()))).await?;
    /// let app_stopping = db.app_shutdown_requested();
    /// root.request_shutdown();
    /// app_stopping.await; // heard at once, deep in the tree
    /// assert!(!db.is_shutdown_requested()); // its own turn comes at teardown
    /// root.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn app_shutdown_requested(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        self.inner.app.shutdown_token().clone().cancelled_owned()
    }

    /// Whether [`app_shutdown_requested`](Scope::app_shutdown_requested) would resolve
    /// at once: the app's shutdown has been requested or has begun.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// let scope = Scope::new();
    /// assert!(!scope.is_app_shutdown_requested());
    /// scope.request_shutdown();
    /// assert!(scope.is_app_shutdown_requested());
    /// ```
    pub fn is_app_shutdown_requested(&self) -> bool {
        self.inner.app.shutdown_token().is_cancelled()
    }

    /// Whether the app is ready for traffic: it runs ([`Phase::Running`]), its shutdown
    /// has not been requested, and no part whose [`Restart`](crate::Restart) policy says
    /// [`unready_while_down`](crate::Restart::unready_while_down) is down between a
    /// failure and its restart. What a `/readyz` handler answers
    /// (`lifespan::axum::readyz` does).
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// assert!(scope.is_ready());
    /// scope.request_shutdown();
    /// assert!(!scope.is_ready());
    /// # scope.shutdown().await.unwrap();
    /// # });
    /// ```
    pub fn is_ready(&self) -> bool {
        self.phase() == Phase::Running
            && !self.is_app_shutdown_requested()
            && self.inner.app.down.load(Ordering::Acquire) == 0
    }

    /// A part is down until the guard is dropped: the app is not ready meanwhile.
    pub(crate) fn down(&self) -> Down {
        self.inner.app.down.fetch_add(1, Ordering::AcqRel);
        Down(self.inner.app.clone())
    }

    /// The app's phase: [`Starting`](Phase::Starting), [`Running`](Phase::Running),
    /// [`Stopping`](Phase::Stopping) or [`Stopped`](Phase::Stopped). Shared by every
    /// scope of the app.
    ///
    /// ```
    /// # use lifespan::{Phase, Scope};
    /// assert_eq!(Scope::new().phase(), Phase::Running);
    /// ```
    pub fn phase(&self) -> Phase {
        self.inner.app.phase.get()
    }

    /// Adds `note` to this part's row in the summary `#[lifespan::main]` prints at exit,
    /// after how the part ended: what a library's part did that a person reading the
    /// summary wants to see ("120 requests drained, 3 cut"). Elsewhere, where no summary
    /// is kept, it goes nowhere.
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.enter(from_fn("cache", |y| async move {
    ///     y.yield_app(()).await;
    ///     Scope::current().note("512 entries flushed");
    /// })).await?;
    /// scope.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn note(&self, note: impl Into<String>) {
        self.record(Event::Note(note.into()));
    }

    /// The app's shutdown deadline, if it has one: the `shutdown_timeout` of
    /// `#[lifespan::main]` (30 s by default) or of [`Scope::with_shutdown_timeout`];
    /// `None` for [`Scope::new`] and a lifespan started outside any scope. A part whose
    /// own timing must fit in it (a server's drain delay) checks it at startup.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Scope;
    /// let scope = Scope::with_shutdown_timeout(Duration::from_secs(30));
    /// assert_eq!(scope.shutdown_timeout(), Some(Duration::from_secs(30)));
    /// assert_eq!(Scope::new().shutdown_timeout(), None);
    /// ```
    pub fn shutdown_timeout(&self) -> Option<Duration> {
        self.inner.app.shutdown_timeout
    }

    /// The name of the part this scope belongs to: the lifespan whose body runs in it
    /// (`main` under `#[lifespan::main]`), or `app` for a root made with
    /// [`Scope::new`]. Inside a body, `Scope::current().name()` is the part's own name.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let running = from_fn("cache", |y| async move {
    ///     y.yield_app(Scope::current().name().to_owned()).await;
    /// }).start().await.unwrap();
    /// assert_eq!(*running, "cache");
    /// # running.stop().await.unwrap();
    /// # });
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.owner
    }

    /// Where the part sits in the app: the names from below the root down to this
    /// scope's, joined by `/`, such as `main/db/pool`. A root's path is its own name.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let root = Scope::new();
    /// let path = root.enter(from_fn("db", |y| async move {
    ///     let pool = from_fn("pool", |y| async move {
    ///         y.yield_app(Scope::current().path()).await;
    ///     });
    ///     y.yield_app(pool.enter().await?).await;
    ///     Ok::<(), lifespan::Error>(())
    /// })).await?;
    /// assert_eq!(path, "db/pool");
    /// assert_eq!(root.path(), "app");
    /// # root.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn path(&self) -> String {
        let mut names = vec![self.name().to_owned()];
        let mut above = self.inner.parent.as_ref().and_then(Weak::upgrade);
        while let Some(inner) = above {
            if inner.parent.is_none() {
                break;
            }
            names.push(inner.owner.to_string());
            above = inner.parent.as_ref().and_then(Weak::upgrade);
        }
        names.reverse();
        names.join("/")
    }

    /// The current scope: the one a lifespan's body, a `#[lifespan::main]` or
    /// `#[lifespan::test]` body, or a task from `spawn` runs in.
    ///
    /// # Panics
    ///
    /// Outside of all of them; [`try_current`](Scope::try_current) asks without
    /// panicking.
    ///
    /// ```
    /// # use lifespan::{from_fn, Lifespan, Scope};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let running = from_fn("inspect", |y| async move {
    ///     let here = Scope::current();
    ///     y.yield_app(here.is_shutdown_requested()).await;
    /// }).start().await.unwrap();
    /// assert!(!*running);
    /// # running.stop().await.unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn current() -> Scope {
        Scope::current_for("Scope::current")
    }

    /// The current scope, or `None` outside of one.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// assert!(Scope::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Scope> {
        current::try_current()
    }

    /// The current scope, for the free function `function`; see [`current::current_for`].
    #[track_caller]
    pub(crate) fn current_for(function: &str) -> Scope {
        current::current_for(function)
    }

    /// Registers a started lifespan; gives it back if the scope has shut down.
    pub(super) fn adopt(
        &self,
        lifespan: Suspended<dyn Stoppable + Send>,
    ) -> Result<(), Suspended<dyn Stoppable + Send>> {
        match self.push_child(Child::Lifespan(lifespan)) {
            Ok(()) => Ok(()),
            Err(Child::Lifespan(lifespan)) => Err(lifespan),
            Err(_) => unreachable!("push_child gives back what it was given"),
        }
    }

    /// Registers `child` to be stopped with this scope; gives it back once closed.
    pub(super) fn push_child(&self, child: Child) -> Result<(), Child> {
        let mut state = lock(&self.inner.state);
        if state.closed {
            return Err(child);
        }
        self.register(&mut state, child);
        Ok(())
    }

    /// Appends `child` with its place in the order; `state` is this scope's, locked.
    fn register(&self, state: &mut State, child: Child) {
        let seq = self.inner.registered.load(Ordering::Relaxed);
        let began_after = match &child {
            Child::Lifespan(lifespan) => lifespan.scope().inner.began_after,
            _ => seq,
        };
        state.children.push(Registered {
            child,
            seq,
            began_after,
        });
        self.inner.registered.store(seq + 1, Ordering::Release);
    }

    /// Whose scope this is: a lifespan's name, `main`, or `app` for a root.
    pub(super) fn owner(&self) -> &Name {
        &self.inner.owner
    }

    /// Whether anything is registered that teardown would stop.
    pub(super) fn has_children(&self) -> bool {
        !lock(&self.inner.state).children.is_empty()
    }

    /// Closes the scope if nothing is registered in it, so that a handle kept elsewhere
    /// cannot register work that nobody would stop (it is refused with a warning).
    /// Whether it closed.
    pub(super) fn close_if_empty(&self) -> bool {
        let mut state = lock(&self.inner.state);
        if state.children.is_empty() {
            state.closed = true;
        }
        state.closed
    }

    /// What to stop next: the most recently registered child, with the children before
    /// it whose startups overlapped its own (see [`Registered`]). When there is none,
    /// the scope is closed and what its tasks reported while the app ran is handed over
    /// instead, under the same lock: an empty scope costs its teardown one lock.
    pub(super) fn pop_batch(&self) -> Result<Batch, Vec<Error>> {
        let mut state = lock(&self.inner.state);
        let Some(last) = state.children.pop() else {
            state.closed = true;
            return Err(std::mem::take(&mut state.failures));
        };
        // An earlier child joins the batch only if it was registered after every member
        // began: then no member can hold its value, and it can hold no member's.
        let mut latest_began = last.began_after;
        let overlaps_all = |next: Option<&Registered>, latest_began| {
            next.is_some_and(|next: &Registered| next.seq >= latest_began)
        };
        if !overlaps_all(state.children.last(), latest_began) {
            return Ok(Batch::One(last.child));
        }
        let mut together = vec![last.child];
        while overlaps_all(state.children.last(), latest_began) {
            let next = state.children.pop().expect("looked at above");
            latest_began = latest_began.max(next.began_after);
            together.push(next.child);
        }
        Ok(Batch::Together(together))
    }

    /// Notes `event` of this scope's owner in the app's ledger, if it keeps one.
    pub(super) fn record(&self, event: Event<'_>) {
        if let (Some(ledger), Some(entry)) = (self.inner.app.ledger.get(), self.inner.entry) {
            ledger.record(entry, event);
        }
    }

    /// The app's ledger, if it keeps one.
    pub(crate) fn ledger(&self) -> Option<&Ledger> {
        self.inner.app.ledger.get()
    }

    /// The owner's line in the app's ledger, if it has one.
    pub(super) fn entry(&self) -> Option<EntryId> {
        self.inner.entry
    }

    /// Moves the app on to `phase`; never back.
    pub(crate) fn advance_phase(&self, phase: Phase) {
        self.inner.app.phase.advance(phase);
    }

    /// This scope's turn to stop, made on first use: a root's is the app's request, a
    /// lifespan's scope's comes from its own subtree token.
    fn token(&self) -> &CancellationToken {
        let token = self.inner.token.get_or_init(|| match &self.inner.parent {
            None => self.inner.app.shutdown_token().clone(),
            Some(_) => self.subtree().child_token(),
        });
        // A `cancel` that ran before the token existed is applied now. The fences pair
        // with `cancel`'s: of a token made and a flag set at once on two threads, at
        // least one side sees the other.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.inner.cancelled.load(Ordering::SeqCst) {
            token.cancel();
        }
        token
    }

    /// The token of local shutdown requests for this scope and below, made on first
    /// use from the parent's.
    fn subtree(&self) -> &CancellationToken {
        self.inner.subtree.get_or_init(|| match &self.inner.parent {
            None => CancellationToken::new(),
            Some(parent) => match parent.upgrade() {
                Some(inner) => Scope::uncounted(inner).subtree().child_token(),
                // The parent is gone: no local request can come from above any more.
                // (A `Running` may outlive the scope it was started in; its own turn
                // comes when it is stopped.)
                None => CancellationToken::new(),
            },
        })
    }

    /// This scope's turn to stop has come: resolves its `shutdown_requested()` (not its
    /// children's, which hear at their own turns). A root's turn is the app's: its
    /// shutdown has begun.
    pub(super) fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.inner.parent.is_none() {
            self.inner.app.shutdown_token().cancel();
        }
        if let Some(token) = self.inner.token.get() {
            token.cancel();
        }
    }

    /// A task of this scope failed, panicked or was aborted.
    pub(super) fn task_failed(&self, error: Error, isolated: bool) {
        // Its part's line in the summary says so, isolated or not.
        self.record(Event::ChildFailed(&error));
        if error.kind() == ErrorKind::Aborted {
            // Cut by a hurried teardown, as asked: said once per task, not as a fault.
            tracing::warn!(%error, "task aborted");
        } else if isolated {
            tracing::error!(%error, "isolated task failed");
        }
        if isolated || self.supervised_above(&error) {
            return;
        }
        let already_requested = self
            .inner
            .app
            .shutdown
            .get()
            .is_some_and(CancellationToken::is_cancelled);
        if !already_requested {
            self.record_what_stopped_the_app(&error);
            tracing::error!(%error, "task failed; requesting shutdown of the app");
        } else if error.kind() != ErrorKind::Aborted {
            tracing::error!(%error, "task failed");
        }
        lock(&self.inner.state).failures.push(error);
        self.request_shutdown();
    }

    /// The part that owns this scope failed while the app ran, outside any task (a
    /// program that exited): a supervisor above takes it (`true`: the failure is the
    /// supervisor's to report), or it requests the app's shutdown, as a failed task
    /// does (`false`: the part's stop reports it).
    #[cfg(all(unix, feature = "process"))]
    pub(crate) fn failed_while_running(&self, error: &Error) -> bool {
        if self.supervised_above(error) {
            return true;
        }
        if !self.is_app_shutdown_requested() {
            self.record_what_stopped_the_app(error);
        }
        self.request_shutdown();
        false
    }

    /// A failure is about to request the app's shutdown, the first thing to: during
    /// startup that fails the startup, after it the running service gave up.
    fn record_what_stopped_the_app(&self, error: &Error) {
        if let Some(ledger) = self.ledger() {
            match self.phase() {
                Phase::Starting => ledger.failed_starting(error),
                _ => ledger.brought_down(),
            }
        }
    }

    /// Offers the failures of tasks in the scopes below this one to `supervisor` before
    /// they go further up; set once.
    pub(crate) fn supervise_below(&self, supervisor: Supervisor) {
        let _ = self.inner.supervisor.set(supervisor);
    }

    /// Whether a scope above this one supervises it and took `error`.
    fn supervised_above(&self, error: &Error) -> bool {
        let stopping = self.is_shutdown_requested();
        let mut above = self.inner.parent.as_ref().and_then(Weak::upgrade);
        while let Some(inner) = above {
            if let Some(supervisor) = inner.supervisor.get() {
                if supervisor(&Scope::uncounted(inner.clone()), error, stopping) {
                    return true;
                }
            }
            above = inner.parent.as_ref().and_then(Weak::upgrade);
        }
        false
    }

    /// This part (`task` `None`), or its supervised task named `task`, is being
    /// restarted: the summary counts it on the part's line.
    pub(crate) fn restarted(&self, task: Option<&Name>) {
        if let (Some(ledger), Some(entry)) = (self.ledger(), self.inner.entry) {
            ledger.restarted(entry, task);
        }
    }

    fn warn_closed(&self, what: &str, name: &str) {
        tracing::warn!(
            "{what} `{name}` was registered in the scope of `{}` after it had shut down, and was dropped unrun",
            self.inner.owner
        );
    }
}

/// Runs `future` until it completes (`Some`) or `turn` is cancelled (`None`), checking
/// `turn` first, so that a loop around it ends even when `future` is always ready.
pub(crate) async fn until_cancelled<F: Future>(
    turn: CancellationToken,
    future: F,
) -> Option<F::Output> {
    let mut turn = std::pin::pin!(turn.cancelled_owned());
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if turn.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(None);
        }
        future.as_mut().poll(cx).map(Some)
    })
    .await
}

impl Clone for Scope {
    /// Another handle to the same scope, of the same kind: a clone of the owner's handle
    /// keeps a root alive, a clone of one taken with [`Scope::current`] does not.
    fn clone(&self) -> Scope {
        if self.counted {
            self.inner.handles.fetch_add(1, Ordering::Relaxed);
        }
        Scope {
            inner: self.inner.clone(),
            counted: self.counted,
        }
    }
}

/// A root (from [`Scope::new`]) whose last handle is dropped without
/// [`shutdown`](Scope::shutdown) while it still holds parts, tasks or hooks would leak
/// them: its tasks keep it alive and nobody would ever stop them. So its teardown
/// begins by itself, on a task of the runtime, with a warning; failures are logged at
/// ERROR. Outside a runtime, a warning says what is left unstopped.
impl Drop for Scope {
    fn drop(&mut self) {
        if !self.counted || self.inner.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // Only a root is torn down by its owner; a lifespan's scope stops with it. (The
        // scope of a lifespan started outside any scope is a root too, but the lifespan
        // holds a handle until its teardown has closed it.)
        if self.inner.parent.is_some() {
            return;
        }
        let mut state = lock(&self.inner.state);
        if state.closed || state.teardown.is_some() {
            return;
        }
        let left = state
            .children
            .iter()
            .filter(
                |registered| !matches!(&registered.child, Child::Tasks(group) if group.is_idle()),
            )
            .count();
        if left == 0 {
            state.closed = true;
            return;
        }
        let owner = self.inner.owner.clone();
        tracing::warn!(
            "the scope `{owner}` was dropped without `shutdown()` while it still held {left} \
             part(s), task group(s) or hook(s); stopping them now on a task of the runtime"
        );
        let teardown = self.reference().tear_down();
        match Detached::spawn_on(self.inner.runtime.get(), owner.clone(), teardown) {
            Ok(teardown) => state.teardown = Some(teardown),
            Err(_) => {
                state.closed = true;
                tracing::warn!(
                    "what the scope `{owner}` held is dropped without being stopped: there is \
                     no tokio runtime to stop it on"
                );
            }
        }
    }
}

impl Default for Scope {
    fn default() -> Self {
        Scope::new()
    }
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("Scope")
            .field("owner", &self.inner.owner)
            .field("children", &state.children.len())
            .field("closed", &state.closed)
            .field("shutdown_requested", &self.is_shutdown_requested())
            .finish()
    }
}
