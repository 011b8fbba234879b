//! [`TaskHandle`]: what `spawn` gives back.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::task::JoinHandle;

use crate::error::{Error, Name, Origin};

/// A handle to a task spawned in a scope: abort it, ask whether it has finished, or
/// await its result, as with tokio's `JoinHandle`.
///
/// The task belongs to its scope whatever becomes of the handle: dropping the handle
/// detaches nothing and aborts nothing, and the scope's teardown still stops the task
/// at its turn. A failure or panic of the task is reported to the scope as always (for
/// [`spawn`](crate::Scope::spawn), it requests shutdown of the app); awaiting the
/// handle gives a clone of it as well.
///
/// Awaiting gives:
/// - `Ok(())` when the task returned `()` or `Ok(())`;
/// - the task's failure, panic, or its timeout at the teardown's deadline, as an
///   [`Error`] with [`Origin::Task`](crate::Origin::Task);
/// - [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) after [`abort`](TaskHandle::abort),
///   which is not a failure of the app: nothing else reports it;
/// - [`ErrorKind::ScopeClosed`](crate::ErrorKind::ScopeClosed) for a task spawned after
///   its scope had shut down, which never ran.
///
/// Unlike `JoinHandle<T>`, it carries no value: a task returns `()` or
/// `Result<(), E>`; send what it computes through a channel.
///
/// # Awaiting a task of your own scope
///
/// A task's turn to stop comes after the shutdown half of the lifespan that spawned it.
/// So that half must not await the task's handle while the task waits for its turn:
/// each would wait for the other until the deadline cuts them. Tell the task first,
/// with [`abort`](TaskHandle::abort), or with
/// [`Scope::current().request_local_shutdown()`](crate::Scope::request_local_shutdown),
/// which tells every task of the scope at once:
///
/// ```
/// use lifespan::{from_fn, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// scope.enter(from_fn("server", |y| async move {
///     let accept_loop = lifespan::spawn("accept-loop", async {
///         lifespan::shutdown_requested().await;
///     });
///     y.yield_app(()).await;
///     Scope::current().request_local_shutdown(); // its turn comes now
///     accept_loop.await // then wait for it to finish, here in the half
/// })).await?;
/// scope.shutdown().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
///
/// # Cancellation safety
///
/// Awaiting is cancel-safe: drop the future and await the handle again.
///
/// ```
/// use lifespan::{ErrorKind, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let sum = scope.spawn_isolated("sum", async { Ok::<(), String>(()) });
/// assert!(sum.await.is_ok());
///
/// let stuck = scope.spawn("stuck", std::future::pending::<()>());
/// stuck.abort();
/// assert_eq!(stuck.await.unwrap_err().kind(), ErrorKind::Aborted);
///
/// scope.shutdown().await.unwrap(); // an aborted task is not a failure
/// # });
/// ```
pub struct TaskHandle {
    name: Name,
    state: State,
}

enum State {
    Spawned(JoinHandle<Result<(), Error>>),
    /// Spawned after its scope had shut down: it never ran.
    Refused(Option<Error>),
}

impl TaskHandle {
    pub(super) fn spawned(name: Name, join: JoinHandle<Result<(), Error>>) -> Self {
        TaskHandle {
            name,
            state: State::Spawned(join),
        }
    }

    pub(super) fn refused(name: Name) -> Self {
        TaskHandle {
            state: State::Refused(Some(Error::task_refused(name.clone()))),
            name,
        }
    }

    /// The task's name, as given to `spawn`.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// assert_eq!(scope.spawn("ticker", async {}).name(), "ticker");
    /// # scope.shutdown().await.unwrap();
    /// # });
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Aborts the task: it is dropped at its next await point, and awaiting the handle
    /// gives [`ErrorKind::Aborted`](crate::ErrorKind::Aborted). An abort is not a
    /// failure: it neither requests shutdown nor appears in the teardown's error. Does
    /// nothing once the task has finished.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let poller = scope.spawn("poller", std::future::pending::<()>());
    /// poller.abort();
    /// assert!(poller.await.is_err());
    /// assert!(!scope.is_shutdown_requested());
    /// # scope.shutdown().await.unwrap();
    /// # });
    /// ```
    pub fn abort(&self) {
        if let State::Spawned(join) = &self.state {
            join.abort();
        }
    }

    /// Whether the task has finished: returned, failed, panicked, timed out or been
    /// aborted (or never ran, its scope being shut down).
    ///
    /// ```
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let quick = scope.spawn("quick", async {});
    /// scope.shutdown().await.unwrap(); // waits for it
    /// assert!(quick.is_finished());
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        match &self.state {
            State::Spawned(join) => join.is_finished(),
            State::Refused(_) => true,
        }
    }
}

impl Future for TaskHandle {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            State::Spawned(join) => Poll::Ready(match ready!(Pin::new(join).poll(cx)) {
                Ok(result) => result,
                Err(join_error) => match join_error.try_into_panic() {
                    // Only the task's drop can panic here: its run is caught inside.
                    Ok(payload) => Err(Error::panicked(this.name.clone(), Origin::Task, &*payload)),
                    // Aborted through the handle, or its runtime shut down.
                    Err(_) => Err(Error::aborted(this.name.clone())),
                },
            }),
            State::Refused(error) => Poll::Ready(Err(error
                .take()
                .expect("a TaskHandle is not polled after it finished"))),
        }
    }
}

impl std::fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskHandle")
            .field("name", &self.name)
            .field("finished", &self.is_finished())
            .finish()
    }
}
