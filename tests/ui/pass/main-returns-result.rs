//! `anyhow::Result<()>`: `?` on `enter` in the startup half, an empty shutdown half.
use lifespan::{lifespan, yield_app};

#[lifespan]
async fn database() -> std::io::Result<u32> {
    yield_app!(4);
}

#[lifespan::main]
async fn main() -> anyhow::Result<()> {
    let pool = database().enter().await?;
    assert_eq!(pool, 4);
    lifespan::request_shutdown();
    yield_app!();
}
