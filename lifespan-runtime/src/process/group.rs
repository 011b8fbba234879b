//! Signals to the process group of an external service, so that what it started dies
//! with it; and the registry of the groups still alive, which a service's force paths
//! kill before they exit without teardown.

use std::io;
use std::sync::Mutex;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::process::{Child, Command};

use crate::error::Name;
use crate::sync::lock;

/// Every group spawned and not yet disarmed or dropped, by leader; once `closed`, no
/// new one is spawned.
static LIVE: Mutex<Live> = Mutex::new(Live {
    groups: Vec::new(),
    closed: false,
});

#[derive(Debug)]
struct Live {
    groups: Vec<(Pid, Name)>,
    closed: bool,
}

/// The process group a service leads. Dropped while armed, it kills the whole group:
/// a panic or a cancelled startup leaves no process behind.
#[derive(Debug)]
pub(crate) struct Group {
    leader: Option<Pid>,
}

impl Group {
    /// Spawns `command` as the leader of a new process group, registered as live
    /// under `name` until it is disarmed or dropped. The registry stays locked from
    /// the spawn to the registration, so that [`kill_all`] misses no group.
    pub(crate) fn spawn(command: &mut Command, name: &Name) -> io::Result<(Child, Group)> {
        let mut live = lock(&LIVE);
        if live.closed {
            return Err(io::Error::other(
                "the service is exiting and starts no new process",
            ));
        }
        let child = command.process_group(0).spawn()?;
        let leader = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .and_then(Pid::from_raw);
        if let Some(leader) = leader {
            live.groups.push((leader, name.clone()));
        }
        Ok((child, Group { leader }))
    }

    /// Asks every process of the group to stop.
    pub(crate) fn terminate(&self) {
        self.send(Signal::TERM);
    }

    /// Kills every process of the group that is left; none left is fine.
    pub(crate) fn kill(&self) {
        self.send(Signal::KILL);
    }

    /// The group is gone (its leader reaped, the rest killed): its drop sends nothing,
    /// and the force paths no longer kill it.
    pub(crate) fn disarm(mut self) {
        self.forget();
    }

    fn send(&self, signal: Signal) {
        if let Some(leader) = self.leader {
            send(leader, signal);
        }
    }

    fn forget(&mut self) {
        if let Some(leader) = self.leader.take() {
            lock(&LIVE).groups.retain(|(live, _)| *live != leader);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
        self.forget();
    }
}

/// Sends SIGKILL to every live group and lets no new one start: the process is about
/// to exit without teardown. Returns them as `` `name` (pid N) ``.
pub(crate) fn kill_all() -> Vec<String> {
    let mut live = lock(&LIVE);
    live.closed = true;
    live.groups
        .iter()
        .map(|(leader, name)| {
            send(*leader, Signal::KILL);
            format!("`{name}` (pid {})", leader.as_raw_pid())
        })
        .collect()
}

fn send(leader: Pid, signal: Signal) {
    match kill_process_group(leader, signal) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => {}
        Err(error) => tracing::warn!(%error, ?signal, "could not signal a process group"),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::time::Duration;

    use super::*;

    fn sleeper(name: &'static str) -> (Child, Group) {
        let mut command = Command::new("sleep");
        command.arg("30").kill_on_drop(true);
        Group::spawn(&mut command, &Name::Borrowed(name)).expect("`sleep` runs")
    }

    fn live() -> Vec<Name> {
        lock(&LIVE)
            .groups
            .iter()
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// The signal `child` died of; bounded, so that a signal that never came fails in
    /// seconds rather than when `sleep` ends.
    async fn killed_by(child: &mut Child) -> Option<Signal> {
        let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .expect("the signal ended it")
            .unwrap();
        status.signal().and_then(Signal::from_named_raw)
    }

    /// A group is live from its spawn until it is disarmed or dropped, and each signal
    /// reaches it: TERM to stop, KILL when it must, KILL when dropped armed. (One test:
    /// the registry is the process's own.)
    #[tokio::test]
    async fn a_group_is_signalled_and_registered_until_it_is_done() {
        let (mut polite, polite_group) = sleeper("polite");
        let (mut stubborn, stubborn_group) = sleeper("stubborn");
        let (mut dropped, dropped_group) = sleeper("dropped");
        assert_eq!(live(), ["polite", "stubborn", "dropped"]);

        polite_group.terminate();
        assert_eq!(killed_by(&mut polite).await, Some(Signal::TERM));
        polite_group.disarm();
        assert_eq!(live(), ["stubborn", "dropped"]);

        stubborn_group.kill();
        assert_eq!(killed_by(&mut stubborn).await, Some(Signal::KILL));

        drop(dropped_group);
        assert_eq!(killed_by(&mut dropped).await, Some(Signal::KILL));
        assert_eq!(live(), ["stubborn"]);
        stubborn_group.disarm();
        assert!(live().is_empty());
    }
}
