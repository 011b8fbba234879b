//! [`Error`]: the one error type of the runtime.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A boxed error: what the user's error type is turned into when it is carried by an
/// [`Error`]. Any `E: std::error::Error + Send + Sync + 'static` converts into it, and
/// so do `anyhow::Error`, `String` and `&'static str`.
///
/// ```
/// use lifespan::BoxError;
///
/// let from_str: BoxError = "no such table".into();
/// let from_io: BoxError = std::io::Error::other("refused").into();
/// assert_eq!(from_str.to_string(), "no such table");
/// assert_eq!(from_io.to_string(), "refused");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The name of a lifespan, a task or a hook: borrowed when it is a literal (as the
/// macro writes it), owned when it was built at run time.
pub(crate) type Name = Cow<'static, str>;

/// Everything that can go wrong while starting or stopping lifespans, tasks and hooks.
///
/// An `Error` names the part that failed ([`name`](Error::name)), says when it failed
/// ([`origin`](Error::origin)) and how ([`kind`](Error::kind)). When the user's own code
/// failed, its error is the [`source`](std::error::Error::source) and can be reached
/// with [`downcast_ref`](Error::downcast_ref). When several parts failed during one
/// teardown, the error holds all of them ([`errors`](Error::errors)), flattened, in the
/// order they happened.
///
/// `Display` is one line a person can act on; it includes the cause. `Clone` is cheap
/// for the user's error, which clones share.
///
/// # Examples
///
/// ```
/// use lifespan::{from_fn, ErrorKind, Lifespan, Origin};
///
/// #[derive(Debug)]
/// struct BadUrl;
/// impl std::fmt::Display for BadUrl {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("bad database url")
///     }
/// }
/// impl std::error::Error for BadUrl {}
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let database = from_fn("database", |yielder| async move {
///     Err::<(), _>(BadUrl)?;
///     yielder.yield_app(()).await;
///     Ok::<(), BadUrl>(())
/// });
/// let error = database.start().await.unwrap_err();
/// assert_eq!(error.name(), "database");
/// assert_eq!(error.origin(), Origin::Startup);
/// assert_eq!(error.kind(), ErrorKind::Failed);
/// assert!(error.downcast_ref::<BadUrl>().is_some());
/// assert_eq!(error.to_string(), "lifespan `database` failed during startup: bad database url");
/// # });
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    name: Name,
    origin: Origin,
    detail: Detail,
    /// Set on the last failure of a supervised task that was not restarted again.
    gave_up: Option<GaveUp>,
    /// Already made for the part that fails with it: returned through an `Outcome`, it
    /// is reported as it is rather than as a failure of the part that returned it.
    /// Only the crate sets it, and reporting it clears it.
    as_is: bool,
}

#[derive(Clone)]
enum Detail {
    /// Shared, so that an `Error` can be cloned: a task's failure goes both to its
    /// scope and to its handle.
    Failed(Arc<dyn std::error::Error + Send + Sync + 'static>),
    Panicked(String),
    TimedOut {
        limit: Duration,
        cause: TimeoutCause,
    },
    ReturnedBeforeYield,
    /// Cut because a shutdown was requested while it started; `before_start` when the
    /// request came before its startup half began, which then never ran.
    Cancelled {
        before_start: bool,
    },
    Aborted,
    /// Aborted at its turn because the teardown was hurried.
    Hurried,
    NoScope,
    ScopeClosed,
    WrongScope(WrongScope),
    Several(Vec<Error>),
}

/// Why `shutdown()` refused to tear a scope down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WrongScope {
    /// The scope belongs to a lifespan, whose shutdown half must run first.
    Owned,
    /// The caller runs inside the scope and would wait for itself.
    FromInside,
}

/// Which limit a timed-out part ran into, for an [`ErrorKind::TimedOut`] error: see
/// [`Error::timeout_cause`].
///
/// A part's own timeout is its [`startup_timeout`](crate::Lifespan::startup_timeout) or
/// [`shutdown_timeout`](crate::Lifespan::shutdown_timeout); a task's turn is bounded only
/// by the deadline. A teardown's deadline is the shutdown timeout of the scope being
/// stopped, `#[lifespan::main]`'s `shutdown_timeout` for the whole app. A shutdown half
/// gets the smaller of its own timeout and what is left of that deadline.
///
/// ```
/// # use std::time::Duration;
/// # use lifespan::{from_fn, Lifespan, Scope, TimeoutCause};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let scope = Scope::with_shutdown_timeout(Duration::from_secs(1));
/// let slow = from_fn("slow", |y| async move {
///     y.yield_app(()).await;
///     tokio::time::sleep(Duration::from_secs(60)).await;
/// });
/// scope.enter(slow.shutdown_timeout(Duration::from_secs(10))).await.unwrap();
/// let error = scope.shutdown().await.unwrap_err();
/// assert_eq!(error.timeout_cause(), Some(TimeoutCause::Deadline));
/// assert_eq!(error.timeout(), Some(Duration::from_secs(1)));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutCause {
    /// The part's own limit: a lifespan's `startup_timeout` or `shutdown_timeout`, or a
    /// hook's.
    Own,
    /// What was left of the teardown's deadline, which was shorter than the part's own
    /// limit (or the part had none). A task cut at its turn is always this.
    Deadline,
    /// The part blocked its thread past its limit, so no timer could cancel it in time:
    /// it ended late, whichever limit it had.
    Blocked,
}

