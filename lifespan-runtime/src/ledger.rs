//! The record a service keeps of each lifespan: when its startup and shutdown began and
//! ended, and how. It names what is still starting or stopping when the watchdog has to
//! force an exit, it is the summary printed at the end, and with the `systemd` feature
//! it says how far a slow startup may still go ([`Ledger::startup_horizon`]).
//!
//! Only a root made for `#[lifespan::main]` keeps one; a plain [`Scope`](crate::Scope)
//! pays nothing for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Name, Origin};
use crate::sync::lock;
use crate::timeline::{Bar, Failure, Row, RowKind, Timeline};

/// What happened to a lifespan, in the order it can happen.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    /// Its own `startup_timeout`, recorded as its startup begins: how far its startup,
    /// and those of the parts it enters, can go.
    StartupLimit(Duration),
    Started,
    StartupFailed(&'a Error),
    /// Its startup's future was dropped before it finished (a failing sibling in a
    /// `try_join!`, an outer timeout).
    StartupDropped,
    /// Its startup was cut because shutdown was requested while it ran.
    StartupCancelled,
    Stopping,
    ShutdownFailed(&'a Error),
    /// One of its tasks failed, panicked or was aborted, or one of its hooks failed.
    ChildFailed(&'a Error),
    /// Its shutdown half and all its children are done.
    Stopped,
    /// Something the part itself reports, for its row: "12 requests drained".
    Note(String),
}

/// Identifies one lifespan's entry.
pub(crate) type EntryId = usize;

#[derive(Debug, Default)]
pub(crate) struct Ledger {
    entries: Mutex<Vec<Entry>>,
    /// Tasks and hooks at work during teardown, which have no entry of their own: the
    /// innermost culprits when a thread is blocked.
    busy: Mutex<Busy>,
    /// Hooks that ran, and tasks by name, for the timeline.
    children: Mutex<Children>,
    /// Hooks and tasks are recorded only when a timeline is wanted: a server spawns a
    /// task per connection, and pays nothing for it otherwise.
    children_recorded: AtomicBool,
    /// Where the shutdown deadline falls, once the teardown has begun.
    deadline: OnceLock<Instant>,
    /// A failure while the app ran requested its shutdown: a task that failed or gave
    /// up, a program that exited. Read for the exit code.
    brought_down: AtomicBool,
    /// The last part below the root whose startup failed failed with an error marked
    /// as a configuration problem.
    last_failed_startup_is_config: AtomicBool,
    /// A task failed during startup and requested the app's shutdown, cutting it.
    failed_starting: AtomicBool,
}

/// What a part's hooks and tasks did, for the timeline.
#[derive(Debug, Default)]
struct Children {
    hooks: Vec<HookRun>,
    tasks: Vec<Tasks>,
}

/// A hook's run.
#[derive(Debug)]
struct HookRun {
    owner: Option<EntryId>,
    name: Name,
    began: Instant,
    /// `None` while it runs.
    ended: Option<Instant>,
    failure: Option<Failure>,
}

/// The tasks of one name in one part.
#[derive(Debug)]
struct Tasks {
    owner: Option<EntryId>,
    name: Name,
    count: u64,
    running: u64,
    first: Instant,
    /// When the last of them ended, once none runs.
    ended: Option<Instant>,
    failure: Option<Failure>,
}

#[derive(Debug, Default)]
struct Busy {
    next: u64,
    now: Vec<(u64, String, Instant)>,
}

/// Removes its line from the ledger's busy list when dropped.
pub(crate) struct BusyGuard<'a> {
    ledger: &'a Ledger,
    id: u64,
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        lock(&self.ledger.busy)
            .now
            .retain(|(id, ..)| *id != self.id);
    }
}

