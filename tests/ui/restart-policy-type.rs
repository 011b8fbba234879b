// `restart = <expression>` takes a `lifespan::Restart`: a duration, or a policy of
// another crate, is refused where it is written.
use std::time::Duration;

use lifespan::{lifespan, yield_app};

#[lifespan(restart = Duration::from_secs(5))]
async fn flaky() {
    yield_app!();
}

fn main() {
    let _ = flaky();
}
