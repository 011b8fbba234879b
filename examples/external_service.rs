//! An external service as a lifespan: a child process that is "up" only once it
//! prints a line, gated with a startup timeout and stopped gracefully.
//!
//! The child is this same program run with `--child`, so the example needs nothing
//! installed: it prints a few startup lines, then `ready on ADDRESS` after a delay,
//! and answers TCP connections until SIGTERM.
//!
//! ```text
//! cargo run --example external_service            # starts it, uses it, stops it, exits 0
//! cargo run --example external_service -- --serve # keeps it running until ctrl-c
//! ```

use std::time::{Duration, Instant};

use lifespan::process::Process;
use lifespan::{Lifespan, yield_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[lifespan::main(shutdown_timeout = "15s")]
async fn main() -> Result<(), lifespan::Error> {
    if std::env::args().any(|arg| arg == "--child") {
        // The child is a lifespan service too: SIGTERM stops it gracefully.
        lifespan::spawn("backend-server", child());
    } else {
        parent().await?;
    }
    yield_app!();
    Ok(())
}

/// Starts the backend, waits for its ready line, uses it, and (unless `--serve`)
/// asks the service to stop.
async fn parent() -> Result<(), lifespan::Error> {
    // Shows the backend's own lines, forwarded under its name, and the final summary.
    // Colours only on a terminal: piped into a file or a log collector, plain text.
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let asked = Instant::now();
    let backend = Process::new("backend", std::env::current_exe().expect("this program"))
        .arg("--child")
        .ready_on_line(r"ready on (?<address>\S+)")
        .ready_timeout(Duration::from_secs(10))
        .grace(Duration::from_secs(5))
        .lifespan()
        .enter()
        .await?;
    let address = backend.address().expect("the ready line names an address");
    println!(
        "backend: pid {} ready on {address} after {:?}",
        backend.pid(),
        asked.elapsed()
    );
    lifespan::on_shutdown("goodbye", async {
        println!("main: stopping; the backend gets SIGTERM next");
    });
    lifespan::spawn("client", async move {
        let mut greeting = String::new();
        tokio::net::TcpStream::connect(address)
            .await?
            .read_to_string(&mut greeting)
            .await?;
        println!("client: backend said {:?}", greeting.trim_end());
        if !std::env::args().any(|arg| arg == "--serve") {
            lifespan::request_shutdown();
        }
        Ok::<(), std::io::Error>(())
    });
    Ok(())
}

/// The child: slow to start, then a greeting per connection until shutdown.
async fn child() -> std::io::Result<()> {
    println!("loading configuration");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("ready on {}", listener.local_addr()?);
    while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
        let (mut stream, _) = accepted?;
        stream.write_all(b"hello from the backend\n").await?;
    }
    Ok(())
}
