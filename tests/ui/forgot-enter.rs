// Using what a lifespan fn returns as if it were the value: it is the lifespan, not
// started yet. rustc names it `impl Lifespan<Value = Pool, Error = ..>`, with the error
// type as the signature says it (`std::io::Result<T>` and `anyhow::Result<T>` included).
use lifespan::{lifespan, yield_app};

#[derive(Clone)]
pub struct Pool;

impl Pool {
    fn execute(&self) {}
}

#[lifespan]
async fn database(url: String) -> Result<Pool, String> {
    let _ = url;
    yield_app!(Pool);
    Ok(())
}

#[lifespan]
async fn replica() -> std::io::Result<Pool> {
    yield_app!(Pool);
    Ok(())
}

#[lifespan]
async fn cache() -> anyhow::Result<Pool> {
    yield_app!(Pool);
    Ok(())
}

fn serve(_pool: Pool) {}

fn main() {
    let pool = database(String::new());
    pool.execute();
    serve(database(String::new()));
    replica().execute();
    cache().execute();
}
