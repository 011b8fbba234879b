//! `lifespan::process` against a real program: each way of becoming ready, each way of
//! failing, and after every one of them no process left in the program's group.

use std::time::{Duration, Instant};

use lifespan::process::{Process, ProcessError};
use lifespan::{ErrorKind, Origin, Restart, Scope};

const READY_LINE: &str = r"listening on (?<address>\S+)";

fn fake(name: &'static str, flags: &[&str]) -> Process {
    Process::new(name, env!("CARGO_BIN_EXE_fake-service"))
        .args(flags)
        .ready_timeout(Duration::from_secs(10))
        .grace(Duration::from_secs(5))
}

/// The live members of process group `group`, read from `/proc`; zombies are dead.
fn alive_in_group(group: u32) -> Vec<u32> {
    let mut alive = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields[2].parse::<u32>() == Ok(group) && fields[0] != "Z" {
            alive.push(pid);
        }
    }
    alive
}

/// Whether `pid` runs: it exists and is not a zombie.
fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat[stat.rfind(')').unwrap() + 2..].starts_with('Z'))
}

/// Whether `alive` turns false within two seconds. SIGKILL is delivered
/// asynchronously: the leader is reaped before `stop` returns, but a grandchild, which
/// is not ours to wait for, may still be on its way out.
fn dies_soon(mut alive: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while alive() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Every process of group `group` dies soon.
fn group_dies_soon(group: u32) -> bool {
    dies_soon(|| !alive_in_group(group).is_empty())
}

/// The startup error's `ProcessError`.
fn process_error(error: &lifespan::Error) -> &ProcessError {
    error
        .downcast_ref::<ProcessError>()
        .unwrap_or_else(|| panic!("not a process error: {error}"))
}

#[lifespan::test]
async fn ready_on_a_line_yields_pid_and_address_and_stop_leaves_nothing() {
    let running = fake("api", &["--grandchild", "--ready-after-ms", "50"])
        .ready_on_line(READY_LINE)
        .lifespan()
        .start()
        .await
        .unwrap();
    let address = running.address().expect("parsed from the ready line");
    tokio::net::TcpStream::connect(address)
        .await
        .expect("it serves");
    let group = running.pid();
    assert_eq!(
        alive_in_group(group).len(),
        2,
        "the program and its grandchild"
    );
    let stopping = std::time::Instant::now();
    running.stop().await.unwrap();
    // SIGTERM stops it: it is not left to the kill after its 5 s grace.
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "stopped after {:?}",
        stopping.elapsed()
    );
    assert!(
        group_dies_soon(group),
        "group {} outlived its lifespan",
        group
    );
}

#[lifespan::test]
async fn ready_on_a_port_and_after_a_delay() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let on_port = fake("port", &[])
        .ready_on_port(address)
        .lifespan()
        .start()
        .await
        .unwrap();
    assert_eq!(on_port.address(), Some(address));
    let started = Instant::now();
    let after = fake("delay", &[])
        .ready_after(Duration::from_millis(100))
        .lifespan()
        .start()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(after.address(), None);
    let groups = [on_port.pid(), after.pid()];
    on_port.stop().await.unwrap();
    after.stop().await.unwrap();
    for group in groups {
        assert!(
            group_dies_soon(group),
            "group {} outlived its lifespan",
            group
        );
    }
}

#[lifespan::test]
async fn not_ready_in_time_is_killed_and_its_last_lines_are_in_the_error() {
    let limit = Duration::from_millis(300);
    let scope = Scope::new();
    let error = scope
        .enter(
            fake("slow", &["--grandchild", "--never-ready"])
                .ready_on_line(READY_LINE)
                .ready_timeout(limit)
                .lifespan(),
        )
        .await
        .unwrap_err();
    assert_eq!((error.name(), error.origin()), ("slow", Origin::Startup));
    let ProcessError::NotReady { after, last_lines } = process_error(&error) else {
        panic!("{error}");
    };
    assert_eq!(*after, limit);
    assert_eq!(last_lines[1..], ["starting up", "still loading"]);
    let grandchild: u32 = last_lines[0]["grandchild ".len()..].parse().unwrap();
    assert!(
        error
            .to_string()
            .contains("was not ready after 300ms and was killed; its last lines:")
    );
    assert!(
        dies_soon(|| is_alive(grandchild)),
        "the grandchild {grandchild} outlived the timeout"
    );
    scope.shutdown().await.unwrap();
}

#[lifespan::test]
async fn exiting_before_ready_fails_startup_with_its_status_and_output() {
    let error = fake("broken", &["--exit-early"])
        .ready_on_line(READY_LINE)
        .lifespan()
        .start()
        .await
        .unwrap_err();
    let ProcessError::ExitedBeforeReady { status, last_lines } = process_error(&error) else {
        panic!("{error}");
    };
    assert_eq!(status.code(), Some(2));
    assert_eq!(last_lines, &["starting up", "fatal: bad config"]);
}

