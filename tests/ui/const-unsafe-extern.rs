use lifespan::{lifespan, yield_app};

#[lifespan]
const async fn constant() {
    yield_app!();
}

#[lifespan]
async unsafe fn dangerous() {
    yield_app!();
}

#[lifespan]
async extern "C" fn foreign() {
    yield_app!();
}

fn main() {}
