//! Readiness for service managers: with the `systemd` feature, READY=1 once startup
//! is done and STOPPING=1 when shutdown begins, sent only when `NOTIFY_SOCKET` is set.
//! (`extend.rs` sends `EXTEND_TIMEOUT_USEC=` through [`send`] too.)

/// Startup is done.
pub(crate) fn ready() {
    #[cfg(all(feature = "systemd", unix))]
    send(sd_notify::NotifyState::Ready);
}

/// Shutdown has begun.
pub(crate) fn stopping() {
    #[cfg(all(feature = "systemd", unix))]
    send(sd_notify::NotifyState::Stopping);
}

/// Tells the service manager `state`, if one listens; a failure is a warning, as the
/// service works the same without it.
#[cfg(all(feature = "systemd", unix))]
pub(super) fn send(state: sd_notify::NotifyState<'_>) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(error) = sd_notify::notify(false, std::slice::from_ref(&state)) {
        tracing::warn!(%error, "could not tell the service manager {state}");
    }
}
