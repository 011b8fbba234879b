//! [`supervised`]: a lifespan whose subtree is stopped and started again when a task
//! below it fails while the app runs.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::{Backoff, Next};
use super::follow::Follow;
use super::policy::Restart;
use super::supervise::{backoff_wait, until_stopped};
use crate::engine::Scope;
use crate::engine::scope::turn_for;
use crate::error::Error;
use crate::from_fn::from_fn;
use crate::ledger::instance;
use crate::lifespan::Lifespan;
use crate::running::Running;

/// What a restarting lifespan may hand out: a value its holders can be given again,
/// one clone per instance, through a [`Follow`].
#[diagnostic::on_unimplemented(
    message = "a lifespan that restarts cannot hand out `{Self}`: its holders would keep the instance that was stopped",
    label = "the lifespan `make` returns yields `{Self}`",
    note = "a restarting lifespan hands out a `Follow<{Self}>`, which gives each holder a clone of the value of the instance that runs now: yield a value that is `Clone + Send + Sync + 'static` (an `Arc` around it), or yield `()`"
)]
pub trait FollowValue: Clone + Send + Sync + 'static {}

impl<T: Clone + Send + Sync + 'static> FollowValue for T {}

/// A lifespan that starts what `make` returns, and restarts it as `policy` says when a
/// task below it fails while the app runs: the failed instance's subtree is stopped in
/// teardown order (its shutdown half, then what it entered, spawned or registered), then
/// a new instance is made and started after the backoff. For a consumer whose broker
/// goes away, a listener whose connection drops, an external program that crashes.
///
/// It hands out a [`Follow`] of the instance's value rather than the value itself, so
/// that nothing holds on to an instance that was replaced; `Follow::get` is `None` while
/// the part is down.
///
/// What a restart reacts to is a failure of a task below the instance (one spawned
/// with [`spawn`](crate::Scope::spawn) in its body, or further down): a lifespan fails
/// while running only through its tasks. The first startup is not retried: if it fails,
/// entering the supervised lifespan fails, as the lifespan alone would (a task it
/// spawned that fails meanwhile counts like one that fails later: a restart once it is
/// up). A restart whose startup fails counts as the next failure, with the backoff before
/// the next attempt. A restart's startup that hangs is bounded only by the instance's
/// own [`startup_timeout`](Lifespan::startup_timeout) (the service's startup deadline
/// covers the first startup only): give a restartable part one, so that a hang counts
/// as a failure and is restarted. A `lifespan::process` program that exits while the app runs is a
/// failure of its part, whatever its status: restarted under `on_failure` too.
///
/// A stop that was asked for is never restarted: once the supervisor's turn to stop
/// has come (its teardown, or a local stop at it or above), or the instance's (a local
/// stop of the instance's scope or above it), a failure below goes the usual way (it
/// requests the app's shutdown, and the teardown reports it). A failure taken just as
/// shutdown begins is reported by the teardown too, not dropped. One the supervisor
/// was waiting out a backoff for was logged as it happened, and is not reported again.
///
/// Past the policy's limit, the failure escalates as it would without a supervisor (a
/// failed task requests shutdown of the app), with [`Error::gave_up`] set. Nothing
/// restarts once the app's shutdown has been requested or the part's own turn to stop
/// has come (a [`Scope::request_local_shutdown`] at it or above included); a backoff then
/// ends at once, and a restart's startup in progress is cut and rolled back like any
/// startup. Each restart is logged at WARN with the part's path, the attempt, the error
/// and the delay; the summary counts the restarts on the part's line, and the timeline
/// draws each instance (`name#2`, `name#3`, ...) as a row of its own.
///
/// With [`Restart::never`] nothing is restarted: a failure below stops the app as usual.
/// `on_failure` and `always` mean the same here, as a running lifespan cannot end
/// cleanly by itself.
///
/// A value that cannot be cloned for its holders is refused at compile time:
///
/// ```compile_fail
/// # use lifespan::{from_fn, Restart};
/// struct Connection; // not Clone
/// let _ = lifespan::supervised(Restart::on_failure(), || from_fn("conn", |y| y.yield_app(Connection)));
/// ```
///
/// # Examples
///
/// A listener whose connection drops once; the second instance stays up:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use lifespan::{from_fn, Restart, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let connections = Arc::new(AtomicU32::new(0));
/// let counted = connections.clone();
/// let listener = lifespan::supervised(Restart::on_failure(), move || {
///     let connection = counted.fetch_add(1, Ordering::SeqCst) + 1;
///     from_fn("listener", move |y| async move {
///         lifespan::spawn("listen", async move {
///             if connection == 1 {
///                 return Err("connection reset");
///             }
///             lifespan::shutdown_requested().await;
///             Ok(())
///         });
///         y.yield_app(connection).await;
///     })
/// });
/// let scope = Scope::new();
/// let connection = scope.enter(listener).await?;
/// tokio::time::sleep(Duration::from_secs(1)).await; // the drop, and the restart
/// assert_eq!(connection.get(), Some(2));
/// scope.shutdown().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
pub fn supervised<M, L>(
    policy: Restart,
    mut make: M,
) -> impl Lifespan<Value = Follow<L::Value>, Error = Error> + Send + 'static
where
    M: FnMut() -> L + Send + 'static,
    L: Lifespan + Send + 'static,
    L::Value: FollowValue,
{
    let mut first = make();
    let name: Cow<'static, str> = first.__config_mut().name.clone();
    from_fn(name.clone(), move |yielder| async move {
        let scope = Scope::current_for("supervised");
        let turn = turn_for("supervised");
        let (failures, failed) = mpsc::unbounded_channel::<Error>();
        let watching = Arc::new(AtomicBool::new(policy != Restart::never()));
        let restarting = Arc::new(AtomicBool::new(false));
        let (watched, stopping_to_restart) = (watching.clone(), restarting.clone());
        scope.supervise_below(Box::new(move |supervised, error, stop_had_begun| {
            // Taken: a failure of the running instance, or one while this supervisor
            // stops it to restart it (the loop logs those). Left to go on up: any once
            // shutdown has begun, and one after a stop asked for below.
            watched.load(Ordering::Acquire)
                && !supervised.is_shutdown_requested()
                && !supervised.is_app_shutdown_requested()
                && (!stop_had_begun || stopping_to_restart.load(Ordering::Acquire))
                && failures.send(error.clone()).is_ok()
        }));
        let running = first
            .named(instance(&name, 1))
            .start()
            .await
            .map_err(Error::keep_as_is)?;
        let (publish, follow) = Follow::channel((*running).clone());
        let slot = Arc::new(Mutex::new(Some(running)));
        let restarts = Restarts {
            name: name.clone(),
            backoff: Backoff::new(policy),
            make,
            failed,
            slot: slot.clone(),
            publish: publish.clone(),
            turn: turn.clone(),
            scope: scope.clone(),
            instances: 1,
            restarting,
        };
        drop(spawn_restart_loop(&scope, &name, restarts));
        yielder.yield_app(follow).await;
        // Failures below now go the usual way, into this teardown's error.
        watching.store(false, Ordering::Release);
        let running = slot.lock().await.take();
        publish.send_replace(None); // stopped for good
        match running {
            Some(running) => running.stop().await.map_err(Error::keep_as_is),
            None => Ok(()),
        }
    })
}

