//! The exit codes of a service: one table, so that a service manager can act on why it
//! ended (systemd's `RestartPreventExitStatus=`, a Kubernetes alert on a code).
//!
//! | code | why |
//! |---|---|
//! | 0 | it stopped cleanly: a signal or `request_shutdown()`, and nothing failed (a startup cut by a signal too) |
//! | 1 | something failed while stopping (a shutdown half, a hook, a task at its turn), or main returned an error after its startup; or the shutdown deadline passed, and the watchdog exited |
//! | 69 | startup failed (`EX_UNAVAILABLE`): a part could not start, or main's startup returned an error |
//! | 70 | it gave up while running (`EX_SOFTWARE`): a task failed, or gave up restarting, or a program exited, and that brought the service down |
//! | 78 | startup failed with an error marked as a configuration problem (`EX_CONFIG`, a [`ConfigError`](crate::ConfigError)) |
//! | 130 | forced by signals: a second signal hurried the shutdown, or a third one (or the hurry's own timeout) ended it |
//!
//! 69, 70 and 78 are `sysexits.h`'s; 1 is Rust's own for a failing `main`, and 130 the
//! shells' for an interrupt (128 + SIGINT).

/// Startup failed: a part could not start.
pub(super) const STARTUP_FAILED: i32 = 69;
/// A failure while running brought the service down.
pub(super) const GAVE_UP: i32 = 70;
/// Startup failed on a configuration problem.
pub(super) const MISCONFIGURED: i32 = 78;

/// Why a service that was not forced out ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// Nothing failed.
    Clean,
    /// Something failed while stopping, or main's shutdown half did.
    FailedStopping,
    /// A failure while running requested the shutdown.
    GaveUp,
    /// Startup failed.
    StartupFailed,
    /// Startup failed with a [`ConfigError`](crate::ConfigError) among its failures.
    Misconfigured,
}

impl Ending {
    /// How a service ended: `startup_failed` if its startup failed, else whether
    /// anything `failed` and, if so, whether a failure while running `brought_down` the
    /// service; `misconfigured` if a failure of the startup is marked.
    pub(super) fn of(
        startup_failed: bool,
        misconfigured: bool,
        failed: bool,
        brought_down: bool,
    ) -> Ending {
        match (startup_failed, misconfigured, failed, brought_down) {
            (true, true, ..) => Ending::Misconfigured,
            (true, false, ..) => Ending::StartupFailed,
            (false, _, true, true) => Ending::GaveUp,
            (false, _, true, false) => Ending::FailedStopping,
            (false, _, false, _) => Ending::Clean,
        }
    }

    /// The exit code, where it is not what `main`'s own return gives (0 for a clean
    /// run, 1 for a failure).
    pub(super) fn code(self) -> Option<i32> {
        match self {
            Ending::Clean | Ending::FailedStopping => None,
            Ending::GaveUp => Some(GAVE_UP),
            Ending::StartupFailed => Some(STARTUP_FAILED),
            Ending::Misconfigured => Some(MISCONFIGURED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ending_has_the_code_of_the_table() {
        let cases = [
            ((false, false, false, false), Ending::Clean, None),
            // A failure of a stopping part, whatever the marks.
            ((false, true, true, false), Ending::FailedStopping, None),
            ((false, false, true, true), Ending::GaveUp, Some(70)),
            // Brought down needs a failure to count: a clean run is clean.
            ((false, false, false, true), Ending::Clean, None),
            ((true, false, true, false), Ending::StartupFailed, Some(69)),
            ((true, true, true, true), Ending::Misconfigured, Some(78)),
        ];
        for ((startup, config, failed, down), ending, code) in cases {
            let of = Ending::of(startup, config, failed, down);
            assert_eq!(of, ending, "{:?}", (startup, config, failed, down));
            assert_eq!(of.code(), code);
        }
    }
}
