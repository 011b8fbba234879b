// Only `()`, `ExitCode` and `Result<(), E>` with `E: From<lifespan::Error>` can be returned.
#[lifespan::main]
async fn main() -> u32 {
    lifespan::yield_app!();
    0
}
