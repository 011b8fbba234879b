//! Stopping a tree of scopes: each owner's children in reverse order, depth first.

use tokio::time::Instant;

use crate::error::Error;
use crate::ledger::Event;
use crate::time::Stopwatch;

use std::future::Future;
use std::pin::Pin;

use super::Scope;
use super::children::{Batch, Child};

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
        let child = match frame.scope().pop_batch() {
            Ok(Batch::One(child)) => child,
            Ok(Batch::Together(children)) => {
                errors.extend(stop_together(frame.scope(), children, deadline).await);
                continue;
            }
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
            Child::Orphans(orphans) => {
                orphans.cancel();
                outer.push(std::mem::replace(&mut frame, Frame::Root(orphans)));
            }
            leaf => errors.extend(stop_leaf(frame.scope(), leaf, deadline).await),
        }
    }
}

/// Stops children whose startups overlapped, all at once; each lifespan's subtree in
/// order, as ever. Their failures come back in the order of the children.
async fn stop_together(
    scope: &Scope,
    children: Vec<Child>,
    deadline: Option<Instant>,
) -> Vec<Error> {
    let stops = children
        .into_iter()
        .map(|child| stop_child(scope.clone(), child, deadline));
    let stopped = futures_util::future::join_all(stops).await;
    stopped.into_iter().flatten().collect()
}

/// One child of `scope` and everything below it, boxed: a teardown that recurses
/// here, for the children that stop together.
fn stop_child(
    scope: Scope,
    child: Child,
    deadline: Option<Instant>,
) -> Pin<Box<dyn Future<Output = Vec<Error>> + Send>> {
    Box::pin(async move {
        match child {
            Child::Lifespan(mut lifespan) => {
                let stopwatch = Stopwatch::start();
                let mut errors: Vec<Error> = lifespan
                    .run_shutdown_half(deadline)
                    .await
                    .err()
                    .into_iter()
                    .collect();
                let owned = Frame::Owned(lifespan.into_scope(), stopwatch);
                errors.extend(stop_tree(owned, deadline).await);
                errors
            }
            Child::Orphans(orphans) => {
                orphans.cancel();
                stop_tree(Frame::Root(orphans), deadline).await
            }
            leaf => stop_leaf(&scope, leaf, deadline).await,
        }
    })
}

/// A child of `scope` with no scope of its own: a task group, a hook, or a rollback.
async fn stop_leaf(scope: &Scope, leaf: Child, deadline: Option<Instant>) -> Vec<Error> {
    match leaf {
        Child::Tasks(group) => {
            group.stop(deadline).await;
            Vec::new()
        }
        Child::Hook(hook) => match hook.run(scope.clone(), deadline).await {
            Ok(()) => Vec::new(),
            Err(error) => {
                scope.record(Event::ChildFailed(&error));
                vec![error]
            }
        },
        Child::Rollback(rollback) => rollback.finish().await,
        Child::Lifespan(_) | Child::Orphans(_) => unreachable!("they have scopes of their own"),
    }
}
