//! A small service under `#[lifespan::main]`: configuration, an embedded SQLite
//! database checked with `SELECT 1` at startup, one shared HTTP client, a periodic
//! background job, and an axum server with `/` and `/readyz`, served by
//! `lifespan::axum` with its drain sequence. Each is a lifespan or a task; the service
//! makes a few requests to itself, then shuts down in reverse order and prints the
//! timing summary.
//!
//! ```text
//! cargo run --example quickstart            # runs, talks to itself, exits 0
//! LISTEN=127.0.0.1:8080 DRAIN_DELAY=1500ms cargo run --example quickstart -- --serve
//! ```
//!
//! With `--serve` it serves until SIGTERM or ctrl-c: `/readyz` turns 503 at once, the
//! listener keeps serving for `DRAIN_DELAY` (0 by default), then drains.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use lifespan::axum::Server;
use lifespan::{lifespan, yield_app};

type BoxError = lifespan::BoxError;

#[derive(Clone, Debug)]
struct Config {
    listen: SocketAddr,
    drain_delay: Duration,
    database: PathBuf,
    job_every: Duration,
}

/// Reads the configuration: `LISTEN`, `DRAIN_DELAY` (`1500ms`, `2s`) and `DATABASE`,
/// with defaults that run anywhere.
#[lifespan]
async fn config() -> Result<Config, BoxError> {
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    let drain_delay = match std::env::var("DRAIN_DELAY") {
        Ok(text) => duration(&text).ok_or(format!("DRAIN_DELAY={text:?}: write 1500ms or 2s"))?,
        Err(_) => Duration::ZERO,
    };
    let database = std::env::var_os("DATABASE").map_or_else(
        || std::env::temp_dir().join(format!("lifespan-quickstart-{}.db", std::process::id())),
        PathBuf::from,
    );
    yield_app!(Config {
        listen: listen.parse()?,
        drain_delay,
        database,
        job_every: Duration::from_millis(100),
    });
    Ok(())
}

/// `1500ms` or `2s`.
fn duration(text: &str) -> Option<Duration> {
    match text.strip_suffix("ms") {
        Some(millis) => millis.parse().ok().map(Duration::from_millis),
        None => text
            .strip_suffix('s')?
            .parse()
            .ok()
            .map(Duration::from_secs),
    }
}

/// An embedded SQLite database. Its calls block, so they run on tokio's blocking
/// threads; one connection behind a mutex is all this example needs.
#[derive(Clone)]
struct Database(Arc<Mutex<rusqlite::Connection>>);

impl Database {
    async fn call<T: Send + 'static>(
        &self,
        query: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, BoxError> {
        let connection = self.0.clone();
        let result = tokio::task::spawn_blocking(move || query(&connection.lock().unwrap()));
        Ok(result.await??)
    }
}

/// Opens the database and fails fast if it does not answer `SELECT 1`; at shutdown,
/// reports what it holds and removes its file.
#[lifespan(startup_timeout = "5s", shutdown_timeout = "2s")]
async fn database(path: PathBuf) -> Result<Database, BoxError> {
    let opened = path.clone();
    let connection =
        tokio::task::spawn_blocking(move || rusqlite::Connection::open(opened)).await??;
    let db = Database(Arc::new(Mutex::new(connection)));
    let one: i64 = db
        .call(|c| c.query_row("SELECT 1", [], |row| row.get(0)))
        .await?;
    assert_eq!(one, 1);
    db.call(|c| {
        c.execute(
            "CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY)",
            [],
        )
    })
    .await?;
    println!("database: {} answers SELECT 1", path.display());
    yield_app!(db.clone());
    let visits: i64 = db
        .call(|c| c.query_row("SELECT COUNT(*) FROM visits", [], |row| row.get(0)))
        .await?;
    drop(db);
    std::fs::remove_file(&path)?;
    println!("database: closed with {visits} visit(s) recorded, file removed");
    Ok(())
}

/// The app's one HTTP client: one connection pool for every outgoing request.
#[lifespan]
async fn http_client() -> Result<reqwest::Client, BoxError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    yield_app!(client);
    println!("http client: connection pool closed");
    Ok(())
}

/// `/`: records a visit. Handlers run in the server's scope, so they could call
/// `lifespan::phase()` too; `/readyz` is `lifespan::axum::readyz`.
async fn visit(State(db): State<Database>) -> Result<String, StatusCode> {
    let visitor = db
        .call(|c| {
            c.execute("INSERT INTO visits DEFAULT VALUES", [])?;
            Ok(c.last_insert_rowid())
        })
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("hello, visitor #{visitor}"))
}

/// Ticks until its turn to stop: a periodic background job.
async fn report_job(every: Duration, db: Database) -> Result<(), BoxError> {
    while lifespan::until_shutdown(tokio::time::sleep(every))
        .await
        .is_some()
    {
        db.call(|c| {
            c.query_row("SELECT COUNT(*) FROM visits", [], |row| {
                row.get::<_, i64>(0)
            })
        })
        .await?;
    }
    Ok(())
}

/// Calls the service the way a client and a load balancer would, then asks it to stop.
async fn self_test(client: reqwest::Client, address: SocketAddr) -> Result<(), BoxError> {
    // Like a load balancer, wait for readiness: it comes once main's startup is done.
    for _ in 0..100 {
        let ready = client
            .get(format!("http://{address}/readyz"))
            .send()
            .await?;
        if ready.status().is_success() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for path in ["/readyz", "/", "/"] {
        let response = client.get(format!("http://{address}{path}")).send().await?;
        println!(
            "client: GET {path} -> {} {}",
            response.status().as_u16(),
            response.text().await?
        );
    }
    lifespan::request_shutdown();
    Ok(())
}

#[lifespan::main(shutdown_timeout = "10s")]
async fn main() -> Result<(), BoxError> {
    // Lifecycle events, the forwarded output and the final summary, on stdout.
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let config = config().enter().await?;
    let db = database(config.database.clone()).enter().await?;
    let client = http_client().enter().await?;
    let app = axum::Router::new()
        .route("/", axum::routing::get(visit))
        .route("/readyz", axum::routing::get(lifespan::axum::readyz))
        .with_state(db.clone());
    // The drain sequence: /readyz turns 503 at SIGTERM, the listener keeps serving for
    // the drain delay, then closes and lets the requests in flight finish.
    let serving = Server::new(config.listen, app)
        .named("server")
        .drain_delay(config.drain_delay)
        .lifespan()
        .enter()
        .await?;
    let address = serving.local_addr();
    println!("server: listening on http://{address}");
    lifespan::spawn("report-job", report_job(config.job_every, db));
    if std::env::args().any(|arg| arg == "--serve") {
        println!("serving on http://{address}; ctrl-c to stop");
    } else {
        lifespan::spawn("self-test", self_test(client, address));
    }
    yield_app!();
    println!("main: shutting down");
    Ok(())
}
