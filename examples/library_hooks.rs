//! A library that ships lifecycle hooks, and an app that uses it.
//!
//! `metrics` is written as a crate would be: its own module with a public API. It
//! offers a lifespan for apps that want to own the exporter, and a plain `record`
//! function for code anywhere, which builds one shared client on first use and
//! registers its final flush as a shutdown hook of the scope it was first used in. The
//! app never calls a flush itself.
//!
//! ```text
//! cargo run --example library_hooks
//! ```

use std::time::Duration;

use lifespan::{lifespan, yield_app};

/// What a metrics library would publish.
mod metrics {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Duration;

    use lifespan::{lifespan, yield_app};

    /// Buffers counters and "sends" them (prints them) on flush.
    #[derive(Debug, Default)]
    pub struct Client {
        pending: Mutex<BTreeMap<&'static str, u64>>,
    }

    impl Client {
        /// Adds `by` to the counter `name`.
        pub fn count(&self, name: &'static str, by: u64) {
            *self.pending.lock().unwrap().entry(name).or_default() += by;
        }

        /// Sends what is buffered; returns how many counters were sent.
        pub async fn flush(&self, why: &str) -> usize {
            let sent = std::mem::take(&mut *self.pending.lock().unwrap());
            if !sent.is_empty() {
                println!("metrics: {why} flush: {sent:?}");
            }
            sent.len()
        }
    }

    static SHARED: OnceLock<Arc<Client>> = OnceLock::new();

    /// Counts `name` on the shared client. The first call builds the client and
    /// registers its final flush in the current scope, so it runs at shutdown, after
    /// everything registered later has stopped.
    ///
    /// # Panics
    ///
    /// Outside a lifespan scope, as `lifespan::on_shutdown` does.
    pub fn record(name: &'static str) {
        let client = SHARED.get_or_init(|| {
            let client = Arc::new(Client::default());
            let flushed = client.clone();
            lifespan::on_shutdown("metrics-final-flush", async move {
                flushed.flush("final").await;
            });
            client
        });
        client.count(name, 1);
    }

    /// For apps that own the exporter: flushes the shared client every `every` while
    /// the app runs. Enter it before the parts that record.
    #[lifespan(shutdown_timeout = "2s")]
    pub async fn exporter(every: Duration) {
        lifespan::spawn("metrics-exporter", async move {
            while lifespan::until_shutdown(tokio::time::sleep(every))
                .await
                .is_some()
            {
                if let Some(client) = SHARED.get() {
                    client.flush("periodic").await;
                }
            }
        });
        yield_app!();
    }
}

/// An app part that records as it starts and stops, knowing nothing of flushing.
#[lifespan]
async fn worker(name: &'static str) {
    metrics::record("worker.started");
    println!("{name}: started");
    yield_app!();
    metrics::record("worker.stopped");
    println!("{name}: stopped");
}

#[lifespan::main(shutdown_timeout = "5s")]
async fn main() -> Result<(), lifespan::Error> {
    // The first record builds the client and puts its final flush first in line to
    // be registered, so it runs last: after the workers have recorded their stops.
    metrics::record("app.started");
    metrics::exporter(Duration::from_millis(50)).enter().await?;
    worker("ingest").enter().await?;
    worker("render").enter().await?;
    lifespan::spawn("demo", async {
        for _ in 0..3 {
            metrics::record("request");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        lifespan::request_shutdown();
    });
    yield_app!();
    println!("main: shutting down");
    Ok(())
}
