//! A service whose `main` enters a chain of nested lifespans, each entering the next
//! from its body, as deep as the first argument says (1,000 by default). It prints
//! `started N` once all have started, asks to shut down, and after teardown prints
//! `stopped N` if every level stopped, outermost first.

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use lifespan::{Lifespan, lifespan, yield_app};

type Stopped = Arc<Mutex<Vec<usize>>>;

#[lifespan]
async fn level(level: usize, levels: usize, stopped: Stopped) -> Result<(), lifespan::Error> {
    if level + 1 < levels {
        enter_next(level + 1, levels, stopped.clone()).await?;
    }
    yield_app!();
    stopped.lock().unwrap().push(level);
    Ok(())
}

fn enter_next(
    next: usize,
    levels: usize,
    stopped: Stopped,
) -> Pin<Box<dyn Future<Output = Result<(), lifespan::Error>> + Send>> {
    Box::pin(level(next, levels, stopped).enter())
}

#[lifespan::main]
async fn main() -> Result<(), lifespan::Error> {
    let levels: usize = std::env::args()
        .nth(1)
        .map_or(1_000, |levels| levels.parse().expect("a number of levels"));
    let stopped = Stopped::default();
    // Registered before the levels, so it runs after they have all stopped.
    let check = stopped.clone();
    lifespan::on_shutdown("check", async move {
        let stopped = check.lock().unwrap();
        if *stopped == (0..levels).collect::<Vec<_>>() {
            println!("stopped {levels}");
        }
    });
    level(0, levels, stopped).enter().await?;
    println!("started {levels}");
    lifespan::request_shutdown();
    yield_app!();
    Ok(())
}
