// `main`'s error must convert from `lifespan::Error`: `std::io::Error` does not.
#[lifespan::main]
async fn main() -> std::io::Result<()> {
    lifespan::yield_app!();
    Ok(())
}
