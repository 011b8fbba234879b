//! Stopping a tree of scopes: each owner's children in reverse order, depth first.

use tokio::time::Instant;

use crate::error::{Error, Name};
use crate::scope::Scope;
use crate::scope::children::Child;
use crate::service::ledger::Event;

/// A scope being torn down, with the lifespan that owns it (if any), for the
/// "stopped" event.
pub(crate) struct Frame {
    scope: Scope,
    owner: Option<(Name, Instant)>,
}

impl Frame {
    /// A scope with no owner of its own: `Scope::new()`, or a lifespan whose startup failed.
    pub(crate) fn root(scope: Scope) -> Self {
        Frame { scope, owner: None }
    }

    /// The scope of the lifespan `name`, whose shutdown half began at `began`.
    pub(crate) fn owned_by(name: Name, scope: Scope, began: Instant) -> Self {
        Frame {
            scope,
            owner: Some((name, began)),
        }
    }

    fn finish(self) {
        if let Some((name, began)) = self.owner {
            tracing::info!(name = %name, elapsed = ?began.elapsed(), "stopped");
            self.scope.record(Event::Stopped);
        }
    }
}

/// Stops everything registered in `first.scope` and, depth first, in the scopes of the
/// lifespans it held: each child in reverse order of registration, each lifespan's
/// shutdown half before its own children. Children registered while this runs are
/// stopped too. Returns every failure, in the order they happened.
///
/// Iterative rather than recursive, so no future is boxed per level.
pub(crate) async fn stop_tree(first: Frame, deadline: Option<Instant>) -> Vec<Error> {
    first.scope.cancel();
    let mut errors = Vec::new();
    let mut stack = vec![first];
    while let Some(frame) = stack.last() {
        let scope = frame.scope.clone();
        match scope.pop_child() {
            None => {
                errors.extend(scope.take_failures());
                stack.pop().expect("the frame just read").finish();
            }
            Some(Child::Lifespan(mut lifespan)) => {
                let began = Instant::now();
                if let Err(error) = lifespan.run_shutdown_half(deadline).await {
                    errors.push(error);
                }
                let child = lifespan.scope.clone();
                child.cancel();
                stack.push(Frame::owned_by(lifespan.name.clone(), child, began));
            }
            Some(Child::Tasks(group)) => group.stop(deadline).await,
            Some(Child::Hook(hook)) => {
                if let Err(error) = hook.run(scope, deadline).await {
                    errors.push(error);
                }
            }
            Some(Child::Orphans(orphans)) => {
                orphans.cancel();
                stack.push(Frame::root(orphans));
            }
            Some(Child::Rollback(rollback)) => errors.extend(rollback.finish().await),
        }
    }
    errors
}
