//! `lifespan::process` forwards every line its program prints to `tracing`.
//!
//! A binary of its own: tracing caches whether a call site is wanted when the site is
//! first hit, and a thread-local subscriber installed while the other process tests hit
//! the same site on other threads can find it cached as unwanted. Alone here, the
//! subscriber is in place before any line is forwarded.

use std::time::Duration;

use lifespan::Lifespan;
use lifespan::process::Process;

const READY_LINE: &str = r"listening on (?<address>\S+)";

#[test]
fn every_line_goes_to_tracing_under_the_services_name() {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
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
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let running = Process::new("api", env!("CARGO_BIN_EXE_fake-service"))
                    .ready_timeout(Duration::from_secs(10))
                    .ready_on_line(READY_LINE)
                    .lifespan()
                    .start()
                    .await
                    .unwrap();
                running.stop().await.unwrap();
            });
    });
    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = output
        .lines()
        .find(|line| line.contains("listening on"))
        .unwrap_or_else(|| panic!("no forwarded line in:\n{output}"));
    assert!(line.contains("lifespan::process"), "{line}");
    assert!(
        line.contains("service=api") && line.contains("stream=\"stdout\""),
        "{line}"
    );
}
