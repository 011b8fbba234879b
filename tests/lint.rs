//! The attributes' output under the lints a strict crate denies: a user's
//! `#![deny(..)]` must never trip on code they did not write. `cargo test` builds this
//! file under the rustc lints below, `cargo clippy --all-targets` under clippy's.

#![forbid(unsafe_code)]
#![deny(
    warnings,
    future_incompatible,
    nonstandard_style,
    rust_2018_idioms,
    rust_2024_compatibility,
    unused,
    explicit_outlives_requirements,
    let_underscore_drop,
    macro_use_extern_crate,
    meta_variable_misuse,
    missing_debug_implementations,
    missing_docs,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unit_bindings,
    unnameable_types,
    unreachable_pub,
    unused_import_braces,
    unused_lifetimes,
    unused_qualifications,
    unused_results,
    variant_size_differences
)]
#![deny(clippy::all, clippy::pedantic, clippy::nursery)]
#![allow(
    clippy::missing_errors_doc,
    reason = "the lifespans below are fixtures, not an API"
)]

use std::fmt;

use lifespan::{lifespan, yield_app};

/// A custom error, converted into by `?` in both halves.
#[derive(Debug)]
pub struct DbError;

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("database error")
    }
}

impl std::error::Error for DbError {}

/// Fallible with every argument.
#[lifespan(name = "db", startup_timeout = "10s", shutdown_timeout = "250ms")]
pub async fn database(size: u32) -> Result<u32, DbError> {
    let pool = Ok::<u32, DbError>(size)?;
    yield_app!(pool);
    Ok::<(), DbError>(())?;
    Ok(())
}

/// An alias ending in `Result`, with an empty shutdown half.
#[lifespan]
pub async fn config(text: &'static str) -> std::io::Result<String> {
    let text = text.to_owned();
    yield_app!(text);
}

/// Infallible, yielding `()` as the tail.
#[lifespan]
pub async fn marker() {
    yield_app!()
}

/// A service with a lifespan method.
#[derive(Debug)]
pub struct Service {
    prefix: &'static str,
}

impl Service {
    /// `&self`, generics, `impl Trait` and a where clause.
    #[lifespan]
    pub async fn worker<T>(&self, label: impl Into<String>, extra: T) -> String
    where
        T: fmt::Debug + Send + 'static,
    {
        let label = format!("{}{}{extra:?}", self.prefix, label.into());
        yield_app!(label);
    }
}

/// Every shape starts and stops, under `#[lifespan::test]`.
#[lifespan::test(shutdown_timeout = "1s")]
async fn every_shape_runs_under_denied_lints() -> Result<(), lifespan::Error> {
    assert_eq!(database(4).enter().await?, 4);
    assert_eq!(config("on").enter().await?, "on");
    marker().enter().await?;
    let service = Service { prefix: "svc-" };
    let worker = service.worker("a", 1_u8).start().await?;
    assert_eq!(*worker, "svc-a1");
    worker.stop().await
}

/// A service's `main` that returns a `Result`: the trait it declares for its return type
/// is under the same lints.
mod service {
    /// Enters a part, then serves until shutdown.
    #[lifespan::main(flavor = "current_thread", shutdown_timeout = "1s")]
    pub(super) async fn main() -> Result<(), lifespan::Error> {
        super::marker().enter().await?;
        lifespan::yield_app!();
        Ok(())
    }
}

/// Only compiled: running it would serve until a signal.
#[test]
fn a_service_main_compiles_under_denied_lints() {
    let _: fn() -> Result<(), lifespan::Error> = service::main;
}
