//! Nothing to import: the binaries in `src/bin/` are the fixtures, and `tests/` runs
//! them as a service manager would, with real signals and a real `NOTIFY_SOCKET`.
#![forbid(unsafe_code)]
