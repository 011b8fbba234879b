//! The timeline a scope's app keeps: what `#[lifespan::main]` draws at exit, and what a
//! test or an admin endpoint can take at any time.

use crate::error::{Error, Name};
use crate::ledger::{EntryId, Ledger, instance};
use crate::timeline::Timeline;

use super::Scope;

impl Scope {
    /// From now on, the app of this scope keeps its [`Timeline`]: each part entered
    /// after this call, its hooks and its tasks (by name). Call it before entering
    /// anything: the parts entered before are not in it, and the hooks and tasks of
    /// their scopes appear at the top. A lifespan started outside any scope is an app
    /// of its own, and is not in its caller's timeline. `#[lifespan::main]` keeps the
    /// parts always, for its summary, and hooks and tasks when `LIFESPAN_TIMELINE` is
    /// set; a [`Scope::new`] app pays nothing until asked.
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.record_timeline();
    /// scope.enter(from_fn("db", |y| y.yield_app(()))).await?;
    /// scope.shutdown().await?;
    /// let timeline = scope.timeline().expect("recorded");
    /// assert_eq!(timeline.rows()[0].path(), "db");
    /// assert!(timeline.rows()[0].shutdown().is_some());
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn record_timeline(&self) {
        let ledger = self.inner.app.ledger.get_or_init(Ledger::default);
        ledger.record_children();
    }

    /// The app's [`Timeline`] so far, if it keeps one (see
    /// [`record_timeline`](Scope::record_timeline)): every part, hook and task name,
    /// with what is still running drawn to now.
    pub fn timeline(&self) -> Option<Timeline> {
        self.ledger().map(Ledger::timeline)
    }
}

/// How many instances of one supervised task get a row of their own; the ones after
/// share one row, `task#21+`, counted, from the first of them to the end of the last.
/// A task restarted for the whole life of a service (`Restart::always()` around a loop
/// that returns) keeps a timeline of bounded size.
const INSTANCE_ROWS: u32 = 20;

impl Scope {
    /// An instance of this scope's supervised task `task` began. When hooks and tasks
    /// are recorded, it is a row of its own, `task#number`, beside the task's row for
    /// its whole life: its end, and its failure, are the instance's. Past
    /// [`INSTANCE_ROWS`], the later instances share a row.
    pub(crate) fn task_instance_began(&self, task: &Name, number: u32) -> Option<InstanceRow<'_>> {
        let ledger = self.ledger().filter(|ledger| ledger.records_children())?;
        let name: Name = match number {
            ..=INSTANCE_ROWS => instance(task, number).into(),
            _ => format!("{}+", instance(task, INSTANCE_ROWS + 1)).into(),
        };
        let owner = self.entry();
        ledger.task_spawned(owner, &name);
        Some(InstanceRow {
            ledger,
            owner,
            name,
            ended: false,
        })
    }
}

/// The row of one instance of a supervised task, open while it runs.
pub(crate) struct InstanceRow<'a> {
    ledger: &'a Ledger,
    owner: Option<EntryId>,
    name: Name,
    ended: bool,
}

impl InstanceRow<'_> {
    /// The instance ended, with `failure` if it failed.
    pub(crate) fn ended(mut self, failure: Option<&Error>) {
        self.ended = true;
        self.ledger.task_ended(self.owner, &self.name, failure);
    }
}

/// An instance whose task was aborted (at the deadline) ends there too; the task's own
/// row says how.
impl Drop for InstanceRow<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.ledger.task_ended(self.owner, &self.name, None);
        }
    }
}
