// Calling a lifespan runs nothing: dropping what it returns is a mistake, and the
// note says how to start it.
#![deny(unused_must_use)]

use lifespan::{lifespan, yield_app};

#[lifespan]
async fn cache() -> u32 {
    yield_app!(0);
}

/// A `#[must_use]` of the user's own is kept, beside the trait's.
#[lifespan]
#[must_use = "start the queue"]
async fn queue() {
    yield_app!();
}

fn main() {
    cache();
    queue();
}
