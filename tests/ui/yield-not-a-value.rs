use lifespan::{lifespan, yield_app};

#[lifespan]
async fn database() -> u32 {
    yield_app!(1 2);
}

fn main() {}
