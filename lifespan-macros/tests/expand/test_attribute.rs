/// A test with a root scope, torn down after the body.
#[lifespan::test(shutdown_timeout = "2s")]
async fn pool_answers() -> Result<(), DbError> {
    let pool = database("sqlite::memory:".into()).enter().await?;
    assert_eq!(pool.size(), 4);
    Ok(())
}
