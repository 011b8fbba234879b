use lifespan::{lifespan, yield_app};
/// A consumer that is restarted when a task below it fails; made again from clones of
/// its arguments each time, and handed out as a `Follow<Consumer>`.
pub fn consumer(
    url: String,
    group: Arc<str>,
) -> impl ::lifespan::Lifespan<
    Value = ::lifespan::Follow<Consumer>,
    Error = ::lifespan::Error,
> {
    #[diagnostic::on_unimplemented(
        message = "an argument of a lifespan that restarts is cloned for each instance, and `{Self}` is not `Clone`",
        label = "not `Clone`",
        note = "take it in an `Arc`, or derive `Clone` for it"
    )]
    trait LifespanRestartArgument: ::core::marker::Sized {
        fn clone_for_an_instance(&self) -> Self;
    }
    impl<T: ::core::clone::Clone> LifespanRestartArgument for T {
        fn clone_for_an_instance(&self) -> Self {
            ::core::clone::Clone::clone(self)
        }
    }
    ::lifespan::supervised(
        ::lifespan::Restart::on_failure(),
        move || {
            let mut url = LifespanRestartArgument::clone_for_an_instance(&url);
            let group = LifespanRestartArgument::clone_for_an_instance(&group);
            let __lifespan = ::lifespan::__private::from_fn_typed::<
                Consumer,
                Result<(), BrokerError>,
                _,
                _,
            >(
                "consumer",
                move |__yielder| async move {
                    #[allow(unused_imports)]
                    use ::lifespan::Lifespan as _;
                    url.push_str("/consume");
                    let consumer = Consumer::connect(&url, &group).await?;
                    yield_app!(@ __lifespan __yielder, consumer.clone(), Consumer);
                    consumer.close().await?;
                    Ok(())
                },
            );
            let __lifespan = ::lifespan::Lifespan::shutdown_timeout(
                __lifespan,
                ::lifespan::__private::Duration::from_secs(5),
            );
            __lifespan
        },
    )
}
