use lifespan::{lifespan, yield_app};
#[allow(unused_variables)]
/// A mistake: the same fn, a stub body that type-checks, and the error.
fn database(url: String) -> impl ::lifespan::Lifespan<Value = Pool, Error = DbError> {
    yield_app!(@ __lifespan_unused);
    ::lifespan::__private::placeholder::<Pool, Result<(), DbError>>("database")
}
::core::compile_error! {
    "`yield_app!` must be a statement at the top level of the lifespan's body, not inside a block, `if`, `match`, loop, closure, async block or another macro: move it out, so that startup always reaches it exactly once"
}