/// How a supervised task gave up: the restarts its [`Restart`](crate::Restart) policy
/// allowed were used up, so its last failure escalated. See [`Error::gave_up`].
///
/// ```
/// # use std::time::Duration;
/// # use lifespan::{Restart, Scope};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let policy = Restart::on_failure().limit(2, Duration::from_secs(10));
/// let flaky = scope.spawn_supervised("flaky", policy, || async { Err::<(), _>("refused") });
/// let error = flaky.await.unwrap_err();
/// let gave_up = error.gave_up().unwrap();
/// assert_eq!(gave_up.restarts(), 2);
/// // Restarted at 0 and 100 ms; the third failure, at 300 ms, was the last.
/// assert_eq!(gave_up.over(), Duration::from_millis(300));
/// assert_eq!(gave_up.limit(), (2, Duration::from_secs(10)));
/// # let _ = scope.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GaveUp {
    pub(crate) restarts: u32,
    pub(crate) over: Duration,
    pub(crate) limit: u32,
    pub(crate) within: Duration,
}

impl GaveUp {
    /// The restarts within the policy's window before the last failure: the limit.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// From the first of those restarts to the last failure.
    pub fn over(&self) -> Duration {
        self.over
    }

    /// The policy's limit: at most so many restarts within so long.
    pub fn limit(&self) -> (u32, Duration) {
        (self.limit, self.within)
    }
}

/// Where a failure came from: a lifespan's startup or shutdown half, a task, a hook,
/// or (for several failures together) a whole teardown.
///
/// ```
/// # use lifespan::{Scope, Origin};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// scope.on_shutdown("flush", async { Err::<(), _>("refused") });
/// assert_eq!(scope.shutdown().await.unwrap_err().origin(), Origin::Hook);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The startup half of a lifespan: before `yield_app!`.
    Startup,
    /// The shutdown half of a lifespan: after `yield_app!`.
    Shutdown,
    /// A task started with `spawn`.
    Task,
    /// A hook registered with `on_shutdown`.
    Hook,
    /// A whole teardown, for an [`ErrorKind::Several`] that collects the failures of
    /// stopping a scope or a lifespan with its children.
    Teardown,
    /// A lifespan that failed between its halves, while the app ran, outside its
    /// tasks: a `lifespan::process` program that exited. A supervisor above restarts
    /// it; without one, the app stops, and its shutdown half reports the exit.
    Running,
}

