//! The binaries in `src/bin/` are the fixtures, and `tests/` runs them as a service
//! manager would, with real signals and a real `NOTIFY_SOCKET`. What the tests share is
//! here: a fixture run as a service, a fake `NOTIFY_SOCKET`, and the scan of `/proc`
//! that proves no process was left behind.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A fixture binary as a service manager runs it: its stdin, stdout and stderr piped,
/// stdout read line by line as the test waits for what it printed. Dropped before it
/// has exited (a failed assertion), it is killed, so that no test leaves it behind.
pub struct Service {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    printed: Vec<String>,
}

impl Service {
    /// `binary`, started with `fault` and `env`, read up to its "ready" line.
    pub fn launch(binary: &str, fault: &str, env: &[(&str, &str)]) -> Service {
        let mut service = Service::spawn(binary, &[fault], env);
        service.read_until(|line| line.starts_with("ready"));
        service
    }

    /// `binary`, started with `args` and `env`, its stdin, stdout and stderr piped.
    pub fn spawn(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Service {
        let mut child = Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the service binary starts");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Service {
            child,
            stdin,
            stdout,
            printed: Vec::new(),
        }
    }

    /// Writes `line` to the service's stdin.
    pub fn say(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("the service reads its stdin");
    }

    /// Reads stdout up to and including the first line that matches.
    pub fn read_until(&mut self, wanted: impl Fn(&str) -> bool) {
        loop {
            let mut line = String::new();
            let read = self.stdout.read_line(&mut line).expect("stdout reads");
            assert!(
                read > 0,
                "the service ended before printing it: {:?}",
                self.printed
            );
            let line = line.trim_end().to_owned();
            let found = wanted(&line);
            self.printed.push(line);
            if found {
                return;
            }
        }
    }

    /// Whether it has not exited yet.
    pub fn is_running(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("the service is asked")
            .is_none()
    }

    /// Sends it `signal` (`TERM`, `INT`) with `kill`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the exit; returns it, how long it took, all of stdout and stderr.
    pub fn wait(mut self) -> (ExitStatus, Duration, Vec<String>, String) {
        let waited = Instant::now();
        let (status, rest, stderr) = wait_for_output(&mut self.child, &mut self.stdout);
        let took = waited.elapsed();
        self.printed.extend(rest);
        (status, took, std::mem::take(&mut self.printed), stderr)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Once waited for, the exit is known and nothing is sent.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fake `NOTIFY_SOCKET`: a Unix datagram socket in a directory of the test's own,
/// read as systemd reads it.
#[cfg(unix)]
pub struct NotifySocket {
    socket: std::os::unix::net::UnixDatagram,
    folder: std::path::PathBuf,
    /// What `NOTIFY_SOCKET` is set to.
    pub path: String,
}

#[cfg(unix)]
impl NotifySocket {
    /// How long a test waits for one message before it fails.
    pub const PATIENCE: Duration = Duration::from_secs(10);

    pub fn bind(name: &str) -> NotifySocket {
        let folder =
            std::env::temp_dir().join(format!("lifespan-notify-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let socket =
            std::os::unix::net::UnixDatagram::bind(&path).expect("the test owns the socket");
        socket.set_read_timeout(Some(Self::PATIENCE)).unwrap();
        let path = path.to_str().unwrap().to_owned();
        NotifySocket {
            socket,
            folder,
            path,
        }
    }

    /// The next message, without its trailing newline, and when it arrived.
    pub fn receive(&self) -> (String, Instant) {
        let mut buffer = [0_u8; 256];
        let length = self
            .socket
            .recv(&mut buffer)
            .expect("a notification arrives");
        let received = Instant::now();
        let message = String::from_utf8_lossy(&buffer[..length])
            .trim_end()
            .to_owned();
        (message, received)
    }

    /// The messages still queued, without waiting for more.
    pub fn left(&self) -> Vec<String> {
        self.socket.set_nonblocking(true).unwrap();
        let mut left = Vec::new();
        let mut buffer = [0_u8; 256];
        while let Ok(length) = self.socket.recv(&mut buffer) {
            left.push(
                String::from_utf8_lossy(&buffer[..length])
                    .trim_end()
                    .to_owned(),
            );
        }
        self.socket.set_nonblocking(false).unwrap();
        left
    }
}

#[cfg(unix)]
impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Waits for `child` to exit; returns its status, the lines of `stdout` not read yet,
/// and all of its stderr (piped).
pub fn wait_for_output(
    child: &mut std::process::Child,
    stdout: &mut impl std::io::Read,
) -> (std::process::ExitStatus, Vec<String>, String) {
    use std::io::Read as _;
    // Bounded, so that a service that never exits fails its test rather than hanging it.
    let patience = Duration::from_secs(30);
    let waiting = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the service is waited for") {
            break status;
        }
        if waiting.elapsed() > patience {
            let _ = child.kill();
            panic!("the service did not exit within {patience:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("stdout reads");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .expect("stderr reads");
    (status, rest.lines().map(str::to_owned).collect(), stderr)
}

/// Live processes (zombies are dead) whose command line carries `tag` as one argument.
#[cfg(target_os = "linux")]
pub fn tagged_alive(tag: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let command = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat[stat.rfind(')')? + 2..].starts_with('Z');
            let ours = String::from_utf8_lossy(&command)
                .split('\0')
                .any(|arg| arg == tag);
            (ours && !zombie).then_some(pid)
        })
        .collect()
}
