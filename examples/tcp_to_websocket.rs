//! Three TCP listeners whose lines reach the WebSocket clients of an axum route, and a
//! forwarder that follows an upstream feed through its restarts.
//!
//! `listeners` is a lifespan that binds three ports and forwards every line it
//! receives to a broadcast channel; `web` is a lifespan that serves `/ws` with
//! `lifespan::axum`, where each client gets every line. `forwarder` reads an upstream
//! feed into the same channel; the upstream (a stand-in here) drops its first
//! connection, and the forwarder, spawned with a restart policy, connects again after
//! its backoff; the summary counts the restart. At shutdown the server drains:
//! each WebSocket handler hears it through `Draining` and closes its socket; then the
//! listeners stop accepting, every TCP connection is closed, and the example checks
//! that none is left open.
//!
//! ```text
//! cargo run --example tcp_to_websocket            # drives itself, then exits 0
//! cargo run --example tcp_to_websocket -- --serve # until ctrl-c: `nc 127.0.0.1 PORT`
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::StreamExt;
use lifespan::axum::{Draining, Server};
use lifespan::{Restart, lifespan, yield_app};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, oneshot, watch};

/// Open connections of one kind: zero again once everything has stopped.
#[derive(Clone)]
struct Open(Arc<watch::Sender<usize>>);

impl Open {
    fn new() -> Open {
        Open(Arc::new(watch::channel(0).0))
    }

    /// Counts a connection until the returned guard is dropped.
    fn track(&self) -> impl Drop + Send + 'static {
        struct Guard(Arc<watch::Sender<usize>>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.send_modify(|open| *open -= 1);
            }
        }
        self.0.send_modify(|open| *open += 1);
        Guard(self.0.clone())
    }

    fn count(&self) -> usize {
        *self.0.borrow()
    }

    /// Resolves once none is open.
    async fn all_closed(&self) {
        let _ = self.0.subscribe().wait_for(|open| *open == 0).await;
    }
}

/// Binds `count` TCP ports and forwards each line received on them to `lines`.
#[lifespan]
async fn listeners(
    count: usize,
    lines: broadcast::Sender<String>,
    open: Open,
) -> std::io::Result<Vec<SocketAddr>> {
    // Registered first, so it runs last: after the accept loops and their connections.
    lifespan::on_shutdown("report", async {
        println!("listeners: stopped accepting, connections closed");
    });
    let mut addresses = Vec::new();
    for _ in 0..count {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        addresses.push(address);
        lifespan::spawn(
            format!("accept {address}"),
            accept(listener, lines.clone(), open.clone()),
        );
    }
    println!("listeners: accepting on {addresses:?}");
    yield_app!(addresses);
    Ok(())
}

async fn accept(
    listener: TcpListener,
    lines: broadcast::Sender<String>,
    open: Open,
) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
        let (stream, _) = accepted?;
        lifespan::spawn(
            "tcp connection",
            forward_lines(stream, port, lines.clone(), open.clone()),
        );
    }
    Ok(())
}

/// Reads lines from one TCP client until it hangs up or its turn to stop comes.
async fn forward_lines(
    stream: TcpStream,
    port: u16,
    lines: broadcast::Sender<String>,
    open: Open,
) -> std::io::Result<()> {
    let _open = open.track();
    let mut reader = BufReader::new(stream).lines();
    while let Some(line) = lifespan::until_shutdown(reader.next_line()).await {
        let Some(line) = line? else { break };
        let _ = lines.send(format!("port {port}: {line}"));
    }
    Ok(())
}

/// A stand-in for the upstream feed the forwarder reads: each connection gets a line,
/// `tick N`. The first is then dropped, as an upstream that restarts drops its clients;
/// the others stay open until shutdown.
#[lifespan]
async fn upstream() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    lifespan::spawn("upstream accept", async move {
        let mut served = 0;
        while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
            let (mut stream, _) = accepted?;
            served += 1;
            stream
                .write_all(format!("tick {served}\n").as_bytes())
                .await?;
            if served > 1 {
                lifespan::spawn("upstream client", async move {
                    lifespan::shutdown_requested().await;
                    drop(stream);
                });
            }
        }
        Ok::<(), std::io::Error>(())
    });
    yield_app!(address);
    Ok(())
}

/// Reads the upstream feed into `lines`, counting what it forwarded in `forwarded`.
/// When the upstream drops the connection it fails, and its restart policy connects
/// again.
async fn forward_upstream(
    address: SocketAddr,
    lines: broadcast::Sender<String>,
    forwarded: Arc<watch::Sender<usize>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(TcpStream::connect(address).await?).lines();
    while let Some(line) = lifespan::until_shutdown(reader.next_line()).await {
        let Some(line) = line? else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "the upstream closed the connection",
            ));
        };
        println!("forwarder: upstream says {line}");
        let _ = lines.send(format!("upstream: {line}"));
        forwarded.send_modify(|count| *count += 1);
    }
    Ok(())
}

