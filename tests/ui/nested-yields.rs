use lifespan::{lifespan, yield_app};

#[lifespan]
async fn in_block() {
    {
        yield_app!();
    }
}

#[lifespan]
async fn in_if(ready: bool) {
    if ready {
        yield_app!();
    }
}

#[lifespan]
async fn in_match(mode: u8) {
    match mode {
        _ => yield_app!(),
    }
}

#[lifespan]
async fn in_loop() {
    loop {
        yield_app!();
    }
}

#[lifespan]
async fn in_closure() {
    let later = || yield_app!();
    yield_app!();
}

#[lifespan]
async fn in_async_block() {
    let later = async { yield_app!() };
    yield_app!();
}

#[lifespan]
async fn in_macro_arguments() {
    println!("{:?}", yield_app!());
}

fn main() {}
