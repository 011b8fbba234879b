use lifespan::{lifespan, yield_app};

/// A mistake: the same fn, a stub body that type-checks, and the error.
#[lifespan(shutdown_timeout = "5s")]
async fn database(url: String) -> Result<Pool, DbError> {
    let pool = Pool::connect(&url).await?;
    if pool.is_empty() {
        yield_app!(pool);
    }
    Ok(())
}
