//! Timeouts that may be absent, and deadlines that cap them.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::TimeoutCause;

/// The limit one half, task group or hook gets: its own timeout, capped by what is left
/// of the teardown's deadline. `None` when there is neither.
pub(crate) fn effective_limit(
    own: Option<Duration>,
    deadline: Option<Instant>,
) -> Option<(Duration, TimeoutCause)> {
    let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
    match (own, left) {
        (Some(own), Some(left)) if left < own => Some((left, TimeoutCause::Deadline)),
        (Some(own), _) => Some((own, TimeoutCause::Own)),
        (None, Some(left)) => Some((left, TimeoutCause::Deadline)),
        (None, None) => None,
    }
}

/// Runs `future` to completion, or until `limit` passes. Without a limit no timer is
/// created, so no tokio runtime is needed. The timer is boxed: a future that awaits
/// this stays small, and is cheap to move, when there is no limit.
///
/// A future whose own poll ran past `limit` by more than [`BLOCKING_TOLERANCE`] (it
/// blocked its thread, so the timer could not fire in time) has overrun it all the
/// same, even if that poll completed it: that is a timeout too, and says it blocked. A
/// future that was merely polled late, because something else held the thread, is not
/// blamed.
pub(crate) async fn within<F: Future>(
    limit: Option<Duration>,
    future: F,
) -> Result<F::Output, TimedOut> {
    let mut timer = limit.map(|limit| Box::pin(tokio::time::sleep(limit)));
    let mut future = std::pin::pin!(future);
    let mut blocked = false;
    std::future::poll_fn(|cx| {
        let began = timer.as_ref().map(|_| Instant::now());
        let polled = future.as_mut().poll(cx);
        if let (Some(timer), Some(began)) = (&timer, began) {
            blocked |= overran(timer.deadline(), began);
        }
        if let Poll::Ready(output) = polled {
            return Poll::Ready(if blocked {
                Err(TimedOut::Blocked)
            } else {
                Ok(output)
            });
        }
        match &mut timer {
            Some(timer) => timer.as_mut().poll(cx).map(|()| {
                Err(if blocked {
                    TimedOut::Blocked
                } else {
                    TimedOut::Fired
                })
            }),
            None => Poll::Pending,
        }
    })
    .await
}

/// How far past its deadline a single poll may end before it counts as blocking: the
/// scheduling noise of a loaded machine, well below any blocking call worth naming.
pub(crate) const BLOCKING_TOLERANCE: Duration = Duration::from_millis(10);

/// Whether a poll that began at `began`, at or before `deadline`, and ends now ran past
/// it by more than [`BLOCKING_TOLERANCE`].
pub(crate) fn overran(deadline: Instant, began: Instant) -> bool {
    began <= deadline && Instant::now() > deadline + BLOCKING_TOLERANCE
}

/// The limit given to [`within`] passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimedOut {
    /// The timer fired while the future was pending: it was cancelled.
    Fired,
    /// The future's own poll held the thread past the limit.
    Blocked,
}

impl TimedOut {
    /// Why the part timed out, given the cause of its limit.
    pub(crate) fn cause(self, limit_cause: TimeoutCause) -> TimeoutCause {
        match self {
            TimedOut::Fired => limit_cause,
            TimedOut::Blocked => TimeoutCause::Blocked,
        }
    }
}

/// How long a half took, for the `started` and `stopped` events. The clock is read only
/// when INFO events can be seen at all: a part nobody traces pays nothing for its
/// timing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopwatch(Option<Instant>);

impl Stopwatch {
    pub(crate) fn start() -> Self {
        Stopwatch(tracing::level_enabled!(tracing::Level::INFO).then(Instant::now))
    }

    /// The time since [`Stopwatch::start`], if the clock was read then.
    pub(crate) fn elapsed(&self) -> Option<Duration> {
        self.0.map(|began| began.elapsed())
    }
}
