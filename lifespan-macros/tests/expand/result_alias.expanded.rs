use lifespan::{lifespan, yield_app};
/// An alias whose last segment is `Result`: the error is read through it, and the
/// shutdown half, left empty, ends in `Ok(())`.
fn config(
    path: &'static str,
) -> impl ::lifespan::Lifespan<Value = String, Error = std::io::Error> {
    let __lifespan = ::lifespan::__private::from_fn_typed::<
        String,
        std::io::Result<()>,
        _,
        _,
    >(
        "config",
        move |__yielder| async move {
            #[allow(unused_imports)]
            use ::lifespan::Lifespan as _;
            let text = std::fs::read_to_string(path)?;
            yield_app!(@ __lifespan __yielder, text, String);
            ::core::result::Result::Ok(())
        },
    );
    __lifespan
}
