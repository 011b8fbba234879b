//! A service for the signal ladder: a long shutdown deadline (30 s) and a short
//! `second_signal_timeout` (1 s), so that what a second signal does is seen apart from
//! the deadline. Entered in order:
//!
//! - `db`, whose shutdown half takes 200 ms and prints `stopped db`: the resource a
//!   hurried shutdown must still close;
//! - `worker`, with a task `consumer` that ignores every shutdown request, so that the
//!   teardown waits on it until the deadline unless hurried;
//! - in mode `hang`, `cache`, whose shutdown half awaits forever.
//!
//! The first argument is the mode: `clean`; `hang`; `self-stop`, where main requests
//! its own shutdown once ready; `quiet-fail`, with no tracing subscriber and a `db`
//! whose shutdown half fails. Prints `started NAME`, `ready`, `stopping NAME` and
//! `stopped NAME` on stdout, and, but in `quiet-fail`, the log (the watchdog's notices,
//! the summary) there too, so that a test can wait for a notice.

#![forbid(unsafe_code)]

use std::time::Duration;

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn db(fails: bool) -> std::io::Result<()> {
    println!("started db");
    yield_app!(());
    println!("stopping db");
    tokio::time::sleep(Duration::from_millis(200)).await;
    if fails {
        return Err(std::io::Error::other("db could not flush its journal"));
    }
    println!("stopped db");
    Ok(())
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
async fn cache() {
    println!("started cache");
    yield_app!();
    println!("stopping cache");
    std::future::pending::<()>().await;
}

#[lifespan::main(shutdown_timeout = "30s", second_signal_timeout = "1s")]
async fn main() -> Result<(), lifespan::Error> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode != "quiet-fail" {
        tracing_subscriber::fmt()
            .with_writer(std::io::stdout)
            .without_time()
            .init();
    }
    db(mode == "quiet-fail").enter().await?;
    worker().enter().await?;
    if mode == "hang" {
        cache().enter().await?;
    }
    println!("ready");
    if mode == "self-stop" {
        lifespan::request_shutdown();
    }
    yield_app!();
    Ok(())
}
