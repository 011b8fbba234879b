//! A small service under `#[lifespan::main]`: configuration, an embedded SQLite
//! database checked with `SELECT 1` at startup, one shared HTTP client, a periodic
//! background job, and an axum server with `/` and `/readyz`. Each is a lifespan or a
//! task; the service makes a few requests to itself, then shuts down in reverse order
//! and prints the timing summary.
//!
//! ```text
//! cargo run --example quickstart            # runs, talks to itself, exits 0
//! cargo run --example quickstart -- --serve # serves until ctrl-c
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use lifespan::{Phase, Scope, lifespan, yield_app};

type BoxError = lifespan::BoxError;

#[derive(Clone, Debug)]
struct Config {
    listen: SocketAddr,
    database: PathBuf,
    job_every: Duration,
}

/// Reads the configuration: `LISTEN` and `DATABASE`, with defaults that run anywhere.
#[lifespan]
async fn config() -> Result<Config, BoxError> {
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    let database = std::env::var_os("DATABASE").map_or_else(
        || std::env::temp_dir().join(format!("lifespan-quickstart-{}.db", std::process::id())),
        PathBuf::from,
    );
    yield_app!(Config {
        listen: listen.parse()?,
        database,
        job_every: Duration::from_millis(100),
    });
    Ok(())
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

/// What the routes need. Handlers run on axum's tasks, outside any lifespan scope, so
/// the scope is carried here for `/readyz`.
#[derive(Clone)]
struct App {
    db: Database,
    scope: Scope,
}

/// Serves `/` (records a visit) and `/readyz` (200 only while the service runs).
#[lifespan]
async fn server(listen: SocketAddr, db: Database) -> Result<SocketAddr, BoxError> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/", axum::routing::get(visit))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(App {
            db,
            scope: Scope::current(),
        });
    // The task's turn to stop comes right after this lifespan's shutdown half: then
    // it stops accepting and lets the requests in flight finish.
    lifespan::spawn("http", async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(lifespan::shutdown_requested())
            .await?;
        println!("server: stopped accepting, requests drained");
        Ok::<(), std::io::Error>(())
    });
    println!("server: listening on http://{address}");
    yield_app!(address);
    println!("server: stopping");
    Ok(())
}

async fn visit(State(app): State<App>) -> Result<String, StatusCode> {
    let visitor = app
        .db
        .call(|c| {
            c.execute("INSERT INTO visits DEFAULT VALUES", [])?;
            Ok(c.last_insert_rowid())
        })
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("hello, visitor #{visitor}"))
}

async fn readyz(State(app): State<App>) -> (StatusCode, String) {
    match app.scope.phase() {
        Phase::Running => (StatusCode::OK, "ready".into()),
        phase => (StatusCode::SERVICE_UNAVAILABLE, format!("{phase:?}")),
    }
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
    let address = server(config.listen, db.clone()).enter().await?;
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
