//! [`Phase`]: where the app is in its life, for readiness checks.

use std::sync::atomic::{AtomicU8, Ordering};

/// Where an app (a tree of scopes) is in its life.
///
/// Read it with [`phase()`](crate::phase) or [`Scope::phase`](crate::Scope::phase), for
/// example in a `/readyz` handler that answers 200 only while the app is
/// [`Running`](Phase::Running).
///
/// Under `#[lifespan::main]` the app is `Starting` until main's startup half reaches
/// its `yield_app!()`, `Running` until shutdown is requested, `Stopping` during
/// teardown and `Stopped` after it. A root made with [`Scope::new`](crate::Scope::new)
/// has no startup of its own, so it starts as `Running`.
///
/// # Examples
///
/// ```
/// use lifespan::{Phase, Scope};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// assert_eq!(scope.phase(), Phase::Running);
/// scope.shutdown().await.unwrap();
/// assert_eq!(scope.phase(), Phase::Stopped);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Lifespans are being started; not ready for traffic yet.
    Starting,
    /// Startup completed; serving.
    Running,
    /// Teardown has begun: `app_shutdown_requested()` has resolved everywhere, and each
    /// part hears its own `shutdown_requested()` at its turn.
    Stopping,
    /// Teardown has finished.
    Stopped,
}

impl Phase {
    fn from_u8(value: u8) -> Phase {
        match value {
            0 => Phase::Starting,
            1 => Phase::Running,
            2 => Phase::Stopping,
            _ => Phase::Stopped,
        }
    }
}

/// A [`Phase`] shared by every scope of one app.
#[derive(Debug)]
pub(crate) struct SharedPhase(AtomicU8);

impl SharedPhase {
    pub(crate) fn new(phase: Phase) -> Self {
        SharedPhase(AtomicU8::new(phase as u8))
    }

    pub(crate) fn get(&self) -> Phase {
        Phase::from_u8(self.0.load(Ordering::Acquire))
    }

    /// Moves forward to `phase`; never backwards (a late `Stopping` after `Stopped`
    /// is ignored).
    pub(crate) fn advance(&self, phase: Phase) {
        self.0.fetch_max(phase as u8, Ordering::AcqRel);
    }
}
