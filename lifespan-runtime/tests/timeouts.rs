//! Per-half timeouts and the teardown deadline, on a paused clock; and, on the real one,
//! parts that block their thread past their limit.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Act, Journal, part, scripted};
use lifespan_runtime::{ErrorKind, Lifespan, Origin, Scope, TimeoutCause, from_fn};
use tokio::time::Instant;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn a_startup_past_its_timeout_is_cancelled_and_fails() {
    let journal = Journal::new();
    let began = Instant::now();
    let error = scripted(&journal, "slow-dns", Act::Hang, Act::Succeed)
        .startup_timeout(3 * SECOND)
        .start()
        .await
        .unwrap_err();
    assert_eq!(began.elapsed(), 3 * SECOND);
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("slow-dns", Origin::Startup, ErrorKind::TimedOut)
    );
    assert_eq!(error.timeout(), Some(3 * SECOND));
    assert!(
        error.to_string().contains("raise its `startup_timeout`"),
        "{error}"
    );
    assert!(journal.entries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_slow_half_within_its_timeouts_succeeds() {
    let slow = from_fn("slow", |yielder| async move {
        tokio::time::sleep(2 * SECOND).await;
        yielder.yield_app(()).await;
        tokio::time::sleep(2 * SECOND).await;
    })
    .startup_timeout(3 * SECOND)
    .shutdown_timeout(3 * SECOND);
    let began = Instant::now();
    slow.start().await.unwrap().stop().await.unwrap();
    assert_eq!(began.elapsed(), 4 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_shutdown_half_times_out_and_its_children_still_stop() {
    let journal = Journal::new();
    let cancelled = Arc::new(AtomicBool::new(false));
    let owner = {
        let journal = journal.clone();
        let cancelled = cancelled.clone();
        from_fn("stuck-owner", move |yielder| async move {
            part(&journal, "child").enter().await?;
            yielder.yield_app(()).await;
            let _flag = SetOnDrop(cancelled);
            std::future::pending::<()>().await;
            Ok::<(), lifespan_runtime::Error>(())
        })
        .shutdown_timeout(2 * SECOND)
    };
    let scope = Scope::new();
    scope.enter(owner).await.unwrap();
    let began = Instant::now();
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(began.elapsed(), 2 * SECOND);
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("stuck-owner", Origin::Shutdown, ErrorKind::TimedOut)
    );
    assert!(
        cancelled.load(Ordering::SeqCst),
        "the timed-out half was dropped"
    );
    assert_eq!(journal.entries(), ["start child", "stop child"]);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_caps_every_later_part_with_what_is_left() {
    let journal = Journal::new();
    let scope = Scope::with_shutdown_timeout(5 * SECOND);
    // Stopped last: by then nothing is left of the deadline, yet a quick half still runs.
    scope.enter(part(&journal, "quick")).await.unwrap();
    // Stopped second: has no timeout of its own, gets the 2s that are left.
    scope
        .enter(scripted(&journal, "unbounded", Act::Succeed, Act::Hang))
        .await
        .unwrap();
    // Stopped first: takes 3s of its own 10s.
    let slow = from_fn("slow", |yielder| async move {
        yielder.yield_app(()).await;
        tokio::time::sleep(3 * SECOND).await;
    })
    .shutdown_timeout(10 * SECOND);
    scope.enter(slow).await.unwrap();

    let began = Instant::now();
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(began.elapsed(), 5 * SECOND);
    assert_eq!(
        (error.name(), error.kind()),
        ("unbounded", ErrorKind::TimedOut)
    );
    assert_eq!(error.timeout(), Some(2 * SECOND));
    assert!(
        error
            .to_string()
            .contains("what was left of the shutdown deadline"),
        "{error}"
    );
    assert_eq!(
        journal.entries(),
        ["start quick", "start unbounded", "stop quick"]
    );
}

/// A part's own timeout is capped by what is left of the deadline: a hanging half with
/// 10 s of its own is cut at the deadline's 1 s, and says the deadline cut it.
#[tokio::test(start_paused = true)]
async fn an_own_timeout_longer_than_the_deadline_is_cut_at_the_deadline() {
    let journal = Journal::new();
    let scope = Scope::with_shutdown_timeout(SECOND);
    let patient =
        scripted(&journal, "patient", Act::Succeed, Act::Hang).shutdown_timeout(10 * SECOND);
    scope.enter(patient).await.unwrap();

    let began = Instant::now();
    let error = scope.shutdown().await.unwrap_err();

    assert_eq!(began.elapsed(), SECOND);
    assert_eq!(
        (error.name(), error.kind()),
        ("patient", ErrorKind::TimedOut)
    );
    assert_eq!(error.timeout(), Some(SECOND));
    assert_eq!(error.timeout_cause(), Some(TimeoutCause::Deadline));
    assert_eq!(
        error.to_string(),
        "lifespan `patient` timed out after 1s during shutdown (what was left of the shutdown \
         deadline) and was cancelled"
    );
}

/// Under a deadline that leaves it more time, or exactly as much, a part's own timeout is
/// what cuts it, and its error says so.
#[tokio::test(start_paused = true)]
async fn an_own_timeout_within_the_deadline_is_the_part_s_own() {
    for deadline in [10 * SECOND, SECOND] {
        let journal = Journal::new();
        let scope = Scope::with_shutdown_timeout(deadline);
        let hasty = scripted(&journal, "hasty", Act::Succeed, Act::Hang).shutdown_timeout(SECOND);
        scope.enter(hasty).await.unwrap();

        let began = Instant::now();
        let error = scope.shutdown().await.unwrap_err();

        assert_eq!(began.elapsed(), SECOND, "under a {deadline:?} deadline");
        assert_eq!(error.timeout_cause(), Some(TimeoutCause::Own));
        assert_eq!(
            error.to_string(),
            "lifespan `hasty` timed out after 1s during shutdown and was cancelled; raise its \
             `shutdown_timeout` or make shutdown faster"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_task_that_ignores_shutdown_is_aborted_at_the_deadline() {
    let scope = Scope::with_shutdown_timeout(4 * SECOND);
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    scope.spawn("stubborn", async move {
        let _flag = SetOnDrop(flag);
        loop {
            tokio::time::sleep(SECOND).await;
        }
    });
    let polite_stopped = Arc::new(AtomicBool::new(false));
    let polite_flag = polite_stopped.clone();
    let shutdown = scope.shutdown_requested();
    scope.spawn("polite", async move {
        shutdown.await;
        polite_flag.store(true, Ordering::SeqCst);
    });
    let began = Instant::now();
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(began.elapsed(), 4 * SECOND);
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("stubborn", Origin::Task, ErrorKind::TimedOut)
    );
    assert_eq!(error.timeout(), Some(4 * SECOND));
    assert!(
        error
            .to_string()
            .contains("`lifespan::shutdown_requested()`"),
        "{error}"
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "the stubborn task was aborted"
    );
    assert!(polite_stopped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn a_hook_is_bounded_by_the_deadline() {
    let scope = Scope::with_shutdown_timeout(SECOND);
    scope.on_shutdown("hanging-flush", std::future::pending::<()>());
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("hanging-flush", Origin::Hook, ErrorKind::TimedOut)
    );
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Blocking the thread is the one thing a timer cannot cancel. These tests block it on
/// purpose, for 150 ms against limits of 50 ms: the overrun is a timeout all the same,
/// and names who blocked.
const BLOCK: Duration = Duration::from_millis(150);
const LIMIT: Duration = Duration::from_millis(50);

#[tokio::test]
async fn a_shutdown_half_that_blocks_past_its_limit_is_a_timeout() {
    let blocking = from_fn("blocking", |yielder| async move {
        yielder.yield_app(()).await;
        std::thread::sleep(BLOCK);
    })
    .shutdown_timeout(LIMIT);
    let error = blocking.start().await.unwrap().stop().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("blocking", Origin::Shutdown, ErrorKind::TimedOut)
    );
    assert_eq!(error.timeout(), Some(LIMIT));
    assert_eq!(
        error.to_string(),
        "lifespan `blocking` blocked its thread past its limit of 50ms during shutdown, so \
         it could not be cancelled in time; move blocking work into \
         `tokio::task::spawn_blocking`"
    );
}

#[tokio::test]
async fn a_hook_that_blocks_past_the_deadline_is_a_timeout() {
    let scope = Scope::with_shutdown_timeout(LIMIT);
    scope.on_shutdown("flush", async { std::thread::sleep(BLOCK) });
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("flush", Origin::Hook, ErrorKind::TimedOut)
    );
    assert!(error.to_string().contains("blocked its thread"), "{error}");
}

/// Of two tasks woken together at teardown, the one that blocks is named; the other,
/// polled late only because the thread was held, is not blamed.
#[tokio::test]
async fn the_task_that_blocks_past_the_deadline_is_named_and_only_it() {
    let scope = Scope::with_shutdown_timeout(LIMIT);
    let requested = scope.shutdown_requested();
    scope.spawn("blocker", async move {
        requested.await;
        std::thread::sleep(BLOCK);
    });
    let requested = scope.shutdown_requested();
    scope.spawn("prompt", requested);
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("blocker", Origin::Task, ErrorKind::TimedOut)
    );
    assert!(error.to_string().contains("blocked its thread"), "{error}");
}

/// A half that finishes within its limit, however near the end, is not a timeout.
#[tokio::test(start_paused = true)]
async fn a_half_that_ends_exactly_at_its_limit_is_in_time() {
    let exact = from_fn("exact", |yielder| async move {
        yielder.yield_app(()).await;
        tokio::time::sleep(LIMIT).await;
    })
    .shutdown_timeout(LIMIT);
    exact.start().await.unwrap().stop().await.unwrap();
}
