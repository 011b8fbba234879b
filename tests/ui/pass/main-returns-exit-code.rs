//! `ExitCode` is kept as written.
use std::process::ExitCode;

#[lifespan::main(worker_threads = 2, startup_timeout = "10s")]
async fn main() -> ExitCode {
    lifespan::request_shutdown();
    lifespan::yield_app!();
    ExitCode::SUCCESS
}