#[derive(Debug)]
struct Entry {
    name: Name,
    /// The part it was entered in, if it has an entry: its path is that part's, then
    /// its name (`main/db/pool`), put together only when a timeline is taken.
    parent: Option<EntryId>,
    began: Instant,
    /// Its own `startup_timeout`, if it has one.
    startup_limit: Option<Duration>,
    /// How long its startup took; `None` while it is in progress.
    startup: Option<Duration>,
    stopping: Option<Instant>,
    shutdown: Option<Duration>,
    failures: Vec<String>,
    startup_failure: Option<Failure>,
    shutdown_failure: Option<Failure>,
    notes: Vec<String>,
    /// Its startup was cut by a shutdown request.
    cut: bool,
    /// How often it (`None`) and each of its supervised tasks (by name) was restarted,
    /// in the order of their first restart.
    restarts: Vec<(Option<Name>, u32)>,
}

impl Ledger {
    /// A lifespan named `name`, entered in the part `parent`, begins its startup now.
    pub(crate) fn begin(&self, name: Name, parent: Option<EntryId>) -> EntryId {
        let mut entries = lock(&self.entries);
        entries.push(Entry {
            name,
            parent,
            began: Instant::now(),
            startup_limit: None,
            startup: None,
            stopping: None,
            shutdown: None,
            failures: Vec::new(),
            startup_failure: None,
            shutdown_failure: None,
            notes: Vec::new(),
            cut: false,
            restarts: Vec::new(),
        });
        entries.len() - 1
    }

    /// Records hooks and tasks from now on, for a timeline.
    pub(crate) fn record_children(&self) {
        self.children_recorded.store(true, Ordering::Relaxed);
    }

    /// The teardown's deadline, once it has begun; the first one set stays.
    pub(crate) fn set_deadline(&self, deadline: Instant) {
        let _ = self.deadline.set(deadline);
    }

    /// A hook of the part `owner` begins its run, if children are recorded: its row is
    /// there from now, so that a hook that hangs is drawn at a forced exit.
    pub(crate) fn hook_began(&self, owner: Option<EntryId>, name: Name) -> Option<usize> {
        if !self.children_recorded.load(Ordering::Relaxed) {
            return None;
        }
        let mut children = lock(&self.children);
        children.hooks.push(HookRun {
            owner,
            name,
            began: Instant::now(),
            ended: None,
            failure: None,
        });
        Some(children.hooks.len() - 1)
    }

    /// The hook `run` (from [`hook_began`](Ledger::hook_began)) ended now.
    pub(crate) fn hook_ended(&self, run: usize, failure: Option<&Error>) {
        let failure = failure.map(Failure::of);
        if let Some(hook) = lock(&self.children).hooks.get_mut(run) {
            hook.ended = Some(Instant::now());
            hook.failure = failure;
        }
    }

    /// Whether hooks and tasks are recorded, for a timeline.
    pub(crate) fn records_children(&self) -> bool {
        self.children_recorded.load(Ordering::Relaxed)
    }

    /// A task named `name` of the part `owner` was spawned, if tasks are recorded.
    pub(crate) fn task_spawned(&self, owner: Option<EntryId>, name: &Name) {
        if !self.children_recorded.load(Ordering::Relaxed) {
            return;
        }
        let mut children = lock(&self.children);
        let now = Instant::now();
        match children
            .tasks
            .iter_mut()
            .find(|tasks| tasks.owner == owner && tasks.name == *name)
        {
            Some(tasks) => {
                tasks.count += 1;
                tasks.running += 1;
                tasks.ended = None;
            }
            None => children.tasks.push(Tasks {
                owner,
                name: name.clone(),
                count: 1,
                running: 1,
                first: now,
                ended: None,
                failure: None,
            }),
        }
    }

    /// A failure while the app ran is what requested its shutdown.
    pub(crate) fn brought_down(&self) {
        self.brought_down.store(true, Ordering::Relaxed);
    }

    /// A task failed during startup, and its failure requested the app's shutdown.
    pub(crate) fn failed_starting(&self, error: &Error) {
        self.failed_starting.store(true, Ordering::Relaxed);
        // It ended the startup: its mark is the one that counts.
        self.last_failed_startup_is_config
            .store(error.is_config(), Ordering::Relaxed);
    }

