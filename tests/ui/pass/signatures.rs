// Every signature shape #[lifespan] accepts compiles, and keeps its visibility,
// lifetimes, generics, patterns and attributes.
#![deny(warnings)]

use std::sync::Arc;

use lifespan::{Lifespan, lifespan, yield_app};

pub mod visibility {
    use lifespan::{lifespan, yield_app};

    /// Public.
    #[lifespan]
    pub async fn public() {
        yield_app!();
    }

    /// Crate-visible.
    #[lifespan]
    pub(crate) async fn in_crate() {
        yield_app!();
    }
}

/// A borrowed argument whose lifetime the yielded value carries.
#[lifespan]
async fn borrowed<'a>(name: &'a str) -> &'a str {
    yield_app!(name);
}

/// Patterns and `mut` in the parameters, and an attribute kept on the fn.
#[lifespan]
#[allow(clippy::needless_pass_by_value)]
async fn patterns(mut count: u32, (low, high): (u32, u32)) -> u32 {
    count += low + high;
    yield_app!(count);
}

/// A generic with bounds in both places, and a const generic.
#[lifespan]
async fn generic<T: Clone + Send + 'static, const N: usize>(items: [T; N]) -> Vec<T>
where
    T: std::fmt::Debug,
{
    yield_app!(items.to_vec());
}

struct Service;

impl Service {
    /// An associated fn without a receiver.
    #[lifespan]
    async fn build() -> Service {
        yield_app!(Service);
    }

    /// `self: Arc<Self>`, moved into the lifespan.
    #[lifespan]
    async fn shared(self: Arc<Self>) -> Result<usize, std::io::Error> {
        yield_app!(Arc::strong_count(&self));
        Ok(())
    }
}

/// A crate that re-exports `lifespan` points generated paths at its re-export.
mod facade {
    pub use ::lifespan as runtime;
}

#[facade::runtime::lifespan(crate = "crate::facade::runtime")]
async fn through_a_reexport() -> facade::runtime::Error {
    let error = facade::runtime::enter(through_a_reexport_inner()).await.unwrap_err();
    facade::runtime::yield_app!(error);
}

#[facade::runtime::lifespan(crate = "crate::facade::runtime")]
async fn through_a_reexport_inner() {
    facade::runtime::yield_app!();
}

fn main() {
    let _ = visibility::public().named("public");
    let _ = visibility::in_crate();
    let _ = borrowed("name");
    let _ = patterns(1, (2, 3));
    let _ = generic([1_u8, 2, 3]);
    let _ = Service::build();
    let _ = Arc::new(Service).shared();
    let _ = through_a_reexport();
}
