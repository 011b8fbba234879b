//! A service whose startup and shutdown each last until the test says so, for the test
//! that reads `EXTEND_TIMEOUT_USEC=` from a fake `NOTIFY_SOCKET`.
//!
//! `db`, under a `startup_timeout` of 10 s, enters `migrations`, under 60 s, which
//! prints `waiting to start` and waits for a line on stdin before it yields: db's limit
//! is the one that binds. Then `ready`. After SIGTERM, db's shutdown half prints
//! `waiting to stop` and waits for another line. The shutdown deadline is 10 s.
//!
//! Waiting on the test rather than sleeping makes each stage last exactly until the
//! test has seen what it waits for, on a machine however busy.

#![forbid(unsafe_code)]

use lifespan::{lifespan, yield_app};

/// Waits for the next line on stdin, on a blocking thread so that the runtime goes on;
/// returns at once if stdin is closed.
async fn next_line() {
    let read = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new()));
    let _ = read.await;
}

#[lifespan(startup_timeout = "60s")]
async fn migrations() {
    println!("waiting to start");
    next_line().await;
    yield_app!();
}

#[lifespan(startup_timeout = "10s")]
async fn db() -> Result<(), lifespan::Error> {
    migrations().enter().await?;
    yield_app!();
    println!("waiting to stop");
    next_line().await;
    println!("stopped db");
    Ok(())
}

#[lifespan::main(shutdown_timeout = "10s")]
async fn main() -> Result<(), lifespan::Error> {
    db().enter().await?;
    println!("ready");
    yield_app!();
    Ok(())
}
