//! A small service: config, a database, a background job and a TCP server, each a
//! lifespan or a task; it talks to itself, then shuts down in reverse order.
//!
//! ```text
//! cargo run --example quickstart            # runs, makes three requests, exits 0
//! cargo run --example quickstart -- --serve # serves until ctrl-c
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifespan::{Scope, lifespan, yield_app};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
struct Config {
    listen: String,
    job_every: Duration,
}

/// Reads the configuration. Infallible here; a real one would read the environment.
#[lifespan]
async fn config() -> Config {
    let config = Config {
        listen: "127.0.0.1:0".into(),
        job_every: Duration::from_millis(50),
    };
    yield_app!(config);
}

/// A toy key-value "database": checked at startup, flushed at shutdown.
#[derive(Clone, Default)]
struct Database(Arc<Mutex<HashMap<String, u64>>>);

impl Database {
    async fn ping(&self) -> std::io::Result<()> {
        Ok(()) // a real pool would run `SELECT 1` here, so that a bad URL fails fast
    }

    fn bump(&self, key: &str) -> u64 {
        let mut table = self.0.lock().unwrap();
        let count = table.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }
}

/// Opens the database and fails fast if it does not answer; flushes it at shutdown.
#[lifespan(startup_timeout = "5s", shutdown_timeout = "2s")]
async fn database() -> std::io::Result<Database> {
    let db = Database::default();
    db.ping().await?;
    yield_app!(db.clone());
    let rows = db.0.lock().unwrap().len();
    println!("database: flushed {rows} rows");
    Ok(())
}

/// A line server: answers each line with how often it has seen it. Its accept loop is a
/// task of the server's own scope, so it stops before the server's shutdown half.
#[lifespan]
async fn server(config: Config, db: Database) -> std::io::Result<String> {
    let listener = TcpListener::bind(&config.listen).await?;
    let address = listener.local_addr()?.to_string();
    lifespan::spawn("accept-loop", async move {
        let shutdown = lifespan::shutdown_requested();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok::<(), std::io::Error>(()),
                accepted = listener.accept() => {
                    let (stream, _) = accepted?;
                    lifespan::spawn_detached("connection", serve(stream, db.clone()));
                }
            }
        }
    });
    println!("server: listening on {address}");
    yield_app!(address);
    println!("server: stopped accepting");
    Ok(())
}

async fn serve(stream: TcpStream, db: Database) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let seen = db.bump(&line);
        write
            .write_all(format!("{line} seen {seen} time(s)\n").as_bytes())
            .await?;
    }
    Ok(())
}

async fn request(address: &str, line: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(format!("{line}\n").as_bytes()).await?;
    let mut answer = String::new();
    BufReader::new(&mut stream).read_line(&mut answer).await?;
    Ok(answer.trim_end().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let serve_forever = std::env::args().any(|arg| arg == "--serve");
    let app = Scope::with_shutdown_timeout(Duration::from_secs(10));

    let config = app.enter(config()).await?;
    let db = app.enter(database()).await?;
    let address = app.enter(server(config.clone(), db.clone())).await?;
    app.spawn("report-job", {
        let shutdown = app.shutdown_requested();
        let every = config.job_every;
        async move {
            tokio::pin!(shutdown);
            loop {
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        }
    });

    if serve_forever {
        println!("serving on {address}; ctrl-c to stop");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = app.shutdown_requested() => {}
        }
    } else {
        for line in ["hello", "hello", "lifespan"] {
            println!("client: {}", request(&address, line).await?);
        }
        app.request_shutdown();
    }

    app.shutdown().await?;
    println!("stopped cleanly");
    Ok(())
}
