//! Startup in program order, teardown in reverse, children after their owner.

mod common;

use common::{Journal, part};
use lifespan_runtime::{BoxError, Lifespan, Scope, from_fn};
use std::sync::Arc;
use tokio::sync::Barrier;

#[tokio::test]
async fn lifespans_start_in_program_order_and_stop_in_reverse() {
    let journal = Journal::new();
    let scope = Scope::new();
    for name in ["config", "database", "http-client", "server"] {
        scope.enter(part(&journal, name)).await.unwrap();
    }
    scope.shutdown().await.unwrap();
    assert_eq!(
        journal.entries(),
        [
            "start config",
            "start database",
            "start http-client",
            "start server",
            "stop server",
            "stop http-client",
            "stop database",
            "stop config",
        ]
    );
}

#[tokio::test]
async fn children_stop_after_their_owner_and_before_earlier_siblings() {
    let journal = Journal::new();
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            part(&journal, "inner-1").enter().await?;
            part(&journal, "inner-2").enter().await?;
            journal.log("start owner");
            yielder.yield_app(()).await;
            journal.log("stop owner");
            Ok::<(), lifespan_runtime::Error>(())
        })
    };
    let scope = Scope::new();
    scope.enter(part(&journal, "before")).await.unwrap();
    scope.enter(owner).await.unwrap();
    scope.enter(part(&journal, "after")).await.unwrap();
    scope.shutdown().await.unwrap();
    assert_eq!(
        journal.entries(),
        [
            "start before",
            "start inner-1",
            "start inner-2",
            "start owner",
            "start after",
            "stop after",
            "stop owner",
            "stop inner-2",
            "stop inner-1",
            "stop before",
        ]
    );
}

#[tokio::test]
async fn running_stop_runs_the_shutdown_half_then_the_children_in_reverse() {
    let journal = Journal::new();
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            part(&journal, "child-a").enter().await?;
            let hook_journal = journal.clone();
            lifespan_runtime::on_shutdown("hook", async move { hook_journal.log("hook") });
            part(&journal, "child-b").enter().await?;
            yielder.yield_app(()).await;
            journal.log("stop owner");
            Ok::<(), lifespan_runtime::Error>(())
        })
    };
    let running = owner.start().await.unwrap();
    running.stop().await.unwrap();
    assert_eq!(
        journal.entries(),
        [
            "start child-a",
            "start child-b",
            "stop owner",
            "stop child-b",
            "hook",
            "stop child-a"
        ]
    );
}

#[tokio::test]
async fn tasks_and_hooks_take_their_place_in_the_reverse_order() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.enter(part(&journal, "database")).await.unwrap();
    let task_journal = journal.clone();
    let shutdown = scope.shutdown_requested();
    scope.spawn("worker", async move {
        shutdown.await;
        task_journal.log("worker drained");
    });
    let hook_journal = journal.clone();
    scope.on_shutdown("flush", async move { hook_journal.log("flush") });
    scope.enter(part(&journal, "cache")).await.unwrap();
    scope.shutdown().await.unwrap();
    // The worker may log as soon as shutdown is requested, which is before `cache`
    // stops; what matters is that `database` outlives it and the hook ran in place.
    let entries = journal.entries();
    let position = |entry: &str| entries.iter().position(|e| e == entry).unwrap();
    assert!(position("stop cache") < position("flush"));
    assert!(position("flush") < position("stop database"));
    assert!(position("worker drained") < position("stop database"));
}

#[tokio::test]
async fn try_join_starts_independent_lifespans_concurrently() {
    // Each startup waits for the other: sequential startup would never finish.
    fn meeting(
        barrier: &Arc<Barrier>,
        name: &'static str,
    ) -> impl Lifespan<Value = &'static str, Error = BoxError> + Send + 'static {
        let barrier = barrier.clone();
        from_fn(name, move |yielder| async move {
            barrier.wait().await;
            yielder.yield_app(name).await;
            Ok(())
        })
    }
    let barrier = Arc::new(Barrier::new(2));
    let journal = Journal::new();
    let app = {
        let journal = journal.clone();
        from_fn("app", move |yielder| async move {
            let (a, b) = tokio::try_join!(
                meeting(&barrier, "left").enter(),
                meeting(&barrier, "right").enter()
            )?;
            part(&journal, "after-both").enter().await?;
            yielder.yield_app((a, b)).await;
            Ok::<(), lifespan_runtime::Error>(())
        })
    };
    let scope = Scope::new();
    assert_eq!(scope.enter(app).await.unwrap(), ("left", "right"));
    scope.shutdown().await.unwrap();
    assert_eq!(journal.entries(), ["start after-both", "stop after-both"]);
}