#[lifespan::test]
async fn a_program_that_ignores_sigterm_is_killed_after_its_grace_period() {
    let grace = Duration::from_millis(300);
    let running = fake("stubborn", &["--ignore-term", "--grandchild"])
        .ready_on_line(READY_LINE)
        .grace(grace)
        .lifespan()
        .start()
        .await
        .unwrap();
    let group = running.pid();
    let stopping = Instant::now();
    running.stop().await.unwrap();
    assert!(
        stopping.elapsed() >= grace,
        "stopped after {:?}",
        stopping.elapsed()
    );
    assert!(
        group_dies_soon(group),
        "group {} outlived its lifespan",
        group
    );
}

/// A second signal hurries the shutdown: a program that ignores SIGTERM is killed at
/// once instead of after its 30 s grace period.
#[tokio::test]
async fn a_hurried_shutdown_kills_a_program_without_waiting_out_its_grace_period() {
    let scope = Scope::new();
    let running = scope
        .enter(
            fake("stubborn", &["--ignore-term", "--grandchild"])
                .ready_on_line(READY_LINE)
                .grace(Duration::from_secs(30))
                .lifespan(),
        )
        .await
        .unwrap();
    let group = running.pid();
    scope.request_hurry();
    let stopping = Instant::now();
    scope.shutdown().await.unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "waited {:?}, as if not hurried",
        stopping.elapsed()
    );
    assert!(
        group_dies_soon(group),
        "group {group} outlived its lifespan"
    );
}

#[lifespan::test]
async fn an_exit_while_running_requests_shutdown_and_fails_the_stop() {
    let scope = Scope::new();
    let handle = scope
        .enter(
            fake("crashy", &["--exit-after-ms", "100"])
                .ready_on_line(READY_LINE)
                .lifespan(),
        )
        .await
        .unwrap();
    scope.shutdown_requested().await;
    let error = scope.shutdown().await.unwrap_err();
    assert_eq!((error.name(), error.kind()), ("crashy", ErrorKind::Failed));
    let ProcessError::Exited { status } = process_error(&error) else {
        panic!("{error}");
    };
    assert_eq!(status.code(), Some(3));
    assert!(
        group_dies_soon(handle.pid()),
        "group {} outlived its lifespan",
        handle.pid()
    );
}

/// Under `supervised`, a program that exits while the app runs is started again, and
/// waited for until it prints its ready line again; the holder follows the new one,
/// and nothing of the old one is left.
#[lifespan::test]
async fn a_supervised_program_that_exits_is_restarted_and_gated_on_its_readiness_again() {
    let scope = Scope::new();
    let starts = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = starts.clone();
    let policy = Restart::on_failure().delay(Duration::from_millis(10));
    let follow = scope
        .enter(lifespan::supervised(policy, move || {
            let first = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            let flags: &[&str] = if first {
                &["--exit-after-ms", "100"]
            } else {
                &[]
            };
            fake("flaky", flags).ready_on_line(READY_LINE).lifespan()
        }))
        .await
        .unwrap();
    let first = follow.get().expect("up after startup");
    let mut changes = follow.clone();
    changes.changed().await.unwrap(); // it exited: down
    let second = follow.wait().await.expect("up again once ready");
    assert_ne!(first.pid(), second.pid());
    assert!(second.address().is_some(), "gated on its ready line again");
    assert!(
        group_dies_soon(first.pid()),
        "the exited one left its group behind"
    );
    assert_eq!(starts.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(
        !scope.is_app_shutdown_requested(),
        "restarted, not escalated"
    );
    scope.shutdown().await.unwrap();
    assert!(group_dies_soon(second.pid()));
}

#[lifespan::test]
async fn a_panic_in_the_owning_lifespan_still_stops_the_program() {
    let group = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = group.clone();
    let owner = lifespan::from_fn("owner", move |yielder| async move {
        let handle = fake("sidecar", &["--grandchild"])
            .ready_on_line(READY_LINE)
            .lifespan()
            .enter()
            .await?;
        *seen.lock().unwrap() = Some(handle.pid());
        if handle.pid() > 0 {
            panic!("the owner broke after starting its sidecar");
        }
        yielder.yield_app(()).await;
        Ok::<(), lifespan::Error>(())
    });
    let error = owner.start().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Panicked);
    let group = group.lock().unwrap().expect("the sidecar started");
    assert!(
        group_dies_soon(group),
        "group {} outlived its lifespan",
        group
    );
}

#[lifespan::test]
async fn a_bad_pattern_or_program_fails_startup_with_a_clear_error() {
    let error = fake("typo", &[])
        .ready_on_line("(")
        .lifespan()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(process_error(&error), ProcessError::BadPattern(_)),
        "{error}"
    );
    let error = Process::new("missing", "/nonexistent/program")
        .lifespan()
        .start()
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with(
            "lifespan `missing` failed during startup: could not start `/nonexistent/program`"
        ),
        "{error}"
    );
}
