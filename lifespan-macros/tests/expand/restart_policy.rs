use lifespan::{Restart, lifespan, yield_app};

/// A policy built in the attribute: any expression of type `Restart`, evaluated when
/// the fn is called, which may read its arguments.
#[lifespan(restart = Restart::always().delay(backoff).limit(3, Duration::from_secs(60)))]
async fn listener(dsn: String, backoff: Duration) -> Result<Listener, PgError> {
    let listener = Listener::connect(&dsn).await?;
    yield_app!(listener.clone());
    Ok(())
}