/// How a part failed: the shape of an [`Error`], without its data.
///
/// ```
/// # use lifespan::{from_fn, ErrorKind, Lifespan};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let never_yields = from_fn("lazy", |_yielder: lifespan::Yielder<()>| async {});
/// let error = never_yields.start().await.unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::ReturnedBeforeYield);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The user's code returned an error; it is the [`source`](std::error::Error::source).
    Failed,
    /// The user's code panicked; see [`Error::panic_message`].
    Panicked,
    /// A half, task or hook did not finish in time and was cancelled; see
    /// [`Error::timeout`].
    TimedOut,
    /// A lifespan's body ended without reaching its yield point.
    ReturnedBeforeYield,
    /// A startup was cut because shutdown was requested while it ran: a signal under
    /// `#[lifespan::main]`, [`request_shutdown`](crate::Scope::request_shutdown)
    /// anywhere in the app, or
    /// [`request_local_shutdown`](crate::Scope::request_local_shutdown) on its scope or
    /// one above. What it had started was stopped. Or it was entered once such a request
    /// had been made, and its startup half never ran. A stop that was asked for, not a
    /// fault: `#[lifespan::main]` exits 0 when nothing else failed.
    Cancelled,
    /// A task was aborted through its [`TaskHandle`](crate::TaskHandle), or its runtime
    /// shut down under it: only the handle sees these, as an abort that was asked for
    /// is not a failure of the app. Or the teardown was hurried (a second signal under
    /// `#[lifespan::main]`, or [`Scope::request_hurry`](crate::Scope::request_hurry)),
    /// which aborts tasks at their turn instead of waiting for them: reported with the
    /// teardown's failures (an isolated task's to its handle only), so that the summary
    /// says what was cut.
    Aborted,
    /// `enter` was called where no scope is current.
    NoScope,
    /// A lifespan finished startup after its scope had shut down, and was stopped again;
    /// or a task was spawned after its scope had shut down, and never ran.
    ScopeClosed,
    /// [`Scope::shutdown`](crate::Scope::shutdown) was called on a scope the caller does
    /// not own: the scope of a lifespan (which stops with it), or the caller's own scope
    /// from inside it (which would wait for itself). Nothing was stopped.
    WrongScope,
    /// Several failures of one startup or teardown; see [`Error::errors`].
    Several,
}

impl Error {
    fn new(name: Name, origin: Origin, detail: Detail) -> Self {
        Error {
            inner: Box::new(Inner {
                name,
                origin,
                detail,
                gave_up: None,
                as_is: false,
            }),
        }
    }

    /// This failure, to be reported as it is when a body or a task returns it: it keeps
    /// its name, its kind (a supervised task's panic stays a panic) and how a supervised
    /// part gave up.
    pub(crate) fn keep_as_is(mut self) -> Self {
        self.inner.as_is = true;
        self
    }

    /// The error a part named `name` failed with in `origin`, returning `source`: the
    /// user's error, or one of ours made [`as_is`](Error::keep_as_is).
    pub(crate) fn returned(name: &Name, origin: Origin, source: BoxError) -> Error {
        match source.downcast::<Error>() {
            Ok(error) if error.inner.as_is => {
                let mut error = *error;
                error.inner.as_is = false;
                error
            }
            // Boxed again as it was, not in a second box: `downcast_ref` still finds it.
            Ok(error) => Error::failed(name.clone(), origin, error as BoxError),
            Err(source) => Error::failed(name.clone(), origin, source),
        }
    }

    /// This failure, as the one after which a supervised task stopped restarting.
    pub(crate) fn with_gave_up(mut self, gave_up: GaveUp) -> Self {
        self.inner.gave_up = Some(gave_up);
        self
    }

    pub(crate) fn failed(name: Name, origin: Origin, source: impl Into<BoxError>) -> Self {
        Self::new(name, origin, Detail::Failed(Arc::from(source.into())))
    }

