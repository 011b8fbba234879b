//! An external program as a lifespan: a database in a container, a sidecar, a
//! mock server for tests.
//!
//! The program is spawned without a shell, in a process group of its own. It is ready
//! when a line of its output matches a pattern, when a TCP port accepts, or after a
//! delay; until then its startup timeout runs, and when it passes the whole group is
//! killed and startup fails with the program's last lines. Every line it prints goes to
//! `tracing` (target `lifespan::process`, field `service`). If it exits while the app
//! runs, the app is asked to shut down; under [`supervised`](crate::supervised) it is
//! restarted instead, and gated on its readiness again (see below). Stopping sends SIGTERM to the group, waits the
//! grace period (not when the shutdown is hurried by a second signal), then sends
//! SIGKILL; no process of the group outlives the lifespan,
//! whether it stops, fails, times out or panics. Nor does one outlive a
//! `#[lifespan::main]` service that exits without finishing its teardown (a third
//! signal, a hurried shutdown past its `second_signal_timeout`, a passed shutdown
//! deadline): its watchdog first kills every live group with SIGKILL.
//!
//! ```no_run
//! use lifespan::process::Process;
//! use lifespan::Lifespan;
//!
//! # async fn demo() -> Result<(), lifespan::Error> {
//! let redis = Process::new("redis", "redis-server")
//!     .args(["--port", "6380"])
//!     .ready_on_line(r"Ready to accept connections")
//!     .ready_timeout(std::time::Duration::from_secs(10))
//!     .lifespan()
//!     .enter()
//!     .await?;
//! println!("redis runs as pid {}", redis.pid());
//! # Ok(()) }
//! ```
//!
//! A program that is ready after a delay, stopped by SIGTERM:
//!
//! ```
//! use std::time::Duration;
//! use lifespan::process::Process;
//! use lifespan::Lifespan;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let sleeper = Process::new("sleeper", "sleep")
//!     .arg("60")
//!     .ready_after(Duration::from_millis(10))
//!     .lifespan()
//!     .start()
//!     .await?;
//! assert!(sleeper.pid() > 0);
//! sleeper.stop().await?; // SIGTERM ends `sleep` at once
//! # Ok::<(), lifespan::Error>(())
//! # }).unwrap();
//! ```
//!
//! A program that should come back when it crashes runs under
//! [`supervised`](crate::supervised), which makes a new `Process` for each restart;
//! each instance is spawned, waited for until it is ready, and handed out through a
//! [`Follow`](crate::Follow) of its [`Handle`]:
//!
//! ```no_run
//! use lifespan::process::Process;
//! use lifespan::{Lifespan, Restart};
//!
//! # async fn demo() -> Result<(), lifespan::Error> {
//! let redis = lifespan::supervised(Restart::on_failure(), || {
//!     Process::new("redis", "redis-server")
//!         .ready_on_line(r"Ready to accept connections")
//!         .lifespan()
//! })
//! .enter()
//! .await?;
//! if let Some(handle) = redis.get() {
//!     println!("redis runs as pid {}", handle.pid());
//! }
//! # Ok(()) }
//! ```
//!
//! Only on unix, where process groups exist.

mod error;
mod group;
mod output;

use std::borrow::Cow;
use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};

pub use error::ProcessError;
use group::Group;
pub(crate) use group::kill_all;
use output::{LastLines, follow};

use crate::engine::Scope;
use crate::error::{Error, Origin};
use crate::from_fn::from_fn;
use crate::lifespan::Lifespan;

/// An external program to run as a lifespan; see the [module docs](self).
#[derive(Debug)]
pub struct Process {
    name: Cow<'static, str>,
    program: String,
    command: Command,
    ready: Ready,
    ready_timeout: Duration,
    grace: Duration,
}

/// When a process counts as started.
#[derive(Debug)]
enum Ready {
    Line(Result<Regex, regex::Error>),
    Port(SocketAddr),
    After(Duration),
}

/// The running program, yielded by the lifespan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    pid: u32,
    address: Option<SocketAddr>,
}

impl Handle {
    /// Its process id, which is also its process group's id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Where it listens: the port it was gated on, or the `address` group of the
    /// readiness pattern when that parsed as a socket address.
    pub fn address(&self) -> Option<SocketAddr> {
        self.address
    }
}

