//! Stopping a tree of scopes: each owner's children in reverse order, depth first.

use tokio::time::Instant;

use crate::error::Error;
use crate::ledger::Event;
use crate::time::Stopwatch;

use super::Scope;
use super::children::Child;

/// A scope being torn down.
pub(crate) enum Frame {
    /// A scope with no owner of its own: `Scope::new()`, or a lifespan whose startup
    /// failed.
    Root(Scope),
    /// The scope of a lifespan (its owner) whose shutdown half has run, timed from
    /// when that half began for the "stopped" event.
    Owned(Scope, Stopwatch),
}

impl Frame {
    fn scope(&self) -> &Scope {
        match self {
            Frame::Root(scope) => scope,
            Frame::Owned(scope, _) => scope,
        }
    }

    fn finish(self) {
        if let Frame::Owned(scope, stopwatch) = self {
            match stopwatch.elapsed() {
                Some(elapsed) => tracing::info!(name = %scope.owner(), ?elapsed, "stopped"),
                None => tracing::info!(name = %scope.owner(), "stopped"),
            }
            scope.record(Event::Stopped);
        }
    }
}

/// Stops everything registered in `first`'s scope and, depth first, in the scopes of
/// the lifespans it held: each child in reverse order of registration, each lifespan's
/// shutdown half before its own children. Children registered while this runs are
/// stopped too. Returns every failure, in the order they happened.
///
/// Iterative rather than recursive, so no future is boxed per level; the stack of outer
/// frames only allocates when a lifespan with children of its own is reached.
pub(crate) async fn stop_tree(first: Frame, deadline: Option<Instant>) -> Vec<Error> {
    first.scope().cancel();
    let mut errors = Vec::new();
    let mut frame = first;
    let mut outer: Vec<Frame> = Vec::new();
    loop {
        let child = match frame.scope().pop_child() {
            Ok(child) => child,
            Err(failures) => {
                errors.extend(failures);
                let Some(next) = outer.pop() else {
                    frame.finish();
                    return errors;
                };
                std::mem::replace(&mut frame, next).finish();
                continue;
            }
        };
        match child {
            Child::Lifespan(mut lifespan) => {
                let stopwatch = Stopwatch::start();
                if let Err(error) = lifespan.run_shutdown_half(deadline).await {
                    errors.push(error);
                }
                let owned = Frame::Owned(lifespan.into_scope(), stopwatch);
                outer.push(std::mem::replace(&mut frame, owned));
            }
            Child::Tasks(group) => group.stop(deadline).await,
            Child::Hook(hook) => {
                if let Err(error) = hook.run(frame.scope().clone(), deadline).await {
                    frame.scope().record(Event::ChildFailed(&error));
                    errors.push(error);
                }
            }
            Child::Orphans(orphans) => {
                orphans.cancel();
                outer.push(std::mem::replace(&mut frame, Frame::Root(orphans)));
            }
            Child::Rollback(rollback) => errors.extend(rollback.finish().await),
        }
    }
}
