//! A small service: config, a database, a background job and a TCP server, each a
//! lifespan or a task, under `#[lifespan::main]`; it talks to itself, then shuts down
//! in reverse order.
//!
//! ```text
//! cargo run --example quickstart            # runs, makes three requests, exits 0
//! cargo run --example quickstart -- --serve # serves until ctrl-c
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifespan::{Lifespan, lifespan, yield_app};
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

/// Ticks until shutdown is requested: a periodic background job.
async fn report_job(every: Duration) {
    let shutdown = lifespan::shutdown_requested();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

#[lifespan::main(shutdown_timeout = "10s")]
async fn main() -> Result<(), lifespan::Error> {
    let config = config().enter().await?;
    let db = database().enter().await?;
    let address = server(config.clone(), db).enter().await?;
    lifespan::spawn("report-job", report_job(config.job_every));
    if std::env::args().any(|arg| arg == "--serve") {
        println!("serving on {address}; ctrl-c to stop");
    } else {
        // Talks to itself, then asks the service to stop, as a signal would.
        lifespan::spawn("self-test", async move {
            for line in ["hello", "hello", "lifespan"] {
                println!("client: {}", request(&address, line).await?);
            }
            lifespan::request_shutdown();
            Ok::<(), std::io::Error>(())
        });
    }
    yield_app!();
    println!("main: shutting down");
    Ok(())
}