    /// Whether a task's failure during startup requested the app's shutdown.
    pub(crate) fn did_fail_starting(&self) -> bool {
        self.failed_starting.load(Ordering::Relaxed)
    }

    /// Whether a failure while the app ran requested its shutdown.
    pub(crate) fn was_brought_down(&self) -> bool {
        self.brought_down.load(Ordering::Relaxed)
    }

    /// Whether the last part below the root whose startup failed failed with an error
    /// marked as a configuration problem: what a `?` in main most likely passed on,
    /// when main's own error cannot be looked into.
    pub(crate) fn last_failed_startup_is_config(&self) -> bool {
        self.last_failed_startup_is_config.load(Ordering::Relaxed)
    }

    /// The part `owner` (`task` `None`), or its supervised task named `task`, is being
    /// restarted.
    pub(crate) fn restarted(&self, owner: EntryId, task: Option<&Name>) {
        let mut entries = lock(&self.entries);
        let Some(entry) = entries.get_mut(owner) else {
            return;
        };
        match entry
            .restarts
            .iter_mut()
            .find(|(counted, _)| counted.as_ref() == task)
        {
            Some((_, count)) => *count += 1,
            None => entry.restarts.push((task.cloned(), 1)),
        }
    }

    /// A task named `name` of the part `owner` ended, with `failure` if it failed.
    pub(crate) fn task_ended(&self, owner: Option<EntryId>, name: &Name, failure: Option<&Error>) {
        if !self.children_recorded.load(Ordering::Relaxed) {
            return;
        }
        // Formatted before the lock: the user's `Display` must not hold up the ledger.
        let failure = failure.map(Failure::of);
        let mut children = lock(&self.children);
        let Some(tasks) = children
            .tasks
            .iter_mut()
            .find(|tasks| tasks.owner == owner && tasks.name == *name)
        else {
            return; // spawned before tasks were recorded
        };
        tasks.running = tasks.running.saturating_sub(1);
        if tasks.running == 0 {
            tasks.ended = Some(Instant::now());
        }
        if tasks.failure.is_none() {
            tasks.failure = failure;
        }
    }

    pub(crate) fn record(&self, id: EntryId, event: Event<'_>) {
        // Formatted before the lock: the user's `Display` must not hold up the ledger.
        let failure = match &event {
            Event::StartupFailed(error) | Event::ShutdownFailed(error) => Some(Failure::of(error)),
            _ => None,
        };
        let (is_config, kind) = match &event {
            Event::StartupFailed(error) => (Some(error.is_config()), Some(error.kind())),
            _ => (None, None),
        };
        let mut entries = lock(&self.entries);
        let Some(entry) = entries.get_mut(id) else {
            return;
        };
        match (is_config, entry.parent) {
            (Some(is_config), Some(_)) => self
                .last_failed_startup_is_config
                .store(is_config, Ordering::Relaxed),
            // Main's own entry is the root's: its error is read from its output. Its
            // startup timing out is what ended the startup, and is not a configuration
            // problem, whatever failed before it. (A panic keeps the mark: it may be
            // main unwrapping the part that failed.)
            (Some(_), None) if kind == Some(ErrorKind::TimedOut) => self
                .last_failed_startup_is_config
                .store(false, Ordering::Relaxed),
            _ => {}
        }
        match event {
            Event::StartupLimit(limit) => entry.startup_limit = Some(limit),
            Event::Started => entry.startup = Some(entry.began.elapsed()),
            Event::StartupFailed(error) => {
                entry.startup = Some(entry.began.elapsed());
                entry.failures.push(describe("startup", error));
                entry.startup_failure = failure;
            }
            Event::StartupDropped => {
                entry.startup = Some(entry.began.elapsed());
                entry.failures.push("startup dropped".to_owned());
                entry.startup_failure = Some(Failure {
                    kind: ErrorKind::Aborted,
                    message: "its startup was dropped before it finished".to_owned(),
                });
            }
            Event::StartupCancelled => {
                entry.startup = Some(entry.began.elapsed());
                entry.cut = true;
                entry.failures.push("cut while starting".to_owned());
                entry.startup_failure = Some(Failure {
                    kind: ErrorKind::Cancelled,
                    message: "shutdown was requested while it started".to_owned(),
                });
            }
            Event::Stopping => entry.stopping = Some(Instant::now()),
            Event::ShutdownFailed(error) => {
                entry.failures.push(describe("shutdown", error));
                entry.shutdown_failure = failure;
            }
            Event::ChildFailed(error) => entry.failures.push(describe_child(error)),
            Event::Stopped => entry.shutdown = entry.stopping.map(|began| began.elapsed()),
            Event::Note(note) => entry.notes.push(note),
        }
    }

