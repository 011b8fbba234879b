use lifespan::yield_app;

async fn not_a_lifespan() {
    yield_app!(1);
}

fn main() {}
