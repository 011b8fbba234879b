// `#[lifespan::test]` on what cannot be a test, and with `#[lifespan]`'s arguments.

#[lifespan::test]
fn not_async() {}

#[lifespan::test]
async fn with_parameters(port: u16) {
    let _ = port;
}

#[lifespan::test]
#[tokio::test]
async fn twice() {}

#[lifespan::test(name = "x", startup_timeout = "1s")]
async fn arguments_of_lifespan() {}

#[lifespan::test(timeout = "1s")]
async fn renamed_argument() {}

#[lifespan::test]
const async fn constant() {}

#[lifespan::test]
async unsafe fn dangerous() {}

#[lifespan::test]
async extern "C" fn foreign() {}

#[lifespan::test]
async fn generic<T>() {}

fn main() {}
