use lifespan::lifespan;

#[lifespan]
async fn database() -> Result<u32, std::io::Error> {
    Ok(())
}

fn main() {
    // The fn keeps its signature: callers raise no second error.
    let _ = database();
}
