//! The quickstart through a rolling restart, as issue 14 measured it: under a steady
//! load of kept-alive and new-connection clients on loopback, SIGTERM, and the clients
//! go on for 0.8 s (the time a load balancer takes to notice) with `DRAIN_DELAY=1500ms`.
//! Not one request may fail, and the service exits 0.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

/// `target/<profile>/examples/NAME`, next to this test's own binary in `deps/`.
fn example(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test binary has a path");
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

/// How many requests each client may send at most: the test is bounded even if the
/// service never stops.
const MOST: u64 = 20_000;

/// Sends `GET /` on `stream`; whether a 200 came back (and the connection may be kept).
fn get(stream: &mut BufReader<TcpStream>) -> std::io::Result<(bool, bool)> {
    stream
        .get_mut()
        .write_all(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")?;
    let mut line = String::new();
    if stream.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let ok = line.starts_with("HTTP/1.1 200");
    let (mut length, mut keep) = (0, true);
    loop {
        line.clear();
        stream.read_line(&mut line)?;
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if header == "connection: close" {
            keep = false;
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok((ok, keep))
}

fn connect(address: SocketAddr) -> std::io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(BufReader::new(stream))
}

/// A client that sends requests until `stop`, on one kept-alive connection (opening a
/// new one when the server asks to close) or on a new connection each time.
fn client(
    address: SocketAddr,
    keep_alive: bool,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let mut kept = None;
    for _ in 0..MOST {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let stream = match kept.take() {
            Some(stream) => Ok(stream),
            None => connect(address),
        };
        let outcome = stream.and_then(|mut stream| get(&mut stream).map(|done| (done, stream)));
        match outcome {
            Ok(((true, keep), stream)) => {
                served.fetch_add(1, Ordering::SeqCst);
                if keep_alive && keep {
                    kept = Some(stream);
                }
            }
            _ => {
                failed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

#[test]
fn sigterm_under_load_with_a_drain_delay_fails_no_request_and_exits_0() {
    let mut service = Command::new(example("quickstart"))
        .arg("--serve")
        .env("LISTEN", "127.0.0.1:0")
        .env("DRAIN_DELAY", "1500ms")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the quickstart runs; `cargo test --workspace` builds the examples");
    let mut stdout = BufReader::new(service.stdout.take().expect("piped"));
    let mut line = String::new();
    let address: SocketAddr = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "ended before serving"
        );
        if let Some(rest) = line.trim().strip_prefix("serving on http://") {
            break rest.split(';').next().unwrap().parse().unwrap();
        }
    };
    // Whatever it prints next is drained so that it never blocks on a full pipe.
    let printed = thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        rest
    });

    let (stop, served, failed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let clients: Vec<_> = [true, true, false, false]
        .into_iter()
        .map(|keep_alive| {
            let (stop, served, failed) = (stop.clone(), served.clone(), failed.clone());
            thread::spawn(move || client(address, keep_alive, stop, served, failed))
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    let before = served.load(Ordering::SeqCst);
    let status = Command::new("kill")
        .args(["-TERM", &service.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let exit = service.wait().unwrap();
    let printed = printed.join().unwrap();
    let (served, failed) = (served.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    assert!(
        before > 0 && served > before,
        "served {before}, then {served}"
    );
    assert_eq!(
        failed,
        0,
        "{failed} of {} requests failed\n{printed}",
        served + failed
    );
    assert_eq!(exit.code(), Some(0), "{printed}");
    assert!(printed.contains("no part failed"), "{printed}");
}
