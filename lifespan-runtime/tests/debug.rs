//! Every public type prints, with `{:?}`, what it is and the state a user debugging a
//! shutdown would look for: names, whether it has finished, what it holds.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use lifespan_runtime::{Lifespan, Scope, from_fn};

/// Polls `future` once.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test]
async fn each_public_type_shows_its_name_and_state() {
    let scope = Scope::new();
    assert_eq!(
        format!("{scope:?}"),
        "Scope { owner: \"app\", children: 0, closed: false, shutdown_requested: false }"
    );

    let db = from_fn("db", |yielder| yielder.yield_app(7));
    assert_eq!(
        format!("{db:?}"),
        "FromFn { config: Config { name: \"db\", startup_timeout: None, shutdown_timeout: None }, \
         started: false, .. }"
    );

    let mut start = pin!(from_fn("db", |yielder| yielder.yield_app(7)).start());
    assert_eq!(format!("{start:?}"), "Start { state: \"idle\" }");
    let Poll::Ready(running) = poll_once(start.as_mut()) else {
        panic!("a startup that only yields is ready at once");
    };
    let running = running.unwrap();
    assert_eq!(format!("{start:?}"), "Start { state: \"done\" }");
    assert_eq!(
        format!("{running:?}"),
        "Running { name: \"db\", value: 7, .. }"
    );
    assert_eq!(running.name(), "db");
    running.stop().await.unwrap();

    let enter = scope.enter(from_fn("cache", |yielder| yielder.yield_app(())));
    assert_eq!(format!("{enter:?}"), "Enter { state: \"idle\" }");
    enter.await.unwrap();

    let mut slow = pin!(
        from_fn("slow", |yielder| async move {
            tokio::task::yield_now().await;
            yielder.yield_app(()).await;
        })
        .start()
    );
    assert!(poll_once(slow.as_mut()).is_pending());
    assert_eq!(format!("{slow:?}"), "Start { state: \"starting\" }");
    slow.await.unwrap().stop().await.unwrap();

    let outside = lifespan_runtime::enter(from_fn("outside", |yielder| yielder.yield_app(())));
    let mut outside = pin!(outside);
    assert_eq!(
        format!("{outside:?}"),
        "Enter { state: \"outside a scope\" }"
    );
    assert!(poll_once(outside.as_mut()).is_ready());
    assert_eq!(format!("{outside:?}"), "Enter { state: \"done\" }");

    let (shown, seen) = tokio::sync::oneshot::channel();
    let shows = from_fn("shows", |yielder| async move {
        let pending = format!("{yielder:?}");
        let yielding = yielder.yield_app(());
        let _ = shown.send((pending, format!("{yielding:?}")));
        yielding.await;
    });
    shows.start().await.unwrap().stop().await.unwrap();
    assert_eq!(
        seen.await.unwrap(),
        (
            "Yielder { .. }".to_owned(),
            "YieldApp { yielded: false }".to_owned()
        )
    );

    let task = scope.spawn("worker", async {});
    assert_eq!(
        format!("{task:?}"),
        "TaskHandle { name: \"worker\", finished: false }"
    );
    task.await.unwrap();
    scope.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_restart_policy_shows_every_setting_and_giving_up_its_counts() {
    let policy =
        lifespan_runtime::Restart::on_failure().limit(1, std::time::Duration::from_secs(10));
    assert_eq!(
        format!("{policy:?}"),
        "Restart { when: OnFailure, delay: 100ms, max_delay: 30s, jitter: 0.0, limit: Some(1), \
         window: 10s, reset_after: None, unready: false }"
    );
    let scope = Scope::new();
    let error = scope
        .spawn_supervised("flaky", policy, || async { Err::<(), _>("refused") })
        .await
        .unwrap_err();
    let gave_up = error.gave_up().unwrap();
    assert_eq!(
        format!("{gave_up:?}"),
        "GaveUp { restarts: 1, over: 100ms, limit: 1, within: 10s }"
    );
    let another = Scope::new();
    let follow = another
        .enter(lifespan_runtime::supervised(
            lifespan_runtime::Restart::on_failure(),
            || from_fn("pool", |y| y.yield_app(())),
        ))
        .await
        .unwrap();
    assert_eq!(format!("{follow:?}"), "Follow { up: true }");
    another.shutdown().await.unwrap();
    assert_eq!(format!("{follow:?}"), "Follow { up: false }");
    assert_eq!(
        lifespan_runtime::StoppedForGood.to_string(),
        "the part has stopped for good"
    );
    let structure = format!("{error:#?}");
    assert!(
        structure.contains("gave_up: GaveUp {\n        restarts: 1,"),
        "{structure}"
    );
    let _ = scope.shutdown().await;
}
