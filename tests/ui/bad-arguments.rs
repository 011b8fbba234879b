use lifespan::{lifespan, yield_app};

#[lifespan(retries = 3)]
async fn unknown() {
    yield_app!();
}

#[lifespan(name = "a", name = "b")]
async fn duplicate() {
    yield_app!();
}

#[lifespan(name = 5)]
async fn malformed() {
    yield_app!();
}

#[lifespan(timeout = "5s")]
async fn renamed() {
    yield_app!();
}

// Independent mistakes in one attribute are reported together.
#[lifespan(retries = 3, name = 5, startup_timeout = "10", shutdown_timeout = "1s")]
async fn several() {
    yield_app!();
}

fn main() {}