    /// How far the startup in progress may still go by its parts' own limits: `None`
    /// when no part is starting under a `startup_timeout`, its own or one above it.
    ///
    /// A part's startup ends at the latest at the earliest of its own `began + limit`
    /// and those of the parts above it that are still starting: a parent that times out
    /// rolls back what it entered, so its limit cuts its children's. A part above that
    /// has started no longer cuts anything, as its timer is gone. The horizon is the
    /// latest of these ends among the parts still starting; a part with no limit at all
    /// counts for nothing, so that the root, which waits on its children, does not hide
    /// them.
    #[cfg_attr(
        not(all(feature = "systemd", unix)),
        allow(dead_code, reason = "only systemd is told the horizon")
    )]
    pub(crate) fn startup_horizon(&self) -> Option<Instant> {
        let entries = lock(&self.entries);
        // For each entry, the earliest end its own limit and those of the parts above
        // it, while they are starting, impose. One pass: a parent's entry is made
        // before its children's.
        let mut cuts: Vec<Option<Instant>> = Vec::with_capacity(entries.len());
        for entry in entries.iter() {
            let own = entry
                .startup_limit
                .filter(|_| entry.startup.is_none())
                .map(|limit| entry.began + limit);
            let above = entry
                .parent
                .and_then(|parent| cuts.get(parent).copied().flatten());
            cuts.push(match (own, above) {
                (Some(own), Some(above)) => Some(own.min(above)),
                (own, above) => own.or(above),
            });
        }
        entries
            .iter()
            .zip(cuts)
            .filter(|(entry, _)| entry.startup.is_none())
            .filter_map(|(_, cut)| cut)
            .max()
    }

    /// `what` (such as "task `flush` of `main/db`, in one poll") is at work until the
    /// guard is dropped.
    pub(crate) fn busy(&self, what: String) -> BusyGuard<'_> {
        let mut busy = lock(&self.busy);
        let id = busy.next;
        busy.next += 1;
        busy.now.push((id, what, Instant::now()));
        BusyGuard { ledger: self, id }
    }

    /// What is still starting or stopping, outermost first: "`server` (stopping for
    /// 5.001s)"; then the tasks and hooks at work in it, the innermost culprits: "task
    /// `flush` of `server`, in one poll for 5.001s". Empty when nothing is.
    pub(crate) fn unfinished(&self) -> Vec<String> {
        let busy = lock(&self.busy)
            .now
            .iter()
            .map(|(_, what, since)| format!("{what} for {:?}", since.elapsed()))
            .collect::<Vec<_>>();
        let entries = lock(&self.entries);
        entries
            .iter()
            .filter_map(
                |entry| match (entry.startup, entry.stopping, entry.shutdown) {
                    (None, _, _) => Some(format!(
                        "`{}` (starting for {:?})",
                        entry.name,
                        entry.began.elapsed()
                    )),
                    (Some(_), Some(stopping), None) => Some(format!(
                        "`{}` (stopping for {:?})",
                        entry.name,
                        stopping.elapsed()
                    )),
                    _ => None,
                },
            )
            .chain(busy)
            .collect()
    }

    /// The parts whose startup a shutdown request cut, innermost only (`main/db/pool`,
    /// not `main` and `main/db` as well): what was being started when the stop came.
    pub(crate) fn cut(&self) -> Vec<String> {
        let entries = lock(&self.entries);
        let has_cut_child = |id: EntryId| {
            entries
                .iter()
                .any(|entry| entry.cut && entry.parent == Some(id))
        };
        let path = |mut id: EntryId| {
            let mut names = vec![entries[id].name.to_string()];
            while let Some(parent) = entries[id].parent {
                names.push(entries[parent].name.to_string());
                id = parent;
            }
            names.reverse();
            names.join("/")
        };
        (0..entries.len())
            .filter(|&id| entries[id].cut && !has_cut_child(id))
            .map(path)
            .collect()
    }

    /// What the parts did so far, on one axis from the first part's start: a row per
    /// part, each followed by its hooks and its tasks.
    pub(crate) fn timeline(&self) -> Timeline {
        let now = Instant::now();
        let entries = lock(&self.entries);
        let children = lock(&self.children);
        // The axis begins with the first thing recorded: a part's startup, or a task or
        // hook of the root's that came before any part.
        let origin = entries
            .iter()
            .map(|entry| entry.began)
            .chain(children.hooks.iter().map(|hook| hook.began))
            .chain(children.tasks.iter().map(|tasks| tasks.first))
            .min()
            .unwrap_or(now);
        let at = |instant: Instant| instant.saturating_duration_since(origin);
        let bar = |began: Instant, ended: Option<Instant>, failure: &Option<Failure>| Bar {
            start: at(began),
            end: ended.map(at),
            failure: failure.clone(),
        };
        let mut rows = Vec::new();
        let owned_rows =
            |owner: Option<EntryId>, prefix: &str, depth: usize, rows: &mut Vec<Row>| {
                let path = |name: &Name| match prefix {
                    "" => name.to_string(),
                    prefix => format!("{prefix}/{name}"),
                };
                for hook in children.hooks.iter().filter(|hook| hook.owner == owner) {
                    rows.push(Row {
                        path: path(&hook.name),
                        name: hook.name.to_string(),
                        depth,
                        kind: RowKind::Hook,
                        startup: None,
                        shutdown: Some(bar(hook.began, hook.ended, &hook.failure)),
                        count: 1,
                        failures: Vec::new(),
                        notes: Vec::new(),
                    });
                }
                for tasks in children.tasks.iter().filter(|tasks| tasks.owner == owner) {
                    rows.push(Row {
                        path: path(&tasks.name),
                        name: tasks.name.to_string(),
                        depth,
                        kind: RowKind::Tasks,
                        startup: Some(bar(tasks.first, tasks.ended, &tasks.failure)),
                        shutdown: None,
                        count: tasks.count,
                        failures: Vec::new(),
                        notes: Vec::new(),
                    });
                }
            };
        owned_rows(None, "", 0, &mut rows);
        // Depth first: each part, its hooks and tasks, then the parts entered in it, in
        // the order they began, so that a part started beside another is not drawn as
        // the other's child.
        let mut below: Vec<Vec<EntryId>> = vec![Vec::new(); entries.len()];
        let mut tops = Vec::new();
        for (id, entry) in entries.iter().enumerate() {
            // A parent's entry is made before its children's.
            match entry.parent {
                Some(parent) => below[parent].push(id),
                None => tops.push(id),
            }
        }
        let mut pending: Vec<(EntryId, String, usize)> = tops
            .into_iter()
            .rev()
            .map(|id| (id, entries[id].name.to_string(), 0))
            .collect();
        while let Some((id, path, depth)) = pending.pop() {
            let entry = &entries[id];
            let startup_ended = entry.startup.map(|took| entry.began + took);
            let stopped = entry
                .stopping
                .zip(entry.shutdown)
                .map(|(began, took)| began + took);
            rows.push(Row {
                path: path.clone(),
                name: entry.name.to_string(),
                depth,
                kind: RowKind::Part,
                startup: Some(bar(entry.began, startup_ended, &entry.startup_failure)),
                shutdown: entry
                    .stopping
                    .map(|began| bar(began, stopped, &entry.shutdown_failure)),
                count: 1,
                failures: entry.failures.clone(),
                notes: restart_notes(&entry.restarts)
                    .chain(entry.notes.iter().cloned())
                    .collect(),
            });
            owned_rows(Some(id), &path, depth + 1, &mut rows);
            for &child in below[id].iter().rev() {
                let child_path = format!("{path}/{}", entries[child].name);
                pending.push((child, child_path, depth + 1));
            }
        }
        Timeline {
            rows,
            deadline: self.deadline.get().map(|&deadline| at(deadline)),
            taken: at(now),
        }
    }

    /// One line per lifespan, in the order they started: startup time, shutdown time,
    /// and the outcome; drawn from the timeline.
    pub(crate) fn summary(&self) -> String {
        self.timeline().summary()
    }
}

