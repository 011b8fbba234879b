//! The drain sequence on real loopback sockets: readiness flips at once, the drain delay
//! still serves, in-flight requests finish with `Connection: close`, what ignores the
//! drain is cut at the drain timeout and counted.

mod common;

use common::{begin_shutdown, bounded, loopback, start};
use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::get;
use lifespan_axum::{Draining, Server, Stats};
use lifespan_runtime::{Lifespan, Scope};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// A response as the test reads it: status line, headers (lowercased names), body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A kept-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    async fn connect(address: SocketAddr) -> Client {
        let stream = TcpStream::connect(address).await.expect("connects");
        Client {
            reader: BufReader::new(stream),
        }
    }

    async fn get(&mut self, path: &str) -> std::io::Result<Answer> {
        self.send(path).await?;
        self.answer().await
    }

    async fn send(&mut self, path: &str) -> std::io::Result<()> {
        let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n");
        self.reader.get_mut().write_all(request.as_bytes()).await
    }

    async fn answer(&mut self) -> std::io::Result<Answer> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = line.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').unwrap_or((trimmed, ""));
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map_or(0, |(_, value)| value.parse().unwrap_or(0));
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).await?;
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Whether the server closed the connection (the next read ends).
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(Duration::from_secs(5), self.reader.read_to_end(&mut rest)).await,
            Ok(Ok(0))
        )
    }
}

/// A router with `/` (instant), `/slow` (announces itself on `arrived`, then answers
/// after 300 ms), `/stuck` (never answers) and `/readyz`.
fn router(arrived: mpsc::UnboundedSender<&'static str>) -> axum::Router {
    let slow = arrived.clone();
    axum::Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/slow",
            get(move || {
                let slow = slow.clone();
                async move {
                    let _ = slow.send("slow");
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "slow done"
                }
            }),
        )
        .route(
            "/stuck",
            get(move || {
                let stuck = arrived.clone();
                async move {
                    let _ = stuck.send("stuck");
                    std::future::pending::<&'static str>().await
                }
            }),
        )
        .route(
            "/panics",
            get(|| async { panic!("handler bug") as &'static str }),
        )
        .route(
            "/phase",
            get(|| async { format!("{:?}", lifespan_runtime::phase()) }),
        )
        .route("/readyz", get(lifespan_axum::readyz))
}

#[tokio::test]
async fn readiness_flips_at_once_and_the_drain_delay_still_serves_new_connections() {
    let (arrived, _) = mpsc::unbounded_channel();
    let (scope, serving) =
        start(Server::new(loopback(), router(arrived)).drain_delay(Duration::from_millis(500)))
            .await;
    let address = serving.local_addr();
    let mut client = Client::connect(address).await;
    let ready = client.get("/readyz").await.unwrap();
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));

    scope.request_shutdown();
    let teardown = begin_shutdown(&scope);
    // At once: not ready, while the listener still serves new connections.
    let not_ready = client.get("/readyz").await.unwrap();
    assert_eq!(
        (not_ready.status, not_ready.body.as_str()),
        (503, "stopping")
    );
    assert!(
        !serving.draining().is_draining(),
        "the drain delay is running"
    );
    let mut late = Client::connect(address).await;
    let served = late.get("/").await.unwrap();
    assert_eq!((served.status, served.body.as_str()), (200, "hello"));

    bounded(serving.draining().wait()).await;
    bounded(teardown).await.unwrap().unwrap();
    assert!(
        TcpStream::connect(address).await.is_err(),
        "the listener closed"
    );
}