/// What the WebSocket route needs: the lines, and the connection count.
#[derive(Clone)]
struct Web {
    lines: broadcast::Sender<String>,
    open: Open,
}

/// Serves `/ws` with `lifespan::axum`; each WebSocket client receives every line until
/// the server drains.
#[lifespan]
async fn web(lines: broadcast::Sender<String>, open: Open) -> Result<SocketAddr, lifespan::Error> {
    // Registered before the server, so it runs after the server has drained: axum runs
    // upgraded sockets on tasks of its own, so wait here until each has closed.
    let closed = open.clone();
    lifespan::on_shutdown("websockets-closed", async move {
        closed.all_closed().await;
        println!("web: stopped, every WebSocket closed");
    });
    let app = axum::Router::new()
        .route("/ws", axum::routing::get(upgrade))
        .with_state(Web { lines, open });
    let serving = Server::new(([127, 0, 0, 1], 0).into(), app)
        .named("ws-server")
        .lifespan()
        .enter()
        .await?;
    let address = serving.local_addr();
    println!("web: serving ws://{address}/ws");
    yield_app!(address);
    Ok(())
}

async fn upgrade(
    request: WebSocketUpgrade,
    draining: Draining,
    State(web): State<Web>,
) -> Response {
    request.on_upgrade(move |socket| stream_lines(socket, web, draining))
}

/// Sends `hello`, then every line, until the client leaves or the server drains; then
/// closes the socket.
async fn stream_lines(mut socket: WebSocket, web: Web, draining: Draining) {
    let _open = web.open.track();
    let mut lines = web.lines.subscribe();
    let shutdown = draining.wait();
    tokio::pin!(shutdown);
    if socket.send(Message::Text("hello".into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            line = lines.recv() => match line {
                Ok(line) => if socket.send(Message::Text(line.into())).await.is_err() { return },
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            incoming = socket.recv() => if !matches!(incoming, Some(Ok(_))) { return },
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// A WebSocket client and three TCP clients: each TCP line arrives on the socket.
async fn drive(web: SocketAddr, tcp: Vec<SocketAddr>) -> Result<(), lifespan::BoxError> {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{web}/ws")).await?;
    let hello = socket.next().await.ok_or("no hello")??;
    assert_eq!(hello.to_text()?, "hello");
    for (index, address) in tcp.iter().enumerate() {
        let mut client = TcpStream::connect(address).await?;
        client
            .write_all(format!("line {} via tcp\n", index + 1).as_bytes())
            .await?;
        let received = socket.next().await.ok_or("socket closed")??;
        println!("ws client: {}", received.to_text()?);
    }
    lifespan::request_shutdown();
    while let Some(message) = socket.next().await {
        if message?.is_close() {
            println!("ws client: the server closed the socket");
            break;
        }
    }
    Ok(())
}

#[lifespan::main(shutdown_timeout = "10s")]
async fn main() -> Result<(), lifespan::Error> {
    // The forwarder's restart is a WARN; the summary at the end counts it.
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let (tcp_open, ws_open) = (Open::new(), Open::new());
    // Registered first, so it runs last: after every part has stopped.
    lifespan::on_shutdown("leak check", {
        let (tcp_open, ws_open) = (tcp_open.clone(), ws_open.clone());
        async move {
            println!(
                "open at exit: {} TCP, {} WebSocket",
                tcp_open.count(),
                ws_open.count()
            );
        }
    });
    // The demo client is spawned before the servers, so it stops after them: it sees
    // the WebSocket closed by the drain. It learns their addresses once they are up.
    let (addresses, up) = oneshot::channel();
    let serve = std::env::args().any(|arg| arg == "--serve");
    let forwarded = Arc::new(watch::channel(0).0);
    if !serve {
        let mut upstream_lines = forwarded.subscribe();
        lifespan::spawn("demo", async move {
            let (web, tcp) = up.await?;
            // Both upstream lines, the second after the forwarder's restart, before the
            // client subscribes: it then sees the TCP lines alone, in order.
            upstream_lines.wait_for(|count| *count >= 2).await?;
            drive(web, tcp).await
        });
    }
    let (lines, _) = broadcast::channel(64);
    let feed = upstream().enter().await?;
    let to_forward = lines.clone();
    let policy = Restart::on_failure().delay(std::time::Duration::from_millis(50));
    lifespan::spawn_supervised("forwarder", policy, move || {
        forward_upstream(feed, to_forward.clone(), forwarded.clone())
    });
    let tcp = listeners(3, lines.clone(), tcp_open).enter().await?;
    let address = web(lines, ws_open).enter().await?;
    let _ = addresses.send((address, tcp));
    if serve {
        println!("serving; ctrl-c to stop");
    }
    yield_app!();
    Ok(())
}
