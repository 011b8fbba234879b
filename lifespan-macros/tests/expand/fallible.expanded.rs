use lifespan::{lifespan, yield_app};
/// The app's database pool.
pub fn database(
    url: String,
) -> impl ::lifespan::Lifespan<Value = Pool, Error = DbError> {
    let __lifespan = ::lifespan::__private::from_fn_typed::<
        Pool,
        Result<(), DbError>,
        _,
        _,
    >(
        "db",
        move |__yielder| async move {
            #[allow(unused_imports)]
            use ::lifespan::Lifespan as _;
            let pool = Pool::connect(&url).await?;
            pool.execute("SELECT 1").await?;
            yield_app!(@ __lifespan __yielder, pool.clone(), Pool);
            pool.close().await?;
            Ok(())
        },
    );
    let __lifespan = ::lifespan::Lifespan::startup_timeout(
        __lifespan,
        ::lifespan::__private::Duration::from_secs(10),
    );
    let __lifespan = ::lifespan::Lifespan::shutdown_timeout(
        __lifespan,
        ::lifespan::__private::Duration::from_millis(500),
    );
    __lifespan
}
