//! Nothing lost whatever the caller drops or cancels: a `Running` dropped without
//! `stop`, a `shutdown()` or a `stop()` cut short by an outer timeout.

mod common;

use std::time::Duration;

use common::{Act, Journal, part, scripted, signalling};
use lifespan_runtime::{Error, ErrorKind, Lifespan, Scope, from_fn};
use tokio::sync::oneshot;

/// Waits for `heard`, or fails the test when the (paused) clock has run a minute: a
/// broken teardown fails rather than hangs.
async fn bounded(heard: oneshot::Receiver<()>) -> Result<(), oneshot::error::RecvError> {
    tokio::time::timeout(Duration::from_secs(60), heard)
        .await
        .expect("nothing happened for a minute")
}

/// A lifespan whose shutdown half waits for `release`, then logs `stop NAME`.
fn held(
    journal: &Journal,
    name: &'static str,
    release: oneshot::Receiver<()>,
) -> impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static {
    let journal = journal.clone();
    from_fn(name, move |yielder| async move {
        yielder.yield_app(()).await;
        let _ = release.await;
        journal.log(format!("stop {name}"));
    })
}

/// Dropped without `stop`, a lifespan's shutdown half cannot run, but what it started
/// is not leaked: its task is told to stop, and its entered child is stopped.
#[tokio::test(start_paused = true)]
async fn a_dropped_running_still_stops_what_it_started() {
    let journal = Journal::new();
    let (told, heard) = oneshot::channel();
    let (child, child_stopped) = signalling(&journal, "child");
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            child.enter().await?;
            let requested = lifespan_runtime::Scope::current().shutdown_requested();
            lifespan_runtime::spawn("ticker", async move {
                requested.await;
                let _ = told.send(());
            });
            yielder.yield_app(()).await;
            journal.log("stop owner");
            Ok::<(), Error>(())
        })
    };
    let running = owner.start().await.unwrap();
    drop(running);
    bounded(heard)
        .await
        .expect("the task was told to stop, and ran to its end");
    bounded(child_stopped)
        .await
        .expect("the child was stopped on a task of the runtime");
    assert_eq!(journal.entries(), ["start child", "stop child"]);
}

/// An outer timeout that fires while `shutdown()` is stopping a part does not cut the
/// teardown short: it goes on, and the next `shutdown()` waits for it and reports its
/// failures.
#[tokio::test(start_paused = true)]
async fn a_shutdown_cut_short_goes_on_and_the_next_call_reports_it() {
    let journal = Journal::new();
    let (release, released) = oneshot::channel();
    let scope = Scope::new();
    scope
        .enter(scripted(&journal, "first", Act::Succeed, Act::Fail))
        .await
        .unwrap();
    let outer = {
        let journal = journal.clone();
        from_fn("outer", move |yielder| async move {
            part(&journal, "inner").enter().await?;
            yielder.yield_app(()).await;
            let _ = released.await;
            journal.log("stop outer");
            Ok::<(), Error>(())
        })
    };
    scope.enter(outer).await.unwrap();

    let cut = tokio::time::timeout(Duration::from_secs(1), scope.shutdown()).await;
    assert!(cut.is_err(), "outer's shutdown half is still waiting");
    release.send(()).unwrap();

    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(error.name(), "first");
    assert_eq!(error.kind(), ErrorKind::Failed);
    assert_eq!(
        journal.entries(),
        ["start first", "start inner", "stop outer", "stop inner"]
    );
    // A third call stops nothing twice, and gives the same result.
    let again = scope.shutdown().await.unwrap_err();
    assert_eq!(again.to_string(), error.to_string());
    assert_eq!(journal.count("stop outer"), 1);
}

/// Two callers waiting for the same teardown both get its failures: neither is told
/// that a failed teardown succeeded.
#[tokio::test(start_paused = true)]
async fn concurrent_shutdown_callers_both_see_every_failure() {
    let scope = Scope::new();
    scope.on_shutdown("flush", async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Err::<(), _>("disk full")
    });
    let (first, second) = tokio::join!(scope.shutdown(), scope.shutdown());
    let (first, second) = (first.unwrap_err(), second.unwrap_err());
    assert_eq!(first.to_string(), "shutdown hook `flush` failed: disk full");
    assert_eq!(second.to_string(), first.to_string());
}

