//! `return Err(..)` may fail startup; closures and async blocks have their own returns.
use lifespan::{lifespan, yield_app};

#[lifespan]
async fn checked(fail: bool) -> Result<u8, String> {
    if fail {
        return Err("refused".to_owned());
    }
    let pick = |n: u8| {
        if n > 1 {
            return n;
        }
        1
    };
    let later = async { return 2_u8 };
    yield_app!(pick(2) + later.await);
    Ok(())
}

#[lifespan(crate = "::lifespan", name = "aliased")]
pub(crate) async fn aliased() -> std::io::Result<()> {
    yield_app!(());
    return Ok(());
}

fn main() {
    let _ = checked(false);
    let _ = aliased();
}
