//! A signal that arrives while a service starts, as when Kubernetes scales down during a
//! slow boot: the startup in progress is cut, what had started is stopped in reverse,
//! and the service exits 0 without ever being ready. The `slow-start` fixture starts
//! `db`, then a part whose startup would take 30 s, as long as its deadline: only a cut
//! ends it early.

#![cfg(unix)]

use std::time::{Duration, Instant};

use lifespan_service_tests::{NotifySocket, Service};

/// The fixture in `mode`, read up to the line that says the slow startup began.
fn starting(mode: &str, env: &[(&str, &str)]) -> Service {
    let mut service = Service::spawn(env!("CARGO_BIN_EXE_slow-start"), &[mode], env);
    service.read_until(|line| line == "starting slow_start");
    service
}

/// How long a cut and a 100 ms rollback may take, from the signal to the exit: the
/// rollback, and 500 ms for a process's exit and a loaded machine's scheduling (measured:
/// 0.2 s in all). Far below the 30 s either the startup or the deadline would take.
const PROMPT: Duration = Duration::from_millis(100 + 500);

#[test]
fn a_signal_during_startup_cuts_it_stops_what_had_started_and_exits_0() {
    for signal in ["TERM", "INT"] {
        let service = starting("clean", &[]);
        let sent = Instant::now();
        service.signal(signal);
        let (status, _, printed, stderr) = service.wait();
        let took = sent.elapsed();
        let stdout = printed.join("\n");

        assert_eq!(status.code(), Some(0), "SIG{signal}: {stdout}\n{stderr}");
        assert!(took < PROMPT, "SIG{signal}: exited after {took:?}");
        assert!(
            printed.iter().any(|line| line == "stopped db"),
            "db's shutdown half ran: {stdout}"
        );
        assert!(
            !printed
                .iter()
                .any(|line| line == "ready" || line == "started slow_start"),
            "the startup never finished, and the body never ran: {stdout}"
        );
        assert!(
            stdout.contains(&format!(
                "SIG{signal} received, cutting the startup and stopping what had started"
            )),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                "stopped while starting (the startup of `main/slow_start` was cut); every part \
                 that had started was stopped, and none failed"
            ),
            "the summary says what happened: {stdout}"
        );
        assert!(!stderr.contains("Error"), "nothing failed: {stderr}");
    }
}

#[test]
fn a_startup_cut_by_a_signal_never_tells_systemd_it_is_ready() {
    let socket = NotifySocket::bind("cut");
    let service = starting("clean", &[("NOTIFY_SOCKET", &socket.path)]);
    service.signal("TERM");
    let (status, _, printed, stderr) = service.wait();
    assert_eq!(status.code(), Some(0), "{printed:?}\n{stderr}");
    let sent = socket.left();
    assert!(
        !sent.iter().any(|message| message == "READY=1"),
        "no READY=1 for a startup that was cut: {sent:?}"
    );
}

#[test]
fn a_second_signal_during_the_rollback_hurries_it_and_exits_130() {
    let mut service = starting("stubborn", &[]);
    service.signal("TERM");
    // The rollback ran the worker's half and now waits on `consumer`, which ignores it.
    service.read_until(|line| line == "stopped worker");
    assert!(service.is_running(), "one signal does not end it");
    let hurried = Instant::now();
    service.signal("INT");
    let (status, _, printed, stderr) = service.wait();
    let took = hurried.elapsed();
    let stdout = printed.join("\n");

    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        took < PROMPT,
        "the hurried rollback does not wait on the task: {took:?}"
    );
    assert!(
        printed.iter().any(|line| line == "stopped db"),
        "db's shutdown half still ran: {stdout}"
    );
    assert!(
        stdout.contains("a second SIGINT: hurrying, drains cut and tasks aborted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hurried by a second signal, so the exit code is 130"),
        "{stdout}"
    );
}
