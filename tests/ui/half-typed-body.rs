// A body that does not parse yet still expands: rustc reports the syntax error where
// it is, and nothing else; callers still see a lifespan.
use lifespan::{Lifespan, lifespan, yield_app};

#[lifespan]
async fn database(url: String) -> Result<usize, std::io::Error> {
    let pool = url.len() +;
    yield_app!(pool);
    Ok(())
}

#[lifespan]
async fn cache() -> u32 {
    let size = match 1 { 1 => 2 3 };
}

fn main() {
    let _ = database(String::new()).named("database");
    let _ = cache().named("cache");
}
