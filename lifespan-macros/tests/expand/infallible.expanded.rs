/// No return type: yields `()`, with the yield as the tail.
fn marker(
    events: Events,
) -> impl ::lifespan::Lifespan<Value = (), Error = ::core::convert::Infallible> {
    let __lifespan = ::lifespan::__private::from_fn_typed::<
        (),
        (),
        _,
        _,
    >(
        "marker",
        move |__yielder| async move {
            #[allow(unused_imports)]
            use ::lifespan::Lifespan as _;
            events.push("started");
            lifespan::yield_app!(@ __lifespan __yielder);
        },
    );
    __lifespan
}
/// Any other type: yields it and cannot fail. Generated paths go through `crate`.
pub(crate) fn counter() -> impl my_app::runtime::Lifespan<
    Value = Arc<AtomicUsize>,
    Error = ::core::convert::Infallible,
> {
    let __lifespan = my_app::runtime::__private::from_fn_typed::<
        Arc<AtomicUsize>,
        (),
        _,
        _,
    >(
        "counter",
        move |__yielder| async move {
            #[allow(unused_imports)]
            use my_app::runtime::Lifespan as _;
            let count = Arc::new(AtomicUsize::new(0));
            yield_app!(@ __lifespan __yielder, count.clone(), Arc < AtomicUsize >);
            tracing::info!(count = count.load(Ordering::Relaxed), "stopped");
        },
    );
    __lifespan
}