/// Spawns the restart loop as a task of the supervisor's scope: a failure of its own
/// (giving up) goes up from there, past this supervisor.
fn spawn_restart_loop<M, L>(
    scope: &Scope,
    name: &str,
    restarts: Restarts<M, L>,
) -> crate::TaskHandle
where
    M: FnMut() -> L + Send + 'static,
    L: Lifespan + Send + 'static,
    L::Value: FollowValue,
{
    scope.spawn(format!("{name}-restarts"), restarts.run())
}

/// The instance that runs, if one does.
type Slot<L> = Arc<Mutex<Option<Running<<L as Lifespan>::Value, L>>>>;

/// The restart loop's state.
struct Restarts<M, L: Lifespan> {
    name: Cow<'static, str>,
    backoff: Backoff,
    make: M,
    failed: mpsc::UnboundedReceiver<Error>,
    /// The instance that runs, taken by the restart loop while it restarts and by the
    /// shutdown half at the end.
    slot: Slot<L>,
    publish: watch::Sender<Option<L::Value>>,
    /// The supervisor's turn to stop: its teardown, or a local stop at it or above.
    turn: CancellationToken,
    scope: Scope,
    instances: u32,
    /// Set while the loop stops the failed instance: its failures then are the
    /// restart's, not a reason for another.
    restarting: Arc<AtomicBool>,
}

