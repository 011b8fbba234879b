use lifespan::{Lifespan, yield_app};
/// A service: every field of the runtime's configuration is written out.
fn main() -> anyhow::Result<()> {
    ::lifespan::__private::run_main::<
        anyhow::Result<()>,
        _,
        _,
    >(
        ::lifespan::__private::MainConfig {
            flavor: ::lifespan::__private::Flavor::MultiThread,
            worker_threads: ::core::option::Option::Some(4),
            startup_timeout: ::core::option::Option::None,
            shutdown_timeout: ::lifespan::__private::Duration::from_secs(20),
        },
        move |__yielder| async move {
            let pool = database(url()).enter().await?;
            lifespan::spawn("http-server", serve(pool));
            yield_app!(@ __lifespan __yielder);
            tracing::info!("draining");
            Ok(())
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
            },
            move |__yielder| async move {
                lifespan::yield_app!(@ __lifespan __yielder);
            },
        )
    }
}
