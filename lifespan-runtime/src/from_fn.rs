//! [`from_fn`]: a lifespan from a closure that receives a [`Yielder`].

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::config::Config;
use crate::engine::scope::{InScope, in_scope};
use crate::engine::{Body, Scope, Started, Stoppable};
use crate::error::BoxError;
use crate::lifespan::Lifespan;
use crate::outcome::Outcome;
use crate::sync::lock;
use crate::yielder::{Slot, Yielder};

/// Writes a lifespan without the macro: `body` receives a [`Yielder`] and returns the
/// future of the whole lifespan. Everything before `yielder.yield_app(value).await` is
/// the startup half, everything after it the shutdown half, and the locals are shared
/// by both. `#[lifespan]` expands to this.
///
/// The body returns `()` when it cannot fail, or `Result<(), E>` with any error that
/// converts into a [`BoxError`]. Nothing runs until the lifespan is started.
///
/// # Examples
///
/// ```
/// use lifespan::{from_fn, Lifespan, Scope};
///
/// #[derive(Clone)]
/// struct Pool;
/// impl Pool {
///     async fn connect(_url: &str) -> std::io::Result<Pool> { Ok(Pool) }
///     async fn close(&self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// fn database(url: String) -> impl Lifespan<Value = Pool, Error = std::io::Error> {
///     from_fn("database", move |yielder| async move {
///         let pool = Pool::connect(&url).await?;   // startup half
///         yielder.yield_app(pool.clone()).await;   // the app runs here
///         pool.close().await?;                     // shutdown half
///         Ok(())
///     })
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scope = Scope::new();
/// let _pool: Pool = scope.enter(database("sqlite::memory:".into())).await?;
/// scope.shutdown().await?;
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "a lifespan does nothing until it is started: write `.enter().await?` to run it in the current scope, or `.start().await` to run it on its own"]
pub fn from_fn<T, F, Fut>(name: impl Into<Cow<'static, str>>, body: F) -> FromFn<T, F, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    FromFn {
        config: Config::new(name.into()),
        init: Some(body),
        slot: None,
        body: None,
    }
}

pin_project! {
    /// A lifespan written with [`from_fn`]. Start it with [`Lifespan::start`] or
    /// [`Lifespan::enter`].
    ///
    /// It is `Send` exactly when its body future, its closure and its value are, so
    /// `enter` accepts it whenever the body could be spawned on a multi-threaded runtime.
    ///
    /// ```
    /// use lifespan::from_fn;
    ///
    /// fn is_send<T: Send>(_: &T) {}
    /// let portable = from_fn("portable", |y| y.yield_app(1));
    /// is_send(&portable);
    /// let local = from_fn("local", |y| y.yield_app(std::rc::Rc::new(1)));
    /// // is_send(&local); // does not compile: the value is an `Rc`
    /// # let _ = local;
    /// ```
    pub struct FromFn<T, F, Fut> {
        config: Config,
        init: Option<F>,
        slot: Option<Slot<T>>,
        #[pin]
        body: Option<InScope<Unfolding<F, T, Fut>>>,
    }
}

pin_project! {
    /// The body's future, made from the closure on its first poll: whatever the closure
    /// runs before its `async` block runs in the lifespan's scope too, with no second
    /// scope set up around it.
    #[project = UnfoldingProjection]
    enum Unfolding<F, T, Fut> {
        Unmade { init: Option<(F, Yielder<T>)> },
        Made { #[pin] future: Fut },
    }
}

impl<F, T, Fut> Future for Unfolding<F, T, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future,
{
    type Output = Fut::Output;

    // Inlined even in debug builds: this frame is stacked once per nested startup.
    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        if let UnfoldingProjection::Unmade { .. } = self.as_mut().project() {
            self.as_mut().make();
        }
        match self.project() {
            UnfoldingProjection::Made { future } => future.poll(cx),
            UnfoldingProjection::Unmade { .. } => unreachable!("made just above"),
        }
    }
}

impl<F, T, Fut> Unfolding<F, T, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
{
    /// Runs the closure. Out of line, so that the future it returns is built in this
    /// frame, not in the frame of every poll, which nested startups stack.
    #[inline(never)]
    fn make(mut self: Pin<&mut Self>) {
        let UnfoldingProjection::Unmade { init } = self.as_mut().project() else {
            unreachable!("made once")
        };
        let (init, yielder) = init.take().expect("the closure runs once");
        self.set(Unfolding::Made {
            future: init(yielder),
        });
    }
}

impl<T, F, Fut> std::fmt::Debug for FromFn<T, F, Fut> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FromFn")
            .field("config", &self.config)
            .field("started", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

impl<T, F, Fut> Stoppable for FromFn<T, F, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    fn __config(&self) -> &Config {
        &self.config
    }

    fn __poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let body = self.project().body.as_pin_mut();
        let body = body.expect("the shutdown half runs after the startup half");
        body.poll(cx)
            .map(|outcome| outcome.into_result().map_err(Into::into))
    }
}

impl<T, F, Fut> Lifespan for FromFn<T, F, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    type Value = T;
    type Error = <Fut::Output as Outcome>::Error;
}

impl<T, F, Fut> Body for FromFn<T, F, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    type Yielded = T;
    type Failure = <Fut::Output as Outcome>::Error;

    fn __config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    // Out of line: the body is built here, not in the frame of the startup's poll.
    #[inline(never)]
    fn __begin(self: Pin<&mut Self>, scope: Scope) {
        let mut this = self.project();
        let init = this
            .init
            .take()
            .expect("a lifespan is started at most once");
        let (yielder, slot) = Yielder::new();
        *this.slot = Some(slot);
        let body = Unfolding::Unmade {
            init: Some((init, yielder)),
        };
        this.body.set(Some(in_scope(scope, body)));
    }

    fn __cancel(self: Pin<&mut Self>) {
        self.project().body.set(None);
    }

    // One level of a nested startup polls through here: the yielded value and the
    // outcome are read out of line, so that only the body's poll is on the path.
    #[inline(always)]
    fn __poll_start(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Started<T, <Fut::Output as Outcome>::Error>> {
        let this = self.project();
        let Some(body) = this.body.as_pin_mut() else {
            unreachable!("`__begin` runs before the first poll")
        };
        match body.poll(cx) {
            Poll::Pending => take_yielded(this.slot),
            Poll::Ready(outcome) => returned(outcome),
        }
    }
}

/// The value, if the body has just yielded it.
#[inline(never)]
fn take_yielded<T, E>(slot: &Option<Slot<T>>) -> Poll<Started<T, E>> {
    let slot = slot.as_ref().expect("`__begin` sets the slot");
    match lock(slot).take() {
        Some(value) => Poll::Ready(Started::Yielded(value)),
        None => Poll::Pending,
    }
}

/// The body returned before its yield point.
#[inline(never)]
fn returned<T, O: Outcome>(outcome: O) -> Poll<Started<T, O::Error>> {
    Poll::Ready(Started::Returned(outcome.into_result()))
}
