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
use crate::socket::{Socket, Upgrade};

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
/// when the drain timeout passes, it is dropped. A connection handed to an upgrade (a
/// WebSocket) is followed until the upgrade lets go of its socket, and cut the same way.
pub(crate) async fn serve(stream: TcpStream, app: App, builder: Arc<auto::Builder<InScope>>) {
    let shared: Arc<Shared> = app.shared.clone();
    let (socket, upgrade) = Socket::new(stream);
    let app = App {
        upgrade: Some(upgrade.clone()),
        ..app
    };
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(socket), app)
        .into_owned();
    let mut ended = http(connection, &shared).await;
    if ended != Ended::Cut && upgrade.is_upgraded() {
        ended = upgraded(&upgrade, &shared).await;
        if ended == Ended::Cut {
            shared.stats.cut.fetch_add(1, Ordering::Relaxed);
        }
    }
    if ended != Ended::BeforeTheDrain {
        shared.stats.closed.fetch_add(1, Ordering::Relaxed);
    }
}

/// A connection as hyper serves it, HTTP/1 (upgradable) or HTTP/2.
type HttpConnection = auto::UpgradeableConnection<'static, TokioIo<Socket>, App, InScope>;

/// How a connection ended, for the drain's counts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ended {
    /// By itself, before the drain began: not the drain's doing.
    BeforeTheDrain,
    /// Once asked to, or by itself, during the drain.
    DuringTheDrain,
    /// At the drain timeout.
    Cut,
}

/// Serves HTTP on the connection until it ends, or hands its socket to an upgrade.
async fn http(connection: HttpConnection, shared: &Shared) -> Ended {
    tokio::pin!(connection);
    tokio::select! {
        biased;
        _ = connection.as_mut() => return Ended::BeforeTheDrain,
        () = shared.drain.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        biased;
        _ = connection.as_mut() => Ended::DuringTheDrain,
        () = shared.cut.cancelled() => Ended::Cut,
    }
}

/// Follows an upgraded connection until its upgrade lets go of the socket, or cuts it
/// at the drain timeout.
async fn upgraded(upgrade: &Upgrade, shared: &Shared) -> Ended {
    tokio::select! {
        biased;
        () = upgrade.released() => {
            return if shared.drain.is_cancelled() {
                Ended::DuringTheDrain
            } else {
                Ended::BeforeTheDrain
            };
        }
        () = shared.cut.cancelled() => {}
    }
    upgrade.cut();
    Ended::Cut
}