#[tokio::test]
async fn start_works_with_borrowed_arguments_and_non_send_bodies() {
    let owned = String::from("borrowed");
    let name = owned.as_str();
    let shared = std::rc::Rc::new(std::cell::Cell::new(0));
    let local = from_fn("local", |yielder| {
        let shared = shared.clone();
        async move {
            shared.set(1);
            yielder.yield_app(name).await;
            shared.set(2);
        }
    });
    let running = local.start().await.unwrap();
    assert_eq!(*running, "borrowed");
    assert_eq!(shared.get(), 1);
    running.stop().await.unwrap();
    assert_eq!(shared.get(), 2);
}

#[tokio::test]
async fn the_yielded_value_is_dropped_before_the_shutdown_half_runs() {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<u32>(4);
    let drain = from_fn("drain", move |yielder| async move {
        yielder.yield_app(sender).await;
        let mut seen = Vec::new();
        // Ends only once every sender, including the yielded one, is gone.
        while let Some(n) = receiver.recv().await {
            seen.push(n);
        }
        assert_eq!(seen, [1, 2]);
    });
    let running = drain.start().await.unwrap();
    running.send(1).await.unwrap();
    running.send(2).await.unwrap();
    running.stop().await.unwrap();
}

#[tokio::test]
async fn each_lifespan_gets_its_own_scope_below_the_current_one() {
    let app = from_fn("app", |yielder| async move {
        let outer = lifespan_runtime::Scope::current();
        let inner = from_fn("inner", |y| async move {
            y.yield_app(lifespan_runtime::Scope::current()).await;
        })
        .enter()
        .await?;
        outer.request_shutdown();
        // A request anywhere reaches the whole app's root; the inner scope hears that
        // the app is stopping, and its own turn comes at teardown.
        assert!(!inner.is_shutdown_requested());
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            inner.app_shutdown_requested(),
        )
        .await
        .expect("the app-wide request reaches every scope at once");
        yielder.yield_app(inner).await;
        Ok::<(), lifespan_runtime::Error>(())
    });
    let scope = Scope::new();
    let inner = scope.enter(app).await.unwrap();
    assert!(scope.is_shutdown_requested());
    scope.shutdown().await.unwrap();
    assert!(inner.is_shutdown_requested());
}

/// A part whose startup awaits once (so that startups begun together overlap) and
/// whose shutdown half takes `SLOW`, logging when it begins and ends.
fn slow_to_stop(
    journal: &Journal,
    name: &'static str,
) -> impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static {
    let journal = journal.clone();
    from_fn(name, move |yielder| async move {
        tokio::task::yield_now().await;
        yielder.yield_app(()).await;
        journal.log(format!("stopping {name}"));
        tokio::time::sleep(SLOW).await;
        journal.log(format!("stopped {name}"));
    })
}

const SLOW: std::time::Duration = std::time::Duration::from_millis(50);

/// Twenty parts whose startups overlapped cannot hold each other's values: they stop
/// together, in one part's time rather than twenty.
#[tokio::test(start_paused = true)]
async fn parts_started_together_stop_together() {
    let journal = Journal::new();
    let scope = Scope::new();
    let names: Vec<&'static str> = (0..20)
        .map(|i| &*Box::leak(format!("part-{i}").into_boxed_str()))
        .collect();
    let parts = names
        .iter()
        .map(|name| scope.enter(slow_to_stop(&journal, name)));
    futures_util::future::try_join_all(parts).await.unwrap();
    let began = tokio::time::Instant::now();
    scope.shutdown().await.unwrap();
    assert_eq!(began.elapsed(), SLOW);
    assert_eq!(journal.count("stopped part-0"), 1);
    assert_eq!(journal.entries().len(), 40);
}

