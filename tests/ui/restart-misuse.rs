// `restart` takes one of three policies by name (as a string), or an expression, and a
// lifespan that restarts owns its arguments: it keeps them for every instance, so it
// cannot borrow them or `self`.
use lifespan::{lifespan, yield_app};

#[lifespan(restart = "sometimes")]
async fn flaky() {
    yield_app!();
}

#[lifespan(restart = always)]
async fn unquoted() {
    yield_app!();
}

#[lifespan(restart = "always")]
async fn borrowing(url: &str) {
    let _ = url;
    yield_app!();
}

#[lifespan(restart = "on_failure")]
async fn pair((host, port): (String, u16)) {
    let _ = (host, port);
    yield_app!();
}

pub struct Broker;

impl Broker {
    #[lifespan(restart = "on_failure")]
    async fn consumer(&self) {
        yield_app!();
    }
}

fn main() {
    let _ = (flaky(), unquoted(), borrowing("db"), pair((String::new(), 1)), Broker.consumer());
}
