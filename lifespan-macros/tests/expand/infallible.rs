/// No return type: yields `()`, with the yield as the tail.
#[lifespan]
async fn marker(events: Events) {
    events.push("started");
    lifespan::yield_app!()
}

/// Any other type: yields it and cannot fail. Generated paths go through `crate`.
#[lifespan(crate = "my_app::runtime")]
pub(crate) async fn counter() -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    yield_app!(count.clone());
    tracing::info!(count = count.load(Ordering::Relaxed), "stopped");
}
