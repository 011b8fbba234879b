use lifespan::lifespan;

#[lifespan]
struct Database;

fn main() {}
