//! The current scope: a task-local set while a lifespan's body, a root body, a task
//! or a hook runs. Only this module touches it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Scope;
use super::group::GroupShared;

mod local;

use local::{Scoped, TaskLocal};

thread_local! {
    static SLOT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Set while a scope's code is polled. Not `tokio::task_local!`: see [`local`].
static CURRENT: TaskLocal<Current> = TaskLocal(&SLOT);

/// What runs, and in which scope.
#[derive(Clone)]
pub(crate) struct Current {
    scope: Scope,
    /// A root body (`#[lifespan::test]`'s) rather than code the scope itself stops: a
    /// lifespan's body, a task or a hook.
    root_body: bool,
    /// A task's own turn to stop, which comes after its scope's: its group's token,
    /// reached through what the group shares with its tasks (one `Arc` clone per task,
    /// where a token's clone takes a lock).
    task_turn: Option<Arc<GroupShared>>,
}

/// A future that runs with a scope current.
pub(crate) type InScope<F> = Scoped<Current, F>;

/// Runs `future` (a lifespan's body, a task or a hook) with `scope` current.
pub(crate) fn in_scope<F: Future>(scope: Scope, future: F) -> InScope<F> {
    CURRENT.scope(
        Current {
            scope,
            root_body: false,
            task_turn: None,
        },
        future,
    )
}

/// Runs `future`, a task of `scope` in the group `group`, with `scope` current.
pub(super) fn in_task<F: Future>(scope: Scope, group: Arc<GroupShared>, future: F) -> InScope<F> {
    CURRENT.scope(
        Current {
            scope,
            root_body: false,
            task_turn: Some(group),
        },
        future,
    )
}

/// The scope `task` runs in and its group, read between its polls: what a task
/// reports to and hears its abort from, without handles of its own.
pub(super) fn task_parts<F>(task: Pin<&InScope<F>>) -> (&Scope, &Arc<GroupShared>) {
    let current = task.value();
    let group = current
        .task_turn
        .as_ref()
        .expect("a task's `Current` holds its group");
    (&current.scope, group)
}

/// Runs `future`, the body that owns the root `scope`, with `scope` current.
pub(crate) fn in_root<F: Future>(scope: Scope, future: F) -> InScope<F> {
    CURRENT.scope(
        Current {
            scope,
            root_body: true,
            task_turn: None,
        },
        future,
    )
}

/// The current scope, if one is set.
/// The current scope, if one is set: a reference that does not keep a root alive once
/// its owner has let go of it.
pub(super) fn try_current() -> Option<Scope> {
    CURRENT.try_with(|current| current.scope.reference()).ok()
}

/// What tells the code running now that its turn to stop has come: a task's group
/// token, or the scope's own token for a body or a hook; for `function`, which panics
/// outside a scope.
#[track_caller]
pub(crate) fn turn_for(function: &str) -> CancellationToken {
    let turn = CURRENT.try_with(|current| match &current.task_turn {
        Some(group) => group.turn.clone(),
        None => current.scope.token().clone(),
    });
    match turn {
        Ok(turn) => turn,
        Err(_) => no_scope(function),
    }
}

/// The scope of the code running now, unless that is a root's own body or nothing:
/// code that a teardown of this scope, or of one above it, would have to wait for.
pub(super) fn stopped_with() -> Option<Scope> {
    CURRENT
        .try_with(|current| (!current.root_body).then(|| current.scope.clone()))
        .ok()
        .flatten()
}

/// The current scope, for `function`; outside one, a panic that names the fix.
#[track_caller]
pub(super) fn current_for(function: &str) -> Scope {
    match try_current() {
        Some(scope) => scope,
        None => no_scope(function),
    }
}

/// The panic of `function` called outside any scope: where a scope is set, and what
/// to do elsewhere.
#[track_caller]
fn no_scope(function: &str) -> ! {
    panic!(
        "`{function}` was called where no lifespan scope is current. A scope is current only \
         inside a #[lifespan] fn, #[lifespan::main], #[lifespan::test], and tasks spawned with \
         `lifespan::spawn`; a task from `tokio::spawn` or a request handler has none. Take \
         `Scope::current()` where one is set, move the `Scope` into the task or the router's \
         state, and call the method of the same name on it"
    )
}
