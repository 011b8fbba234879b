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
pub(crate) async fn within<F: Future>(
    limit: Option<Duration>,
    future: F,
) -> Result<F::Output, TimedOut> {
    let mut timer = limit.map(|limit| Box::pin(tokio::time::sleep(limit)));
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match &mut timer {
            Some(timer) => timer.as_mut().poll(cx).map(|()| Err(TimedOut)),
            None => Poll::Pending,
        }
    })
    .await
}

/// The limit given to [`within`] passed first.
#[derive(Debug)]
pub(crate) struct TimedOut;

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
