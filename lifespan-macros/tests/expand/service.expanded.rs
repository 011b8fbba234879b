use lifespan::yield_app;
/// A service: every field of the runtime's configuration is written out.
fn main() -> anyhow::Result<()> {
    #[diagnostic::on_unimplemented(
        message = "#[lifespan::main] cannot return `{Self}`: its error type needs `From<lifespan::Error>` and `Debug`",
        label = "write `anyhow::Result<()>`, `Result<(), lifespan::Error>` or `Result<(), Box<dyn std::error::Error + Send + Sync>>`",
        note = "or implement `From<lifespan::Error>` for your error type: a part that fails becomes your error"
    )]
    trait LifespanMainReturn: ::core::marker::Sized {
        fn run_main<F, Fut>(
            config: ::lifespan::__private::MainConfig,
            body: F,
            read_mark: fn(&Self) -> ::core::option::Option<bool>,
        ) -> Self
        where
            F: ::core::ops::FnOnce(::lifespan::__private::Yielder<()>) -> Fut,
            Fut: ::core::future::Future<Output = Self>;
    }
    #[diagnostic::do_not_recommend]
    impl<O: ::lifespan::__private::MainOutput<Exit = O>> LifespanMainReturn for O {
        fn run_main<F, Fut>(
            config: ::lifespan::__private::MainConfig,
            body: F,
            read_mark: fn(&Self) -> ::core::option::Option<bool>,
        ) -> Self
        where
            F: ::core::ops::FnOnce(::lifespan::__private::Yielder<()>) -> Fut,
            Fut: ::core::future::Future<Output = Self>,
        {
            ::lifespan::__private::run_main_with_mark::<
                O,
                F,
                Fut,
            >(config, body, read_mark)
        }
    }
    <anyhow::Result<
        (),
    > as LifespanMainReturn>::run_main(
        ::lifespan::__private::MainConfig {
            flavor: ::lifespan::__private::Flavor::MultiThread,
            worker_threads: ::core::option::Option::Some(4),
            startup_timeout: ::core::option::Option::None,
            shutdown_timeout: ::lifespan::__private::Duration::from_secs(20),
            second_signal_timeout: ::lifespan::__private::Duration::from_secs(2),
        },
        move |__yielder| async move {
            #[allow(unused_imports)]
            use ::lifespan::Lifespan as _;
            let pool = database(url()).enter().await?;
            lifespan::spawn("http-server", serve(pool));
            yield_app!(@ __lifespan __yielder);
            tracing::info!("draining");
            Ok(())
        },
        |output: &anyhow::Result<()>| {
            #[allow(unused_imports)]
            use ::lifespan::__private::config_mark::{
                Opaque as _, ThroughAsRef as _, ThroughError as _,
            };
            (&&&::lifespan::__private::config_mark::Probe(output)).config_mark()
        },
    )
}
/// The defaults: `()` becomes an `ExitCode`, the deadline is the default 30s.
mod defaults {
    fn main() -> ::std::process::ExitCode {
        ::lifespan::__private::run_main::<
            (),
            _,
            _,
        >(
            ::lifespan::__private::MainConfig {
                flavor: ::lifespan::__private::Flavor::MultiThread,
                worker_threads: ::core::option::Option::None,
                startup_timeout: ::core::option::Option::None,
                shutdown_timeout: ::lifespan::__private::DEFAULT_SHUTDOWN_TIMEOUT,
                second_signal_timeout: ::lifespan::__private::DEFAULT_SECOND_SIGNAL_TIMEOUT,
            },
            move |__yielder| async move {
                #[allow(unused_imports)]
                use ::lifespan::Lifespan as _;
                lifespan::yield_app!(@ __lifespan __yielder);
            },
        )
    }
}
