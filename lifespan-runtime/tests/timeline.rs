//! What a recorded timeline holds: a row per part with its two bars, nested paths,
//! concurrent startups side by side, failures on the bar where they happened, hooks and
//! tasks as their own rows, the deadline. On a paused clock, so that times are exact.

use std::time::Duration;

use lifespan_runtime::timeline::{Row, RowKind};
use lifespan_runtime::{ErrorKind, Lifespan, Scope, from_fn};

const MS: Duration = Duration::from_millis(1);

fn row<'a>(rows: &'a [Row], path: &str) -> &'a Row {
    rows.iter()
        .find(|row| row.path() == path)
        .unwrap_or_else(|| {
            let paths: Vec<&str> = rows.iter().map(Row::path).collect();
            panic!("no row `{path}` in {paths:?}")
        })
}

/// A part whose startup and shutdown halves each take `half`.
fn timed(
    name: &'static str,
    half: Duration,
) -> impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static {
    from_fn(name, move |y| async move {
        tokio::time::sleep(half).await;
        y.yield_app(()).await;
        tokio::time::sleep(half).await;
    })
}

#[tokio::test(start_paused = true)]
async fn a_recorded_app_has_a_row_per_part_hook_and_task_name_with_exact_bars() {
    let scope = Scope::with_shutdown_timeout(Duration::from_secs(30));
    scope.record_timeline();
    // `db` (10 ms halves) enters `pool` (5 ms halves) in its startup.
    scope
        .enter(from_fn("db", |y| async move {
            tokio::time::sleep(10 * MS).await;
            lifespan_runtime::enter(timed("pool", 5 * MS))
                .await
                .unwrap();
            lifespan_runtime::on_shutdown("flush", async { tokio::time::sleep(3 * MS).await });
            for _ in 0..3 {
                lifespan_runtime::spawn("worker", async {
                    lifespan_runtime::shutdown_requested().await;
                });
            }
            Scope::current().note("3 workers started");
            y.yield_app(()).await;
            tokio::time::sleep(10 * MS).await;
        }))
        .await
        .unwrap();
    // Two startups side by side.
    let (a, b) = tokio::join!(
        scope.enter(timed("a", 20 * MS)),
        scope.enter(timed("b", 20 * MS))
    );
    a.unwrap();
    b.unwrap();
    let failing = from_fn("bad", |y| async move {
        y.yield_app(()).await;
        Err::<(), _>(std::io::Error::other("could not flush"))
    });
    scope.enter(failing).await.unwrap();
    let slow = timed("slow", 50 * MS).startup_timeout(10 * MS);
    assert_eq!(
        scope.enter(slow).await.unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    let stopping_at = tokio::time::Instant::now();
    let _ = scope.shutdown().await;

    let timeline = scope.timeline().expect("recorded");
    let rows = timeline.rows();
    let paths: Vec<&str> = rows.iter().map(Row::path).collect();
    assert_eq!(
        paths,
        [
            "db",
            "db/flush",
            "db/worker",
            "db/pool",
            "a",
            "b",
            "bad",
            "slow"
        ]
    );

    let db = row(rows, "db");
    assert_eq!(db.kind(), RowKind::Part);
    assert_eq!(db.depth(), 0);
    let db_startup = db.startup().unwrap();
    assert_eq!(
        (db_startup.start(), db_startup.end()),
        (Duration::ZERO, Some(15 * MS))
    );
    let pool = row(rows, "db/pool");
    assert_eq!((pool.name(), pool.depth()), ("pool", 1));
    assert_eq!(
        row(rows, "db/flush").depth(),
        1,
        "a part's hooks sit under it"
    );
    assert_eq!(db.notes(), ["3 workers started"]);
    let pool_startup = pool.startup().unwrap();
    assert_eq!(
        (pool_startup.start(), pool_startup.end()),
        (10 * MS, Some(15 * MS)),
        "nested inside db's startup"
    );

    let (a, b) = (row(rows, "a"), row(rows, "b"));
    assert_eq!(a.startup().unwrap().start(), b.startup().unwrap().start());
    assert_eq!(
        a.startup().unwrap().end(),
        Some(35 * MS),
        "side by side, 20 ms each"
    );

    let bad = row(rows, "bad");
    let failure = bad
        .shutdown()
        .unwrap()
        .failure()
        .expect("its shutdown failed");
    assert_eq!(failure.kind(), ErrorKind::Failed);
    assert!(
        failure.message().contains("could not flush"),
        "{}",
        failure.message()
    );
    assert!(bad.startup().unwrap().failure().is_none());

    let slow = row(rows, "slow");
    assert_eq!(
        slow.startup().unwrap().failure().map(|f| f.kind()),
        Some(ErrorKind::TimedOut)
    );
    assert!(slow.shutdown().is_none(), "never started, never stopped");

    let flush = row(rows, "db/flush");
    assert_eq!(flush.kind(), RowKind::Hook);
    let flush_run = flush.shutdown().unwrap();
    assert_eq!(flush_run.end().unwrap() - flush_run.start(), 3 * MS);

    let workers = row(rows, "db/worker");
    assert_eq!((workers.kind(), workers.count()), (RowKind::Tasks, 3));
    assert!(
        workers.startup().unwrap().end().is_some(),
        "all three ended"
    );

    // pool stops inside db's shutdown, right after db's own half (10 ms): 5 ms.
    let pool_shutdown = pool.shutdown().unwrap();
    let db_shutdown = db.shutdown().unwrap();
    assert_eq!(
        pool_shutdown.start(),
        db_shutdown.start() + 10 * MS + 3 * MS
    );
    assert_eq!(pool_shutdown.end(), Some(pool_shutdown.start() + 5 * MS));
    assert_eq!(
        db_shutdown.end(),
        pool_shutdown.end(),
        "db ends with its last child"
    );
    // db stops last, after everything entered after it; the deadline is 30 s after the
    // teardown began.
    let db_shutdown = db.shutdown().unwrap();
    assert!(db_shutdown.start() >= b.shutdown().unwrap().end().unwrap());
    let began = stopping_at.duration_since(tokio::time::Instant::now() - timeline.taken());
    assert_eq!(timeline.deadline(), Some(began + Duration::from_secs(30)));
}

#[tokio::test(start_paused = true)]
async fn what_still_runs_has_an_open_bar_and_an_unasked_app_keeps_nothing() {
    let plain = Scope::new();
    plain.enter(timed("db", MS)).await.unwrap();
    assert!(plain.timeline().is_none(), "a Scope::new app pays nothing");
    plain.shutdown().await.unwrap();

    let scope = Scope::new();
    scope.record_timeline();
    scope.enter(timed("db", MS)).await.unwrap();
    let timeline = scope.timeline().unwrap();
    let db = row(timeline.rows(), "db");
    assert_eq!(db.startup().unwrap().end(), Some(MS));
    assert!(db.shutdown().is_none(), "not stopping yet");
    assert_eq!(timeline.deadline(), None);
    scope.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_part_entered_in_one_of_two_started_together_is_drawn_under_it() {
    let scope = Scope::new();
    scope.record_timeline();
    let inner = from_fn("a", |y| async move {
        tokio::time::sleep(MS).await;
        lifespan_runtime::enter(timed("x", MS)).await.unwrap();
        y.yield_app(()).await;
    });
    let (a, b) = tokio::join!(scope.enter(inner), scope.enter(timed("b", 5 * MS)));
    a.unwrap();
    b.unwrap();
    scope.shutdown().await.unwrap();
    let timeline = scope.timeline().unwrap();
    let rows: Vec<(&str, usize)> = timeline
        .rows()
        .iter()
        .map(|row| (row.path(), row.depth()))
        .collect();
    assert_eq!(
        rows,
        [("a", 0), ("a/x", 1), ("b", 0)],
        "x under a, not under b"
    );
}

#[tokio::test(start_paused = true)]
async fn an_aborted_task_and_a_dropped_startup_end_their_bars() {
    let scope = Scope::new();
    scope.record_timeline();
    let handle = scope.spawn("poller", std::future::pending::<()>());
    tokio::task::yield_now().await;
    handle.abort();
    let _ = handle.await;
    let dropped = tokio::time::timeout(10 * MS, scope.enter(timed("slow", Duration::from_secs(1))));
    assert!(dropped.await.is_err(), "cut by the outer timeout");
    let timeline = scope.timeline().unwrap();
    let poller = row(timeline.rows(), "poller");
    assert!(
        poller.startup().unwrap().end().is_some(),
        "an aborted task is not drawn as still running"
    );
    let slow = row(timeline.rows(), "slow");
    let startup = slow.startup().unwrap();
    assert_eq!(startup.end(), Some(startup.start() + 10 * MS));
    assert_eq!(
        startup.failure().map(|failure| failure.kind()),
        Some(ErrorKind::Aborted)
    );
    assert_eq!(slow.failures(), ["startup dropped"]);
    scope.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn tasks_are_counted_by_name_and_their_bar_ends_with_the_last_of_them() {
    let scope = Scope::new();
    scope.record_timeline();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let quick = scope.spawn("alpha", tokio::time::sleep(MS));
    let slow = scope.spawn("alpha", async move {
        let _ = released.await;
    });
    let other = scope.spawn("beta", async {});
    quick.await.unwrap();
    other.await.unwrap();
    let timeline = scope.timeline().unwrap();
    let alpha = row(timeline.rows(), "alpha");
    let beta = row(timeline.rows(), "beta");
    assert_eq!((alpha.count(), beta.count()), (2, 1), "one row per name");
    assert_eq!(alpha.startup().unwrap().end(), None, "one alpha still runs");
    assert!(beta.startup().unwrap().end().is_some());

    tokio::time::sleep(4 * MS).await;
    release.send(()).unwrap();
    slow.await.unwrap();
    let timeline = scope.timeline().unwrap();
    let alpha = row(timeline.rows(), "alpha").startup().unwrap().clone();
    assert_eq!(
        alpha.end(),
        Some(alpha.start() + 5 * MS),
        "ends with the last alpha"
    );
    scope.shutdown().await.unwrap();
}
