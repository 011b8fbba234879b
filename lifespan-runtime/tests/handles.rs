//! Handles that could break the teardown order are refused: a lifespan's scope is
//! stopped by stopping the lifespan, and code inside a scope cannot tear it down and
//! wait for itself.

mod common;

use common::{Journal, bounded, part};
use lifespan_runtime::{ErrorKind, Lifespan, Scope, from_fn};

/// `running.scope().shutdown()` would stop the children before the owner's shutdown
/// half: it is refused, stops nothing, and `stop()` then keeps the documented order.
#[tokio::test(start_paused = true)]
async fn the_scope_of_a_running_lifespan_refuses_shutdown() {
    let journal = Journal::new();
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |y| async move {
            part(&journal, "child").enter().await?;
            y.yield_app(()).await;
            journal.log("stop owner");
            Ok::<(), lifespan_runtime::Error>(())
        })
    };
    let running = owner.start().await.unwrap();
    let error = bounded(running.scope().shutdown()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WrongScope);
    assert_eq!(error.name(), "owner");
    assert!(
        error.to_string().contains("call `stop()` on its `Running`"),
        "{error}"
    );
    assert_eq!(journal.entries(), ["start child"]);

    running.stop().await.unwrap();
    assert_eq!(
        journal.entries(),
        ["start child", "stop owner", "stop child"]
    );
}

/// The same for a lifespan entered into a scope: its own scope, reached from inside its
/// body, stops with it.
#[tokio::test(start_paused = true)]
async fn a_lifespans_own_scope_refuses_shutdown_from_its_body() {
    let scope = Scope::new();
    let refused = bounded(scope.enter(from_fn("server", |y| async move {
        let error = Scope::current().shutdown().await.unwrap_err();
        y.yield_app(error.kind()).await;
    })))
    .await
    .unwrap();
    assert_eq!(refused, ErrorKind::WrongScope);
    scope.shutdown().await.unwrap();
}

/// A task that shuts down the root it runs in would wait for itself (no deadline ends
/// it): it gets an error at once instead, and the owner's teardown still stops it.
#[tokio::test(start_paused = true)]
async fn a_task_cannot_shut_down_the_scope_it_runs_in() {
    let scope = Scope::new();
    let (told, heard) = tokio::sync::oneshot::channel();
    scope.spawn("admin", async move {
        let error = Scope::current().shutdown().await.unwrap_err();
        told.send(error).unwrap();
    });
    let error = bounded(heard).await.unwrap();
    assert_eq!(error.kind(), ErrorKind::WrongScope);
    assert!(
        error
            .to_string()
            .contains("call `request_shutdown()` instead"),
        "{error}"
    );
    assert!(!scope.is_shutdown_requested());
    scope.shutdown().await.unwrap();
}

/// A task deeper in the tree is inside the root's teardown too.
#[tokio::test(start_paused = true)]
async fn a_task_of_a_child_cannot_shut_down_the_root() {
    let root = Scope::new();
    let (told, heard) = tokio::sync::oneshot::channel();
    let handle = root.clone();
    root.enter(from_fn("spawner", move |y| async move {
        lifespan_runtime::spawn("deep", async move {
            let _ = told.send(handle.shutdown().await);
        });
        y.yield_app(()).await;
    }))
    .await
    .unwrap();
    assert_eq!(
        bounded(heard).await.unwrap().unwrap_err().kind(),
        ErrorKind::WrongScope
    );
    root.shutdown().await.unwrap();
}

/// A root's own body (as `#[lifespan::test]` runs it) is not stopped by the root's
/// teardown, so it may tear the root down.
#[test]
fn a_root_body_may_shut_down_its_root() {
    let journal = Journal::new();
    let body_journal = journal.clone();
    lifespan_runtime::__private::run_test(None, async move {
        part(&body_journal, "pool").enter().await.unwrap();
        Scope::current().shutdown().await.unwrap();
        body_journal.log("after shutdown");
    });
    assert_eq!(
        journal.entries(),
        ["start pool", "stop pool", "after shutdown"]
    );
}
