//! Signals to the process group of an external service, so that what it started dies
//! with it.

use rustix::process::{Pid, Signal, kill_process_group};

/// The process group a service leads. Dropped while armed, it kills the whole group:
/// a panic or a cancelled startup leaves no process behind.
#[derive(Debug)]
pub(crate) struct Group {
    leader: Option<Pid>,
}

impl Group {
    pub(crate) fn new(leader: u32) -> Group {
        Group {
            leader: i32::try_from(leader).ok().and_then(Pid::from_raw),
        }
    }

    /// Asks every process of the group to stop.
    pub(crate) fn terminate(&self) {
        self.send(Signal::TERM);
    }

    /// Kills every process of the group that is left; none left is fine.
    pub(crate) fn kill(&self) {
        self.send(Signal::KILL);
    }

    /// The group is gone: its drop sends nothing.
    pub(crate) fn disarm(mut self) {
        self.leader = None;
    }

    fn send(&self, signal: Signal) {
        let Some(leader) = self.leader else { return };
        match kill_process_group(leader, signal) {
            Ok(()) | Err(rustix::io::Errno::SRCH) => {}
            Err(error) => tracing::warn!(%error, ?signal, "could not signal a process group"),
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
