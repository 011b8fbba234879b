use lifespan::{lifespan, yield_app};

#[lifespan]
fn database() -> u32 {
    yield_app!(1);
}

fn main() {}
