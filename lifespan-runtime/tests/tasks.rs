//! Tracked tasks: shutdown requests, failures that stop the app, isolated tasks.

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Journal, part};
use futures_util::FutureExt;
use lifespan_runtime::{ErrorKind, Lifespan, Origin, Phase, Running, Scope, from_fn};

#[tokio::test]
async fn each_part_hears_shutdown_at_its_own_turn_and_the_app_wide_signal_at_once() {
    let scope = Scope::new();
    let early = scope
        .enter(from_fn("early", |y| async move {
            y.yield_app(Scope::current()).await;
        }))
        .await
        .unwrap();
    let observed = Arc::new(Mutex::new(None));
    let seen = observed.clone();
    scope
        .enter(from_fn("late", move |y| async move {
            y.yield_app(()).await;
            // `late` stops first: `early` is still running, its turn not yet come, but
            // it knows the app is stopping.
            let app_stopping = early.app_shutdown_requested().now_or_never().is_some();
            *seen.lock().unwrap() = Some((early.is_shutdown_requested(), app_stopping));
        }))
        .await
        .unwrap();
    assert!(!scope.is_shutdown_requested());
    scope.shutdown().await.unwrap();
    assert_eq!(*observed.lock().unwrap(), Some((false, true)));
}

#[tokio::test]
async fn a_task_spawned_before_a_part_hears_its_turn_only_after_that_part_stopped() {
    let journal = Journal::new();
    let scope = Scope::new();
    let worker_journal = journal.clone();
    scope.spawn("worker", async move {
        lifespan_runtime::shutdown_requested().await;
        worker_journal.log("worker heard its turn");
    });
    scope.enter(part(&journal, "server")).await.unwrap();
    let late_journal = journal.clone();
    scope.spawn("late-task", async move {
        lifespan_runtime::shutdown_requested().await;
        late_journal.log("late-task heard its turn");
    });
    scope.shutdown().await.unwrap();
    assert_eq!(
        journal.entries(),
        [
            "start server",
            "late-task heard its turn",
            "stop server",
            "worker heard its turn"
        ]
    );
}

#[tokio::test]
async fn inside_a_task_the_free_functions_follow_the_task_s_turn_not_its_scope_s() {
    let journal = Journal::new();
    let scope = Scope::new();
    let in_task = journal.clone();
    scope
        .enter(from_fn("server", move |y| async move {
            lifespan_runtime::spawn("accept-loop", async move {
                let until = lifespan_runtime::until_shutdown(std::future::pending::<()>());
                assert_eq!(until.await, None);
                in_task.log("accept-loop stopped");
            });
            y.yield_app(()).await;
            // The half runs before the task's turn: the loop still accepts.
            Scope::current().shutdown_requested().await;
            lifespan_runtime::shutdown_requested().await; // the body's own turn: now
        }))
        .await
        .unwrap();
    scope.enter(part(&journal, "cache")).await.unwrap();
    scope.shutdown().await.unwrap();
    assert_eq!(
        journal.entries(),
        ["start cache", "stop cache", "accept-loop stopped"]
    );
}

#[tokio::test]
async fn tokens_made_only_after_the_request_or_the_teardown_still_see_it() {
    // Nobody asked these roots before: their tokens are made after the fact.
    let requested = Scope::new();
    requested.request_shutdown();
    assert!(requested.is_shutdown_requested());
    requested.shutdown_requested().await;

    let torn_down = Scope::new();
    let child = torn_down
        .enter(from_fn("child", |y| y.yield_app(Scope::current())))
        .await
        .unwrap();
    torn_down.shutdown().await.unwrap();
    assert!(torn_down.is_shutdown_requested());
    assert!(child.is_shutdown_requested());
    child.shutdown_requested().await;

    let untouched = Scope::new();
    assert!(!untouched.is_shutdown_requested());
}

#[tokio::test]
async fn a_failing_task_requests_shutdown_and_is_in_the_teardown_error() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.enter(part(&journal, "database")).await.unwrap();
    scope.spawn("consumer", async { Err::<(), _>("broker went away") });
    // Nobody else asks for shutdown: the failed task does.
    scope.shutdown_requested().await;
    assert_eq!(scope.phase(), Phase::Running);
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("consumer", Origin::Task, ErrorKind::Failed)
    );
    assert_eq!(
        error.to_string(),
        "task `consumer` failed: broker went away"
    );
    assert_eq!(journal.entries(), ["start database", "stop database"]);
    assert_eq!(scope.phase(), Phase::Stopped);
}

