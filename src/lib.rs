//! Startup and shutdown of each resource written together, in one async function, and a
//! runtime that composes many of them: the ordering, timeouts, panic containment and
//! background tasks a real service needs. What ASGI's `lifespan` gives Starlette and
//! FastAPI, for tokio services.
//!
//! # One function per resource
//!
//! Everything before `yield_app!` is the startup half, everything after it the shutdown
//! half; the locals belong to both. The fn becomes a plain fn returning
//! `impl Lifespan<Value = T, Error = E>`, and calling it runs nothing until the lifespan
//! is started.
//!
//! ```
//! use lifespan::{lifespan, yield_app, Lifespan};
//!
//! #[derive(Clone)]
//! struct Pool;
//! impl Pool {
//!     async fn connect(_url: &str) -> std::io::Result<Pool> { Ok(Pool) }
//!     async fn execute(&self, _sql: &str) -> std::io::Result<()> { Ok(()) }
//!     async fn close(&self) -> std::io::Result<()> { Ok(()) }
//! }
//!
//! /// The app's database pool.
//! #[lifespan(startup_timeout = "10s", shutdown_timeout = "5s")]
//! async fn database(url: String) -> std::io::Result<Pool> {
//!     let pool = Pool::connect(&url).await?;   // startup half
//!     pool.execute("SELECT 1").await?;         // fail fast on a bad URL
//!     yield_app!(pool.clone());                // the app runs here
//!     pool.close().await?;                     // shutdown half
//!     Ok(())
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let running = database("sqlite::memory:".into()).start().await?;
//! running.execute("SELECT 42").await?;          // `Running<Pool>` derefs to the pool
//! running.stop().await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! The return type says what the lifespan yields and how it fails:
//!
//! - `Result<T, E>`, or an alias whose last segment is `Result` (`anyhow::Result<T>`,
//!   `std::io::Result<T>`): yields `T`, both halves fail with `E`, `?` works in both.
//!   The shutdown half ends in `Ok(())` (added for you when nothing follows the yield).
//! - Any other type `T`: yields `T` and cannot fail; no return type yields `()`.
//!
//! Arguments: `name = ".."` (default: the fn's name), `startup_timeout = ".."` and
//! `shutdown_timeout = ".."` (`"250ms"`, `"10s"`, `"2m"`, checked at compile time; the
//! [`Lifespan`] methods of the same names override them), `restart = "on_failure"`
//! (or `"always"`, `"never"`, or any expression of type [`Restart`]; see
//! [Restarting what fails](#restarting-what-fails)), and
//! `crate = ".."` for crates that re-export `lifespan`. It works on methods (`&self`),
//! generic fns and fns with `impl Trait` arguments.
//!
//! # Lifespans inside lifespans
//!
//! A lifespan's body runs in a [`Scope`] of its own: what it enters is stopped right
//! after its shutdown half, in reverse order. Independent lifespans start concurrently
//! with `tokio::try_join!`. When the startup half fails after entering some, those are
//! stopped, in reverse, before the failure is returned.
//!
//! `?` on [`enter`](Lifespan::enter) needs the lifespan's error to convert from
//! [`Error`]: `lifespan::Error` itself, `anyhow::Error` and
//! `Box<dyn std::error::Error + Send + Sync>` do; give your own error enum a variant and
//! a `From<lifespan::Error>` impl. The failed part's error is then the `source()` of the
//! outer one. With a concrete error type, [`Error::downcast_ref`] reaches it; with
//! `anyhow` it survives as text and in the source chain but cannot be downcast, because
//! anyhow's conversion to a boxed error hides the type.
//!
//! ```
//! use lifespan::{lifespan, yield_app, Scope};
//!
//! #[lifespan]
//! async fn cache() -> &'static str {
//!     yield_app!("cache");
//!     println!("3. cache closed");
//! }
//!
//! #[lifespan]
//! async fn queue() -> &'static str {
//!     yield_app!("queue");
//!     println!("2. queue closed");
//! }
//!
//! #[lifespan]
//! async fn app() -> Result<String, lifespan::Error> {
//!     let (cache, queue) = tokio::try_join!(cache().enter(), queue().enter())?;
//!     yield_app!(format!("{cache}+{queue}"));
//!     println!("1. app drained");
//!     Ok(())
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let root = Scope::new();
//! assert_eq!(root.enter(app()).await?, "cache+queue");
//! root.shutdown().await?; // prints 1, 2, 3
//! # Ok::<(), lifespan::Error>(())
//! # }).unwrap();
//! ```
//!
//! # A whole service: `#[lifespan::main]`
//!
//! Put `#[lifespan::main]` where `#[tokio::main]` was. The body is the root lifespan,
//! named `main`: its startup half enters the service's parts, its one `yield_app!()`
//! (no value) is where the service runs, and its shutdown half drains.
//!
//! ```no_run
//! use lifespan::{lifespan, yield_app};
//!
//! #[lifespan(startup_timeout = "10s")]
//! async fn listener() -> std::io::Result<tokio::net::TcpListener> {
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     yield_app!(listener);
//! }
//!
//! #[lifespan::main(shutdown_timeout = "30s")]
//! async fn main() -> Result<(), lifespan::Error> {
//!     let listener = listener().enter().await?;
//!     lifespan::spawn("accept-loop", async move {
//!         // Ends at this task's turn to stop; tracked, so teardown waits for it.
//!         while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
//!             let (_stream, _peer) = accepted?;
//!         }
//!         Ok::<(), std::io::Error>(())
//!     });
//!     yield_app!(); // serves until SIGINT, SIGTERM, request_shutdown() or a failed task
//!     println!("draining");
//!     Ok(())
//! }
//! ```
//!
//! What it does:
//!
//! - Builds the tokio runtime: `flavor = "multi_thread"` (the default) or
//!   `"current_thread"`, and `worker_threads = N`. `crate = ".."` as for `#[lifespan]`.
//!   `startup_timeout`, `shutdown_timeout` and `second_signal_timeout` are below.
//! - Runs the startup half, within `startup_timeout` if given (none by default). A
//!   failed startup stops what had started, in reverse, and exits 69 (78 for a
//!   [`ConfigError`]) with the cause on stderr. A signal during startup cuts it: what had started stops in
//!   reverse, and the exit is 0 (see the decisions below).
//! - Between the halves, waits for the first of SIGINT, SIGTERM (ctrl-c on Windows),
//!   [`request_shutdown`] from anywhere, or a failed or panicked task that was not
//!   spawned with [`spawn_isolated`].
//! - Teardown: [`app_shutdown_requested`] resolves everywhere at once (for readiness);
//!   then main's shutdown half runs, then its children stop in reverse order, each
//!   hearing its own [`shutdown_requested`] at its turn, each capped by what is left of
//!   `shutdown_timeout` (30 seconds by default, the usual orchestrator grace period).
//! - Signals escalate, as a person at a terminal or an orchestrator expects. The first
//!   SIGINT or SIGTERM shuts down gracefully. The second hurries the shutdown
//!   ([`Scope::request_hurry`]): tasks are aborted at their turn instead of awaited and
//!   servers cut their drains, but every shutdown half and hook still runs, so the
//!   database is still closed; the exit code is 130. The hurried shutdown has
//!   `second_signal_timeout` (5 seconds by default); a third signal, or that timeout
//!   passing, exits 130 at once. `second_signal_timeout = "0s"` makes the second signal
//!   exit at once, with no shutdown half run.
//! - Force paths that no async code can defeat, run by a watchdog on threads of its
//!   own (so they work even when a task blocks the thread teardown runs on): the last
//!   signal and `second_signal_timeout` above exit with code 130; the deadline passing (plus 250 ms
//!   for the runtime's own timeouts to report first) exits with code 1. A startup
//!   still running that long after its `startup_timeout`, which only happens when it
//!   blocks its thread, begins shutdown, so that deadline applies to it too. Each prints
//!   what was still starting or stopping, and for how long. Before exiting, each kills
//!   the process group of every `lifespan::process` program still running, with
//!   SIGKILL, so that none outlives the service. A failed startup rolls back within
//!   `shutdown_timeout`, like any teardown.
//! - [`phase`] moves from `Starting` to `Running` (after the startup half) to
//!   `Stopping` to `Stopped`: a `/readyz` handler answers from it. With the `systemd`
//!   feature, READY=1 and STOPPING=1 go to the service manager when `NOTIFY_SOCKET` is
//!   set, and nothing happens otherwise. A startup or a shutdown that lasts more than
//!   2 s also sends `EXTEND_TIMEOUT_USEC=` (systemd 236 and later), so that systemd
//!   waits past `TimeoutStartSec=` or `TimeoutStopSec=` for a stage still within the
//!   service's own limits, and no longer: a startup up to the `startup_timeout` of the
//!   parts still starting (a parent's limit cutting its children's), a shutdown up to
//!   its deadline plus 250 ms. A slow part with no `startup_timeout` is not extended.
//! - At the end, one `INFO` event `lifespan summary:` with a row per lifespan: its
//!   startup time, its shutdown time (children included) and how it ended. A task
//!   that failed or was aborted, and a hook that failed, count against the part that
//!   spawned or registered it, which is then never "ok". The last line is `no part
//!   failed`, or says why the exit code is not 0.
//! - With `LIFESPAN_TIMELINE=run.svg` (or `run.json`) in the environment, the service
//!   also writes its [`timeline`](crate::timeline::Timeline) there at exit, a forced
//!   exit too, as far as it got: a picture like `systemd-analyze plot`, or a Chrome
//!   trace for Perfetto (another extension gets a picture, with a warning). A relative
//!   path is taken from the working directory at exit. A path it cannot write is one
//!   warning; the exit is the same.
//!
//! The exit code says why the service ended, so that a service manager can act on it
//! (systemd's `RestartPreventExitStatus=`, an alert on a pod's last exit code):
//!
//! | code | why |
//! | --- | --- |
//! | 0 | it stopped cleanly: a signal or `request_shutdown()`, and nothing failed (a startup cut by a signal too) |
//! | 1 | something failed while stopping (a shutdown half, a hook, a task at its turn), or the body returned an error after its `yield_app!()`; or the shutdown deadline passed, and the watchdog exited |
//! | 69 | startup failed (`EX_UNAVAILABLE`): a part could not start, or the body returned an error before its `yield_app!()` |
//! | 70 | it gave up while running (`EX_SOFTWARE`): a task failed, or a supervised one used up its restarts, or a `process` program exited, and that brought the service down |
//! | 78 | startup failed on an error marked as a configuration problem (`EX_CONFIG`): a [`ConfigError`] |
//! | 130 | forced by signals: a second signal hurried the shutdown, or a third one (or the hurry's timeout) ended it |
//!
//! Whether a failed startup exits 78 is read from the failure that ended it: main's own
//! error, where a [`ConfigError`] anywhere in its chain of sources decides. The macro
//! reads it at the return type as written, so this works for `anyhow::Result<()>`
//! (and `eyre`, and `Box<dyn Error + Send + Sync>`: any error that is
//! `AsRef<dyn Error + Send + Sync>`), for [`lifespan::Error`](Error), and for an error
//! type of the app's own that implements `std::error::Error` and gives the
//! `ConfigError` as a source. A configuration failure that main handled and went on from
//! does not count. Only an error type that is neither is taken to be the last failed
//! part's, which `?` passed on. 69, 70 and 78 are `sysexits.h`'s;
//! 1 is Rust's own for a failing `main`; 130 is the shells' 128 + SIGINT.
//!
//! The return type decides how the failure is printed:
//!
//! | `main` returns | success | any failure |
//! | --- | --- | --- |
//! | `()` | exit 0 | `Error: ..` on stderr, the code above |
//! | `ExitCode` | the code returned | `Error: ..` on stderr, the code above |
//! | `Result<(), E>`, `E: From<lifespan::Error>` | exit 0 | `Err(e)`, printed by Rust as usual, the code above |
//!
//! With `Result`, the body's own error is returned as it is (the others, if any, are
//! printed first); a failed part becomes `E::from(error)`.
//!
//! A stop asked for during startup (a signal, or `request_shutdown()`) is not a
//! failure: when the startup it cut rolled back cleanly, the exit is 0 whatever the body
//! made of the cut (a `?` on the part it was entering included), and the summary's last
//! line says "stopped while starting" and names the startups that were cut. A failure
//! while rolling back makes the exit non-zero as above.
//!
//! Decisions where the design left room:
//!
//! - A first signal during startup cuts it, as Kubernetes expects when it scales down
//!   or supersedes a rollout during a slow boot: the startup in progress is dropped
//!   where it stands, as its `startup_timeout` would drop it, and every part that had
//!   started is stopped in reverse, within the shutdown deadline, which counts from the
//!   signal. The body after `yield_app!()` never runs and READY=1 is never sent. Later
//!   signals escalate as during shutdown: the second hurries the rollback, the third
//!   exits 130. The same holds for `request_shutdown()` called during startup, and for
//!   any scope: a startup that a shutdown request covers (the app's, or
//!   `request_local_shutdown()` on its scope or above) is cut, and its caller gets
//!   [`ErrorKind::Cancelled`].
//! - After a second signal the exit code is 130 even when every shutdown half ran in
//!   time: tasks were aborted and drains cut, so the work was interrupted, as 128 +
//!   SIGINT says to a shell or a supervisor.
//! - Blocking threads (`spawn_blocking`) still running after teardown are not waited
//!   for: a passed deadline is never extended.
//! - On Windows only ctrl-c is listened for, on the runtime rather than a watchdog
//!   thread, and only once: the signal ladder is Unix's; the deadline watchdog works
//!   everywhere.
//! - Signals are counted, not shutdowns: a SIGTERM that arrives while a shutdown begun
//!   by `request_shutdown()` or a failed task is under way is a first signal, and does
//!   not hurry it.
//!
//! # Testing a lifespan
//!
//! `#[lifespan::test]` is `#[tokio::test]` with a root scope: after the body, the scope
//! is torn down and the test fails if any part of the teardown failed, timed out or
//! panicked. It takes `shutdown_timeout = ".."` and `crate = ".."`, and works with
//! `#[should_panic]`. The runtime is current-thread, so a test of timeouts can call
//! `tokio::time::pause()` first (tokio's `test-util` feature) and cost no real time.
//!
//! ```no_run
//! use lifespan::{lifespan, yield_app};
//!
//! #[lifespan]
//! async fn counter() -> u32 {
//!     yield_app!(0);
//! }
//!
//! #[lifespan::test]
//! async fn counter_starts_at_zero() -> Result<(), lifespan::Error> {
//!     assert_eq!(counter().enter().await?, 0);
//!     Ok(())
//! }
//! ```
//!
#![doc = include_str!("compile-errors.md")]
//!
//! # What it expands to
//!
//! Nothing hidden: the body moves, unchanged, into a closure handed to [`from_fn`], and
//! `yield_app!` becomes the [`Yielder`] call. The first example above expands to:
//!
//! ```text
//! /// The app's database pool.
//! fn database(url: String) -> impl ::lifespan::Lifespan<Value = Pool, Error = std::io::Error> {
//!     let __lifespan = ::lifespan::__private::from_fn_typed::<Pool, std::io::Result<()>, _, _>(
//!         "database",
//!         move |__yielder| async move {
//!             #[allow(unused_imports)]
//!             use ::lifespan::Lifespan as _;
//!             let pool = Pool::connect(&url).await?;
//!             pool.execute("SELECT 1").await?;
//!             __yielder.yield_app(pool.clone()).await;
//!             pool.close().await?;
//!             Ok(())
//!         },
//!     );
//!     let __lifespan = ::lifespan::Lifespan::startup_timeout(__lifespan, ::lifespan::__private::Duration::from_secs(10));
//!     let __lifespan = ::lifespan::Lifespan::shutdown_timeout(__lifespan, ::lifespan::__private::Duration::from_secs(5));
//!     __lifespan
//! }
//! ```
//!
//! The `use` puts [`Lifespan`] in scope for the body, so `.enter()` needs no import
//! there. `std::io::Result` and `anyhow::Result` name their error type directly; other
//! aliases are read through a hidden trait, `<Alias<()> as ResultOutput>::Err`. The
//! expansions are kept as reviewed snapshots in `lifespan-macros/tests/expand/`.
//!
//! # Without the macro
//!
//! `#[lifespan]` expands to [`from_fn`], which is public: a closure receives a
//! [`Yielder`] and `yielder.yield_app(value).await` is the yield point.
//!
//! # The guarantees
//!
//! A [`Scope`] is an async exit stack. Each lifespan's body runs in a scope of its own,
//! so lifespans form a tree, and teardown walks it:
//!
//! - Startup runs in program order; `tokio::try_join!(a.enter(), b.enter())` starts
//!   independent lifespans concurrently, each registered when its startup completes.
//! - Teardown stops a lifespan's shutdown half, then its children (entered lifespans,
//!   spawned tasks, `on_shutdown` hooks) in reverse order of registration. Each part is
//!   stopped exactly once, and never one whose startup did not complete.
//! - Teardown follows what startup proved: a part is stopped before every part that was
//!   already running when its startup began, and parts whose startups overlapped (so
//!   neither can hold the other's value) stop concurrently. Parts entered one after
//!   another keep the exact reverse order; twenty parts entered with `try_join_all`
//!   stop in the time of the slowest.
//! - A failure (error, panic, timeout) in startup cancels that startup half and stops
//!   what it had entered, in reverse, within its own shutdown timeout; the caller gets
//!   the error, and when it fails in turn with `?`, its own scope unwinds likewise.
//! - A startup whose future is dropped before it finishes (a `try_join!` sibling failed,
//!   an outer timeout passed) loses nothing: the scope it was started in inherits what
//!   it had entered, or its rollback halfway through, and stops it with its own
//!   children, reporting every failure.
//! - A failure in shutdown is recorded and teardown goes on; the [`Error`] returned at
//!   the end holds every failure, and [`Error::origin`] says where each came from.
//! - Timeouts are per lifespan and per half. A timed-out half is dropped (cancelled);
//!   its children are still stopped. A root made with [`Scope::with_shutdown_timeout`]
//!   gives its teardown a deadline, and every part gets the smaller of its own timeout
//!   and what is left of it. A shutdown half, hook or task that blocks its thread past
//!   its limit (no timer can cancel it then) is reported as timed out all the same,
//!   naming it; a part merely polled late, because another held the thread, is not
//!   blamed. A startup half that blocks past its limit but yields is kept, since it has
//!   opened what it yields; under `#[lifespan::main]` the watchdog covers it.
//! - Panics in either half, in tasks and in hooks are caught, named and reported.
//! - Tasks from [`spawn`] are tracked, and stop at their own turn like the parts
//!   entered beside them: in its place in the reverse order, a task's
//!   [`shutdown_requested`] resolves, then it is awaited within the deadline, then
//!   aborted. A task that fails while the app runs requests shutdown of the whole app,
//!   unless spawned with [`spawn_isolated`]. [`spawn`] returns a [`TaskHandle`] to
//!   abort the task, ask whether it finished, or await its result.
//!
//! # Decisions where the design left room
//!
//! - Inside the body of a `#[lifespan]`, `#[lifespan::main]` or `#[lifespan::test]`
//!   the [`Lifespan`] trait is in scope, so `.enter()` and `.start()` need no import;
//!   elsewhere, `use lifespan::Lifespan`.
//! - The yielded value of a [`Running`] is dropped before its shutdown half runs.
//! - A [`Running`] dropped without [`stop`](Running::stop) cannot run its shutdown
//!   half (a warning says so), but what it entered, spawned or registered is still
//!   stopped, on a task of the runtime, with failures logged at ERROR.
//! - A root [`Scope`] whose owner drops its last handle (the one [`Scope::new`] gave,
//!   and its clones) without [`Scope::shutdown`] while it holds parts, tasks or hooks
//!   tears itself down on a task of the runtime, with a warning, and logs failures at
//!   ERROR. Handles taken inside with [`Scope::current`] do not keep it alive; a clone
//!   of the owner's handle moved into one of its tasks does.
//! - [`Scope::shutdown`] is cancel-safe: a teardown cut short by its caller goes on, on
//!   a task of its own; the next `shutdown()` waits for it and returns its failures,
//!   which are also logged at ERROR if they came while nobody was waiting. A
//!   [`Running::stop`] cut short cancels the shutdown half (logged at ERROR, as a
//!   timeout would be), and the children still stop, on a task of their own. Outside a
//!   tokio runtime both run in place, and are cancel-safe only as far as their parts'
//!   own futures are.
//! - A lifespan's own scope is a child of the scope current where it was started, so
//!   [`request_shutdown`] from anywhere reaches the app's root. Each part hears
//!   [`shutdown_requested`] at its own turn, not when the app's shutdown begins: a part
//!   entered before another keeps working while that one stops, which is what it may be
//!   serving. [`Scope::request_local_shutdown`] asks one subtree (a [`Running`]'s scope,
//!   a part's scope) to stop: everything inside hears it at once, nothing outside.
//! - Only a root made with [`Scope::new`] or [`Scope::with_shutdown_timeout`] is torn
//!   down with [`Scope::shutdown`], and only by code outside it (or a root's own body,
//!   as in `#[lifespan::test]`). A lifespan's scope stops with the lifespan, and a task,
//!   hook or body inside the scope would wait for itself: both get
//!   [`ErrorKind::WrongScope`] and nothing is stopped. Inside the app, ask with
//!   [`request_shutdown`].
//! - Tasks spawned one after another form one group, stopped together; a server that
//!   spawns a task per connection keeps memory flat.
//! - An isolated task's failure is logged at ERROR only.
//! - Without a deadline (a plain [`Scope::new`]), a task that ignores shutdown keeps
//!   teardown waiting; give the root a deadline to bound it.
//!
//! # Draining a queue, and what hears shutdown when
//!
//! A part hears [`shutdown_requested`] at its turn in the teardown, in reverse order of
//! entry: so a queue worker entered (or spawned) before the server that fills its
//! queue is told to stop only after the server has finished its last requests, which
//! may have enqueued more jobs. The worker then drains what is left. Two ways, by who
//! holds the queue's senders:
//!
//! - The senders belong to parts that stop before the worker (the server and what it
//!   holds): loop on `recv()` until it returns `None`, which happens once every sender
//!   is dropped. No shutdown signal is needed, and nothing is lost.
//! - Senders live on elsewhere (a clone in a long-lived state): at the worker's turn,
//!   close the receiver and drain it.
//!
//! ```
//! # use lifespan::Scope;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! # let scope = Scope::new();
//! let (jobs, mut queue) = tokio::sync::mpsc::channel::<String>(128);
//! # let _keep = jobs.clone();
//! scope.spawn("worker", async move {
//!     loop {
//!         tokio::select! {
//!             biased;
//!             Some(job) = queue.recv() => println!("processing {job}"),
//!             () = lifespan::shutdown_requested() => break,
//!         }
//!     }
//!     queue.close(); // refuse new jobs, keep the queued ones
//!     while let Some(job) = queue.recv().await {
//!         println!("processing {job} while stopping");
//!     }
//! });
//! # jobs.send("a".into()).await.unwrap();
//! # scope.shutdown().await.unwrap();
//! # });
//! ```
//!
//! Do not write `while let Some(job) = until_shutdown(queue.recv()).await`: it stops
//! at the worker's turn with jobs still queued. Inside a task, use the free functions
//! ([`shutdown_requested`], [`until_shutdown`], [`is_shutdown_requested`]), which
//! follow the task's own turn; a root `Scope` captured into the task would answer for
//! the whole app instead, at once. What must react the instant the app's
//! shutdown begins, whatever its turn (a `/readyz` handler, a load balancer to tell),
//! awaits [`app_shutdown_requested`].
//!
//! # Restarting what fails
//!
//! A task or a part that fails while the service runs stops the app, unless it carries
//! a [`Restart`] policy (Erlang/OTP's restart types, systemd's `Restart=`):
//!
//! - a task: [`spawn_supervised`]`(name, policy, || make_the_task())`, which takes a
//!   closure because each restart needs a new future;
//! - a lifespan and everything below it: [`supervised`]`(policy, || make_the_lifespan())`,
//!   or, where it is defined, `#[lifespan(restart = "on_failure")]` (a kind by name,
//!   with the default backoff and limit) or `#[lifespan(restart = Restart::on_failure()
//!   .limit(3, Duration::from_secs(60)))]` (any expression of type [`Restart`],
//!   evaluated each time the fn is called; it may read the fn's arguments). The
//!   attribute makes each instance from clones of the arguments, so they must be owned
//!   and `Clone`; the fn then returns
//!   `impl Lifespan<Value = Follow<T>, Error = lifespan::Error>`.
//!   When a task below it fails, its subtree stops in teardown order and starts again.
//!   It hands out a [`Follow`] of the value rather than the value, so that no holder
//!   keeps an instance that was replaced; a value that cannot be cloned for its holders
//!   is refused at compile time.
//!
//! The policy is `never`, `on_failure` or `always`, with a doubling backoff (100 ms to
//! 30 s by default, optional jitter, reset once an instance stays up twice the maximum)
//! and a limit (5 restarts within 10 s by default) past which the failure escalates as
//! it would without one, saying how many restarts were tried ([`Error::gave_up`]).
//! Nothing restarts once shutdown has begun or the part's own turn to stop has come, and
//! a backoff then ends at once. Each restart is a WARN with the part's path, the
//! attempt, the error and the delay; the summary counts restarts per part, and the
//! timeline draws each instance as a row of its own: a restarted lifespan's
//! (`broker#1`, `broker#2`) and a supervised task's (`worker#1`, beside the `worker`
//! row for the task's whole life; past twenty, a task's later instances share one row,
//! `worker#21+`, so that a loop restarted for the service's whole life stays bounded). The `supervised_worker` example shows both.
//!
//! Decisions: a restarting lifespan's first startup is not retried (a service that
//! cannot start should say so at once, with exit 69 or 78); a restart whose startup
//! fails counts as the next failure; the limit counts restarts of one part, so nested
//! supervisors multiply their counts, as OTP warns: give the inner ones the smaller
//! limit. OTP's `rest_for_one` (restart what started after the failed child, since it
//! may depend on it) is what a supervised lifespan does to its own subtree: everything
//! it entered, spawned and registered stops and starts again with it. Parts beside it
//! are not restarted: those that use it hold a [`Follow`], which hands them the new
//! instance (and `None`, or a `wait()`, while it is down). Put what must restart with a
//! part inside that part.
//!
//! # Observability
//!
//! Each half runs in a `tracing` span `lifespan{name, half}` (`half` is `startup` or
//! `shutdown`); tasks in `task{name}`, hooks in `hook{name}`. Events: `starting` and
//! `stopping` at DEBUG, `started` and `stopped` at INFO (with their `elapsed` time when
//! INFO was enabled as the half began), every failure at ERROR.
#![forbid(unsafe_code)]

