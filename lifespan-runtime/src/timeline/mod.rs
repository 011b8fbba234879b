//! [`Timeline`]: what the parts of an app did, on one time axis. A leaf: plain data,
//! taken from the ledger, and the two ways to draw it (`svg`, a picture like
//! `systemd-analyze plot`; `trace`, the Chrome trace event format).

use std::time::Duration;

use crate::error::{Error, ErrorKind};

mod summary;
mod svg;
mod trace;

/// What the parts of an app did, on one time axis that begins with the first thing
/// began its startup: a row per part (`main/db/pool`), with a bar for its startup and
/// a bar for its shutdown, and rows for its hooks and for its tasks.
///
/// Kept by `#[lifespan::main]`, and by any app once asked with
/// [`Scope::record_timeline`](crate::Scope::record_timeline); taken with
/// [`Scope::timeline`](crate::Scope::timeline). Under `#[lifespan::main]`, setting the
/// environment variable `LIFESPAN_TIMELINE` to a path ending in `.svg` or `.json` writes
/// it there at exit.
///
/// ```
/// # use std::time::Duration;
/// # use lifespan::{from_fn, Scope, timeline::RowKind};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let scope = Scope::new();
/// scope.record_timeline();
/// scope.enter(from_fn("db", |y| async move {
///     tokio::time::sleep(Duration::from_millis(20)).await; // connecting
///     y.yield_app(()).await;
/// })).await?;
/// scope.shutdown().await?;
/// let timeline = scope.timeline().unwrap();
/// let db = &timeline.rows()[0];
/// assert_eq!((db.path(), db.kind()), ("db", RowKind::Part));
/// let startup = db.startup().unwrap();
/// assert_eq!(startup.end().unwrap() - startup.start(), Duration::from_millis(20));
/// assert!(db.shutdown().unwrap().failure().is_none());
/// # Ok::<(), lifespan::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub(crate) rows: Vec<Row>,
    /// Where the shutdown deadline falls on the axis, once the teardown has begun.
    pub(crate) deadline: Option<Duration>,
    /// When the timeline was taken: the end of the axis.
    pub(crate) taken: Duration,
}

/// One row of a [`Timeline`]: a part, a hook, or the tasks of one name in one part.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub(crate) path: String,
    /// The part's own name (which may hold a `/`), or the hook's or the tasks'.
    pub(crate) name: String,
    pub(crate) depth: usize,
    pub(crate) kind: RowKind,
    pub(crate) startup: Option<Bar>,
    pub(crate) shutdown: Option<Bar>,
    /// For [`RowKind::Tasks`]: how many were spawned under the name.
    pub(crate) count: u64,
    /// How a part, its tasks and its hooks failed, in words ("shutdown timed out",
    /// "task `worker` panicked"), as the summary says.
    pub(crate) failures: Vec<String>,
    pub(crate) notes: Vec<String>,
}

/// What a [`Row`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowKind {
    /// A lifespan: its startup half, then its shutdown half with its children.
    Part,
    /// A hook registered with `on_shutdown`: its run, as the shutdown bar.
    Hook,
    /// The tasks spawned under one name in one part: from the first spawn to the end
    /// of the last, as the startup bar (they run between the halves, so it is their
    /// only bar). Recorded only when a timeline is wanted.
    Tasks,
}

/// One bar of a [`Row`]: when it began and ended on the axis, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub(crate) start: Duration,
    /// `None` while it still runs, when the timeline was taken.
    pub(crate) end: Option<Duration>,
    pub(crate) failure: Option<Failure>,
}

/// How a bar failed: the kind, and the error's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl Timeline {
    /// The rows, depth first: a part, its hooks and tasks, then the parts entered in
    /// it, each in the order they began.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Where the shutdown deadline falls on the axis, if the app has one and its
    /// teardown has begun.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The end of the axis: when the timeline was taken.
    pub fn taken(&self) -> Duration {
        self.taken
    }
}

impl Row {
    /// The part's path, such as `main/db/pool`; for a hook or tasks, the path of the
    /// part they belong to and their name, such as `main/db/flush`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The part's own name (`pool` for `main/db/pool`), or the hook's or the tasks'.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How deep the row is nested: 0 for `main`, 1 for `main/db` and for `main`'s hooks
    /// and tasks.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// What the row stands for.
    pub fn kind(&self) -> RowKind {
        self.kind
    }

    /// The startup bar of a part, or the running bar of tasks.
    pub fn startup(&self) -> Option<&Bar> {
        self.startup.as_ref()
    }

    /// The shutdown bar of a part (its shutdown half and its children), the run of a
    /// hook, or the stop of tasks.
    pub fn shutdown(&self) -> Option<&Bar> {
        self.shutdown.as_ref()
    }

    /// For [`RowKind::Tasks`], how many tasks were spawned under the name; 1 otherwise.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// How a part and its tasks and hooks failed, in words, as the summary says it:
    /// "shutdown timed out", "task `worker` panicked". Empty for hook and task rows,
    /// whose bars carry their failure.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    /// What the part noted for its summary row ([`Scope::note`](crate::Scope::note)).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

impl Row {
    /// The row's bars with their stage: `startup` and `shutdown` for a part, `run` for
    /// a hook's run and for tasks, so that counting startups counts parts only.
    pub(crate) fn bars(&self) -> impl Iterator<Item = (&'static str, &Bar)> {
        let (first, second) = match self.kind {
            RowKind::Part => ("startup", "shutdown"),
            RowKind::Hook | RowKind::Tasks => ("run", "run"),
        };
        [
            (first, self.startup.as_ref()),
            (second, self.shutdown.as_ref()),
        ]
        .into_iter()
        .filter_map(|(stage, bar)| Some((stage, bar?)))
    }
}

impl Bar {
    /// Where it begins on the axis.
    pub fn start(&self) -> Duration {
        self.start
    }

    /// Where it ends, or `None` if it still ran when the timeline was taken.
    pub fn end(&self) -> Option<Duration> {
        self.end
    }

    /// How it failed, if it did.
    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }
}

impl Failure {
    /// How `error` failed, for a bar.
    pub(crate) fn of(error: &Error) -> Failure {
        Failure {
            kind: error.kind(),
            message: error.to_string(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error's message.
    pub fn message(&self) -> &str {
        &self.message
    }
}
