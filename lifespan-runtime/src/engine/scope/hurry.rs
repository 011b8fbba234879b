//! Hurrying a teardown: what a second SIGINT or SIGTERM does under `#[lifespan::main]`.
//!
//! A hurried teardown still runs every shutdown half and hook, in the usual order; what
//! it skips is waiting on work that could go on for long: task groups abort their tasks
//! at their turn instead of waiting for them, and integrations that drain (the axum
//! server's drain delay and drain timeout) cut at once.

use std::future::Future;

use super::Scope;

impl Scope {
    /// Asks the whole app to hurry its shutdown, and requests the shutdown if nobody
    /// had. At its turn, each group of tasks is aborted instead of awaited: a task gets
    /// the one poll that tells it its turn has come, and is aborted if that does not
    /// finish it. The tasks fail with [`ErrorKind::Aborted`](crate::ErrorKind::Aborted),
    /// reported with the teardown's failures (an isolated task's, to its handle and the
    /// log only). [`hurry_requested`](Scope::hurry_requested) resolves for whatever waits
    /// on a drain, so that it stops waiting: `lifespan::axum` cuts its connections,
    /// `lifespan::process` kills its program without waiting out the grace period.
    /// Shutdown halves and hooks still run, in order, within the deadline.
    ///
    /// `#[lifespan::main]` calls it on the second SIGINT or SIGTERM, and then exits 130.
    /// Call it yourself for an operator's "stop now, but close the database properly";
    /// the exit code then follows the failures as usual, the aborted tasks among them.
    /// A lifespan started outside any scope is an app of its own, and is not hurried by
    /// the app whose code stops it.
    ///
    /// ```
    /// # use lifespan::{ErrorKind, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// // A task that would keep the teardown waiting for an hour.
    /// scope.spawn("exporter", tokio::time::sleep(std::time::Duration::from_secs(3600)));
    /// scope.request_hurry();
    /// let error = scope.shutdown().await.unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::Aborted);
    /// assert_eq!(error.name(), "exporter");
    /// # });
    /// ```
    pub fn request_hurry(&self) {
        self.request_shutdown();
        self.inner.app.hurry_token().cancel();
    }

    /// A future that resolves once the app's shutdown is hurried: for code that waits on
    /// a drain (open connections finishing, a queue emptying) and must stop waiting, cut
    /// what is left, and let the teardown go on.
    ///
    /// # Cancellation safety
    ///
    /// Cancel-safe: drop it and ask again.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Scope;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// let hurried = scope.hurry_requested();
    /// scope.request_hurry();
    /// // A drain that would take a minute stops waiting at once.
    /// tokio::select! {
    ///     () = tokio::time::sleep(Duration::from_secs(60)) => unreachable!(),
    ///     () = hurried => {}
    /// }
    /// # });
    /// ```
    pub fn hurry_requested(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        self.inner.app.hurry_token().clone().cancelled_owned()
    }

    /// Whether [`hurry_requested`](Scope::hurry_requested) would resolve at once.
    ///
    /// ```
    /// # use lifespan::Scope;
    /// let scope = Scope::new();
    /// assert!(!scope.is_hurry_requested());
    /// scope.request_hurry();
    /// assert!(scope.is_hurry_requested());
    /// assert!(scope.is_app_shutdown_requested());
    /// ```
    pub fn is_hurry_requested(&self) -> bool {
        self.inner.app.hurry_token().is_cancelled()
    }
}
