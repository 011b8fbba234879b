//! A service whose startup blocks its thread, for the startup watchdog's test: with
//! `startup_timeout` and `shutdown_timeout` both 300 ms, it must be ended by the
//! watchdog, naming what was still starting.

#![forbid(unsafe_code)]

use std::time::Duration;

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn blocker() {
    println!("blocking");
    std::thread::sleep(Duration::from_secs(60));
    yield_app!();
}

#[lifespan::main(
    flavor = "current_thread",
    startup_timeout = "300ms",
    shutdown_timeout = "300ms"
)]
async fn main() -> Result<(), lifespan::Error> {
    blocker().enter().await?;
    yield_app!();
    Ok(())
}
