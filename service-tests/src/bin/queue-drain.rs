//! A queue worker entered before the server that fills its queue, as issue 13 found
//! them losing jobs at SIGTERM.
//!
//! - `worker` owns an mpsc queue and a task that processes one job every few
//!   milliseconds, draining the queue at its turn to stop (the documented idiom).
//! - `server` listens on loopback; it queues 150 jobs at startup (a backlog), and each
//!   request, a line on a connection, is held in flight for 300 ms, then queues one more
//!   job and answers `queued`. It prints `in flight` as each request arrives.
//!
//! Prints `listening PORT` and `ready`; once the queue is drained, `processed N`. The
//! shutdown deadline is 2 s; the first argument is the time per job in ms (1 by
//! default: the queue drains well within the deadline; 50 makes the deadline cut it).

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lifespan::{lifespan, yield_app};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const BACKLOG: usize = 150;

#[lifespan]
async fn worker(per_job: Duration) -> mpsc::Sender<usize> {
    let (jobs, mut queue) = mpsc::channel::<usize>(1024);
    lifespan::spawn("worker", async move {
        let counted = AtomicUsize::new(0);
        loop {
            tokio::select! {
                biased;
                Some(_job) = queue.recv() => process(&counted, per_job).await,
                () = lifespan::shutdown_requested() => break,
            }
        }
        queue.close();
        while let Some(_job) = queue.recv().await {
            process(&counted, per_job).await;
        }
        println!("processed {}", counted.load(Ordering::SeqCst));
    });
    yield_app!(jobs);
}

async fn process(processed: &AtomicUsize, per_job: Duration) {
    tokio::time::sleep(per_job).await;
    processed.fetch_add(1, Ordering::SeqCst);
}

#[lifespan]
async fn server(jobs: mpsc::Sender<usize>) -> std::io::Result<()> {
    for job in 0..BACKLOG {
        jobs.send(job).await.map_err(std::io::Error::other)?;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening {}", listener.local_addr()?.port());
    lifespan::spawn("accept-loop", async move {
        while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
            let (stream, _) = accepted?;
            let jobs = jobs.clone();
            lifespan::spawn_isolated("request", async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                BufReader::new(read).read_line(&mut line).await?;
                println!("in flight");
                tokio::time::sleep(Duration::from_millis(300)).await;
                jobs.send(BACKLOG).await.map_err(std::io::Error::other)?;
                write.write_all(b"queued\n").await
            });
        }
        Ok::<(), std::io::Error>(())
    });
    yield_app!();
}

#[lifespan::main(shutdown_timeout = "2s")]
async fn main() -> Result<(), lifespan::Error> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let per_job = std::env::args()
        .nth(1)
        .map_or(1, |ms| ms.parse().expect("ms per job"));
    let per_job = Duration::from_millis(per_job);
    let jobs = worker(per_job).named("worker").enter().await?;
    server(jobs).named("server").enter().await?;
    println!("ready");
    yield_app!();
    Ok(())
}