#[tokio::test]
async fn a_task_spawned_inside_a_lifespan_stops_the_whole_app_when_it_fails() {
    let scope = Scope::new();
    scope
        .enter(from_fn("server", |y| async move {
            lifespan_runtime::spawn("accept-loop", async { panic!("listener closed") });
            y.yield_app(()).await;
        }))
        .await
        .unwrap();
    scope.shutdown_requested().await;
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.panic_message()),
        ("accept-loop", Some("listener closed"))
    );
}

#[tokio::test]
async fn tasks_run_in_the_scope_that_spawned_them() {
    let scope = Scope::new();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    scope.spawn("nested-spawner", async move {
        // A task's own spawns and hooks land in the same scope.
        lifespan_runtime::on_shutdown("from-task", async move {
            let _ = sender.send(());
        });
    });
    scope.shutdown().await.unwrap();
    receiver
        .await
        .expect("the hook registered by the task ran at teardown");
}

#[tokio::test]
async fn consecutive_tasks_share_one_entry_so_memory_stays_flat() {
    let scope = Scope::new();
    for n in 0..1000 {
        scope.spawn_isolated(format!("connection-{n}"), async {});
    }
    assert!(format!("{scope:?}").contains("children: 1,"), "{scope:?}");
    scope.on_shutdown("hook", async {});
    scope.spawn("after-hook", async {});
    assert!(format!("{scope:?}").contains("children: 3,"), "{scope:?}");
    scope.shutdown().await.unwrap();
}

#[tokio::test]
async fn tasks_and_hooks_registered_after_teardown_are_dropped_unrun() {
    let scope = Scope::new();
    scope.shutdown().await.unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let (task_flag, hook_flag) = (ran.clone(), ran.clone());
    scope.spawn("late-task", async move {
        task_flag.store(true, Ordering::SeqCst)
    });
    scope.on_shutdown("late-hook", async move {
        hook_flag.store(true, Ordering::SeqCst)
    });
    scope.shutdown().await.unwrap();
    tokio::task::yield_now().await;
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
#[should_panic(expected = "`spawn` was called where no lifespan scope is current")]
fn spawn_outside_a_scope_panics_naming_the_fix() {
    lifespan_runtime::spawn("nowhere", async {});
}

#[test]
#[should_panic(
    expected = "move the `Scope` into the task or the router's state, and call the method of the same name on it"
)]
fn request_shutdown_outside_a_scope_panics_naming_the_fix() {
    lifespan_runtime::request_shutdown();
}

/// A task from `tokio::spawn` inside a lifespan has no scope: the panic says why, and
/// what to carry into it.
#[tokio::test]
async fn phase_in_a_tokio_task_names_tokio_spawn_and_the_fix() {
    let scope = Scope::new();
    let handle = scope
        .enter(from_fn("server", |y| async move {
            let handler = tokio::spawn(async { lifespan_runtime::phase() });
            y.yield_app(handler).await;
        }))
        .await
        .unwrap();
    let panic = handle.await.unwrap_err().into_panic();
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.starts_with("`phase` was called where no lifespan scope is current"));
    assert!(message.contains("a task from `tokio::spawn` or a request handler has none"));
    assert!(message.contains("Take `Scope::current()` where one is set"));
    scope.shutdown().await.unwrap();
}

#[test]
fn try_current_is_none_outside_a_scope() {
    assert!(Scope::try_current().is_none());
}

#[test]
fn handles_are_send_sync_and_static() {
    fn send_sync_static<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync_static::<Scope>();
    send_sync_static::<Running<String>>();
    send_sync_static::<lifespan_runtime::Error>();
    let journal = Journal::new();
    send(&part(&journal, "a").enter());
    send(&part(&journal, "b").start());
    send(&Scope::new().shutdown());
}

/// The free `spawn_isolated` spawns into the current scope: the task runs, and its
/// failure neither requests shutdown nor fails the teardown.
#[tokio::test]
async fn the_free_spawn_isolated_runs_the_task_in_the_current_scope() {
    let scope = Scope::new();
    let (ran, heard) = tokio::sync::oneshot::channel();
    scope.spawn("acceptor", async move {
        lifespan_runtime::spawn_isolated("connection", async move {
            let _ = ran.send(());
            Err::<(), _>("reset by peer")
        });
    });
    heard.await.expect("the isolated task ran");
    tokio::task::yield_now().await;
    assert!(!scope.is_shutdown_requested());
    scope.shutdown().await.unwrap();
}

