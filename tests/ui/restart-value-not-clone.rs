// A lifespan that restarts hands its value out through a `Follow`, a clone per holder
// of the instance that runs now: a value that cannot be cloned is refused, naming the
// fix.
use lifespan::{from_fn, Restart};

pub struct Connection;

fn main() {
    let _listener = lifespan::supervised(Restart::on_failure(), || {
        from_fn("listener", |y| y.yield_app(Connection))
    });
}
