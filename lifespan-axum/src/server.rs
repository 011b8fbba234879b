//! [`Server`]: the builder, and the lifespan it makes.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hyper_util::server::conn::auto;
use lifespan_runtime::{Lifespan, Scope, from_fn};
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Draining;
use crate::connection::{InScope, serve};
use crate::service::App;

/// An axum server to enter as a lifespan: binds at startup, serves between the halves,
/// drains at shutdown (see the [crate docs](crate) for the sequence).
///
/// ```no_run
/// # use std::time::Duration;
/// # use lifespan::{axum::Server, Lifespan};
/// # async fn run() -> Result<(), lifespan::Error> {
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
/// let serving = Server::new("0.0.0.0:8080".parse().unwrap(), app)
///     .drain_delay(Duration::from_secs(5))
///     .drain_timeout(Duration::from_secs(20))
///     .lifespan()
///     .enter()
///     .await?;
/// # let _ = serving; Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    name: Cow<'static, str>,
    address: SocketAddr,
    router: axum::Router,
    drain_delay: Duration,
    drain_timeout: Duration,
    header_read_timeout: Option<Duration>,
}

/// What a started [`Server`] hands over: where it listens, how its drain went.
#[derive(Clone)]
pub struct Serving {
    address: SocketAddr,
    shared: Arc<Shared>,
}

/// What the drain did, counted as it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Requests that were in flight when the drain began, or arrived after, and
    /// completed.
    pub completed_while_draining: u64,
    /// Connections closed by the drain (asked to finish, or cut).
    pub closed: u64,
    /// Requests cut at the drain timeout, or whose connection went first, and
    /// WebSockets (upgraded connections) still open at the drain timeout.
    pub cut: u64,
}

/// What the server, its connections and its handlers share.
pub(crate) struct Shared {
    /// The server's scope: handlers' readiness reads the app's phase from it.
    pub(crate) scope: Scope,
    /// When the app's shutdown began, as this server saw it.
    began: OnceLock<Instant>,
    /// The drain began: the listener closes, connections are asked to finish.
    pub(crate) drain: CancellationToken,
    /// The drain timeout passed: connections still open are dropped.
    pub(crate) cut: CancellationToken,
    connections: TaskTracker,
    pub(crate) stats: Counters,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) completed_while_draining: AtomicU64,
    pub(crate) closed: AtomicU64,
    pub(crate) cut: AtomicU64,
}

impl Server {
    /// A server named `http` that will listen on `address` and serve `router`, with no
    /// drain delay and a drain timeout of 10 s.
    pub fn new(address: SocketAddr, router: axum::Router) -> Server {
        Server {
            name: Cow::Borrowed("http"),
            address,
            router,
            drain_delay: Duration::ZERO,
            drain_timeout: Duration::from_secs(10),
            header_read_timeout: None,
        }
    }

    /// The part's name, in logs and the summary (`http` by default).
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Server {
        self.name = name.into();
        self
    }

    /// How long after the app's shutdown begins the listener still accepts and serves
    /// as before, while load balancers notice the service is leaving (0 by default). On
    /// Kubernetes, a few seconds: the time the endpoints controller and kube-proxy take.
    /// It must be shorter than the app's shutdown deadline, or startup fails saying so.
    pub fn drain_delay(mut self, delay: Duration) -> Server {
        self.drain_delay = delay;
        self
    }

    /// How long requests in flight have to finish once the listener has closed; what
    /// still runs then is cut (10 s by default). Give the app's shutdown deadline room
    /// for the drain delay and this, or the deadline cuts a slow drain first (startup
    /// logs a warning when it would).
    pub fn drain_timeout(mut self, limit: Duration) -> Server {
        self.drain_timeout = limit;
        self
    }

    /// Closes an HTTP/1 connection whose client takes longer than `limit` to send a
    /// request's headers, a defence against clients that hold connections open by
    /// sending slowly. None by default, as with `axum::serve`: behind a load balancer or
    /// an ingress, the proxy already does this, and the timer costs every request
    /// (about 5% of a kept-alive request to an empty handler, see BENCHMARKS.md).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::axum::Server;
    /// let server = Server::new("0.0.0.0:8080".parse().unwrap(), axum::Router::new())
    ///     .header_read_timeout(Duration::from_secs(30));
    /// # drop(server);
    /// ```
    pub fn header_read_timeout(mut self, limit: Duration) -> Server {
        self.header_read_timeout = Some(limit);
        self
    }