impl<M, L> Restarts<M, L>
where
    M: FnMut() -> L + Send + 'static,
    L: Lifespan + Send + 'static,
    L::Value: FollowValue,
{
    /// The failures taken but not acted on when shutdown came, as the loop's own
    /// failure, so that the teardown reports them.
    fn failed_unread(&mut self) -> Result<(), Error> {
        let mut unread = Vec::new();
        while let Ok(error) = self.failed.try_recv() {
            unread.push(error);
        }
        let name: crate::error::Name = self.name.clone();
        Error::collect(&name, crate::error::Origin::Task, unread).map_err(Error::keep_as_is)
    }

    /// Waits for a failure below, restarts, and again; ends when shutdown comes, or
    /// with the failure that used up the restarts.
    async fn run(mut self) -> Result<(), Error> {
        let mut up_since = Instant::now();
        loop {
            let received = until_stopped(&self.turn, &self.scope, self.failed.recv()).await;
            let Some(Some(failure)) = received else {
                // Shutdown: a failure taken in the meantime is reported, not dropped.
                return self.failed_unread();
            };
            let mut slot = self.slot.clone().lock_owned().await;
            let _down = self.backoff.unready().then(|| self.scope.down());
            self.publish.send_replace(None);
            self.restarting.store(true, Ordering::Release);
            if let Some(running) = slot.take() {
                // In teardown order; its failures while stopping are this restart's.
                if let Err(error) = running.stop().await {
                    tracing::warn!(part = %self.scope.path(), %error, "the failed instance did not stop cleanly");
                }
            }
            while let Ok(error) = self.failed.try_recv() {
                tracing::warn!(part = %self.scope.path(), %error, "the failed instance failed again while it stopped");
            }
            self.restarting.store(false, Ordering::Release);
            let mut failure = failure;
            let mut failed_at = Instant::now();
            let running = loop {
                let (attempt, delay) = match self.backoff.after(up_since, failed_at, true) {
                    Next::Restart { attempt, delay } => (attempt, delay),
                    Next::End => return Err(failure.keep_as_is()),
                    Next::GiveUp(gave_up) => {
                        return Err(failure.with_gave_up(gave_up).keep_as_is());
                    }
                };
                tracing::warn!(
                    part = %self.scope.path(), attempt, ?delay,
                    "{failure}; restart {attempt} of `{}` in {delay:?}", self.name
                );
                let slept = backoff_wait(delay);
                if until_stopped(&self.turn, &self.scope, slept)
                    .await
                    .is_none()
                {
                    return Ok(());
                }
                // Counted once it happens: a shutdown during the backoff restarts nothing.
                self.scope.restarted(None);
                self.instances += 1;
                let lifespan = (self.make)().named(instance(&self.name, self.instances));
                let began = Instant::now();
                match until_stopped(&self.turn, &self.scope, lifespan.start()).await {
                    None => return Ok(()),
                    Some(Ok(running)) => break running,
                    // A restart that does not start is the next failure, up for no time.
                    Some(Err(error)) => {
                        failure = error;
                        up_since = began;
                        failed_at = Instant::now();
                    }
                }
            };
            self.publish.send_replace(Some((*running).clone()));
            *slot = Some(running);
            up_since = Instant::now();
        }
    }
}