/// Entered one after another, the same parts keep the exact reverse order: each may
/// hold the values of those before it.
#[tokio::test(start_paused = true)]
async fn parts_entered_in_sequence_stop_one_by_one_in_reverse() {
    let journal = Journal::new();
    let scope = Scope::new();
    for name in ["a", "b", "c"] {
        scope.enter(slow_to_stop(&journal, name)).await.unwrap();
    }
    let began = tokio::time::Instant::now();
    scope.shutdown().await.unwrap();
    assert_eq!(began.elapsed(), 3 * SLOW);
    assert_eq!(
        journal.entries(),
        [
            "stopping c",
            "stopped c",
            "stopping b",
            "stopped b",
            "stopping a",
            "stopped a"
        ]
    );
}

/// The rule, mixed: `first`, then `left` and `right` together, then `last`. `last`
/// began after both were running, so it stops before both; they stop together; `first`
/// was running when they began, so it waits for both.
#[tokio::test(start_paused = true)]
async fn a_part_stops_before_every_part_that_was_running_when_it_began() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.enter(slow_to_stop(&journal, "first")).await.unwrap();
    tokio::try_join!(
        scope.enter(slow_to_stop(&journal, "left")),
        scope.enter(slow_to_stop(&journal, "right")),
    )
    .unwrap();
    scope.enter(slow_to_stop(&journal, "last")).await.unwrap();
    let began = tokio::time::Instant::now();
    scope.shutdown().await.unwrap();
    assert_eq!(began.elapsed(), 3 * SLOW);
    let entries = journal.entries();
    let at = |entry: &str| entries.iter().position(|e| e == entry).unwrap();
    assert!(at("stopped last") < at("stopping left"));
    assert!(at("stopped last") < at("stopping right"));
    assert!(
        at("stopping right") < at("stopped left"),
        "they overlap: {entries:?}"
    );
    assert!(
        at("stopping left") < at("stopped right"),
        "they overlap: {entries:?}"
    );
    assert!(at("stopped left") < at("stopping first"));
    assert!(at("stopped right") < at("stopping first"));
}

/// Stopping together, each part still stops its own subtree in order, and every
/// failure is collected.
#[tokio::test(start_paused = true)]
async fn parts_stopping_together_keep_their_own_order_and_every_failure() {
    let journal = Journal::new();
    let scope = Scope::new();
    let owner = |name: &'static str| {
        let journal = journal.clone();
        from_fn(name, move |yielder| async move {
            tokio::task::yield_now().await;
            part(&journal, if name == "a" { "a-child" } else { "b-child" })
                .enter()
                .await?;
            yielder.yield_app(()).await;
            journal.log(format!("stop {name}"));
            Err::<(), BoxError>(format!("{name} failed to close").into())
        })
    };
    tokio::try_join!(scope.enter(owner("a")), scope.enter(owner("b"))).unwrap();
    let error = scope.shutdown().await.unwrap_err();
    let mut names: Vec<&str> = error.errors().iter().map(|e| e.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["a", "b"]);
    let entries = journal.entries();
    let at = |entry: &str| entries.iter().position(|e| e == entry).unwrap();
    assert!(at("stop a") < at("stop a-child"));
    assert!(at("stop b") < at("stop b-child"));
}

/// Overlap is pairwise: `slow` overlapped both `c` and `a`, but `a` began after `c`
/// was running (it holds `c`'s value). `slow` and `a` stop together; `c` only after
/// `a` has stopped.
#[tokio::test(start_paused = true)]
async fn a_part_that_overlapped_two_others_does_not_join_them_to_each_other() {
    let journal = Journal::new();
    let scope = Scope::new();
    let chain = async {
        scope.enter(slow_to_stop(&journal, "c")).await?;
        scope.enter(slow_to_stop(&journal, "a")).await
    };
    tokio::try_join!(scope.enter(slow_to_stop(&journal, "slow")), chain).unwrap();
    let began = tokio::time::Instant::now();
    scope.shutdown().await.unwrap();
    assert_eq!(began.elapsed(), 2 * SLOW);
    let entries = journal.entries();
    let at = |entry: &str| entries.iter().position(|e| e == entry).unwrap();
    assert!(at("stopped a") < at("stopping c"), "{entries:?}");
    assert!(
        at("stopping slow") < at("stopped a"),
        "slow and a overlap: {entries:?}"
    );
}
