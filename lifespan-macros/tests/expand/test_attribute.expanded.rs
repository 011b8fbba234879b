#[::core::prelude::v1::test]
/// A test with a root scope, torn down after the body.
fn pool_answers() -> Result<(), DbError> {
    ::lifespan::__private::run_test::<
        Result<(), DbError>,
        _,
    >(
        ::core::option::Option::Some(::lifespan::__private::Duration::from_secs(2)),
        async move {
            #[allow(unused_imports)]
            use ::lifespan::Lifespan as _;
            let pool = database("sqlite::memory:".into()).enter().await?;
            assert_eq!(pool.size(), 4);
            Ok(())
        },
    )
}
