use lifespan::{Restart, lifespan, yield_app};
/// A policy built in the attribute: any expression of type `Restart`, evaluated when
/// the fn is called, which may read its arguments.
fn listener(
    dsn: String,
    backoff: Duration,
) -> impl ::lifespan::Lifespan<
    Value = ::lifespan::Follow<Listener>,
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
        {
            let backoff = LifespanRestartArgument::clone_for_an_instance(&backoff);
            #[diagnostic::on_unimplemented(
                message = "`restart` takes a `lifespan::Restart`, and `{Self}` is not one",
                label = "not a `Restart`",
                note = "write a policy by name, `restart = \"on_failure\"`, or build one: `restart = Restart::on_failure().delay(Duration::from_secs(1))`"
            )]
            trait LifespanRestartPolicy {
                fn into_restart(self) -> ::lifespan::Restart;
            }
            impl LifespanRestartPolicy for ::lifespan::Restart {
                fn into_restart(self) -> ::lifespan::Restart {
                    self
                }
            }
            LifespanRestartPolicy::into_restart(
                Restart::always().delay(backoff).limit(3, Duration::from_secs(60)),
            )
        },
        move || {
            let dsn = LifespanRestartArgument::clone_for_an_instance(&dsn);
            #[allow(unused_variables)]
            let backoff = LifespanRestartArgument::clone_for_an_instance(&backoff);
            let __lifespan = ::lifespan::__private::from_fn_typed::<
                Listener,
                Result<(), PgError>,
                _,
                _,
            >(
                "listener",
                move |__yielder| async move {
                    #[allow(unused_imports)]
                    use ::lifespan::Lifespan as _;
                    let listener = Listener::connect(&dsn).await?;
                    yield_app!(@ __lifespan __yielder, listener.clone(), Listener);
                    Ok(())
                },
            );
            __lifespan
        },
    )
}
