//! SIGTERM to process exit for a `#[lifespan::main]` service of ten instant parts:
//! the latency distribution over repeated runs of the real binary.
//!
//! ```text
//! cargo bench -p lifespan-service-tests --bench sigterm   # 50 runs, as in BENCHMARKS.md
//! cargo test -p lifespan-service-tests --bench sigterm    # a smoke run of 2
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

fn main() {
    let runs = if std::env::args().any(|arg| arg == "--bench") {
        50
    } else {
        2
    };
    let mut latencies: Vec<Duration> = (0..runs).map(|_| one_run()).collect();
    latencies.sort();
    let at = |quantile: f64| latencies[((latencies.len() - 1) as f64 * quantile).round() as usize];
    println!("## SIGTERM to exit, ten instant parts ({runs} runs)\n");
    println!("| min | p50 | p90 | p99 | max |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {:.2?} | {:.2?} | {:.2?} | {:.2?} | {:.2?} |",
        latencies[0],
        at(0.5),
        at(0.9),
        at(0.99),
        latencies[latencies.len() - 1]
    );
}

/// Starts the service, waits for `ready`, and times SIGTERM to its exit.
fn one_run() -> Duration {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ten-parts"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the service starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("it prints");
    assert_eq!(line.trim_end(), "ready");
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    let signalled = Instant::now();
    kill_process(pid, Signal::TERM).expect("SIGTERM is sent");
    let status = child.wait().expect("it exits");
    let latency = signalled.elapsed();
    assert_eq!(status.code(), Some(0));
    latency
}
