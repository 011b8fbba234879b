//! A service stopped while it starts: `db` starts, then `slow_start`'s startup takes
//! 30 s, during which the test sends its signals. Nothing here ends the startup but a
//! cut: the shutdown deadline is 30 s too.
//!
//! The first argument is the mode: `clean`; `stubborn`, where `worker`, entered between
//! the two, has a task `consumer` that ignores every shutdown request, so that the
//! rollback waits on it until a second signal hurries it. Prints `started NAME`,
//! `starting slow_start`, `stopping NAME`, `stopped NAME` and, if startup ever
//! finished, `ready`; and the log (the watchdog's notices, the summary) on stdout too,
//! so that a test can wait for a line.

#![forbid(unsafe_code)]

use std::time::Duration;

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn db() {
    println!("started db");
    yield_app!();
    println!("stopping db");
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!("stopped db");
}

#[lifespan]
async fn worker() {
    lifespan::spawn("consumer", async {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    println!("started worker");
    yield_app!();
    println!("stopped worker");
}

#[lifespan]
async fn slow_start() {
    println!("starting slow_start");
    tokio::time::sleep(Duration::from_secs(30)).await;
    println!("started slow_start");
    yield_app!();
    println!("stopped slow_start");
}

#[lifespan::main(shutdown_timeout = "30s", second_signal_timeout = "2s")]
async fn main() -> Result<(), lifespan::Error> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .without_time()
        .init();
    let mode = std::env::args().nth(1).unwrap_or_default();
    db().enter().await?;
    if mode == "stubborn" {
        worker().enter().await?;
    }
    slow_start().enter().await?;
    println!("ready");
    yield_app!();
    Ok(())
}
