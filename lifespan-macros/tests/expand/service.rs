use lifespan::yield_app;

/// A service: every field of the runtime's configuration is written out.
#[lifespan::main(
    flavor = "multi_thread",
    worker_threads = 4,
    shutdown_timeout = "20s",
    second_signal_timeout = "2s"
)]
async fn main() -> anyhow::Result<()> {
    let pool = database(url()).enter().await?;
    lifespan::spawn("http-server", serve(pool));
    yield_app!();
    tracing::info!("draining");
    Ok(())
}

/// The defaults: `()` becomes an `ExitCode`, the deadline is the default 30s.
mod defaults {
    #[lifespan::main]
    async fn main() {
        lifespan::yield_app!();
    }
}