    pub(crate) fn panicked(
        name: Name,
        origin: Origin,
        payload: &(dyn std::any::Any + Send),
    ) -> Self {
        Self::new(name, origin, Detail::Panicked(panic_message(payload)))
    }

    pub(crate) fn timed_out(
        name: Name,
        origin: Origin,
        limit: Duration,
        cause: TimeoutCause,
    ) -> Self {
        Self::new(name, origin, Detail::TimedOut { limit, cause })
    }

    pub(crate) fn returned_before_yield(name: Name) -> Self {
        Self::new(name, Origin::Startup, Detail::ReturnedBeforeYield)
    }

    /// A startup cut because shutdown was requested while it ran.
    pub(crate) fn cancelled(name: Name) -> Self {
        let detail = Detail::Cancelled {
            before_start: false,
        };
        Self::new(name, Origin::Startup, detail)
    }

    /// A startup not begun, because shutdown had been requested before.
    pub(crate) fn cancelled_before_start(name: Name) -> Self {
        let detail = Detail::Cancelled { before_start: true };
        Self::new(name, Origin::Startup, detail)
    }

    pub(crate) fn aborted(name: Name) -> Self {
        Self::new(name, Origin::Task, Detail::Aborted)
    }

    /// A task aborted at its turn because the teardown was hurried.
    pub(crate) fn hurried(name: Name) -> Self {
        Self::new(name, Origin::Task, Detail::Hurried)
    }

    pub(crate) fn no_scope(name: Name) -> Self {
        Self::new(name, Origin::Startup, Detail::NoScope)
    }

    pub(crate) fn scope_closed(name: Name) -> Self {
        Self::new(name, Origin::Startup, Detail::ScopeClosed)
    }

    /// A task spawned after its scope had shut down, for its handle.
    pub(crate) fn task_refused(name: Name) -> Self {
        Self::new(name, Origin::Task, Detail::ScopeClosed)
    }

    pub(crate) fn wrong_scope(name: Name, why: WrongScope) -> Self {
        Self::new(name, Origin::Teardown, Detail::WrongScope(why))
    }

    /// One error for a whole startup or teardown: `Ok` when `errors` is empty, the error
    /// itself when there is one, and a flat [`ErrorKind::Several`] otherwise.
    pub(crate) fn collect(name: &Name, origin: Origin, errors: Vec<Error>) -> Result<(), Error> {
        let mut flat = Vec::with_capacity(errors.len());
        for error in errors {
            match error.inner.detail {
                Detail::Several(nested) => flat.extend(nested),
                _ => flat.push(error),
            }
        }
        match flat.len() {
            0 => Ok(()),
            1 => Err(flat.pop().expect("one error")),
            _ => Err(Self::new(name.clone(), origin, Detail::Several(flat))),
        }
    }

