//! A queue worker entered before the server that fills it loses nothing at SIGTERM:
//! the server finishes its in-flight requests (which queue more jobs) while the worker
//! still runs, and the worker drains the queue at its own turn. Where the deadline cuts
//! the worker, the summary says so and the exit code is not 0.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

use lifespan_service_tests::wait_for_output;
use rustix::process::{Pid, Signal, kill_process};

/// Requests held in flight when SIGTERM lands.
const IN_FLIGHT: usize = 5;

struct Service {
    child: Child,
    stdout: BufReader<ChildStdout>,
    printed: Vec<String>,
}

impl Service {
    fn start(ms_per_job: &str) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_queue-drain"))
            .arg(ms_per_job)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the queue-drain binary starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Service {
            child,
            stdout,
            printed: Vec::new(),
        }
    }

    /// Reads stdout up to the first line that starts with `prefix`; returns it.
    fn read_until(&mut self, prefix: &str) -> String {
        loop {
            let mut line = String::new();
            let read = self.stdout.read_line(&mut line).expect("stdout reads");
            assert!(read > 0, "ended before {prefix:?}: {:?}", self.printed);
            let line = line.trim_end().to_owned();
            self.printed.push(line.clone());
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    fn sigterm(&self) {
        let pid = Pid::from_raw(self.child.id().try_into().unwrap()).unwrap();
        kill_process(pid, Signal::TERM).expect("SIGTERM is sent");
    }

    /// Waits for the exit; returns it with the rest of stdout and all of stderr.
    fn wait(mut self) -> (ExitStatus, Vec<String>, String) {
        let (status, rest, stderr) = wait_for_output(&mut self.child, &mut self.stdout);
        let mut printed = std::mem::take(&mut self.printed);
        printed.extend(rest);
        (status, printed, stderr)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sigterm_mid_flight_loses_no_queued_job_and_no_request() {
    let mut service = Service::start("1");
    let port: u16 = service.read_until("listening ")["listening ".len()..]
        .parse()
        .unwrap();
    service.read_until("ready");
    let mut clients: Vec<TcpStream> = (0..IN_FLIGHT)
        .map(|_| {
            let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connects");
            client
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            client.write_all(b"job\n").unwrap();
            client
        })
        .collect();
    for _ in 0..IN_FLIGHT {
        service.read_until("in flight");
    }
    service.sigterm();

    for client in &mut clients {
        let mut answer = String::new();
        BufReader::new(client)
            .read_line(&mut answer)
            .expect("the request was answered");
        assert_eq!(answer, "queued\n", "an in-flight request was refused");
    }
    let (status, printed, stderr) = service.wait();
    assert_eq!(status.code(), Some(0), "{printed:?}\n{stderr}");
    let processed = format!("processed {}", 150 + IN_FLIGHT);
    assert!(
        printed.contains(&processed),
        "every job, queued before and during shutdown, was processed: {printed:?}\n{stderr}"
    );
    assert!(stderr.contains("no part failed"), "{stderr}");
}

#[test]
fn a_deadline_that_cuts_the_worker_is_named_in_the_summary() {
    // 50 ms a job: the backlog needs 7.5 s, the deadline is 2 s.
    let mut service = Service::start("50");
    service.read_until("ready");
    service.sigterm();
    let (status, printed, stderr) = service.wait();
    assert_eq!(status.code(), Some(1), "{printed:?}\n{stderr}");
    assert!(
        !printed.iter().any(|line| line.starts_with("processed")),
        "the worker was cut before it drained: {printed:?}"
    );
    let verdict = stderr
        .lines()
        .find(|line| {
            line.trim_start()
                .starts_with("failed, so the exit code is not 0")
        })
        .unwrap_or_default();
    assert!(
        verdict.contains("task `worker` timed out"),
        "the summary's last line names the cut worker: {stderr}"
    );
    let worker_row = stderr
        .lines()
        .find(|line| line.trim_start().starts_with("worker "))
        .unwrap_or_default();
    assert!(
        worker_row.contains("task `worker` was aborted at the deadline"),
        "the worker's row says what was cut: {stderr}"
    );
}
