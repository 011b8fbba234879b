//! What `spawn` gives back, and a shutdown asked of one subtree alone.

mod common;

use std::time::Duration;

use common::Journal;
use futures_util::FutureExt;
use lifespan_runtime::{ErrorKind, Lifespan, Origin, Scope, from_fn};

#[tokio::test]
async fn awaiting_a_handle_gives_the_task_s_result_and_its_failure_still_reaches_the_scope() {
    let scope = Scope::new();
    let fine = scope.spawn("fine", async { Ok::<(), String>(()) });
    let broken = scope.spawn("broken", async { Err::<(), _>("disk full") });
    assert_eq!(fine.name(), "fine");
    fine.await.unwrap();
    let from_handle = broken.await.unwrap_err();
    assert_eq!(
        (from_handle.name(), from_handle.origin(), from_handle.kind()),
        ("broken", Origin::Task, ErrorKind::Failed)
    );
    // The failure is the app's all the same: it requested shutdown and is reported.
    assert!(scope.is_shutdown_requested());
    let from_teardown = scope.shutdown().await.unwrap_err();
    assert_eq!(from_teardown.to_string(), from_handle.to_string());
    assert_eq!(from_handle.to_string(), "task `broken` failed: disk full");
}

#[tokio::test]
async fn a_panicking_task_s_handle_carries_the_panic_message() {
    let scope = Scope::new();
    let handle = scope.spawn_isolated("parser", async { panic!("bad frame") });
    let error = handle.await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Panicked);
    assert_eq!(error.panic_message(), Some("bad frame"));
    // Isolated: neither a shutdown request nor a teardown failure.
    assert!(!scope.is_shutdown_requested());
    scope.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_aborted_task_is_dropped_and_is_no_failure_of_the_app() {
    let journal = Journal::new();
    let scope = Scope::new();
    let dropped = journal.clone();
    let poller = scope.spawn("poller", async move {
        let _guard = LogOnDrop(dropped, "poller dropped");
        std::future::pending::<()>().await;
    });
    tokio::task::yield_now().await;
    assert!(!poller.is_finished());
    poller.abort();
    let mut poller = poller;
    let error = bounded(&mut poller).await.unwrap_err();
    assert!(poller.is_finished());
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("poller", Origin::Task, ErrorKind::Aborted)
    );
    assert_eq!(journal.entries(), ["poller dropped"]);
    assert!(!scope.is_shutdown_requested());
    scope.shutdown().await.unwrap();
}

#[tokio::test]
async fn dropping_a_handle_leaves_the_task_to_its_scope() {
    let journal = Journal::new();
    let scope = Scope::new();
    let in_task = journal.clone();
    drop(scope.spawn("worker", async move {
        lifespan_runtime::shutdown_requested().await;
        in_task.log("worker heard its turn");
    }));
    tokio::task::yield_now().await;
    assert!(journal.entries().is_empty(), "the task still runs");
    scope.shutdown().await.unwrap();
    assert_eq!(journal.entries(), ["worker heard its turn"]);
}

#[tokio::test(start_paused = true)]
async fn a_task_cut_at_the_deadline_says_so_through_its_handle() {
    let scope = Scope::with_shutdown_timeout(Duration::from_secs(2));
    let stubborn = scope.spawn("stubborn", std::future::pending::<()>());
    scope.shutdown().await.unwrap_err();
    let error = stubborn.await.unwrap_err();
    assert_eq!(
        (error.kind(), error.timeout()),
        (ErrorKind::TimedOut, Some(Duration::from_secs(2)))
    );
}

#[tokio::test]
async fn a_task_spawned_after_shutdown_never_runs_and_its_handle_says_why() {
    let scope = Scope::new();
    scope.shutdown().await.unwrap();
    let late = scope.spawn("late", async { panic!("must not run") });
    assert!(late.is_finished());
    let error = late.await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("late", Origin::Task, ErrorKind::ScopeClosed)
    );
    assert_eq!(
        error.to_string(),
        "task `late` was spawned after its scope had shut down, and never ran; spawn tasks \
         before the scope's shutdown begins"
    );
}

#[tokio::test]
async fn a_local_shutdown_is_heard_inside_the_subtree_and_nowhere_else() {
    let journal = Journal::new();
    let root = Scope::new();
    let sibling = root
        .enter(from_fn("sibling", |y| y.yield_app(Scope::current())))
        .await
        .unwrap();
    let sibling_task = sibling.spawn("sibling-loop", async {
        lifespan_runtime::shutdown_requested().await;
    });
    let poller = root
        .enter(from_fn("poller", |y| async move {
            let inner = from_fn("connection", |y| y.yield_app(Scope::current()))
                .enter()
                .await?;
            y.yield_app((Scope::current(), inner)).await;
            Ok::<(), lifespan_runtime::Error>(())
        }))
        .await
        .unwrap();
    let (poller, connection) = poller;
    let in_task = journal.clone();
    let deep_task = connection.spawn("read-loop", async move {
        lifespan_runtime::shutdown_requested().await;
        in_task.log("read-loop heard it");
    });

    poller.request_local_shutdown();

    bounded(deep_task).await.unwrap();
    assert_eq!(journal.entries(), ["read-loop heard it"]);
    assert!(poller.is_shutdown_requested());
    assert!(connection.is_shutdown_requested());
    assert!(!root.is_shutdown_requested());
    assert!(!sibling.is_shutdown_requested());
    assert!(!sibling_task.is_finished());
    assert!(
        root.app_shutdown_requested().now_or_never().is_none(),
        "the app was not asked"
    );
    root.shutdown().await.unwrap();
    assert!(sibling_task.is_finished());
}

#[tokio::test]
async fn a_local_shutdown_of_a_root_is_the_app_s() {
    let root = Scope::new();
    let part_scope = root
        .enter(from_fn("part", |y| y.yield_app(Scope::current())))
        .await
        .unwrap();
    root.request_local_shutdown();
    assert!(root.is_shutdown_requested());
    assert!(part_scope.is_shutdown_requested());
    root.app_shutdown_requested().await;
    root.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_running_lifespan_can_be_asked_to_wind_down_before_it_is_stopped() {
    let (done, heard) = tokio::sync::oneshot::channel();
    let running = from_fn("consumer", move |y| async move {
        lifespan_runtime::spawn("consume-loop", async move {
            lifespan_runtime::shutdown_requested().await;
            let _ = done.send(lifespan_runtime::Scope::current().phase());
        });
        y.yield_app(()).await;
    })
    .start()
    .await
    .unwrap();
    running.scope().request_local_shutdown();
    // Heard before any stop, while the lifespan still runs.
    assert_eq!(
        bounded(heard).await.unwrap(),
        lifespan_runtime::Phase::Running
    );
    running.stop().await.unwrap();
}

/// `future`, or a failed test after ten seconds: a broken signal fails rather than hangs.
async fn bounded<F: std::future::IntoFuture>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("nothing happened for ten seconds")
}

/// Logs its entry when dropped.
struct LogOnDrop(Journal, &'static str);

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        self.0.log(self.1);
    }
}

#[tokio::test]
async fn a_handle_shows_its_task_s_name_and_whether_it_finished() {
    let scope = Scope::new();
    let quick = scope.spawn("quick", async {});
    scope.shutdown().await.unwrap();
    assert_eq!(
        format!("{quick:?}"),
        r#"TaskHandle { name: "quick", finished: true }"#
    );
}
