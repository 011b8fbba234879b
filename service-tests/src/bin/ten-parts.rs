//! A service of ten instant parts, for the SIGTERM-to-exit benchmark: it prints
//! `ready` once all ten have started, then serves until a signal.

#![forbid(unsafe_code)]

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn part() {
    yield_app!();
}

#[lifespan::main(flavor = "current_thread")]
async fn main() -> Result<(), lifespan::Error> {
    for _ in 0..10 {
        part().enter().await?;
    }
    println!("ready");
    yield_app!();
    Ok(())
}
