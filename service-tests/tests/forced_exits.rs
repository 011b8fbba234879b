//! The force paths of `#[lifespan::main]` take `lifespan::process` children with them:
//! the `forced-exit` binary runs a tagged fake-service (with a tagged grandchild in its
//! process group), then blocks its teardown. Whether the watchdog exits when a hurried
//! shutdown's `second_signal_timeout` passes or on the passed deadline, a scan of `/proc` must then find none of the
//! tagged processes alive, where before they were re-parented to PID 1 and kept running.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use lifespan_service_tests::tagged_alive;
use rustix::process::{Pid, Signal, kill_process};

/// How long any one wait of these tests may last before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// The `forced-exit` service and what it printed. Dropped, it kills the service and every
/// process carrying its tag, so that a failing test leaves nothing behind.
struct Forced {
    tag: String,
    service: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    printed: Vec<String>,
}

impl Forced {
    /// Starts the service and reads it up to its `ready` line.
    fn start(test: &str) -> Forced {
        let tag = format!("forced-{}-{test}", std::process::id());
        let mut service = Command::new(env!("CARGO_BIN_EXE_forced-exit"))
            .env("FAKE_SERVICE", env!("CARGO_BIN_EXE_fake-service"))
            .env("CHILD_TAG", &tag)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the forced-exit binary starts");
        let stdout = service.stdout.take().expect("piped");
        let mut stderr = service.stderr.take().expect("piped");
        let (line, lines) = mpsc::channel();
        thread::spawn(move || {
            for read in BufReader::new(stdout).lines() {
                let Ok(read) = read else { break };
                if line.send(read).is_err() {
                    break;
                }
            }
        });
        let (all, stderr_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = all.send(text);
        });
        let mut forced = Forced {
            tag,
            service,
            lines,
            stderr: stderr_rx,
            printed: Vec::new(),
        };
        forced.read_until("ready");
        forced
    }

    /// Reads stdout up to and including `wanted`, within [`PATIENCE`].
    fn read_until(&mut self, wanted: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line == wanted;
                    self.printed.push(line);
                    if found {
                        return;
                    }
                }
                Err(error) => panic!("no `{wanted}` line ({error:?}); printed {:?}", self.printed),
            }
        }
    }

    fn signal(&self, signal: Signal) {
        kill_process(Pid::from_child(&self.service), signal).expect("the service is signalled");
    }

    /// Waits, within [`PATIENCE`], for the service to close its stdout by exiting; returns
    /// how it exited and its stderr.
    fn wait(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.printed.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the service did not exit; printed {:?}", self.printed)
                }
            }
        }
        let status = self.service.wait().expect("the service is waited for");
        let stderr = self
            .stderr
            .recv_timeout(PATIENCE)
            .expect("stderr closes with the service");
        (status, stderr)
    }

    /// What the watchdog must say it killed: the child's group, by the pid it printed.
    fn killed(&self) -> String {
        let pid = self
            .printed
            .iter()
            .find_map(|line| line.strip_prefix("child "))
            .expect("the service printed its child's pid");
        format!("Killed the process groups of `child` (pid {pid})")
    }

    /// Whether every tagged process is gone within [`PATIENCE`]: SIGKILL is delivered
    /// asynchronously, so a killed process may show for a moment.
    fn tagged_all_die(&self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while !tagged_alive(&self.tag).is_empty() {
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

impl Drop for Forced {
    fn drop(&mut self) {
        if matches!(self.service.try_wait(), Ok(None)) {
            let _ = self.service.kill();
            let _ = self.service.wait();
        }
        for pid in tagged_alive(&self.tag) {
            if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, Signal::KILL);
            }
        }
    }
}

/// Started, the child and its grandchild are what the scan sees; nothing else carries
/// the tag. Under a loaded machine a process being spawned can show for a moment with
/// its parent's command line, so the scan is repeated until it settles, within
/// [`PATIENCE`].
fn started(test: &str) -> Forced {
    let forced = Forced::start(test);
    let deadline = Instant::now() + PATIENCE;
    let mut seen = tagged_alive(&forced.tag);
    while seen.len() != 2 && Instant::now() < deadline {
        std::thread::yield_now();
        seen = tagged_alive(&forced.tag);
    }
    assert_eq!(
        seen.len(),
        2,
        "the child and its grandchild run: {seen:?}; printed {:?}",
        forced.printed
    );
    forced
}

/// Sends SIGTERM, waits for the teardown to hang, sends a second one if asked, then
/// checks the exit code, the reason on stderr, the killed group named, and that no
/// tagged process is left alive.
fn forced_exit(name: &str, second_signal: bool, code: i32, why: &str) {
    let mut forced = started(name);
    forced.signal(Signal::TERM);
    forced.read_until("stopping hang");
    if second_signal {
        forced.signal(Signal::TERM);
    }
    let (status, stderr) = forced.wait();
    assert_eq!(status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    assert!(stderr.contains(&forced.killed()), "{stderr}");
    assert!(
        forced.tagged_all_die(),
        "left alive: {:?}; stderr: {stderr}",
        tagged_alive(&forced.tag)
    );
}

#[test]
fn a_hurried_shutdown_past_its_timeout_kills_the_process_children_and_exits_130() {
    forced_exit(
        "second-signal",
        true,
        130,
        "the hurried shutdown's second_signal_timeout of 200ms passed",
    );
}

#[test]
fn a_passed_deadline_kills_the_process_children_and_exits_1() {
    forced_exit("deadline", false, 1, "the shutdown deadline of 1s passed");
}
