use lifespan::lifespan;

#[lifespan]
struct Database;

#[lifespan::main]
struct Service;

#[lifespan::test]
struct Check;

fn main() {}