    /// The user's error, for a failure of the user's code; the nested failures, for
    /// several: what a mark on the failure can be found in.
    pub(crate) fn causes(&self) -> (Option<&(dyn std::error::Error + 'static)>, &[Error]) {
        match &self.inner.detail {
            Detail::Failed(source) => (Some(&**source), &[]),
            Detail::Several(errors) => (None, errors),
            _ => (None, &[]),
        }
    }

    /// Whether a timeout came from blocking the thread past the limit.
    pub(crate) fn blocked(&self) -> bool {
        matches!(
            self.inner.detail,
            Detail::TimedOut {
                cause: TimeoutCause::Blocked,
                ..
            }
        )
    }

    /// Every failure this error stands for: the nested ones of a
    /// [`ErrorKind::Several`], or itself.
    pub(crate) fn into_errors(self) -> Vec<Error> {
        match self.inner.detail {
            Detail::Several(errors) => errors,
            _ => vec![self],
        }
    }

    /// For the last failure of a task spawned with
    /// [`Scope::spawn_supervised`](crate::Scope::spawn_supervised): how many restarts were
    /// tried over how long before it gave up. `None` for any other failure.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let once = scope.spawn("once", async { Err::<(), _>("refused") });
    /// assert!(once.await.unwrap_err().gave_up().is_none());
    /// # let _ = scope.shutdown().await;
    /// # });
    /// ```
    pub fn gave_up(&self) -> Option<GaveUp> {
        self.inner.gave_up
    }

    /// The name of the lifespan, task or hook that failed (for
    /// [`ErrorKind::Several`], of the lifespan or scope being started or stopped).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// When it failed.
    pub fn origin(&self) -> Origin {
        self.inner.origin
    }

    /// How it failed.
    pub fn kind(&self) -> ErrorKind {
        match self.inner.detail {
            Detail::Failed(_) => ErrorKind::Failed,
            Detail::Panicked(_) => ErrorKind::Panicked,
            Detail::TimedOut { .. } => ErrorKind::TimedOut,
            Detail::ReturnedBeforeYield => ErrorKind::ReturnedBeforeYield,
            Detail::Cancelled { .. } => ErrorKind::Cancelled,
            Detail::Aborted | Detail::Hurried => ErrorKind::Aborted,
            Detail::NoScope => ErrorKind::NoScope,
            Detail::ScopeClosed => ErrorKind::ScopeClosed,
            Detail::WrongScope(_) => ErrorKind::WrongScope,
            Detail::Several(_) => ErrorKind::Several,
        }
    }

    /// The panic's message, for [`ErrorKind::Panicked`].
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.on_shutdown("flush", async { panic!("buffer poisoned") });
    /// let error = scope.shutdown().await.unwrap_err();
    /// assert_eq!(error.panic_message(), Some("buffer poisoned"));
    /// # });
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.inner.detail {
            Detail::Panicked(message) => Some(message),
            _ => None,
        }
    }

    /// The limit that was exceeded, for [`ErrorKind::TimedOut`]: the part's own timeout,
    /// or what was left of the global shutdown deadline when that was shorter.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::{from_fn, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let stuck = from_fn("stuck", |y| async move {
    ///     std::future::pending::<()>().await;
    ///     y.yield_app(()).await;
    /// });
    /// let limit = Duration::from_millis(250);
    /// let error = stuck.startup_timeout(limit).start().await.unwrap_err();
    /// assert_eq!(error.timeout(), Some(limit));
    /// # });
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        match self.inner.detail {
            Detail::TimedOut { limit, .. } => Some(limit),
            _ => None,
        }
    }

    /// Which limit was exceeded, for [`ErrorKind::TimedOut`]: the part's own, or what
    /// was left of the shutdown deadline; `None` for any other kind.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::{from_fn, Lifespan, TimeoutCause};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let stuck = from_fn("stuck", |y| async move {
    ///     std::future::pending::<()>().await;
    ///     y.yield_app(()).await;
    /// });
    /// let error = stuck.startup_timeout(Duration::from_secs(1)).start().await.unwrap_err();
    /// assert_eq!(error.timeout_cause(), Some(TimeoutCause::Own));
    /// # });
    /// ```
    pub fn timeout_cause(&self) -> Option<TimeoutCause> {
        match self.inner.detail {
            Detail::TimedOut { cause, .. } => Some(cause),
            _ => None,
        }
    }

    /// Every failure this error stands for: all of them for [`ErrorKind::Several`],
    /// otherwise just this one. Never empty, never nested.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.on_shutdown("first", async { Err::<(), _>("a") });
    /// scope.on_shutdown("second", async { Err::<(), _>("b") });
    /// let error = scope.shutdown().await.unwrap_err();
    /// let names: Vec<&str> = error.errors().iter().map(|e| e.name()).collect();
    /// assert_eq!(names, ["second", "first"]);
    /// # });
    /// ```
    pub fn errors(&self) -> &[Error] {
        match &self.inner.detail {
            Detail::Several(errors) => errors,
            _ => std::slice::from_ref(self),
        }
    }

    /// The user's error, if this is an [`ErrorKind::Failed`] error whose source has type
    /// `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match &self.inner.detail {
            Detail::Failed(source) => source.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// What the failed part is, for `Display`: "lifespan `db`", "task `worker`".
    fn subject(&self) -> Subject<'_> {
        Subject(self)
    }
}