/// `db#2`: the second instance of a restarted part or task `db`, as its row in the
/// summary and the timeline is named.
pub(crate) fn instance(name: &str, number: u32) -> String {
    format!("{name}#{number}")
}

/// "restarted 2 times" for the part itself, and "task `consumer` restarted 3 times"
/// for each of its supervised tasks.
fn restart_notes(restarts: &[(Option<Name>, u32)]) -> impl Iterator<Item = String> + '_ {
    restarts.iter().map(|(task, count)| {
        let what = match task {
            None => String::new(),
            Some(task) => format!("task `{task}` "),
        };
        match count {
            1 => format!("{what}restarted once"),
            _ => format!("{what}restarted {count} times"),
        }
    })
}

/// "startup failed", "shutdown timed out": the stage and the kind, without the detail
/// the error report already gives.
fn describe(stage: &str, error: &Error) -> String {
    let kind = match error.kind() {
        ErrorKind::Panicked => "panicked",
        ErrorKind::TimedOut => "timed out",
        ErrorKind::ReturnedBeforeYield => "returned before its yield",
        _ => "failed",
    };
    format!("{stage} {kind}")
}

/// "task `worker` was aborted at the deadline", "hook `flush` failed", "lifespan `api`
/// failed" (a program below that exited, given up on by its supervisor).
fn describe_child(error: &Error) -> String {
    let what = match error.origin() {
        Origin::Hook => "hook",
        Origin::Running => "lifespan",
        _ => "task",
    };
    let how = match error.kind() {
        ErrorKind::Panicked => "panicked",
        ErrorKind::TimedOut if error.blocked() => "blocked its thread past the deadline",
        ErrorKind::TimedOut if error.origin() == Origin::Task => "was aborted at the deadline",
        ErrorKind::TimedOut => "timed out",
        _ => "failed",
    };
    format!("{what} `{}` {how}", error.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TimeoutCause;

    #[test]
    fn a_failed_child_is_described_by_what_it_is_and_how_it_failed() {
        let second = Duration::from_secs(1);
        let cases = [
            (
                Error::failed("w".into(), Origin::Task, "x"),
                "task `w` failed",
            ),
            (
                Error::failed("api".into(), Origin::Running, "exited"),
                "lifespan `api` failed",
            ),
            (
                Error::panicked("w".into(), Origin::Task, &"x"),
                "task `w` panicked",
            ),
            (
                Error::timed_out("w".into(), Origin::Task, second, TimeoutCause::Deadline),
                "task `w` was aborted at the deadline",
            ),
            (
                Error::timed_out("w".into(), Origin::Task, second, TimeoutCause::Blocked),
                "task `w` blocked its thread past the deadline",
            ),
            (
                Error::failed("f".into(), Origin::Hook, "x"),
                "hook `f` failed",
            ),
            (
                Error::timed_out("f".into(), Origin::Hook, second, TimeoutCause::Own),
                "hook `f` timed out",
            ),
        ];
        for (error, described) in cases {
            assert_eq!(describe_child(&error), described);
        }
    }

    #[test]
    fn the_cut_startups_are_named_innermost_only_by_their_paths() {
        let ledger = Ledger::default();
        let main = ledger.begin("main".into(), None);
        let db = ledger.begin("db".into(), Some(main));
        let pool = ledger.begin("pool".into(), Some(db));
        let cache = ledger.begin("cache".into(), Some(main));
        let started = ledger.begin("started".into(), Some(main));
        ledger.record(started, Event::Started);
        assert!(ledger.cut().is_empty(), "nothing was cut yet");
        for cut in [main, db, pool, cache] {
            ledger.record(cut, Event::StartupCancelled);
        }
        assert_eq!(ledger.cut(), ["main/db/pool", "main/cache"]);
        let summary = ledger.summary();
        assert!(
            summary
                .lines()
                .any(|line| line.trim_start().starts_with("pool")
                    && line.ends_with("  cut while starting")),
            "{summary}"
        );
    }

    #[test]
    fn each_part_s_row_says_how_its_half_failed() {
        let ledger = Ledger::default();
        let failures = [
            ("db", Error::failed("db".into(), Origin::Startup, "refused")),
            (
                "cache",
                Error::panicked("cache".into(), Origin::Startup, &"boom"),
            ),
            ("lazy", Error::returned_before_yield("lazy".into())),
            ("gone", Error::cancelled("gone".into())),
        ];
        for (name, error) in &failures {
            let id = ledger.begin((*name).into(), None);
            ledger.record(id, Event::StartupFailed(error));
        }
        let closer = ledger.begin("closer".into(), None);
        ledger.record(closer, Event::Started);
        ledger.record(closer, Event::Stopping);
        let flush = Error::panicked("closer".into(), Origin::Shutdown, &"flush");
        ledger.record(closer, Event::ShutdownFailed(&flush));
        ledger.record(closer, Event::Stopped);
        let summary = ledger.summary();
        let ends: Vec<&str> = summary
            .lines()
            .map(|line| line.rsplit("  ").next().unwrap())
            .collect();
        assert_eq!(
            ends,
            [
                "startup failed",
                "startup panicked",
                "startup returned before its yield",
                "startup failed",
                "shutdown panicked",
            ],
            "{summary}"
        );
    }

    #[test]
    fn names_what_is_unfinished_and_summarises_the_rest() {
        let ledger = Ledger::default();
        let db = ledger.begin("db".into(), None);
        let server = ledger.begin("server".into(), None);
        let _never_started = ledger.begin("stuck".into(), None);
        ledger.record(db, Event::Started);
        ledger.record(server, Event::Started);
        ledger.record(server, Event::Stopping);
        let unfinished = ledger.unfinished();
        assert_eq!(unfinished.len(), 2);
        assert!(unfinished[0].starts_with("`server` (stopping for "));
        assert!(unfinished[1].starts_with("`stuck` (starting for "));

        let timeout = Error::timed_out(
            "server".into(),
            Origin::Shutdown,
            Duration::from_secs(1),
            crate::error::TimeoutCause::Own,
        );
        ledger.record(server, Event::ShutdownFailed(&timeout));
        ledger.record(server, Event::Stopped);
        ledger.record(db, Event::Stopping);
        ledger.record(db, Event::Stopped);
        let summary = ledger.summary();
        let lines: Vec<&str> = summary.lines().collect();
        assert!(lines[0].starts_with("  db      started in"), "{summary}");
        assert!(lines[0].ends_with("  ok"), "{summary}");
        assert!(lines[1].ends_with("  shutdown timed out"), "{summary}");
        assert!(lines[2].ends_with("  never started"), "{summary}");

        let running = ledger.begin("cache".into(), None);
        ledger.record(running, Event::Started);
        let summary = ledger.summary();
        assert!(
            summary.lines().nth(3).unwrap().ends_with("  never stopped"),
            "{summary}"
        );
    }

    /// A part named `name` in `parent`, beginning now, under its own `limit` if given.
    fn starting(
        ledger: &Ledger,
        name: &'static str,
        parent: Option<EntryId>,
        limit: Option<u64>,
    ) -> (EntryId, Instant) {
        let id = ledger.begin(name.into(), parent);
        if let Some(limit) = limit {
            ledger.record(id, Event::StartupLimit(Duration::from_secs(limit)));
        }
        (id, Instant::now())
    }

    /// Time is paused, so that each part's `began` is the instant it is made at.
    #[tokio::test(start_paused = true)]
    async fn the_startup_horizon_is_the_latest_end_the_limits_allow() {
        let second = Duration::from_secs(1);
        let ledger = Ledger::default();
        assert_eq!(ledger.startup_horizon(), None, "nothing is starting");

        // The root waits on its children and has no limit: on its own it bounds nothing.
        let (main, _) = starting(&ledger, "main", None, None);
        assert_eq!(ledger.startup_horizon(), None, "no limit anywhere");

        let (db, db_began) = starting(&ledger, "db", Some(main), Some(10));
        assert_eq!(ledger.startup_horizon(), Some(db_began + 10 * second));

        // A parent's limit cuts its children's: `pool` cannot outlive `db`'s 10 s.
        tokio::time::advance(second).await;
        let (pool, _) = starting(&ledger, "pool", Some(db), Some(60));
        assert_eq!(ledger.startup_horizon(), Some(db_began + 10 * second));
        // A child with no limit of its own is bounded by its parent's.
        let (warm, _) = starting(&ledger, "warm", Some(db), None);
        assert_eq!(ledger.startup_horizon(), Some(db_began + 10 * second));
        ledger.record(warm, Event::Started);

        // Of two parts starting side by side, the later end is the horizon.
        let (cache, cache_began) = starting(&ledger, "cache", Some(main), Some(20));
        assert_eq!(ledger.startup_horizon(), Some(cache_began + 20 * second));
        ledger.record(cache, Event::Started);
        assert_eq!(ledger.startup_horizon(), Some(db_began + 10 * second));

        // Once `db` has started, its timer is gone, and `pool`'s own limit is the bound.
        ledger.record(db, Event::Started);
        let pool_began = db_began + second;
        assert_eq!(ledger.startup_horizon(), Some(pool_began + 60 * second));

        // A failed or dropped startup is over, too.
        let failure = Error::failed("pool".into(), Origin::Startup, "refused");
        ledger.record(pool, Event::StartupFailed(&failure));
        assert_eq!(ledger.startup_horizon(), None, "only `main` is starting");
        let (late, _) = starting(&ledger, "late", Some(main), Some(5));
        ledger.record(late, Event::StartupDropped);
        assert_eq!(ledger.startup_horizon(), None);

        // A limit above a started part still cuts a part entered below it.
        let (outer, outer_began) = starting(&ledger, "outer", Some(main), Some(3));
        let (middle, _) = starting(&ledger, "middle", Some(outer), None);
        ledger.record(middle, Event::Started);
        let _inner = starting(&ledger, "inner", Some(middle), Some(30));
        assert_eq!(ledger.startup_horizon(), Some(outer_began + 3 * second));
    }

    #[test]
    fn tasks_and_hooks_at_work_are_named_after_the_parts_until_they_are_done() {
        let ledger = Ledger::default();
        let main = ledger.begin("main".into(), None);
        ledger.record(main, Event::Started);
        ledger.record(main, Event::Stopping);
        let hook = ledger.busy("hook `flush` of `main`".to_owned());
        let task = ledger.busy("task `tick` of `main`, in one poll".to_owned());
        let unfinished = ledger.unfinished();
        assert_eq!(unfinished.len(), 3, "{unfinished:?}");
        assert!(unfinished[0].starts_with("`main` (stopping for "));
        assert!(unfinished[1].starts_with("hook `flush` of `main` for "));
        assert!(unfinished[2].starts_with("task `tick` of `main`, in one poll for "));
        drop(hook);
        let unfinished = ledger.unfinished();
        assert_eq!(unfinished.len(), 2, "{unfinished:?}");
        assert!(unfinished[1].starts_with("task `tick`"));
        drop(task);
        assert_eq!(ledger.unfinished().len(), 1);
    }
}
