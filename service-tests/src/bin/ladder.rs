//! A service for the signal ladder: a long shutdown deadline (30 s) and a short
//! `second_signal_timeout` (1 s), so that what a second signal does is seen apart from
//! the deadline. Entered in order:
//!
//! - `db`, whose shutdown half takes 200 ms and prints `stopped db`: the resource a
//!   hurried shutdown must still close;
//! - `worker`, with a task `consumer` that ignores every shutdown request, so that the
//!   teardown waits on it until the deadline unless hurried;
//! - with the argument `hang`, `cache`, whose shutdown half awaits forever.
//!
//! Prints `started NAME`, `ready`, `stopping NAME` and `stopped NAME` on stdout; the
//! summary goes to stderr.

#![forbid(unsafe_code)]

use std::time::Duration;

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn db() {
    println!("started db");
    yield_app!();
    println!("stopping db");
    tokio::time::sleep(Duration::from_millis(200)).await;
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
async fn cache() {
    println!("started cache");
    yield_app!();
    println!("stopping cache");
    std::future::pending::<()>().await;
}

#[lifespan::main(shutdown_timeout = "30s", second_signal_timeout = "1s")]
async fn main() -> Result<(), lifespan::Error> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    db().enter().await?;
    worker().enter().await?;
    if std::env::args().nth(1).as_deref() == Some("hang") {
        cache().enter().await?;
    }
    println!("ready");
    yield_app!();
    Ok(())
}
