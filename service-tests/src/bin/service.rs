//! A service of three parts, `a`, `b` and `c`, started in order. Each prints its
//! events on stdout; the first argument picks what goes wrong:
//!
//! - `clean`: nothing;
//! - `fail-startup`: `c` fails its startup;
//! - `hang-async`: `c`'s shutdown half awaits forever;
//! - `hang-blocking`: `c`'s shutdown half blocks its thread for a minute;
//! - `task-blocking`: a task of `c`, `flusher`, blocks its thread for a minute once told
//!   to stop;
//! - `hook-blocking`: a shutdown hook of `c`, `deregister`, blocks its thread for a
//!   minute.
//!
//! The shutdown deadline is one second, and `second_signal_timeout` is zero: a second
//! signal exits at once, as it did before the ladder (`ladder.rs` has the ladder). The
//! whole startup has 4 s, which a fast startup never nears: systemd is asked for no more
//! time, and the startup watchdog lets the running service be.
//!
//! The crate denies what a strict user crate denies, so that `#[lifespan::main]`'s
//! output is checked against those lints too.

#![forbid(unsafe_code)]
#![deny(
    warnings,
    future_incompatible,
    rust_2018_idioms,
    unused,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    missing_debug_implementations
)]
#![deny(clippy::all, clippy::pedantic)]

use std::time::Duration;

use lifespan::{lifespan, yield_app};

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    FailStartup,
    HangAsync,
    HangBlocking,
    TaskBlocking,
    HookBlocking,
}

#[lifespan]
async fn part(name: &'static str, fault: Fault) -> std::io::Result<()> {
    if fault == Fault::FailStartup {
        return Err(std::io::Error::other(format!("{name} refused to start")));
    }
    if fault == Fault::TaskBlocking {
        drop(lifespan::spawn("flusher", async {
            lifespan::shutdown_requested().await;
            std::thread::sleep(Duration::from_secs(60));
        }));
    }
    if fault == Fault::HookBlocking {
        lifespan::on_shutdown("deregister", async {
            std::thread::sleep(Duration::from_secs(60));
        });
    }
    println!("started {name}");
    yield_app!(());
    println!("stopping {name}");
    match fault {
        Fault::HangAsync => std::future::pending::<()>().await,
        Fault::HangBlocking => std::thread::sleep(Duration::from_secs(60)),
        Fault::None | Fault::FailStartup | Fault::TaskBlocking | Fault::HookBlocking => {}
    }
    println!("stopped {name}");
    Ok(())
}

#[lifespan::main(
    startup_timeout = "4s",
    shutdown_timeout = "1s",
    second_signal_timeout = "0s"
)]
async fn main() -> Result<(), lifespan::Error> {
    let fault = match std::env::args().nth(1).as_deref() {
        Some("fail-startup") => Fault::FailStartup,
        Some("hang-async") => Fault::HangAsync,
        Some("hang-blocking") => Fault::HangBlocking,
        Some("task-blocking") => Fault::TaskBlocking,
        Some("hook-blocking") => Fault::HookBlocking,
        _ => Fault::None,
    };
    part("a", Fault::None).named("a").enter().await?;
    part("b", Fault::None).named("b").enter().await?;
    part("c", fault).named("c").enter().await?;
    println!("ready, phase {:?}", lifespan::phase());
    yield_app!();
    println!("main draining, phase {:?}", lifespan::phase());
    Ok(())
}
