//! Every example runs to completion, exits 0 and prints what it is there to show.
//! `cargo test` builds the examples; this runs the binaries it built.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/NAME`, next to this test's own binary in `deps/`.
fn example(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test binary has a path");
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

/// Runs the example; returns its stdout, after checking it exited 0.
fn run(name: &str) -> String {
    let output = Command::new(example(name))
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "example `{name}` did not run ({error}); `cargo test --workspace` builds the \
                 examples, `cargo test --test examples` alone may not"
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example `{name}` exited with {}:\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The positions of `lines`' first occurrences in `stdout`, which must be increasing.
fn assert_in_order(stdout: &str, lines: &[&str]) {
    let mut after = 0;
    for line in lines {
        let at = stdout[after..]
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` missing, or out of order, in:\n{stdout}"));
        after += at + line.len();
    }
}

#[test]
fn quickstart_serves_itself_then_stops_in_reverse_and_summarises() {
    assert_in_order(
        &run("quickstart"),
        &[
            "answers SELECT 1",
            "server: listening on http://127.0.0.1:",
            "client: GET /readyz -> 200 ready",
            "client: GET / -> 200 hello, visitor #1",
            "client: GET / -> 200 hello, visitor #2",
            "main: shutting down",
            "drained completed_while_draining=0 closed=",
            " cut=0",
            "http client: connection pool closed",
            "database: closed with 2 visit(s) recorded, file removed",
            "lifespan summary:",
            "  main ",
            "  config ",
            "  database ",
            "  http_client ",
            "  server ",
            "ok; 0 requests completed while draining, ",
            "  no part failed",
        ],
    );
}

/// `LIFESPAN_TIMELINE=….svg`: the quickstart draws its run, a bar per half of each part
/// in the order they ran, as README.md shows (`scripts/timeline.sh`).
#[test]
fn quickstart_draws_its_timeline_when_asked() {
    let path = std::env::temp_dir().join(format!("quickstart-{}.svg", std::process::id()));
    let output = Command::new(example("quickstart"))
        .env("LIFESPAN_TIMELINE", &path)
        .output()
        .expect("the quickstart runs");
    assert!(output.status.success(), "{output:?}");
    let svg = std::fs::read_to_string(&path).expect("the picture was written");
    let _ = std::fs::remove_file(&path);
    let x_of = |path: &str, stage: &str| -> f64 {
        let marker = format!(r#"data-path="{path}""#);
        let bar = svg
            .lines()
            .find(|line| line.contains(&marker) && line.contains(&format!(r#"class="{stage}"#)))
            .unwrap_or_else(|| panic!("no {stage} bar for `{path}` in:\n{svg}"));
        let x = bar
            .split(r#" x=""#)
            .nth(1)
            .expect("an x")
            .split('"')
            .next()
            .unwrap();
        x.parse().expect("a number")
    };
    for part in [
        "main",
        "main/config",
        "main/database",
        "main/http_client",
        "main/server",
    ] {
        assert!(x_of(part, "startup") < x_of(part, "shutdown"), "{part}");
    }
    assert!(x_of("main/config", "startup") < x_of("main/database", "startup"));
    assert!(x_of("main/server", "shutdown") < x_of("main/database", "shutdown"));
}

/// Live processes whose command line is `program` followed by `argument`.
#[cfg(target_os = "linux")]
fn running(program: &std::path::Path, argument: &str) -> Vec<u32> {
    let wanted = format!("{}\0{argument}\0", program.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let command = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat[stat.rfind(')')? + 2..].starts_with('Z');
            (String::from_utf8_lossy(&command) == wanted && !zombie).then_some(pid)
        })
        .collect()
}

#[test]
fn external_service_waits_for_the_ready_line_and_stops_the_child() {
    let stdout = run("external_service");
    #[cfg(target_os = "linux")]
    assert_eq!(
        running(&example("external_service"), "--child"),
        Vec::<u32>::new(),
        "the backend outlived the example"
    );
    assert_in_order(
        &stdout,
        &[
            "backend: pid ",
            " ready on 127.0.0.1:",
            "client: backend said \"hello from the backend\"",
            "main: stopping; the backend gets SIGTERM next",
        ],
    );
}

#[test]
fn library_hooks_flush_last_without_the_app_asking() {
    let stdout = run("library_hooks");
    assert_in_order(
        &stdout,
        &[
            "ingest: started",
            "render: started",
            "main: shutting down",
            "render: stopped",
            "ingest: stopped",
            "metrics: final flush: ",
        ],
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("metrics: final flush:") && last.contains("\"worker.stopped\": 2"),
        "{stdout}"
    );
}

#[test]
fn tcp_to_websocket_forwards_every_line_and_leaves_nothing_open() {
    let stdout = run("tcp_to_websocket");
    // The client hears the close frame on a task of its own, around the time the
    // server's last socket closes.
    assert!(
        stdout.contains("ws client: the server closed the socket"),
        "{stdout}"
    );
    assert_in_order(
        &stdout,
        &[
            "ws client: port ",
            ": line 1 via tcp",
            ": line 2 via tcp",
            ": line 3 via tcp",
            "web: stopped, every WebSocket closed",
            "listeners: stopped accepting, connections closed",
            "open at exit: 0 TCP, 0 WebSocket",
        ],
    );
    // The upstream drops the forwarder once; its restart policy connects again.
    assert_in_order(
        &stdout,
        &[
            "forwarder: upstream says tick 1",
            "task `forwarder` failed: the upstream closed the connection; restart 1 in 50ms",
            "forwarder: upstream says tick 2",
            "ws client: port ",
            "lifespan summary:",
            "ok; task `forwarder` restarted once",
            "no part failed",
        ],
    );
}

#[test]
fn supervised_worker_comes_back_after_each_failure_and_counts_its_restarts() {
    let stdout = run("supervised_worker");
    for job in [1, 2, 4, 6, 7, 8] {
        assert!(
            stdout.contains(&format!("worker: job {job} done")),
            "{stdout}"
        );
    }
    assert!(
        !stdout.contains("job 3 done") && !stdout.contains("job 5 done"),
        "{stdout}"
    );
    assert_in_order(
        &stdout,
        &[
            "broker: connection 1 open",
            "broker: connection 1 closed",
            "broker: connection 2 open",
            "worker: queue drained",
            "broker: connection 2 closed",
            "lifespan summary:",
        ],
    );
    assert!(
        stdout.contains("task `worker` failed: job 3: poison message; restart 1 in 100ms"),
        "{stdout}"
    );
    assert!(
        stdout.contains("task `worker` failed: job 5: timed out; restart 2 in 200ms"),
        "{stdout}"
    );
    let summary = &stdout[stdout.find("lifespan summary:").unwrap()..];
    assert!(
        summary.contains("ok; task `worker` restarted 2 times"),
        "{summary}"
    );
    assert!(summary.contains("ok; restarted once"), "{summary}");
    assert!(summary.contains("no part failed"), "{summary}");
}

#[test]
fn shared_http_pool_measures_both_clients_and_stops_the_server() {
    let stdout = run("shared_http_pool");
    assert_in_order(
        &stdout,
        &[
            "new client per request: 200 requests in ",
            "one pooled client:      200 requests in ",
            "speedup: ",
            "client: connection pool closed",
            "server: stopping",
        ],
    );
    let speedup: f64 = stdout
        .lines()
        .find_map(|line| line.strip_prefix("speedup: "))
        .and_then(|rest| rest.split('x').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no speedup in:\n{stdout}"));
    // Measured, not asserted: only that it was computed from two real totals.
    assert!(speedup.is_finite() && speedup > 0.0, "{stdout}");
}

// The quickstart through a rolling restart, as issue 14 measured it: under a steady
// load of kept-alive and new-connection clients on loopback, SIGTERM, and the clients
// go on for 0.8 s (the time a load balancer takes to notice) with `DRAIN_DELAY=1500ms`.
// Not one request may fail, and the service exits 0.
#[cfg(unix)]
mod rolling_restart {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::process::{Command, Stdio};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::thread;
    use std::time::Duration;

    use super::example;

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
}
