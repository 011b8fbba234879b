//! `#[lifespan::test]`: a root scope for the body, torn down after it; a failing
//! teardown fails the test. Teardown happens after the body, so these tests observe it
//! through the panic it produces, with `#[should_panic(expected = ..)]`, or by running
//! the test function themselves and looking at what it did.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn flag_on_stop(stopped: Arc<AtomicBool>) {
    yield_app!();
    stopped.store(true, Ordering::SeqCst);
}

/// Panics at shutdown, saying whether `later` had already stopped.
#[lifespan]
async fn check_order(later: Arc<AtomicBool>) {
    yield_app!();
    panic!("later stopped first: {}", later.load(Ordering::SeqCst));
}

#[lifespan::test]
#[should_panic(
    expected = "the test's teardown failed: lifespan `check_order` panicked during shutdown: later stopped first: true"
)]
async fn the_scope_is_torn_down_in_reverse_after_the_body() {
    let later = Arc::new(AtomicBool::new(false));
    check_order(later.clone()).enter().await.unwrap();
    flag_on_stop(later).enter().await.unwrap();
}

#[lifespan::test]
#[should_panic(expected = "the test's teardown failed: task `worker` failed: queue closed")]
async fn a_failed_task_fails_the_test() {
    lifespan::spawn("worker", async { Err::<(), _>("queue closed") });
}

#[lifespan::test(shutdown_timeout = "100ms")]
#[should_panic(expected = "shutdown hook `hang` timed out after")]
async fn a_teardown_past_its_deadline_fails_the_test() {
    lifespan::on_shutdown("hang", std::future::pending::<()>());
}

/// The threads on which the hook of [`panicking_body`] ran: `#[lifespan::test]` runs
/// its body on the calling thread, so a test that calls it finds its own thread here.
static CLEANED_UP_ON: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

/// A test that panics by design, and is run again by the test below, which looks at
/// what it did after its panic.
#[lifespan::test]
#[should_panic(expected = "the body's own panic")]
async fn panicking_body() {
    lifespan::on_shutdown("cleanup", async {
        CLEANED_UP_ON.lock().unwrap().push(thread::current().id());
    });
    panic!("the body's own panic");
}

#[test]
fn a_panicking_body_still_tears_down_and_keeps_its_panic() {
    let panic = std::panic::catch_unwind(panicking_body).expect_err("the body's panic goes on");
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"the body's own panic"),
        "the panic is the body's own"
    );
    assert!(
        CLEANED_UP_ON
            .lock()
            .unwrap()
            .contains(&thread::current().id()),
        "the teardown ran the hook before the panic went on"
    );
}

#[lifespan::test]
async fn the_body_runs_in_a_scope_and_may_return_a_result() -> Result<(), lifespan::Error> {
    let stopped = Arc::new(AtomicBool::new(false));
    let running = flag_on_stop(stopped.clone()).start().await?;
    running.stop().await?;
    assert!(stopped.load(Ordering::SeqCst));
    assert!(lifespan::Scope::try_current().is_some());
    lifespan::enter(flag_on_stop(stopped)).await?;
    Ok(())
}
