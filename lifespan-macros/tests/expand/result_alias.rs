use lifespan::{lifespan, yield_app};

/// An alias whose last segment is `Result`: the error is read through it, and the
/// shutdown half, left empty, ends in `Ok(())`.
#[lifespan]
async fn config(path: &'static str) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    yield_app!(text);
}
