//! Timeouts that may be absent, and deadlines that cap them.

use std::future::Future;
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
/// created, so no tokio runtime is needed.
pub(crate) async fn within<F: Future>(
    limit: Option<Duration>,
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, future).await,
        None => Ok(future.await),
    }
}

/// How long a half took, for the `started` and `stopped` events. The clock is read only
/// when INFO events can be seen at all: a part nobody traces pays nothing for its
/// timing.
#[derive(Clone, Copy)]
pub(crate) struct Stopwatch(Option<Instant>);

impl Stopwatch {
    pub(crate) fn start() -> Self {
        Stopwatch(tracing::level_enabled!(tracing::Level::INFO).then(Instant::now))
    }
}

/// Prints the time elapsed since [`Stopwatch::start`], like a `Duration`.
impl std::fmt::Debug for Stopwatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(began) => began.elapsed().fmt(f),
            None => f.write_str("untimed"),
        }
    }
}