struct Subject<'a>(&'a Error);

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.0.inner.origin {
            Origin::Startup | Origin::Shutdown | Origin::Running => "lifespan",
            Origin::Task => "task",
            Origin::Hook => "shutdown hook",
            Origin::Teardown => "scope",
        };
        write!(f, "{what} `{}`", self.0.inner.name)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Startup => "startup",
            Origin::Shutdown => "shutdown",
            Origin::Task => "task",
            Origin::Hook => "hook",
            Origin::Teardown => "teardown",
            Origin::Running => "running",
        })
    }
}

/// "during startup" for the halves of a lifespan; nothing for tasks and hooks, whose
/// subject already says what they are, nor for a part that failed while running, whose
/// error says how.
struct During(Origin);

impl fmt::Display for During {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Origin::Startup | Origin::Shutdown => write!(f, " during {}", self.0),
            Origin::Task | Origin::Hook | Origin::Teardown | Origin::Running => Ok(()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_detail(f)?;
        match &self.inner.gave_up {
            Some(gave_up) => write!(f, "; {gave_up}"),
            None => Ok(()),
        }
    }
}

/// "gave up after 5 restarts in 3.1s (its limit: 5 within 10s)".
impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let restarts = match self.restarts {
            1 => "restart",
            _ => "restarts",
        };
        write!(
            f,
            "gave up after {} {restarts} in {:.1?} (its limit: {} within {:?})",
            self.restarts, self.over, self.limit, self.within
        )
    }
}

