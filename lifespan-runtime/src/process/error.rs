//! How an external service fails.

use std::fmt;
use std::process::ExitStatus;
use std::time::Duration;

/// Why a [`Process`](super::Process) did not start, or stopped badly. The startup
/// failures carry the last lines the program printed, which usually say why.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProcessError {
    /// The program could not be spawned (not found, not executable, or the service is
    /// exiting on a force path).
    Spawn {
        /// The program, as given.
        program: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The pattern given to [`ready_on_line`](super::Process::ready_on_line) is not a
    /// regular expression.
    BadPattern(regex::Error),
    /// It exited before it was ready.
    ExitedBeforeReady {
        /// How it exited.
        status: ExitStatus,
        /// What it printed last, stdout and stderr interleaved.
        last_lines: Vec<String>,
    },
    /// It was not ready within its startup timeout, and was killed.
    NotReady {
        /// The startup timeout.
        after: Duration,
        /// What it printed last, stdout and stderr interleaved.
        last_lines: Vec<String>,
    },
    /// It exited while the app was running; the app was asked to shut down.
    Exited {
        /// How it exited.
        status: ExitStatus,
    },
    /// Waiting for it or signalling it failed.
    Io(std::io::Error),
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::Spawn { program, source } => {
                write!(f, "could not start `{program}`: {source}")
            }
            ProcessError::BadPattern(error) => {
                write!(
                    f,
                    "the readiness pattern is not a regular expression: {error}"
                )
            }
            ProcessError::ExitedBeforeReady { status, last_lines } => {
                write!(f, "exited before it was ready ({status})")?;
                write_lines(f, last_lines)
            }
            ProcessError::NotReady { after, last_lines } => {
                write!(f, "was not ready after {after:?} and was killed")?;
                write_lines(f, last_lines)
            }
            ProcessError::Exited { status } => {
                write!(f, "exited while the app was running ({status})")
            }
            ProcessError::Io(error) => write!(f, "could not wait for or signal it: {error}"),
        }
    }
}

fn write_lines(f: &mut fmt::Formatter<'_>, lines: &[String]) -> fmt::Result {
    if lines.is_empty() {
        return f.write_str("; it printed nothing");
    }
    f.write_str("; its last lines:")?;
    for line in lines {
        write!(f, "\n    {line}")?;
    }
    Ok(())
}

impl std::error::Error for ProcessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProcessError::Spawn { source, .. } | ProcessError::Io(source) => Some(source),
            ProcessError::BadPattern(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::io;

    use super::*;

    /// The operating system's error, or the pattern's, is the source a caller walks to;
    /// the failures that are the program's own have none.
    #[test]
    fn the_cause_underneath_is_the_source() {
        let spawn = ProcessError::Spawn {
            program: "redis-server".to_owned(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        let io = ProcessError::Io(io::Error::from(io::ErrorKind::PermissionDenied));
        let unclosed = String::from("(");
        let pattern = ProcessError::BadPattern(regex::Regex::new(&unclosed).unwrap_err());
        let exited = ProcessError::NotReady {
            after: Duration::from_secs(1),
            last_lines: Vec::new(),
        };
        let kind = |error: &ProcessError| {
            error
                .source()
                .and_then(|source| source.downcast_ref::<io::Error>())
                .map(io::Error::kind)
        };
        assert_eq!(kind(&spawn), Some(io::ErrorKind::NotFound));
        assert_eq!(kind(&io), Some(io::ErrorKind::PermissionDenied));
        assert!(
            pattern
                .source()
                .is_some_and(|source| source.downcast_ref::<regex::Error>().is_some())
        );
        assert!(exited.source().is_none());
    }
}
