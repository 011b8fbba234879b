//! A service that stops itself: `()` becomes a successful exit.
use lifespan::yield_app;

#[lifespan::main(flavor = "current_thread", shutdown_timeout = "5s")]
async fn main() {
    lifespan::request_shutdown();
    yield_app!();
}
