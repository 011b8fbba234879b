//! The drain sequence seen by clients of the other protocols the server speaks, on real
//! loopback sockets: an HTTP/2 client (prior knowledge) sees its stream in flight
//! finish and then a GOAWAY; a WebSocket handler hears the drain and sends a close
//! frame, and one that ignores it is cut at the drain timeout. Every wait is bounded, so that a signal that never comes fails the test
//! instead of hanging it.

mod common;

use common::{begin_shutdown, bounded, loopback, start};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::http::{Request, Response, StatusCode, Version};
use axum::routing::get;
use futures_util::StreamExt;
use hyper::body::Incoming;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lifespan_axum::{Draining, Server, Stats};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite;
use tungstenite::protocol::frame::coding::CloseCode;

/// An HTTP/2 connection with prior knowledge (no upgrade, no ALPN): the handle that
/// sends requests, and the connection's own task, which ends when the connection does.
async fn http2_connect(
    address: SocketAddr,
) -> (http2::SendRequest<Body>, JoinHandle<hyper::Result<()>>) {
    let stream = TcpStream::connect(address).await.expect("connects");
    let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("the HTTP/2 handshake succeeds");
    (sender, tokio::spawn(connection))
}

/// A GET for `path`, with the scheme and authority HTTP/2 carries as pseudo-headers.
fn get_request(address: SocketAddr, path: &str) -> Request<Body> {
    Request::get(format!("http://{address}{path}"))
        .body(Body::empty())
        .unwrap()
}

async fn body_text(response: Response<Incoming>) -> String {
    let bytes = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX)
        .await
        .expect("the body arrives whole");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

#[tokio::test]
async fn http2_handlers_run_in_the_servers_scope() {
    let app = axum::Router::new().route(
        "/phase",
        get(|| async { format!("{:?}", lifespan_runtime::phase()) }),
    );
    let (scope, serving) = start(Server::new(loopback(), app)).await;
    let address = serving.local_addr();
    let (mut sender, connection) = http2_connect(address).await;

    let response = bounded(sender.send_request(get_request(address, "/phase")))
        .await
        .expect("answered");
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a handler that panicked?"
    );
    assert_eq!(bounded(body_text(response)).await, "Running");

    bounded(scope.shutdown()).await.unwrap();
    bounded(connection)
        .await
        .unwrap()
        .expect("an idle HTTP/2 connection is closed with a GOAWAY, not reset");
}

#[tokio::test]
async fn http2_a_stream_in_flight_finishes_then_the_client_gets_a_goaway() {
    // `/slow` announces its arrival, waits until the test lets it go (once the drain
    // has begun, so that it is certainly in flight during the drain), then works for
    // 300 ms more, long after the connection has been asked to finish.
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let app = axum::Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/slow",
            get({
                let release = release.clone();
                move || {
                    let (arrived, release) = (arrived.clone(), release.clone());
                    async move {
                        let _ = arrived.send(());
                        release.notified().await;
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        "slow done"
                    }
                }
            }),
        );
    let (scope, serving) = start(Server::new(loopback(), app)).await;
    let address = serving.local_addr();
    let (mut sender, connection) = http2_connect(address).await;
    let warm_up = bounded(sender.send_request(get_request(address, "/")))
        .await
        .expect("answered");
    assert_eq!(warm_up.version(), Version::HTTP_2);

    let in_flight = tokio::spawn(sender.send_request(get_request(address, "/slow")));
    assert_eq!(bounded(arrivals.recv()).await, Some(()));
    let teardown = begin_shutdown(&scope);
    bounded(serving.draining().wait()).await;
    release.notify_one();

    let response = bounded(in_flight)
        .await
        .unwrap()
        .expect("the stream in flight is answered, not refused or reset");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(bounded(body_text(response)).await, "slow done");

    // hyper's client connection ends without error only when the server said goodbye
    // with a GOAWAY (NO_ERROR); a connection that just closed would end with an error
    // ("connection closed because of a broken pipe").
    bounded(connection)
        .await
        .unwrap()
        .expect("the connection ends with a GOAWAY, not an error");
    assert!(sender.is_closed(), "the connection takes no new streams");
    assert!(
        bounded(sender.send_request(get_request(address, "/")))
            .await
            .is_err(),
        "a new request on the drained connection fails"
    );
    bounded(teardown).await.unwrap().unwrap();
    assert_eq!(
        serving.stats(),
        Stats {
            completed_while_draining: 1,
            closed: 1,
            cut: 0
        }
    );
}

