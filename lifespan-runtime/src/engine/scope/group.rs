//! What the tasks of a group share with it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the tasks of a group share with it, behind one `Arc` held by each task's
/// `Current`: a task clones that, not the tokens, whose clones and drops each take a
/// lock that every task of the group would share. Its own module, so that the current
/// scope (which gives a task its turn) and the groups (which run the tasks) both reach
/// it without importing each other.
pub(super) struct GroupShared {
    /// Cancelled at the group's turn, or by a local shutdown request above it: what
    /// `shutdown_requested()` inside its tasks awaits.
    pub(super) turn: CancellationToken,
    /// Wakes the tasks to abort: at the deadline, when hurried, or when the teardown is
    /// dropped. Only a task that has gone pending waits on it.
    pub(super) abort: CancellationToken,
    /// Set before `abort` is cancelled: what a task checks at each poll, without a lock.
    pub(super) aborted: AtomicBool,
    /// When the group's teardown must be over, and the limit that makes it so: set
    /// when the teardown begins, if it has a deadline.
    pub(super) deadline: OnceLock<(Instant, Duration)>,
    /// The abort came from a hurried teardown, not from the deadline. Set before
    /// `aborted`.
    pub(super) hurried: AtomicBool,
}

impl GroupShared {
    /// What a new group shares, told to stop by `turn`.
    pub(super) fn new(turn: CancellationToken) -> Self {
        GroupShared {
            turn,
            abort: CancellationToken::new(),
            aborted: AtomicBool::new(false),
            deadline: OnceLock::new(),
            hurried: AtomicBool::new(false),
        }
    }

    /// Tells every task of the group to abort.
    pub(super) fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
        self.abort.cancel();
    }
}
