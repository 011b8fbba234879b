//! A service whose `main` returns `anyhow::Result<()>` and reads its configuration
//! itself; the first argument picks what goes wrong:
//!
//! - `own`: main's own parse of the port fails, marked with `ConfigError` and passed
//!   on through anyhow (exit 78);
//! - `handled-then-own`: the `cache` part fails on its configuration, main goes on
//!   without it, then fails on its own, with an error that is not a configuration
//!   problem (exit 69).

#![forbid(unsafe_code)]

use lifespan::{ConfigError, lifespan, yield_app};

#[lifespan]
async fn cache() -> Result<(), lifespan::BoxError> {
    Err(ConfigError::new("CACHE_URL is not a url"))?;
    yield_app!(());
    Ok(())
}

#[lifespan::main(shutdown_timeout = "2s")]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "handled-then-own" {
        if let Err(error) = cache().enter().await {
            println!("without a cache: {error}");
        }
        anyhow::bail!("the database refused the connection");
    }
    let port: u16 = "eighty".parse().map_err(ConfigError::new)?;
    println!("port {port}");
    yield_app!();
    Ok(())
}