#[tokio::test]
async fn http2_a_stream_that_ignores_the_drain_is_cut_at_the_drain_timeout() {
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/stuck",
        get(move || {
            let arrived = arrived.clone();
            async move {
                let _ = arrived.send(());
                std::future::pending::<&'static str>().await
            }
        }),
    );
    let (scope, serving) =
        start(Server::new(loopback(), app).drain_timeout(Duration::from_millis(200))).await;
    let address = serving.local_addr();
    let (mut sender, connection) = http2_connect(address).await;
    let in_flight = tokio::spawn(sender.send_request(get_request(address, "/stuck")));
    assert_eq!(bounded(arrivals.recv()).await, Some(()));

    let began = tokio::time::Instant::now();
    bounded(scope.shutdown()).await.unwrap();
    let took = began.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "the shutdown waited {took:?} for a stream past its 200 ms drain timeout"
    );
    assert!(
        bounded(in_flight).await.unwrap().is_err(),
        "the stuck stream got no answer"
    );
    let _ = bounded(connection).await;
    assert_eq!(
        serving.stats(),
        Stats {
            completed_while_draining: 0,
            closed: 1,
            cut: 1
        }
    );
}

#[tokio::test]
async fn a_websocket_handler_hears_the_drain_and_sends_a_close_frame() {
    async fn goodbye(upgrade: WebSocketUpgrade, draining: Draining) -> axum::response::Response {
        upgrade.on_upgrade(move |mut socket| async move {
            if socket.send(Message::Text("hello".into())).await.is_err() {
                return;
            }
            draining.wait().await;
            let close = CloseFrame {
                code: axum::extract::ws::close_code::AWAY,
                reason: "draining".into(),
            };
            let _ = socket.send(Message::Close(Some(close))).await;
            // The client's reply to the close, then the end of the stream.
            while let Some(Ok(_)) = socket.recv().await {}
        })
    }
    let app = axum::Router::new().route("/ws", get(goodbye));
    let (scope, serving) = start(Server::new(loopback(), app)).await;
    let (mut socket, _) = bounded(tokio_tungstenite::connect_async(format!(
        "ws://{}/ws",
        serving.local_addr()
    )))
    .await
    .expect("the upgrade succeeds");
    let hello = bounded(socket.next())
        .await
        .expect("open")
        .expect("a message");
    assert_eq!(hello, tungstenite::Message::text("hello"));

    let teardown = begin_shutdown(&scope);
    match bounded(socket.next()).await {
        Some(Ok(tungstenite::Message::Close(Some(frame)))) => {
            assert_eq!(frame.code, CloseCode::Away);
            assert_eq!(frame.reason.as_str(), "draining");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    // Reading on sends tungstenite's reply to the close; the server then ends the socket.
    assert!(
        bounded(socket.next()).await.is_none(),
        "the socket ends after the close handshake"
    );
    bounded(teardown).await.unwrap().unwrap();
    assert_eq!(
        serving.stats(),
        Stats {
            completed_while_draining: 0,
            closed: 1,
            cut: 0
        },
        "the socket closed by its handler counts as closed by the drain, not cut"
    );
}

/// hyper hands an upgraded connection's socket to axum's `on_upgrade`, which runs it on
/// a task of its own, outside the server: the server keeps a duplicate of the socket and
/// shuts it down at the drain timeout. The handler's task itself is not the server's to
/// end; its socket is.
#[tokio::test]
async fn a_websocket_that_ignores_the_drain_is_cut_at_the_drain_timeout() {
    async fn deaf(upgrade: WebSocketUpgrade) -> axum::response::Response {
        upgrade.on_upgrade(|mut socket| async move {
            if socket.send(Message::Text("hello".into())).await.is_err() {
                return;
            }
            // Ignores the drain: keeps the socket open for as long as it is polled.
            std::future::pending::<()>().await;
            drop(socket);
        })
    }
    let app = axum::Router::new().route("/ws", get(deaf));
    let (scope, serving) =
        start(Server::new(loopback(), app).drain_timeout(Duration::from_millis(200))).await;
    let (mut socket, _) = bounded(tokio_tungstenite::connect_async(format!(
        "ws://{}/ws",
        serving.local_addr()
    )))
    .await
    .expect("the upgrade succeeds");
    let hello = bounded(socket.next())
        .await
        .expect("open")
        .expect("a message");
    assert_eq!(hello, tungstenite::Message::text("hello"));

    let began = tokio::time::Instant::now();
    bounded(scope.shutdown()).await.unwrap();
    assert!(
        began.elapsed() >= Duration::from_millis(200),
        "the drain waited for the socket until its timeout: {:?}",
        began.elapsed()
    );
    // Cut: the stream ends, with an error or without, soon after the drain timeout.
    let after_the_cut = tokio::time::timeout(Duration::from_secs(2), socket.next()).await;
    assert!(
        matches!(after_the_cut, Ok(None | Some(Err(_)))),
        "the socket that ignored the drain is still open after the shutdown: {after_the_cut:?}"
    );
    assert_eq!(
        serving.stats(),
        Stats {
            completed_while_draining: 0,
            closed: 1,
            cut: 1
        },
        "the cut socket is counted"
    );
}
