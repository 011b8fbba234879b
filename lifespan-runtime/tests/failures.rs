//! Every failure is named and reported, and never keeps the rest from stopping.

mod common;

use common::{Act, Journal, part, scripted};
use lifespan_runtime::{ErrorKind, Lifespan, Origin, Scope, from_fn};

#[derive(Debug, PartialEq)]
struct DiskFull;

impl std::fmt::Display for DiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full")
    }
}

impl std::error::Error for DiskFull {}

#[tokio::test]
async fn every_teardown_failure_is_reported_and_the_rest_still_stops() {
    let journal = Journal::new();
    let scope = Scope::new();
    scope.enter(part(&journal, "a")).await.unwrap();
    scope
        .enter(scripted(&journal, "b", Act::Succeed, Act::Fail))
        .await
        .unwrap();
    scope.on_shutdown("c", async { Err::<(), _>("hook failed") });
    scope.enter(part(&journal, "d")).await.unwrap();
    scope
        .enter(scripted(&journal, "e", Act::Succeed, Act::Panic))
        .await
        .unwrap();
    scope.on_shutdown("f", async { panic!("hook panicked") });
    let error = scope.shutdown().await.unwrap_err();

    assert_eq!(
        journal.entries(),
        [
            "start a", "start b", "start d", "start e", "stop d", "stop a"
        ]
    );
    let failures: Vec<_> = error
        .errors()
        .iter()
        .map(|e| (e.name(), e.origin(), e.kind()))
        .collect();
    assert_eq!(
        failures,
        [
            ("f", Origin::Hook, ErrorKind::Panicked),
            ("e", Origin::Shutdown, ErrorKind::Panicked),
            ("c", Origin::Hook, ErrorKind::Failed),
            ("b", Origin::Shutdown, ErrorKind::Failed),
        ]
    );
    assert_eq!(error.kind(), ErrorKind::Several);
    assert_eq!(error.name(), "app");
    let line = error.to_string();
    assert!(!line.contains('\n'));
    assert!(
        line.starts_with(
            "4 failures while stopping `app`: (1) shutdown hook `f` panicked: hook panicked; "
        ),
        "{line}"
    );
}

#[tokio::test]
async fn panic_messages_are_kept_in_both_halves_in_tasks_and_in_hooks() {
    let journal = Journal::new();
    let error = scripted(&journal, "boot", Act::Panic, Act::Succeed)
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        error.panic_message(),
        Some("startup of boot panicked on purpose")
    );
    assert_eq!(
        error.to_string(),
        "lifespan `boot` panicked during startup: startup of boot panicked on purpose"
    );

    let running = scripted(&journal, "halt", Act::Succeed, Act::Panic)
        .start()
        .await
        .unwrap();
    let error = running.stop().await.unwrap_err();
    assert_eq!(
        (error.origin(), error.panic_message()),
        (
            Origin::Shutdown,
            Some("shutdown of halt panicked on purpose")
        )
    );

    let scope = Scope::new();
    scope.spawn("worker", async {
        let index = 7;
        panic!("worker lost item {index}");
    });
    scope.shutdown_requested().await; // the panic requested shutdown
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!((error.name(), error.origin()), ("worker", Origin::Task));
    assert_eq!(error.panic_message(), Some("worker lost item 7"));

    let scope = Scope::new();
    scope.on_shutdown("flush", async { panic!("flush failed") });
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.panic_message()),
        ("flush", Origin::Hook, Some("flush failed"))
    );
}

#[tokio::test]
async fn the_users_error_is_the_source_and_can_be_downcast() {
    let full = from_fn("writer", |yielder| async move {
        yielder.yield_app(()).await;
        Err(DiskFull)
    });
    let error = full.start().await.unwrap().stop().await.unwrap_err();
    assert_eq!(error.downcast_ref::<DiskFull>(), Some(&DiskFull));
    let source = std::error::Error::source(&error).unwrap();
    assert_eq!(source.to_string(), "disk full");
    assert_eq!(
        error.to_string(),
        "lifespan `writer` failed during shutdown: disk full"
    );
}

#[tokio::test]
async fn a_failing_shutdown_half_does_not_keep_its_children_from_stopping() {
    let journal = Journal::new();
    let owner = {
        let journal = journal.clone();
        from_fn("owner", move |yielder| async move {
            part(&journal, "child").enter().await?;
            scripted(&journal, "sibling", Act::Succeed, Act::Fail)
                .enter()
                .await?;
            yielder.yield_app(()).await;
            Err::<(), lifespan_runtime::BoxError>("owner could not close".into())
        })
    };
    let error = owner.start().await.unwrap().stop().await.unwrap_err();
    assert_eq!(
        journal.entries(),
        ["start child", "start sibling", "stop child"]
    );
    let failures: Vec<_> = error
        .errors()
        .iter()
        .map(|e| (e.name(), e.origin()))
        .collect();
    assert_eq!(
        failures,
        [("owner", Origin::Shutdown), ("sibling", Origin::Shutdown)]
    );
    assert_eq!(error.name(), "owner");
}

/// A `#[lifespan::test]` whose body returns an error and whose teardown fails too
/// reports both: the body's error first, then every failure of the teardown.
#[test]
fn a_test_reports_its_bodys_error_and_every_teardown_failure() {
    let panic = std::panic::catch_unwind(|| {
        lifespan_runtime::__private::run_test(None, async {
            let scope = lifespan_runtime::Scope::current();
            scope.on_shutdown("flush", async { Err::<(), _>("flush refused") });
            scope.on_shutdown("close", async { Err::<(), _>("close refused") });
            Err::<(), _>("the assertion failed")
        })
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted panic");
    assert_eq!(
        message,
        "the test failed: \"the assertion failed\"\nand its teardown failed: 2 failures while \
         stopping `app`: (1) shutdown hook `close` failed: close refused; (2) shutdown hook \
         `flush` failed: flush refused"
    );
}

/// With a body that succeeded, the teardown's failure alone fails the test.
#[test]
fn a_test_whose_teardown_fails_panics_with_that_failure() {
    let panic = std::panic::catch_unwind(|| {
        lifespan_runtime::__private::run_test(None, async {
            lifespan_runtime::on_shutdown("flush", async { Err::<(), _>("flush refused") });
        })
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted panic");
    assert_eq!(
        message,
        "the test's teardown failed: shutdown hook `flush` failed: flush refused"
    );
}
