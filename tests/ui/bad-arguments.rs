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

fn main() {}