impl Error {
    /// The message without what a supervised task's giving up adds.
    fn fmt_detail(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.inner.origin;
        let subject = self.subject();
        match &self.inner.detail {
            Detail::Failed(source) => write!(f, "{subject} failed{}: {source}", During(origin)),
            Detail::Panicked(message) => {
                write!(f, "{subject} panicked{}: {message}", During(origin))
            }
            Detail::TimedOut { limit, cause } => {
                // What was left of a deadline is rarely round: whole milliseconds read better.
                let limit = Duration::from_millis((limit.as_secs_f64() * 1e3).round() as u64);
                if *cause != TimeoutCause::Blocked {
                    write!(f, "{subject} timed out after {limit:?}{}", During(origin))?;
                }
                match (origin, cause) {
                    (_, TimeoutCause::Blocked) => write!(
                        f,
                        "{subject} blocked its thread past its limit of {limit:?}{}, so it could \
                         not be cancelled in time; move blocking work into \
                         `tokio::task::spawn_blocking`",
                        During(origin)
                    ),
                    (Origin::Task, _) => f.write_str(
                        " once told to stop, and was aborted; let it return when \
                         `lifespan::shutdown_requested()` resolves inside it",
                    ),
                    (_, TimeoutCause::Deadline) => {
                        f.write_str(" (what was left of the shutdown deadline) and was cancelled")
                    }
                    (Origin::Startup, TimeoutCause::Own) => f.write_str(
                        " and was cancelled; raise its `startup_timeout` or make startup faster",
                    ),
                    (Origin::Shutdown, TimeoutCause::Own) => f.write_str(
                        " and was cancelled; raise its `shutdown_timeout` or make shutdown faster",
                    ),
                    (Origin::Hook | Origin::Teardown | Origin::Running, TimeoutCause::Own) => {
                        f.write_str(" and was cancelled")
                    }
                }
            }
            Detail::ReturnedBeforeYield => write!(
                f,
                "{subject} returned before reaching `yield_app!`: a lifespan must reach `yield_app!`; \
                 fail startup with `?` or `return Err(..)`"
            ),
            Detail::Cancelled {
                before_start: false,
            } => write!(
                f,
                "{subject} was cut while starting: shutdown was requested, and what it had \
                 started was stopped"
            ),
            Detail::Cancelled { before_start: true } => write!(
                f,
                "{subject} was not started: shutdown had been requested before it was entered; \
                 enter lifespans before the shutdown of their scope is requested"
            ),
            Detail::Aborted => write!(
                f,
                "{subject} was aborted before it finished, through its `TaskHandle` or because \
                 its runtime shut down"
            ),
            Detail::Hurried => write!(
                f,
                "{subject} was aborted at its turn: the shutdown was hurried (a second signal, \
                 or `request_hurry()`), which cuts tasks instead of waiting for them"
            ),
            Detail::NoScope => write!(
                f,
                "{subject} was entered outside a lifespan scope: call `enter` inside a #[lifespan] fn, \
                 #[lifespan::main] or #[lifespan::test], use `Scope::enter`, or `start` it and `stop` it yourself"
            ),
            Detail::ScopeClosed if origin == Origin::Task => write!(
                f,
                "{subject} was spawned after its scope had shut down, and never ran; spawn tasks \
                 before the scope's shutdown begins"
            ),
            Detail::ScopeClosed => write!(
                f,
                "{subject} finished startup after its scope had shut down, so it was stopped again; \
                 enter lifespans before the scope's shutdown begins"
            ),
            Detail::WrongScope(WrongScope::Owned) => write!(
                f,
                "`shutdown()` was called on the scope of lifespan `{}`, which stops with that \
                 lifespan after its shutdown half: call `stop()` on its `Running`, or \
                 `request_shutdown()` to stop the whole app",
                self.inner.name
            ),
            Detail::WrongScope(WrongScope::FromInside) => write!(
                f,
                "`shutdown()` of the scope of `{}` was called from inside that scope, and would \
                 wait for its own caller to finish: call `request_shutdown()` instead, and let \
                 the scope's owner tear it down",
                self.inner.name
            ),
            Detail::Several(errors) => {
                let doing = match origin {
                    Origin::Startup => "starting",
                    _ => "stopping",
                };
                write!(
                    f,
                    "{} failures while {doing} `{}`: ",
                    errors.len(),
                    self.inner.name
                )?;
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "({}) {error}", index + 1)?;
                }
                Ok(())
            }
        }
    }
}

/// `{:?}` is the one-line message, so that `fn main() -> Result<(), lifespan::Error>`
/// prints something a person can act on; `{:#?}` shows the structure.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        let mut debug = f.debug_struct("Error");
        debug
            .field("name", &self.inner.name)
            .field("origin", &self.inner.origin)
            .field("kind", &self.kind());
        match &self.inner.detail {
            Detail::Failed(source) => debug.field("source", source),
            Detail::Panicked(message) => debug.field("panic_message", message),
            Detail::TimedOut { limit, cause } => debug.field("limit", limit).field("cause", cause),
            Detail::Several(errors) => debug.field("errors", errors),
            Detail::WrongScope(why) => debug.field("why", why),
            Detail::ReturnedBeforeYield
            | Detail::Cancelled { .. }
            | Detail::Aborted
            | Detail::Hurried
            | Detail::NoScope
            | Detail::ScopeClosed => &mut debug,
        };
        if let Some(gave_up) = &self.inner.gave_up {
            debug.field("gave_up", gave_up);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.detail {
            Detail::Failed(source) => Some(&**source),
            _ => None,
        }
    }
}

