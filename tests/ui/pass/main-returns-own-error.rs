//! `Result<(), E>` with an error of the crate's own that takes a `lifespan::Error`.
use lifespan::yield_app;

#[derive(Debug)]
enum AppError {
    #[allow(dead_code, reason = "read through Debug when main fails")]
    Lifespan(lifespan::Error),
}

impl From<lifespan::Error> for AppError {
    fn from(error: lifespan::Error) -> Self {
        AppError::Lifespan(error)
    }
}

#[lifespan::main]
async fn main() -> Result<(), AppError> {
    lifespan::request_shutdown();
    yield_app!();
    Ok(())
}
