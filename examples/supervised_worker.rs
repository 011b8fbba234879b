//! A worker that keeps going through failures: supervised restarts with backoff.
//!
//! `broker` is a connection that drops once; started with `lifespan::supervised`, it is
//! stopped and started again, and hands out a `Follow` so that the worker always uses
//! the connection that is up. `worker` is a task spawned with `spawn_supervised`: it
//! fails on two jobs (a poison message, a timeout) and comes back after 100 ms, then
//! 200 ms. Each restart is a WARN; the summary at the end counts them.
//!
//! ```text
//! cargo run --example supervised_worker
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use lifespan::{Follow, Lifespan, Restart, from_fn, yield_app};
use tokio::sync::mpsc;

/// A connection to the broker, numbered by how many were opened.
#[derive(Clone, Debug)]
struct Connection(u32);

/// The broker connection: the first one drops a moment after it opens, which its
/// watcher task reports as a failure, and the supervisor opens a second.
fn broker() -> impl Lifespan<Value = Follow<Connection>, Error = lifespan::Error> {
    let opened = Arc::new(AtomicU32::new(0));
    lifespan::supervised(Restart::on_failure(), move || {
        let number = opened.fetch_add(1, Ordering::SeqCst) + 1;
        from_fn("broker", move |y| async move {
            println!("broker: connection {number} open");
            lifespan::spawn("heartbeat", async move {
                if number == 1 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return Err("connection reset by peer");
                }
                lifespan::shutdown_requested().await;
                Ok(())
            });
            y.yield_app(Connection(number)).await;
            println!("broker: connection {number} closed");
        })
    })
}

/// Takes jobs off the queue until it is empty; job 3 is poison, job 5 times out.
async fn work(
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<u32>>>,
    broker: Follow<Connection>,
) -> Result<(), String> {
    loop {
        let Some(job) = queue.lock().await.recv().await else {
            println!("worker: queue drained");
            lifespan::request_shutdown();
            return Ok(());
        };
        let Some(Connection(connection)) = broker.wait().await else {
            return Ok(()); // the broker stopped for good: shutting down
        };
        match job {
            3 => return Err(format!("job {job}: poison message")),
            5 => return Err(format!("job {job}: timed out")),
            _ => println!("worker: job {job} done on connection {connection}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[lifespan::main(shutdown_timeout = "5s")]
async fn main() -> Result<(), lifespan::Error> {
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let broker = broker().enter().await?;
    let (jobs, queue) = mpsc::channel(16);
    for job in 1..=8 {
        jobs.send(job).await.expect("the queue has room");
    }
    drop(jobs);
    let queue = Arc::new(tokio::sync::Mutex::new(queue));
    let policy = Restart::on_failure().limit(5, Duration::from_secs(10));
    lifespan::spawn_supervised("worker", policy, move || {
        work(queue.clone(), broker.clone())
    });
    yield_app!();
    Ok(())
}