pub use lifespan_macros::{lifespan, main, test};
pub use lifespan_runtime::{
    BoxError, ConfigError, Error, ErrorKind, Follow, FollowValue, FromFn, GaveUp, Lifespan,
    MainOutput, Origin, Outcome, Phase, Restart, Running, Scope, StoppedForGood, TaskHandle,
    TimeoutCause, Yielder, app_shutdown_requested, enter, from_fn, futures,
    is_app_shutdown_requested, is_shutdown_requested, on_shutdown, phase, request_shutdown,
    shutdown_requested, spawn, spawn_isolated, spawn_supervised, supervised, timeline,
    until_shutdown,
};

#[cfg(all(feature = "process", unix))]
pub use lifespan_runtime::process;

/// An axum server as a lifespan, with readiness and a drain sequence (feature `axum`).
#[cfg(feature = "axum")]
pub use lifespan_axum as axum;

/// Marks where a lifespan's startup ends and the app runs: `yield_app!(value)` hands
/// `value` over, `yield_app!()` hands over `()`. Only `#[lifespan]` understands it; used
/// anywhere else it is a compile error.
///
/// ```compile_fail
/// fn not_a_lifespan() {
///     lifespan::yield_app!(1);
/// }
/// ```
#[macro_export]
macro_rules! yield_app {
    // What `#[lifespan]` rewrites a top-level `yield_app!` into: the user's own path to
    // this macro stays in use, and the value keeps its span for type errors.
    // What the fallback of a `#[lifespan]` with a mistake refers to: nothing.
    (@__lifespan_unused) => {};
    (@__lifespan $yielder:ident) => {
        $yielder.yield_app(()).await
    };
    (@__lifespan $yielder:ident, $value:expr) => {
        $yielder.yield_app($value).await
    };
    // With the yielded type from the signature: a mismatch is reported at the value,
    // against that type.
    (@__lifespan $yielder:ident, $value:expr, $ty:ty) => {
        $yielder.yield_app({ let value: $ty = $value; value }).await
    };
    ($($value:tt)*) => {
        ::core::compile_error!(
            "`yield_app!` only works at the top level of the body of a `#[lifespan] async fn`: \
             put it there, or hand the value over with `yielder.yield_app(value).await` inside `from_fn`"
        )
    };
}

/// What generated code reaches the runtime through. Not public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use lifespan_runtime::__private::*;
}
