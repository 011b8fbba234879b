//! One accepted connection, served until it ends, or told to finish when the server
//! drains and cut when the drain timeout passes.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use lifespan_runtime::Scope;
use tokio::net::TcpStream;
use tokio_util::task::TaskTracker;

use crate::server::Shared;
use crate::service::App;

/// Runs hyper's HTTP/2 streams as tasks of the server's scope, so that handlers see
/// it current (`lifespan::phase()` works in them) and the teardown tracks them; the
/// drain waits for them with the connections, so that what they count is counted
/// before the drain reports.
#[derive(Clone)]
pub(crate) struct InScope {
    pub(crate) scope: Scope,
    pub(crate) streams: TaskTracker,
}

impl<F> hyper::rt::Executor<F> for InScope
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        let stream = self.streams.track_future(future);
        drop(self.scope.spawn_isolated("http2 stream", async move {
            stream.await;
        }));
    }
}

/// Serves `stream` with `app` until the connection ends. When the server drains, the
/// connection is asked to finish (`Connection: close` on HTTP/1, GOAWAY on HTTP/2);
/// when the drain timeout passes, it is dropped.
pub(crate) async fn serve(stream: TcpStream, app: App, builder: Arc<auto::Builder<InScope>>) {
    let shared: Arc<Shared> = app.shared.clone();
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), app)
        .into_owned();
    tokio::pin!(connection);
    tokio::select! {
        biased;
        _ = connection.as_mut() => return,
        () = shared.drain.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        biased;
        _ = connection.as_mut() => {}
        () = shared.cut.cancelled() => {}
    }
    shared.stats.closed.fetch_add(1, Ordering::Relaxed);
}
