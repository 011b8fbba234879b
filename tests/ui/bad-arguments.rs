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

#[lifespan(name)]
async fn no_value() {
    yield_app!();
}

#[lifespan(name = "a" "b")]
async fn two_values() {
    yield_app!();
}

#[lifespan("database")]
async fn no_key() {
    yield_app!();
}

#[lifespan(crate = "not a path")]
async fn bad_crate() {
    yield_app!();
}

// Independent mistakes in one attribute are reported together.
#[lifespan(retries = 3, name = 5, startup_timeout = "10", shutdown_timeout = "1s")]
async fn several() {
    yield_app!();
}

fn main() {}
