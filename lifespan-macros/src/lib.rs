//! Procedural macros of the [`lifespan`](https://docs.rs/lifespan) crate.
//!
//! `#[lifespan]`, `#[lifespan::main]` and `#[lifespan::test]` arrive with the macro
//! milestone; until then lifespans are written with `lifespan::from_fn`.
#![forbid(unsafe_code)]
