//! Helpers shared by the runtime's integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::{Arc, Mutex};

use lifespan_runtime::{BoxError, Lifespan, from_fn};

/// What happened, in order, across every part of a test.
#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<String>>>);

impl Journal {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn log(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// How many entries equal `entry`.
    pub fn count(&self, entry: &str) -> usize {
        self.entries().iter().filter(|e| *e == entry).count()
    }
}

/// How one half of a scripted lifespan ends.
#[derive(Clone, Copy, Debug)]
pub enum Act {
    Succeed,
    Fail,
    Panic,
    /// Never finishes: only a timeout ends it.
    Hang,
}

impl Act {
    async fn run(self, what: &str) -> Result<(), BoxError> {
        match self {
            Act::Succeed => Ok(()),
            Act::Fail => Err(format!("{what} failed on purpose").into()),
            Act::Panic => panic!("{what} panicked on purpose"),
            Act::Hang => std::future::pending().await,
        }
    }
}

/// A lifespan that logs `start NAME` once its startup half succeeded and `stop NAME`
/// once its shutdown half succeeded, each half acting as scripted.
pub fn scripted(
    journal: &Journal,
    name: &'static str,
    startup: Act,
    shutdown: Act,
) -> impl Lifespan<Value = &'static str, Error = BoxError> + Send + 'static {
    let journal = journal.clone();
    from_fn(name, move |yielder| async move {
        startup.run(&format!("startup of {name}")).await?;
        journal.log(format!("start {name}"));
        yielder.yield_app(name).await;
        shutdown.run(&format!("shutdown of {name}")).await?;
        journal.log(format!("stop {name}"));
        Ok(())
    })
}

/// A lifespan whose halves both succeed.
pub fn part(
    journal: &Journal,
    name: &'static str,
) -> impl Lifespan<Value = &'static str, Error = BoxError> + Send + 'static {
    scripted(journal, name, Act::Succeed, Act::Succeed)
}

/// Polls `future` once, on the current task: whether it is still pending.
pub async fn poll_once<F: std::future::Future + Unpin>(future: &mut F) -> bool {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx).is_pending())
    })
    .await
}

/// A lifespan like [`part`] that also says when it has stopped: the receiver resolves
/// once `stop NAME` is logged. For teardowns that run on a task of their own.
pub fn signalling(
    journal: &Journal,
    name: &'static str,
) -> (
    impl Lifespan<Value = (), Error = std::convert::Infallible> + Send + 'static,
    tokio::sync::oneshot::Receiver<()>,
) {
    let (stopped, heard) = tokio::sync::oneshot::channel();
    let journal = journal.clone();
    let lifespan = from_fn(name, move |yielder| async move {
        journal.log(format!("start {name}"));
        yielder.yield_app(()).await;
        journal.log(format!("stop {name}"));
        let _ = stopped.send(());
    });
    (lifespan, heard)
}

/// Ends the test binary if the test holding it has not finished within 20 s: for the
/// tests that run a service on the real clock, which waits for a stop that a wrong
/// edit could keep from coming. Such a hang then fails in seconds, naming the test,
/// rather than at a tool's timeout or never.
pub struct Deadline {
    _done: std::sync::mpsc::Sender<()>,
}

pub fn deadline() -> Deadline {
    let limit = std::time::Duration::from_secs(20);
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
            // Past libtest's capture of this thread's output, which exiting would lose.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("{test} did not finish within {limit:?}: ending the test binary\n")
                    .as_bytes(),
            );
            std::process::exit(101);
        }
    });
    Deadline { _done: done }
}

/// Awaits `future`, failing the test if it never finishes: on a paused clock, which
/// jumps ahead whenever every task waits, a future that waits for something that never
/// comes fails at once instead of hanging the test.
pub async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(3600), future)
        .await
        .expect("it never finished")
}