/// `stop()` cut short during the shutdown half: the half is cancelled, like a timed-out
/// one, and the children still stop.
#[tokio::test(start_paused = true)]
async fn a_stop_cut_short_in_the_shutdown_half_still_stops_the_children() {
    let journal = Journal::new();
    let (child, child_stopped) = signalling(&journal, "child");
    let owner = {
        from_fn("owner", move |yielder| async move {
            child.enter().await?;
            yielder.yield_app(()).await;
            std::future::pending::<()>().await;
            Ok::<(), Error>(())
        })
    };
    let running = owner.start().await.unwrap();
    let cut = tokio::time::timeout(Duration::from_secs(1), running.stop()).await;
    assert!(cut.is_err());
    bounded(child_stopped)
        .await
        .expect("the child was stopped on a task of the runtime");
    assert_eq!(journal.entries(), ["start child", "stop child"]);
}

/// `stop()` cut short while the children stop: they go on stopping.
#[tokio::test(start_paused = true)]
async fn a_stop_cut_short_among_the_children_lets_them_finish() {
    let journal = Journal::new();
    let (release, released) = oneshot::channel();
    let (first, first_stopped) = signalling(&journal, "first");
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            first.enter().await?;
            held(&journal, "slow", released).enter().await?;
            yielder.yield_app(()).await;
            Ok::<(), Error>(())
        })
    };
    let running = owner.start().await.unwrap();
    let cut = tokio::time::timeout(Duration::from_secs(1), running.stop()).await;
    assert!(cut.is_err(), "`slow` is still stopping");
    release.send(()).unwrap();
    bounded(first_stopped)
        .await
        .expect("the children went on stopping");
    assert_eq!(
        journal.entries(),
        ["start first", "stop slow", "stop first"]
    );
}

/// What a dropped `Running` leaves is stopped within the lifespan's own shutdown
/// timeout: a task that ignores shutdown is aborted when it passes, not at once and not
/// never.
#[tokio::test(start_paused = true)]
async fn what_a_dropped_running_leaves_is_stopped_within_its_shutdown_timeout() {
    struct Aborted(Option<oneshot::Sender<tokio::time::Instant>>);
    impl Drop for Aborted {
        fn drop(&mut self) {
            let _ = self.0.take().unwrap().send(tokio::time::Instant::now());
        }
    }
    let (aborted, heard) = oneshot::channel();
    let owner = from_fn("owner", move |yielder| async move {
        lifespan_runtime::spawn("deaf", async move {
            let _aborted = Aborted(Some(aborted));
            std::future::pending::<()>().await;
        });
        yielder.yield_app(()).await;
    })
    .shutdown_timeout(Duration::from_secs(3));
    let running = owner.start().await.unwrap();
    tokio::task::yield_now().await; // the task starts
    let dropped = tokio::time::Instant::now();
    drop(running);
    let at = tokio::time::timeout(Duration::from_secs(60), heard)
        .await
        .expect("aborted within a minute")
        .unwrap();
    assert_eq!(at - dropped, Duration::from_secs(3));
}

/// A teardown cut short that then finished with nobody waiting: its failures were
/// logged, and the next `shutdown()` still returns them rather than `Ok(())`.
#[tokio::test(start_paused = true)]
async fn failures_of_a_teardown_nobody_waited_for_go_to_the_next_call() {
    let journal = Journal::new();
    let scope = Scope::new();
    let (last, last_stopped) = signalling(&journal, "last");
    scope.enter(last).await.unwrap();
    scope
        .enter(scripted(&journal, "broken", Act::Succeed, Act::Fail))
        .await
        .unwrap();
    let cut = tokio::time::timeout(Duration::ZERO, scope.shutdown()).await;
    assert!(cut.is_err(), "cut before the teardown's task ran");
    bounded(last_stopped)
        .await
        .expect("the teardown went on and finished");
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!((error.name(), error.kind()), ("broken", ErrorKind::Failed));
}

/// On a multi-thread runtime a task woken by the teardown may start blocking before
/// its group's turn sets the deadline: it is named all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_blocks_on_another_thread_is_named() {
    let scope = Scope::with_shutdown_timeout(Duration::from_millis(50));
    let requested = scope.shutdown_requested();
    scope.spawn("blocker", async move {
        requested.await;
        std::thread::sleep(Duration::from_millis(300));
    });
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.kind()),
        ("blocker", ErrorKind::TimedOut)
    );
    assert!(error.to_string().contains("blocked its thread"), "{error}");
}

/// A dropped `Running` that had started nothing closes its scope: a handle kept
/// elsewhere cannot register work that nobody would stop.
#[tokio::test]
async fn the_scope_of_a_dropped_running_takes_no_more_work() {
    let running = from_fn("idle", |y| y.yield_app(())).start().await.unwrap();
    let kept = running.scope().clone();
    drop(running);
    let (ran, heard) = oneshot::channel::<()>();
    kept.spawn("late", async move {
        let _ = ran.send(());
    });
    tokio::task::yield_now().await;
    assert!(heard.await.is_err(), "the late task was dropped unrun");
}