/// The named futures say where they stand.
#[tokio::test]
async fn start_and_enter_show_their_state_in_debug() {
    let start = from_fn("db", |y| y.yield_app(())).start();
    assert_eq!(format!("{start:?}"), r#"Start { state: "idle" }"#);
    let outside = from_fn("db", |y| y.yield_app(())).enter();
    assert_eq!(
        format!("{outside:?}"),
        r#"Enter { state: "outside a scope" }"#
    );
    let scope = Scope::new();
    let mut hanging = Box::pin(scope.enter(from_fn("slow", |y| async move {
        std::future::pending::<()>().await;
        y.yield_app(()).await;
    })));
    assert!(common::poll_once(&mut hanging).await);
    assert_eq!(format!("{hanging:?}"), r#"Enter { state: "starting" }"#);
    drop(hanging);
    drop(start);
    scope.shutdown().await.unwrap();
    let yielder_debug = from_fn("v", |y: lifespan_runtime::Yielder<u8>| async move {
        let shown = format!("{y:?}");
        let yield_app = y.yield_app(1);
        assert_eq!(format!("{yield_app:?}"), "YieldApp { yielded: false }");
        yield_app.await;
        assert_eq!(shown, "Yielder { .. }");
    });
    yielder_debug.start().await.unwrap().stop().await.unwrap();
}

/// A `Running` started inside a scope may outlive it: when that scope is shut down and
/// gone, the `Running` has not been stopped, and its scope does not claim its turn came.
#[tokio::test]
async fn a_running_outliving_the_scope_it_started_in_hears_nothing_until_stopped() {
    let root = Scope::new();
    let (give, take) = tokio::sync::oneshot::channel::<Running<()>>();
    root.spawn("starter", async move {
        let running = from_fn("survivor", |y| y.yield_app(()))
            .start()
            .await
            .unwrap()
            .erased();
        let _ = give.send(running);
    });
    let running = take.await.unwrap();
    root.shutdown().await.unwrap();
    drop(root);
    assert!(!running.scope().is_shutdown_requested());
    let scope = running.scope().clone();
    running.stop().await.unwrap();
    assert!(
        scope.is_shutdown_requested(),
        "its turn came when it was stopped"
    );
}

/// `Scope::until_shutdown` follows that scope's own turn: a lifespan's scope, when its
/// shutdown half begins.
#[tokio::test]
async fn a_scope_s_until_shutdown_ends_at_that_scope_s_turn() {
    let root = Scope::new();
    let part = root
        .enter(from_fn("part", |y| y.yield_app(Scope::current())))
        .await
        .unwrap();
    assert_eq!(part.until_shutdown(async { 7 }).await, Some(7));
    root.request_shutdown(); // the app's request: the part's turn is still to come
    assert_eq!(part.until_shutdown(async { 8 }).await, Some(8));
    assert_eq!(root.until_shutdown(async { 9 }).await, None);
    root.shutdown().await.unwrap();
    assert_eq!(
        part.until_shutdown(std::future::pending::<()>()).await,
        None
    );
}

/// The sync forms answer as their futures would: a task's own turn, and the app-wide
/// request, each seen from inside the task.
#[tokio::test]
async fn inside_a_task_the_sync_checks_follow_its_turn_and_the_app_s_request() {
    let root = Scope::new();
    let (ask, asked) = tokio::sync::oneshot::channel::<()>();
    let (first, first_answer) = tokio::sync::oneshot::channel();
    let (answer, answered) = tokio::sync::oneshot::channel();
    let task = root.spawn("checker", async move {
        let _ = first.send((
            lifespan_runtime::is_shutdown_requested(),
            lifespan_runtime::is_app_shutdown_requested(),
        ));
        let _ = asked.await;
        let _ = answer.send((
            lifespan_runtime::is_shutdown_requested(),
            lifespan_runtime::is_app_shutdown_requested(),
        ));
        lifespan_runtime::shutdown_requested().await;
        assert!(lifespan_runtime::is_shutdown_requested());
    });
    assert_eq!(first_answer.await.unwrap(), (false, false));
    // A part entered after the task: the task's turn comes after it stopped.
    root.enter(from_fn("feeder", |y| y.yield_app(())))
        .await
        .unwrap();
    root.request_shutdown();
    ask.send(()).unwrap();
    let requested = answered.await.unwrap();
    assert_eq!(
        requested,
        (false, true),
        "the app asked; the task's turn not yet"
    );
    root.shutdown().await.unwrap();
    task.await.unwrap();
}