impl Process {
    /// `program`, run without a shell, known as `name` in errors and traces. Ready
    /// at once unless a readiness condition is set; startup timeout 30 seconds, grace
    /// period 10 seconds.
    pub fn new(name: impl Into<Cow<'static, str>>, program: impl AsRef<OsStr>) -> Process {
        let program = program.as_ref();
        Process {
            name: name.into(),
            program: program.to_string_lossy().into_owned(),
            command: Command::new(program),
            ready: Ready::After(Duration::ZERO),
            ready_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(10),
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Process {
        self.command.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Process {
        self.command.args(args);
        self
    }

    /// Sets an environment variable for the program.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Process {
        self.command.env(key, value);
        self
    }

    /// Runs the program in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Process {
        self.command.current_dir(dir);
        self
    }

    /// Ready when a line of stdout or stderr matches `pattern` (a `regex` crate
    /// pattern). A group named `address` that parses as a socket address becomes
    /// [`Handle::address`]: `r"listening on (?<address>\S+)"`. A pattern that does not
    /// parse fails startup with [`ProcessError::BadPattern`].
    pub fn ready_on_line(mut self, pattern: &str) -> Process {
        self.ready = Ready::Line(Regex::new(pattern));
        self
    }

    /// Ready when `address` accepts a TCP connection.
    pub fn ready_on_port(mut self, address: SocketAddr) -> Process {
        self.ready = Ready::Port(address);
        self
    }

    /// Ready once `delay` has passed, if it is still running.
    pub fn ready_after(mut self, delay: Duration) -> Process {
        self.ready = Ready::After(delay);
        self
    }

    /// How long it may take to become ready (30 seconds by default) before its group is
    /// killed and startup fails with [`ProcessError::NotReady`]. The whole startup half
    /// can be bounded as well, like any lifespan's, with
    /// [`Lifespan::startup_timeout`] on
    /// [`lifespan()`](Process::lifespan) (none by default).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::process::Process;
    /// let quick = Process::new("mock", "mock-server").ready_timeout(Duration::from_secs(2));
    /// # let _ = quick;
    /// ```
    pub fn ready_timeout(mut self, limit: Duration) -> Process {
        self.ready_timeout = limit;
        self
    }

    /// How long it gets to exit after SIGTERM before SIGKILL.
    pub fn grace(mut self, grace: Duration) -> Process {
        self.grace = grace;
        self
    }

    /// The lifespan that runs it: started when ready, stopped by SIGTERM, the grace
    /// period, then SIGKILL to its whole group. Its shutdown timeout, if you set one,
    /// should exceed the grace period.
    pub fn lifespan(self) -> impl Lifespan<Value = Handle, Error = ProcessError> + Send + 'static {
        let name = self.name.clone();
        from_fn(name, move |yielder| async move {
            let (mut running, group) = self.spawn().await?;
            let stop = running.stop_on_request(group);
            yielder.yield_app(running.handle).await;
            stop.stop().await
        })
    }

