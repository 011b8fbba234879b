//! The loop a supervised task runs: an instance, then what its policy says.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{self, Either};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backoff::{Backoff, Next};
use super::policy::Restart;
use crate::engine::Scope;
use crate::engine::scope::turn_for;
use crate::error::{Error, Name, Origin};
use crate::outcome::Outcome;

/// Runs instances made by `make`, in the current task, until one ends for good: the
/// policy does not restart after that end, gives up, or shutdown has begun. Each
/// instance's panic is caught, so that it can be restarted too.
pub(crate) async fn supervise<M, F>(name: Name, policy: Restart, mut make: M) -> Result<(), Error>
where
    M: FnMut() -> F,
    F: Future,
    F::Output: Outcome,
{
    let scope = Scope::current_for("spawn_supervised");
    let turn = turn_for("spawn_supervised");
    let mut backoff = Backoff::new(policy);
    let mut instances: u32 = 0;
    loop {
        instances = instances.saturating_add(1);
        let began = Instant::now();
        let row = scope.task_instance_began(&name, instances);
        let instance = AssertUnwindSafe(async { make().await.into_result() }).catch_unwind();
        let failure = match instance.await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(Error::failed(name.clone(), Origin::Task, error)),
            Err(payload) => Some(Error::panicked(name.clone(), Origin::Task, &*payload)),
        };
        let ended = Instant::now();
        if let Some(row) = row {
            row.ended(failure.as_ref());
        }
        // A stop that was asked for, or the app's shutdown: nothing restarts.
        if turn.is_cancelled() || scope.is_app_shutdown_requested() {
            return failure.map_or(Ok(()), |error| Err(error.keep_as_is()));
        }
        let path = || format!("{}/{name}", scope.path());
        let (attempt, delay) = match backoff.after(began, ended, failure.is_some()) {
            Next::End => return failure.map_or(Ok(()), |error| Err(error.keep_as_is())),
            Next::GiveUp(gave_up) => {
                return match failure {
                    Some(error) => Err(error.with_gave_up(gave_up).keep_as_is()),
                    None => {
                        tracing::warn!("task `{}` returned; {gave_up}, so it ends", path());
                        Ok(())
                    }
                };
            }
            Next::Restart { attempt, delay } => (attempt, delay),
        };
        match &failure {
            Some(error) => tracing::warn!(
                task = %path(), attempt, ?delay,
                "{error}; restart {attempt} in {delay:?}"
            ),
            None => tracing::warn!(
                task = %path(), attempt, ?delay,
                "task `{}` returned; restart {attempt} in {delay:?}", path()
            ),
        }
        let _down = backoff.unready().then(|| scope.down());
        if until_stopped(&turn, &scope, backoff_wait(delay))
            .await
            .is_none()
        {
            // Shutdown began during the backoff: the failure was logged as it happened.
            return Ok(());
        }
        // Counted once it happens: a shutdown during the backoff restarts nothing.
        scope.restarted(Some(&name));
    }
}

/// `future`'s output, or `None` once `turn` (the task's or the supervisor's) or the
/// app's shutdown has come: nothing restarts then, and a backoff ends at once.
pub(super) async fn until_stopped<F: Future>(
    turn: &CancellationToken,
    scope: &Scope,
    future: F,
) -> Option<F::Output> {
    let own_turn = pin!(turn.cancelled());
    let app_shutdown = pin!(scope.app_shutdown_requested());
    let stop = future::select(own_turn, app_shutdown);
    // The stop first, so that a stop already there wins at once, and what comes with
    // it (a failure queued as shutdown began) is left for the caller to report.
    match future::select(stop, pin!(future)).await {
        Either::Left(_) => None,
        Either::Right((output, _)) => Some(output),
    }
}

impl Scope {
    /// Spawns a task that is started again after it ends, as `policy` says: a queue
    /// consumer whose broker restarts, a listener whose connection drops. `make` makes
    /// each instance; it is called in the task, with this scope current.
    ///
    /// It takes a closure where [`spawn`](Scope::spawn) takes a future, because a
    /// future runs once: each restart needs a new one. The policy is an argument rather
    /// than a builder on `spawn`, so that a supervised task reads as one call.
    ///
    /// Each restart is logged at WARN with the task's path, the attempt, the error and
    /// the delay; the `#[lifespan::main]` summary counts the restarts on its part's line,
    /// and a [timeline](Scope::record_timeline) draws each instance as a row of its own
    /// (`name#1`, `name#2`, ...) below the task's row; the instances after the twentieth
    /// share one row, `name#21+`, which counts them.
    /// Past the policy's limit, the last failure escalates as a failure of a task from
    /// `spawn` does (shutdown of the app is requested), and says how many restarts were
    /// tried ([`Error::gave_up`]). Once the app's shutdown has been requested, or the
    /// task's turn to stop has come, nothing restarts and a backoff ends at once. In
    /// every other way it is a task like the others: tracked, told to stop at its turn,
    /// awaited, then aborted.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    ///
    /// # Examples
    ///
    /// A consumer that loses its broker twice, then runs until its turn to stop:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use lifespan::{Restart, Scope};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let connections = Arc::new(AtomicU32::new(0));
    /// let counted = connections.clone();
    /// scope.spawn_supervised("consumer", Restart::on_failure(), move || {
    ///     let attempt = counted.fetch_add(1, Ordering::SeqCst) + 1;
    ///     async move {
    ///         if attempt <= 2 {
    ///             return Err("broker went away");
    ///         }
    ///         lifespan::shutdown_requested().await;
    ///         Ok(())
    ///     }
    /// });
    /// tokio::time::sleep(Duration::from_secs(1)).await; // restarts after 100 and 200 ms
    /// assert_eq!(connections.load(Ordering::SeqCst), 3);
    /// scope.shutdown().await?;
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn spawn_supervised<M, F>(
        &self,
        name: impl Into<std::borrow::Cow<'static, str>>,
        policy: Restart,
        make: M,
    ) -> crate::TaskHandle
    where
        M: FnMut() -> F + Send + 'static,
        F: Future + Send + 'static,
        F::Output: Outcome,
    {
        let name: Name = name.into();
        self.spawn_task(name.clone(), supervise(name, policy, make), false)
    }
}

/// Waits `delay`; no timer for none, whose tick would round it up to a millisecond.
pub(super) async fn backoff_wait(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}