#[tokio::test]
async fn a_request_in_flight_finishes_with_connection_close_and_is_counted() {
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let (scope, serving) = start(Server::new(loopback(), router(arrived))).await;
    let mut client = Client::connect(serving.local_addr()).await;
    assert_eq!(client.get("/").await.unwrap().status, 200);
    client.send("/slow").await.unwrap();
    assert_eq!(bounded(arrivals.recv()).await, Some("slow"));

    let teardown = begin_shutdown(&scope);
    let answer = bounded(client.answer()).await.unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "slow done"));
    assert_eq!(answer.header("connection"), Some("close"));
    assert!(
        client.closed().await,
        "the kept-alive connection was closed"
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
async fn a_request_that_ignores_the_drain_is_cut_at_the_drain_timeout_and_counted() {
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let (scope, serving) =
        start(Server::new(loopback(), router(arrived)).drain_timeout(Duration::from_millis(200)))
            .await;
    let mut client = Client::connect(serving.local_addr()).await;
    client.send("/stuck").await.unwrap();
    assert_eq!(bounded(arrivals.recv()).await, Some("stuck"));
    bounded(scope.shutdown()).await.unwrap();
    assert!(
        client.answer().await.is_err(),
        "the stuck request got no answer"
    );
    assert_eq!(
        serving.stats(),
        Stats {
            completed_while_draining: 0,
            closed: 1,
            cut: 1
        }
    );
}

/// A hurried shutdown (a second signal) skips what is left of the drain delay and the
/// drain timeout, both 30 s here: the stuck request is cut at once, and counted.
#[tokio::test]
async fn a_hurried_shutdown_skips_the_drain_delay_and_cuts_at_once() {
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let (scope, serving) = start(
        Server::new(loopback(), router(arrived))
            .drain_delay(Duration::from_secs(15))
            .drain_timeout(Duration::from_secs(30)),
    )
    .await;
    let mut client = Client::connect(serving.local_addr()).await;
    client.send("/stuck").await.unwrap();
    assert_eq!(bounded(arrivals.recv()).await, Some("stuck"));
    scope.request_shutdown();
    let teardown = begin_shutdown(&scope);
    let mut probe = Client::connect(serving.local_addr()).await;
    assert_eq!(probe.get("/readyz").await.unwrap().status, 503);
    assert!(!serving.draining().is_draining(), "in the drain delay");

    scope.request_hurry();
    bounded(teardown).await.unwrap().unwrap();
    assert!(client.answer().await.is_err(), "the stuck request was cut");
    assert_eq!(
        serving.stats(),
        Stats {
            completed_while_draining: 0,
            closed: 2,
            cut: 1
        }
    );
}

/// Hurried once the drain has begun, the server stops waiting for the drain timeout.
#[tokio::test]
async fn a_shutdown_hurried_during_the_drain_cuts_what_is_still_in_flight() {
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let (scope, serving) =
        start(Server::new(loopback(), router(arrived)).drain_timeout(Duration::from_secs(30)))
            .await;
    let mut client = Client::connect(serving.local_addr()).await;
    client.send("/stuck").await.unwrap();
    assert_eq!(bounded(arrivals.recv()).await, Some("stuck"));
    let teardown = begin_shutdown(&scope);
    bounded(serving.draining().wait()).await;

    scope.request_hurry();
    bounded(teardown).await.unwrap().unwrap();
    assert!(client.answer().await.is_err(), "the stuck request was cut");
    assert_eq!(serving.stats().cut, 1);
}

/// A client that sends half its headers and stalls is let go after the header read
/// timeout, when one is set; the server goes on serving others.
#[tokio::test]
async fn a_client_slower_than_the_header_read_timeout_is_disconnected() {
    let (arrived, _) = mpsc::unbounded_channel();
    let (scope, serving) = start(
        Server::new(loopback(), router(arrived)).header_read_timeout(Duration::from_millis(200)),
    )
    .await;
    let mut slow = TcpStream::connect(serving.local_addr()).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: te").await.unwrap();
    let began = tokio::time::Instant::now();
    let mut rest = Vec::new();
    let _ = bounded(slow.read_to_end(&mut rest)).await;
    assert!(
        began.elapsed() >= Duration::from_millis(150),
        "closed after {:?}, before the timeout",
        began.elapsed()
    );
    let mut client = Client::connect(serving.local_addr()).await;
    assert_eq!(client.get("/").await.unwrap().body, "hello");
    scope.shutdown().await.unwrap();
}

#[tokio::test]
async fn handlers_see_the_scope_and_a_panicking_handler_answers_500() {
    let (arrived, _) = mpsc::unbounded_channel();
    let (scope, serving) = start(Server::new(loopback(), router(arrived))).await;
    let mut client = Client::connect(serving.local_addr()).await;
    let phase = client.get("/phase").await.unwrap();
    assert_eq!((phase.status, phase.body.as_str()), (200, "Running"));
    let panicked = client.get("/panics").await.unwrap();
    assert_eq!(panicked.status, 500);
    let after = client.get("/").await.unwrap();
    assert_eq!(after.body, "hello", "the server and the connection went on");
    scope.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_long_lived_handler_hears_the_drain_and_says_goodbye() {
    async fn stream(draining: Draining) -> String {
        let before = draining.is_draining();
        draining.wait().await;
        format!(
            "goodbye (draining: {before} then {})",
            draining.is_draining()
        )
    }
    let app = axum::Router::new().route("/stream", get(stream));
    let scope = Scope::new();
    let serving = scope
        .enter(Server::new(loopback(), app).lifespan())
        .await
        .unwrap();
    assert_eq!(
        format!("{:?}", serving.draining()),
        "Draining { draining: false }"
    );
    let mut client = Client::connect(serving.local_addr()).await;
    client.send("/stream").await.unwrap();
    let teardown = begin_shutdown(&scope);
    let answer = bounded(client.answer()).await.unwrap();
    assert_eq!(answer.body, "goodbye (draining: false then true)");
    bounded(teardown).await.unwrap().unwrap();
    assert!(format!("{serving:?}").starts_with("Serving { address: 127.0.0.1:"));
}

#[tokio::test]
async fn a_listener_that_cannot_bind_fails_startup_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let scope = Scope::new();
    let error = scope
        .enter(Server::new(address, axum::Router::new()).lifespan())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "http");
    assert!(
        error
            .to_string()
            .contains(&format!("could not listen on {address}")),
        "{error}"
    );
    scope.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_drain_delay_the_deadline_would_cut_is_refused_at_startup() {
    let scope = Scope::with_shutdown_timeout(Duration::from_secs(2));
    let error = scope
        .enter(
            Server::new(loopback(), axum::Router::new())
                .drain_delay(Duration::from_secs(5))
                .lifespan(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "lifespan `http` failed during startup: the drain delay of 5s is not shorter than \
         the shutdown deadline of 2s, which would cut the drain before it began: lower the \
         drain delay or raise `shutdown_timeout`"
    );
    scope.shutdown().await.unwrap();
}

/// A drain delay and drain timeout that add up past the deadline start, with a warning
/// that names all three; ones that fit start quietly. On a paused clock, so that the
/// drain delays at shutdown take no time.
#[tokio::test(start_paused = true)]
async fn a_drain_longer_than_the_deadline_is_warned_about_at_startup() {
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .finish(),
    );
    let log = || String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();

    let scope = Scope::with_shutdown_timeout(Duration::from_secs(10));
    scope
        .enter(
            Server::new(loopback(), axum::Router::new())
                .drain_delay(Duration::from_secs(2))
                .drain_timeout(Duration::from_secs(8))
                .lifespan(),
        )
        .await
        .unwrap();
    assert!(!log().contains("exceed the shutdown deadline"), "{}", log());
    scope
        .enter(
            Server::new(loopback(), axum::Router::new())
                .named("slow-drain")
                .drain_delay(Duration::from_secs(2))
                .drain_timeout(Duration::from_millis(8_001))
                .lifespan(),
        )
        .await
        .unwrap();
    let warned = log();
    assert!(
        warned.contains(
            "the drain delay and the drain timeout together exceed the shutdown deadline"
        ) && warned.contains("drain_delay=2s drain_timeout=8.001s deadline=10s"),
        "{warned}"
    );
    scope.shutdown().await.unwrap();
}

/// A server stopped by its owner while the app goes on (its owner's `Running` stopped):
/// no app-wide request comes, and the drain begins at the server's own turn, without
/// waiting for a request that never comes.
#[tokio::test]
async fn a_server_stopped_by_its_owner_while_the_app_runs_drains_at_its_turn() {
    let (arrived, _) = mpsc::unbounded_channel();
    let owner = lifespan_runtime::from_fn("owner", move |y| async move {
        let serving = Server::new(loopback(), router(arrived))
            .lifespan()
            .enter()
            .await?;
        y.yield_app(serving.local_addr()).await;
        Ok::<(), lifespan_runtime::Error>(())
    });
    let root = Scope::new();
    let (report, reported) = tokio::sync::oneshot::channel();
    root.spawn("holder", async move {
        // Started inside the root: a part of this app, stopped by its holder alone.
        let running = owner.start().await.unwrap();
        let address = *running;
        let mut client = Client::connect(address).await;
        assert_eq!(client.get("/").await.unwrap().status, 200);
        drop(client); // a client that leaves on its own is cut by nobody
        let stopped = tokio::time::timeout(Duration::from_secs(5), running.stop()).await;
        let _ = report.send((
            matches!(stopped, Ok(Ok(()))),
            lifespan_runtime::is_app_shutdown_requested(),
            TcpStream::connect(address).await.is_err(),
        ));
    });
    let (stopped_in_time, app_asked, listener_closed) = bounded(reported).await.unwrap();
    assert!(stopped_in_time, "the drain began at the server's own turn");
    assert!(!app_asked, "only the owner stopped its part");
    assert!(listener_closed);
    root.shutdown().await.unwrap();
}

/// Under `#[lifespan::main]`, `/readyz` answers 503 `starting` until main's startup has
/// finished, then 200.
#[test]
fn readiness_says_starting_until_main_s_startup_has_finished() {
    let config = lifespan_runtime::__private::MainConfig {
        flavor: lifespan_runtime::__private::Flavor::CurrentThread,
        worker_threads: None,
        startup_timeout: None,
        shutdown_timeout: Duration::from_secs(5),
        second_signal_timeout: lifespan_runtime::__private::DEFAULT_SECOND_SIGNAL_TIMEOUT,
    };
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let _: (std::process::ExitCode, _) =
        lifespan_runtime::__private::run_main_in_process(config, move |yielder| async move {
            let app = axum::Router::new().route("/readyz", get(lifespan_axum::readyz));
            let serving = Server::new(loopback(), app)
                .lifespan()
                .enter()
                .await
                .unwrap();
            let mut client = Client::connect(serving.local_addr()).await;
            let starting = client.get("/readyz").await.unwrap();
            log.lock().unwrap().push((starting.status, starting.body));
            let check = log.clone();
            drop(lifespan_runtime::spawn("probe", async move {
                let mut client = client;
                let ready = client.get("/readyz").await.unwrap();
                check.lock().unwrap().push((ready.status, ready.body));
                lifespan_runtime::request_shutdown();
            }));
            yielder.yield_app(()).await;
        });
    assert_eq!(
        *seen.lock().unwrap(),
        [(503, "starting".to_owned()), (200, "ready".to_owned())]
    );
}

/// A part whose restart policy turns readiness off is down between its failure and its
/// restart: `/readyz` answers 503 `restarting` meanwhile.
#[tokio::test]
async fn readiness_is_off_while_a_part_that_asks_for_it_restarts() {
    let (arrived, _) = mpsc::unbounded_channel();
    let (scope, serving) = start(Server::new(loopback(), router(arrived))).await;
    let (fail, failed) = tokio::sync::oneshot::channel::<()>();
    let failed = std::sync::Mutex::new(Some(failed));
    let policy = lifespan_runtime::Restart::on_failure()
        .delay(Duration::from_secs(3600))
        .unready_while_down();
    scope.spawn_supervised("consumer", policy, move || {
        let failed = failed.lock().unwrap().take();
        async move {
            if let Some(failed) = failed {
                let _ = failed.await;
                return Err("broker gone");
            }
            Ok(())
        }
    });
    let mut client = Client::connect(serving.local_addr()).await;
    let ready = client.get("/readyz").await.unwrap();
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
    fail.send(()).unwrap();
    // The consumer fails and goes down as soon as it runs; wait for that, boundedly.
    for _ in 0..1000 {
        if !scope.is_ready() {
            break;
        }
        tokio::task::yield_now().await;
    }
    let restarting = client.get("/readyz").await.unwrap();
    assert_eq!(
        (restarting.status, restarting.body.as_str()),
        (503, "restarting")
    );
    scope.request_shutdown();
    bounded(scope.shutdown()).await.unwrap();
}
