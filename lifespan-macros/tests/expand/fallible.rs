use lifespan::{lifespan, yield_app};

/// The app's database pool.
#[lifespan(name = "db", startup_timeout = "10s", shutdown_timeout = "500ms")]
pub async fn database(url: String) -> Result<Pool, DbError> {
    let pool = Pool::connect(&url).await?;
    pool.execute("SELECT 1").await?;
    yield_app!(pool.clone());
    pool.close().await?;
    Ok(())
}
