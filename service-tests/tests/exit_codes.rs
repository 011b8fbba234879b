//! The exit-code table, as a service manager reads it: a service that gives up while
//! running, one whose startup fails, one whose startup fails on its configuration
//! (through a part, or main's own `anyhow` error), and a signal during a restart's
//! backoff.

use std::time::{Duration, Instant};

use lifespan_service_tests::Service;

fn flapping(mode: &str) -> Service {
    Service::spawn(env!("CARGO_BIN_EXE_flapping"), &[mode], &[])
}

#[test]
fn a_task_that_gives_up_brings_the_service_down_with_70() {
    let (status, _, printed, stderr) = flapping("keeps-failing").wait();
    assert_eq!(status.code(), Some(70), "{stderr}");
    // The first instance and its three restarts.
    let attempts: Vec<&String> = printed
        .iter()
        .filter(|line| line.starts_with("consumer"))
        .collect();
    assert_eq!(attempts.len(), 4, "{printed:?}");
    assert!(
        stderr.contains("task `consumer` failed: broker gone (4); gave up after 3 restarts in"),
        "{stderr}"
    );
}

#[test]
fn a_failed_startup_exits_69_and_a_misconfigured_one_78() {
    for (mode, code, cause) in [
        (
            "unavailable",
            69,
            "the settings service refused the connection",
        ),
        ("misconfigured", 78, "invalid digit found in string"),
    ] {
        let (status, _, printed, stderr) = flapping(mode).wait();
        assert_eq!(status.code(), Some(code), "{mode}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "lifespan `settings` failed during startup: {cause}"
            )),
            "{mode}: {stderr}"
        );
        assert!(printed.is_empty(), "{mode}: nothing ran: {printed:?}");
    }
}

/// Main's own error is read for the mark even as an `anyhow::Error`, which only the
/// macro, at the return type as written, can look into: 78 when it carries the mark,
/// 69 when it does not, whatever a part that main handled failed on.
#[test]
fn main_s_own_anyhow_error_is_read_for_the_configuration_mark() {
    for (mode, code) in [("own", 78), ("handled-then-own", 69)] {
        let service = Service::spawn(env!("CARGO_BIN_EXE_config-in-main"), &[mode], &[]);
        let (status, _, printed, stderr) = service.wait();
        assert_eq!(status.code(), Some(code), "{mode}: {stderr}");
        assert!(
            !printed.iter().any(|line| line.starts_with("port")),
            "{mode}: {printed:?}"
        );
    }
}

#[test]
fn sigterm_during_a_backoff_exits_0_at_once() {
    let mut service = flapping("backoff");
    service.read_until(|line| line == "backing off");
    let signalled = Instant::now();
    service.signal("TERM");
    let (status, _, printed, stderr) = service.wait();
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        printed
            .iter()
            .filter(|line| line.starts_with("consumer"))
            .count(),
        1,
        "not restarted: {printed:?}"
    );
    // The backoff is an hour; the shutdown waits for none of it.
    assert!(took < Duration::from_millis(500), "{took:?}");
}
