// A lifespan that restarts is made again from its arguments for each instance, so each
// argument is cloned: one that is not `Clone` is one error, at that argument.
use lifespan::{lifespan, yield_app};

pub struct Connection;

#[lifespan(restart = "on_failure")]
async fn listener(connection: Connection, port: u16) {
    let _ = (connection, port);
    yield_app!();
}

fn main() {
    let _ = listener(Connection, 8080);
}
