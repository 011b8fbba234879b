//! A service whose parts fail in the ways the exit-code table names; the first argument
//! picks one:
//!
//! - `keeps-failing`: a supervised task, `consumer`, fails at once every time; its
//!   policy allows 3 restarts within 10 s, 10 ms apart at first, so it gives up and
//!   brings the service down (exit 70);
//! - `backoff`: `consumer` fails once, then waits an hour before its restart; it
//!   prints `backing off` as it fails, so a signal can land in the backoff (exit 0);
//! - `misconfigured`: the `settings` part fails its startup with a `ConfigError`
//!   (exit 78);
//! - `unavailable`: the `settings` part fails its startup with a plain error (exit 69).
//!
//! Each instance of `consumer` prints `consumer attempt N`.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use lifespan::{ConfigError, Restart, lifespan, yield_app};

#[lifespan]
async fn settings(mode: &'static str) -> Result<u16, lifespan::BoxError> {
    let port = match mode {
        "misconfigured" => "eighty".parse::<u16>().map_err(ConfigError::new)?,
        "unavailable" => return Err("the settings service refused the connection".into()),
        _ => 8080,
    };
    yield_app!(port);
    Ok(())
}

#[lifespan::main(shutdown_timeout = "2s")]
async fn main() -> Result<(), lifespan::Error> {
    let mode: &'static str = std::env::args().nth(1).unwrap_or_default().leak();
    let _port = settings(mode).enter().await?;
    let policy = match mode {
        "backoff" => Restart::on_failure().delay(Duration::from_secs(3600)),
        _ => Restart::on_failure()
            .delay(Duration::from_millis(10))
            .limit(3, Duration::from_secs(10)),
    };
    let attempts = AtomicU32::new(0);
    drop(lifespan::spawn_supervised("consumer", policy, move || {
        let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
        println!("consumer attempt {attempt}");
        async move {
            if mode == "backoff" {
                println!("backing off");
            }
            Err::<(), _>(format!("broker gone ({attempt})"))
        }
    }));
    println!("ready");
    yield_app!();
    Ok(())
}