    /// Spawns the program and waits until it is ready.
    async fn spawn(mut self) -> Result<(Started, Group), ProcessError> {
        let pattern = match self.ready {
            Ready::Line(Ok(ref pattern)) => Some(pattern.clone()),
            Ready::Line(Err(ref error)) => return Err(ProcessError::BadPattern(error.clone())),
            _ => None,
        };
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let (mut child, group) =
            Group::spawn(&mut self.command, &self.name).map_err(|source| ProcessError::Spawn {
                program: self.program.clone(),
                source,
            })?;
        let pid = child.id().expect("a child that was just spawned has a pid");
        let last = LastLines::default();
        let (matched, mut on_match) = watch::channel(None);
        let matched = Arc::new(matched);
        let watcher = |pattern: &Option<Regex>| pattern.clone().map(|p| (p, matched.clone()));
        if let Some(stdout) = child.stdout.take() {
            follow(
                self.name.clone(),
                "stdout",
                stdout,
                last.clone(),
                watcher(&pattern),
            );
        }
        if let Some(stderr) = child.stderr.take() {
            follow(
                self.name.clone(),
                "stderr",
                stderr,
                last.clone(),
                watcher(&pattern),
            );
        }
        let ready = async {
            match self.ready {
                Ready::Line(_) => on_match
                    .wait_for(Option::is_some)
                    .await
                    .ok()
                    .and_then(|matched| *matched)
                    .flatten(),
                Ready::Port(address) => {
                    while tokio::net::TcpStream::connect(address).await.is_err() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Some(address)
                }
                Ready::After(delay) => {
                    tokio::time::sleep(delay).await;
                    None
                }
            }
        };
        let address = tokio::select! {
            ready = tokio::time::timeout(self.ready_timeout, ready) => match ready {
                Ok(address) => address,
                Err(_elapsed) => {
                    group.kill();
                    let _ = child.wait().await;
                    return Err(ProcessError::NotReady { after: self.ready_timeout, last_lines: last.get() });
                }
            },
            status = child.wait() => {
                group.kill();
                let status = status.map_err(ProcessError::Io)?;
                // The streams close with the group; what they still held is read.
                tokio::task::yield_now().await;
                return Err(ProcessError::ExitedBeforeReady { status, last_lines: last.get() });
            }
        };
        tracing::info!(target: "lifespan::process", service = %self.name, pid, "ready");
        Ok((
            Started {
                child: Some(child),
                handle: Handle { pid, address },
                grace: self.grace,
                name: self.name,
            },
            group,
        ))
    }
}

/// A program that became ready.
struct Started {
    child: Option<Child>,
    handle: Handle,
    grace: Duration,
    name: Cow<'static, str>,
}

/// Stops the program when asked, or asks the app to stop when the program exits.
struct Stopper {
    request: oneshot::Sender<()>,
    watcher: tokio::task::JoinHandle<Result<(), ProcessError>>,
}

impl Started {
    /// Watches the program on a task of its own while the app runs.
    fn stop_on_request(&mut self, group: Group) -> Stopper {
        let mut child = self.child.take().expect("watched once");
        let (request, requested) = oneshot::channel::<()>();
        let scope = Scope::try_current();
        // A hurried shutdown (a second signal) skips the grace period.
        let hurried = scope.as_ref().map(Scope::hurry_requested);
        let grace = self.grace;
        let name = self.name.clone();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                status = child.wait() => {
                    group.kill();
                    group.disarm();
                    let status = status.map_err(ProcessError::Io)?;
                    if let Some(scope) = scope {
                        // A supervisor above restarts it, and its restart's WARN
                        // reports the exit: stopping this instance is then clean. Else
                        // the app stops, and the stop reports it.
                        let exited = ProcessError::Exited { status };
                        let error = Error::failed(name.clone(), Origin::Running, exited);
                        if scope.failed_while_running(&error) {
                            return Ok(());
                        }
                    }
                    tracing::error!(target: "lifespan::process", service = %name, %status, "exited while the app was running");
                    Err(ProcessError::Exited { status })
                }
                // Asked to stop, or the lifespan was dropped: stop it either way.
                _ = requested => {
                    group.terminate();
                    let hurry = async move {
                        match hurried {
                            Some(hurried) => hurried.await,
                            None => std::future::pending().await,
                        }
                    };
                    let waited = tokio::select! {
                        waited = tokio::time::timeout(grace, child.wait()) => match waited {
                            Ok(status) => Some(status),
                            Err(_) => {
                                tracing::warn!(target: "lifespan::process", service = %name, ?grace, "did not exit within its grace period; killing it");
                                None
                            }
                        },
                        () = hurry => {
                            tracing::warn!(target: "lifespan::process", service = %name, "the shutdown was hurried; killing it without waiting out its grace period");
                            None
                        }
                    };
                    group.kill();
                    let result = match waited {
                        Some(status) => status.map(drop).map_err(ProcessError::Io),
                        None => child.wait().await.map(drop).map_err(ProcessError::Io),
                    };
                    group.disarm();
                    result
                }
            }
        });
        Stopper { request, watcher }
    }
}

impl Stopper {
    async fn stop(self) -> Result<(), ProcessError> {
        let _ = self.request.send(());
        match self.watcher.await {
            Ok(result) => result,
            Err(error) => Err(ProcessError::Io(std::io::Error::other(error))),
        }
    }
}