/// A root scope dropped without `shutdown()` while a task runs in it: the task keeps
/// the scope alive, so nothing would ever stop it. The root's teardown begins by itself
/// when its last handle goes: the task hears its turn and ends, and the part entered in
/// the root has its shutdown half run.
#[tokio::test(start_paused = true)]
async fn a_dropped_root_with_a_running_task_is_torn_down_by_itself() {
    let journal = Journal::new();
    let (told, heard) = oneshot::channel();
    let (database, database_stopped) = signalling(&journal, "database");
    let root = Scope::new();
    root.enter(database).await.unwrap();
    root.spawn("ticker", async move {
        loop {
            let tick = tokio::time::sleep(Duration::from_secs(1));
            if lifespan_runtime::until_shutdown(tick).await.is_none() {
                break;
            }
        }
        let _ = told.send(());
    });
    let other_handle = root.clone();
    drop(root);
    // Another handle still exists: nothing happens yet.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(journal.entries(), ["start database"]);
    drop(other_handle);
    bounded(heard)
        .await
        .expect("the task heard its turn, and ran to its end");
    bounded(database_stopped)
        .await
        .expect("the part's shutdown half ran on a task of the runtime");
    assert_eq!(journal.entries(), ["start database", "stop database"]);
}

/// A handle taken inside with `Scope::current()` does not keep a dropped root alive;
/// a clone of the owner's handle moved into a task does, until the task lets go of it.
/// A root already shut down is not torn down again.
#[tokio::test(start_paused = true)]
async fn what_keeps_a_dropped_root_alive_is_its_owner_s_handles_only() {
    let (heard_tx, heard) = oneshot::channel();
    let root = Scope::new();
    root.spawn("borrower", async move {
        let _inside = Scope::current();
        lifespan_runtime::shutdown_requested().await;
        let _ = heard_tx.send(());
    });
    drop(root);
    bounded(heard)
        .await
        .expect("a handle from Scope::current() did not keep the root alive");

    let (release, released) = oneshot::channel::<()>();
    let (heard_tx, heard) = oneshot::channel();
    let root = Scope::new();
    let owner_clone = root.clone();
    root.spawn("keeper", async move {
        let _ = released.await;
        drop(owner_clone); // the last of the owner's handles
        lifespan_runtime::shutdown_requested().await;
        let _ = heard_tx.send(());
    });
    drop(root);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut heard = heard;
    assert!(
        heard.try_recv().is_err(),
        "the task holds the owner's clone: the root is still up"
    );
    release.send(()).unwrap();
    bounded(heard).await.unwrap();

    let shut = Scope::new();
    let journal = Journal::new();
    shut.enter(part(&journal, "cache")).await.unwrap();
    shut.shutdown().await.unwrap();
    drop(shut);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(journal.entries(), ["start cache", "stop cache"]);
}

/// The last handle of a root dropped on a thread outside any runtime, while its task
/// runs on a runtime: the teardown runs on the runtime the task was spawned on.
#[test]
fn a_root_dropped_off_its_runtime_is_torn_down_on_the_runtime_of_its_tasks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let root = runtime.block_on(async { Scope::new() });
    let (told, heard) = std::sync::mpsc::channel::<()>();
    runtime.block_on(async {
        root.spawn("ticker", async move {
            lifespan_runtime::shutdown_requested().await;
            let _ = told.send(());
        });
    });
    std::thread::spawn(move || drop(root)).join().unwrap();
    heard
        .recv_timeout(Duration::from_secs(10))
        .expect("the task was told to stop");
}

/// A teardown that is itself dropped while it waits for a task group (its runtime shut
/// down under it) aborts the group's tasks rather than leave them running: here they
/// run on another runtime, which goes on.
#[test]
fn a_teardown_dropped_mid_wait_aborts_the_tasks_it_was_waiting_for() {
    struct SendOnDrop(std::sync::mpsc::Sender<()>);
    impl Drop for SendOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let tasks = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let scope = Scope::new();
    let (dropped, aborted) = std::sync::mpsc::channel();
    tasks.block_on(async {
        let guard = SendOnDrop(dropped);
        scope.spawn("deaf", async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    });
    let teardown = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    teardown.block_on(async {
        // Cut short once the teardown waits on the task (the paused clock advances only
        // then); the teardown goes on, on this runtime.
        let cut = tokio::time::timeout(Duration::from_secs(1), scope.shutdown()).await;
        assert!(cut.is_err(), "the task keeps the teardown waiting");
    });
    drop(teardown);
    assert_eq!(
        aborted.recv_timeout(Duration::from_secs(10)),
        Ok(()),
        "the deaf task was aborted with the teardown"
    );
    drop(tasks);
}