/// The message of a panic payload: the `&str` or `String` given to `panic!`.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic payload that is not a string".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &'static str) -> Name {
        Cow::Borrowed(s)
    }

    /// An error of ours that a body returns is that body's failure, with ours as its
    /// source once (so `downcast_ref` finds it), unless it was made to be kept as it is;
    /// kept once, it is wrapped the next time.
    #[test]
    fn a_returned_error_of_ours_is_the_source_unless_kept_as_it_is() {
        let inner = Error::failed(name("db"), Origin::Startup, "refused");
        let wrapped = Error::returned(&name("app"), Origin::Startup, Box::new(inner.clone()));
        assert_eq!(wrapped.name(), "app");
        let source = std::error::Error::source(&wrapped).unwrap();
        assert_eq!(source.downcast_ref::<Error>().map(Error::name), Some("db"));
        let kept = Error::returned(&name("app"), Origin::Startup, Box::new(inner.keep_as_is()));
        assert_eq!(
            kept.to_string(),
            "lifespan `db` failed during startup: refused"
        );
        let again = Error::returned(&name("outer"), Origin::Shutdown, Box::new(kept));
        assert_eq!((again.name(), again.origin()), ("outer", Origin::Shutdown));
    }

    #[test]
    fn collect_flattens_nested_failures_and_keeps_their_order() {
        let inner = Error::collect(
            &name("db"),
            Origin::Shutdown,
            vec![
                Error::failed(name("db"), Origin::Shutdown, "close failed"),
                Error::timed_out(
                    name("flush"),
                    Origin::Hook,
                    Duration::from_secs(1),
                    TimeoutCause::Own,
                ),
            ],
        )
        .unwrap_err();
        let outer = Error::collect(
            &name("app"),
            Origin::Shutdown,
            vec![Error::failed(name("cache"), Origin::Shutdown, "x"), inner],
        )
        .unwrap_err();
        let names: Vec<_> = outer.errors().iter().map(Error::name).collect();
        assert_eq!(names, ["cache", "db", "flush"]);
        assert_eq!(outer.kind(), ErrorKind::Several);
        assert_eq!(
            outer.to_string(),
            "3 failures while stopping `app`: (1) lifespan `cache` failed during shutdown: x; \
             (2) lifespan `db` failed during shutdown: close failed; \
             (3) shutdown hook `flush` timed out after 1s and was cancelled"
        );
    }

    #[test]
    fn collect_of_nothing_is_ok_and_of_one_is_that_one() {
        assert!(Error::collect(&name("app"), Origin::Shutdown, vec![]).is_ok());
        let one = Error::collect(
            &name("app"),
            Origin::Shutdown,
            vec![Error::returned_before_yield(name("db"))],
        )
        .unwrap_err();
        assert_eq!(one.kind(), ErrorKind::ReturnedBeforeYield);
        assert_eq!(one.errors().len(), 1);
    }

    #[test]
    fn panic_messages_are_read_from_str_and_string_payloads() {
        let from_str = Error::panicked(name("a"), Origin::Task, &"boom");
        let from_string = Error::panicked(name("a"), Origin::Task, &String::from("bang"));
        let other = Error::panicked(name("a"), Origin::Task, &42_u8);
        assert_eq!(from_str.panic_message(), Some("boom"));
        assert_eq!(from_string.panic_message(), Some("bang"));
        assert_eq!(
            other.panic_message(),
            Some("a panic payload that is not a string")
        );
        assert_eq!(from_str.to_string(), "task `a` panicked: boom");
    }

    /// A lifespan meets a closed scope only when its startup ends in the same instant
    /// its scope's teardown takes the children, on another thread: no test lands there,
    /// so its message is checked here, beside the task's.
    #[test]
    fn a_closed_scope_is_explained_for_a_lifespan_and_for_a_task() {
        assert_eq!(
            Error::scope_closed(name("db")).to_string(),
            "lifespan `db` finished startup after its scope had shut down, so it was stopped \
             again; enter lifespans before the scope's shutdown begins"
        );
        assert_eq!(
            Error::task_refused(name("late")).to_string(),
            "task `late` was spawned after its scope had shut down, and never ran; spawn tasks \
             before the scope's shutdown begins"
        );
    }
}