    /// The server as a lifespan: its startup binds (a failure names the address), its
    /// value is a [`Serving`], its shutdown half drains.
    pub fn lifespan(
        self,
    ) -> impl Lifespan<Value = Serving, Error = std::io::Error> + Send + 'static {
        let Server {
            name,
            address,
            router,
            drain_delay,
            drain_timeout,
            header_read_timeout,
        } = self;
        from_fn(name, move |yielder| async move {
            if let Some(deadline) = Scope::current().shutdown_timeout() {
                if drain_delay >= deadline {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!(
                            "the drain delay of {drain_delay:?} is not shorter than the shutdown \
                             deadline of {deadline:?}, which would cut the drain before it \
                             began: lower the drain delay or raise `shutdown_timeout`"
                        ),
                    ));
                }
                if drain_delay + drain_timeout > deadline {
                    tracing::warn!(
                        ?drain_delay,
                        ?drain_timeout,
                        ?deadline,
                        "the drain delay and the drain timeout together exceed the shutdown \
                         deadline, which will cut a slow drain before its timeout"
                    );
                }
            }
            let listener = TcpListener::bind(address).await.map_err(|error| {
                std::io::Error::new(
                    error.kind(),
                    format!("could not listen on {address}: {error}"),
                )
            })?;
            let address = listener.local_addr()?;
            let scope = Scope::current();
            let shared = Arc::new(Shared {
                scope: scope.clone(),
                began: OnceLock::new(),
                drain: CancellationToken::new(),
                cut: CancellationToken::new(),
                connections: TaskTracker::new(),
                stats: Counters::default(),
            });
            let watcher = shared.clone();
            drop(lifespan_runtime::spawn_isolated(
                "shutdown-watch",
                // Ends at its own turn too: a server stopped while the app goes on (its
                // owner stopped it) hears no app-wide request.
                async move {
                    tokio::select! {
                        () = watcher.scope.app_shutdown_requested() => {
                            let _ = watcher.began.set(Instant::now());
                        }
                        () = lifespan_runtime::shutdown_requested() => {}
                    }
                },
            ));
            let app = App {
                router,
                shared: shared.clone(),
                upgrade: None,
            };
            drop(lifespan_runtime::spawn(
                "accept",
                accept(listener, app, scope, header_read_timeout),
            ));
            yield_app_then_drain(
                yielder,
                Serving { address, shared },
                drain_delay,
                drain_timeout,
            )
            .await;
            Ok(())
        })
    }
}

/// Hands `serving` over, then, at the server's turn: waits out what is left of the
/// drain delay, drains, and cuts what is still running at the drain timeout.
async fn yield_app_then_drain(
    yielder: lifespan_runtime::Yielder<Serving>,
    serving: Serving,
    drain_delay: Duration,
    drain_timeout: Duration,
) {
    let shared = serving.shared.clone();
    yielder.yield_app(serving).await;
    let began = *shared.began.get_or_init(Instant::now);
    // A hurried shutdown (a second signal) skips what is left of the delay and the
    // drain: connections are cut at once.
    let hurried = shared.scope.hurry_requested();
    tokio::pin!(hurried);
    let delay = tokio::time::sleep_until(began + drain_delay);
    let delayed = tokio::select! {
        () = delay => true,
        () = hurried.as_mut() => false,
    };
    shared.drain.cancel();
    shared.connections.close();
    let drained = delayed
        && tokio::select! {
            waited = tokio::time::timeout(drain_timeout, shared.connections.wait()) => waited.is_ok(),
            () = hurried => false,
        };
    if !drained {
        shared.cut.cancel();
        shared.connections.wait().await;
    }
    let stats = Stats::of(&shared);
    shared.scope.note(format!(
        "{} requests completed while draining, {} connections closed, {} cut",
        stats.completed_while_draining, stats.closed, stats.cut
    ));
    tracing::info!(
        completed_while_draining = stats.completed_while_draining,
        closed = stats.closed,
        cut = stats.cut,
        "drained"
    );
}

/// Accepts connections until the drain begins, each served on a task of the scope.
async fn accept(
    listener: TcpListener,
    app: App,
    scope: Scope,
    header_read_timeout: Option<Duration>,
) -> std::io::Result<()> {
    let streams = app.shared.connections.clone();
    let mut builder = auto::Builder::new(InScope { scope, streams });
    if let Some(limit) = header_read_timeout {
        builder
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limit);
    }
    let builder = Arc::new(builder);
    let shared = app.shared.clone();
    loop {
        let accepted = tokio::select! {
            biased;
            () = shared.drain.cancelled() => return Ok(()),
            // Its own turn: the server's startup failed after it began, and is rolled
            // back with no drain.
            () = lifespan_runtime::shutdown_requested() => return Ok(()),
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                let connection = serve(stream, app.clone(), builder.clone());
                let tracked = shared.connections.track_future(connection);
                drop(lifespan_runtime::spawn_isolated("connection", tracked));
            }
            // Out of file descriptors and the like: pause rather than spin.
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

impl Serving {
    /// The address the server listens on (the port the system chose, for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// "This server is draining", for code outside its handlers.
    pub fn draining(&self) -> Draining {
        Draining {
            shared: self.shared.clone(),
        }
    }

    /// What the drain has done so far.
    pub fn stats(&self) -> Stats {
        Stats::of(&self.shared)
    }
}

impl Stats {
    fn of(shared: &Shared) -> Stats {
        Stats {
            completed_while_draining: shared
                .stats
                .completed_while_draining
                .load(Ordering::Relaxed),
            closed: shared.stats.closed.load(Ordering::Relaxed),
            cut: shared.stats.cut.load(Ordering::Relaxed),
        }
    }
}

impl std::fmt::Debug for Serving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serving")
            .field("address", &self.address)
            .field("stats", &self.stats())
            .finish()
    }
}
