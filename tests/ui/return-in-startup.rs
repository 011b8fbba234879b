use lifespan::{lifespan, yield_app};

#[lifespan]
async fn early(skip: bool) -> Result<(), std::io::Error> {
    if skip {
        return Ok(());
    }
    yield_app!(());
    Ok(())
}

#[lifespan]
async fn bare(skip: bool) {
    if skip {
        return;
    }
    yield_app!();
}

fn main() {}
