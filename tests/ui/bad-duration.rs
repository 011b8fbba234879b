use lifespan::{lifespan, yield_app};

#[lifespan(startup_timeout = "10")]
async fn no_unit() {
    yield_app!();
}

#[lifespan(shutdown_timeout = "2h")]
async fn unknown_unit() {
    yield_app!();
}

#[lifespan(shutdown_timeout = "1.5s")]
async fn fraction() {
    yield_app!();
}

#[lifespan(shutdown_timeout = "999999999999999m")]
async fn forever() {
    yield_app!();
}

fn main() {}
