//! A hurried teardown (`Scope::request_hurry`, a second signal under
//! `#[lifespan::main]`): tasks are aborted at their turn instead of awaited, while
//! shutdown halves and hooks still run, in order. On a paused clock, so that "at once"
//! is exact.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Journal, bounded, part};
use lifespan_runtime::{ErrorKind, Origin, Scope, from_fn};
use tokio::time::Instant;

/// A task that ignores every shutdown request; logs when it is dropped (aborted).
fn deaf(journal: &Journal, name: &'static str) -> impl Future<Output = ()> + Send + 'static {
    struct Dropped(Journal, &'static str);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.log(format!("{} aborted", self.1));
        }
    }
    let dropped = Dropped(journal.clone(), name);
    async move {
        let _dropped = dropped;
        std::future::pending::<()>().await;
    }
}

#[tokio::test(start_paused = true)]
async fn hurried_while_waiting_on_a_task_the_teardown_aborts_it_at_once_and_goes_on() {
    let journal = Journal::new();
    let scope = Scope::with_shutdown_timeout(Duration::from_secs(30));
    scope.enter(part(&journal, "db")).await.unwrap();
    scope.spawn("consumer", deaf(&journal, "consumer"));
    let began = Instant::now();
    let teardown = tokio::spawn({
        let scope = scope.clone();
        async move { scope.shutdown().await }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!teardown.is_finished(), "the teardown waits on the task");

    scope.request_hurry();
    let error = bounded(teardown).await.unwrap().unwrap_err();
    assert_eq!(began.elapsed(), Duration::from_secs(2), "aborted at once");
    assert_eq!(
        journal.entries(),
        ["start db", "consumer aborted", "stop db"],
        "the task went first, then db's shutdown half still ran"
    );
    assert_eq!(error.name(), "consumer");
    assert_eq!(error.origin(), Origin::Task);
    assert_eq!(error.kind(), ErrorKind::Aborted);
    assert!(
        error.to_string().contains("the shutdown was hurried"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn hurried_before_the_teardown_a_task_still_runs_until_its_turn() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.spawn("consumer", deaf(&journal, "consumer"));
    // Entered after the task: stops first, while the task must still be running.
    let checker = journal.clone();
    scope
        .enter(from_fn("server", move |y| async move {
            y.yield_app(()).await;
            checker.log("server stops");
        }))
        .await
        .unwrap();
    assert!(!scope.is_hurry_requested());
    scope.request_hurry();
    assert!(scope.is_hurry_requested());
    assert!(
        scope.is_app_shutdown_requested(),
        "a hurry asks for shutdown"
    );
    let error = bounded(scope.shutdown()).await.unwrap_err();
    assert_eq!(journal.entries(), ["server stops", "consumer aborted"]);
    assert_eq!(error.kind(), ErrorKind::Aborted);
}

#[tokio::test(start_paused = true)]
async fn a_hurried_teardown_still_runs_hooks_and_shutdown_halves_to_their_end() {
    let scope = Scope::new();
    let flushed = Arc::new(AtomicBool::new(false));
    let flag = flushed.clone();
    scope.on_shutdown("flush", async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        flag.store(true, Ordering::SeqCst);
    });
    let closed = Arc::new(AtomicBool::new(false));
    let flag = closed.clone();
    scope
        .enter(from_fn("pool", move |y| async move {
            y.yield_app(()).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            flag.store(true, Ordering::SeqCst);
        }))
        .await
        .unwrap();
    scope.request_hurry();
    let began = Instant::now();
    bounded(scope.shutdown()).await.unwrap();
    assert!(closed.load(Ordering::SeqCst) && flushed.load(Ordering::SeqCst));
    assert_eq!(began.elapsed(), Duration::from_secs(5), "neither was cut");
}

#[tokio::test(start_paused = true)]
async fn an_isolated_task_aborted_by_the_hurry_tells_its_handle_but_not_the_teardown() {
    let journal = Journal::new();
    let scope = Scope::new();
    let handle = scope.spawn_isolated("exporter", deaf(&journal, "exporter"));
    scope.request_hurry();
    bounded(scope.shutdown()).await.unwrap();
    let error = bounded(handle).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Aborted);
    assert_eq!(journal.entries(), ["exporter aborted"]);
}

#[tokio::test(start_paused = true)]
async fn tasks_that_finish_by_themselves_are_not_reported_when_hurried() {
    let scope = Scope::new();
    let handle = scope.spawn("quick", async {
        lifespan_runtime::shutdown_requested().await;
    });
    scope.request_hurry();
    bounded(scope.shutdown()).await.unwrap();
    bounded(handle).await.unwrap();
}

/// An aborted task's future is dropped as it would have run: with its scope current,
/// so that what its drop does (a `lifespan::spawn`, a log line) still knows where it
/// belongs.
#[tokio::test(start_paused = true)]
async fn an_aborted_task_is_dropped_with_its_scope_current() {
    struct Dropped(Journal);
    impl Drop for Dropped {
        fn drop(&mut self) {
            let current = Scope::try_current().map(|scope| scope.name().to_owned());
            self.0.log(format!("dropped in {current:?}"));
        }
    }
    let journal = Journal::new();
    let scope = Scope::with_shutdown_timeout(Duration::from_secs(5));
    let dropped = Dropped(journal.clone());
    scope.spawn_isolated("deaf", async move {
        let _dropped = dropped;
        std::future::pending::<()>().await;
    });
    tokio::task::yield_now().await; // the task starts, and goes pending
    bounded(scope.shutdown()).await.unwrap();
    assert_eq!(journal.entries(), ["dropped in Some(\"app\")"]);
}
