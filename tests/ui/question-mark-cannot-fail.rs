// `?` where the body's output cannot take it: one error, at the first `?`, saying
// which return type can. A `?` in a closure, an async block or a nested fn has an
// output of its own, and is not reported.
use lifespan::{lifespan, yield_app};

struct Pool;

fn connect() -> Result<Pool, std::io::Error> {
    Ok(Pool)
}

#[lifespan]
async fn database() -> Pool {
    let check = || -> std::io::Result<()> { connect().map(drop) };
    let later = async { connect().map(drop) };
    fn nested() -> std::io::Result<Pool> {
        Ok(connect()?)
    }
    let pool = connect()?;
    drop((check, later, nested, connect()?));
    yield_app!(pool);
}

#[lifespan]
async fn warmup() {
    connect()?;
    yield_app!();
}

#[lifespan::main]
async fn main() {
    connect()?;
    yield_app!();
}

#[lifespan::test]
async fn pool_connects() {
    connect()?;
}
