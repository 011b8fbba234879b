use lifespan::{lifespan, yield_app};

#[lifespan]
async fn port() -> Result<u16, std::io::Error> {
    let text = String::from("8080");
    yield_app!(text);
    Ok(())
}

fn main() {}
