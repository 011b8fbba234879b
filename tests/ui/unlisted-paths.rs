// Only what the facade lists is public: the runtime's plumbing, the old root paths of
// the named futures and the trait behind `Running`'s default are out of reach.
use lifespan::private::run_main;
use lifespan::ErasedLifespan;
use lifespan::Start;
use lifespan::engine::Scope;

fn main() {}
