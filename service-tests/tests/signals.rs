//! `#[lifespan::main]` as a service manager sees it: the `service` binary is started,
//! sent real signals, and judged by its exit code, its timing and what it printed.

#[cfg(unix)]
use lifespan_service_tests::NotifySocket;
use lifespan_service_tests::Service;
use std::process::Command;
use std::time::{Duration, Instant};

/// The `service` fixture, started with `fault`, read up to its "ready" line.
fn start_service(fault: &str) -> Service {
    start_service_with(fault, &[])
}

/// The `service` fixture, started with `fault` and `env`, read up to its "ready" line.
fn start_service_with(fault: &str, env: &[(&str, &str)]) -> Service {
    Service::launch(env!("CARGO_BIN_EXE_service"), fault, env)
}

const STARTED: [&str; 3] = ["started a", "started b", "started c"];

/// The `service` fixture's shutdown deadline.
const DEADLINE: Duration = Duration::from_secs(1);
/// How long the watchdog waits past a limit before it decides the thread is blocked.
const GRACE: Duration = Duration::from_millis(250);
/// What a bound allows beyond the limits it checks: a process's start and exit, and a
/// loaded machine's scheduling.
const SLACK: Duration = Duration::from_millis(500);

#[test]
fn sigterm_and_sigint_stop_everything_in_reverse_and_exit_0() {
    for signal in ["TERM", "INT"] {
        let service = start_service("clean");
        service.signal(signal);
        let (status, _, printed, stderr) = service.wait();
        assert_eq!(status.code(), Some(0), "SIG{signal}: {stderr}");
        assert_eq!(printed[..3], STARTED);
        assert_eq!(
            printed[4..],
            [
                "main draining, phase Stopping",
                "stopping c",
                "stopped c",
                "stopping b",
                "stopped b",
                "stopping a",
                "stopped a",
            ],
            "SIG{signal}"
        );
        assert!(
            stderr.contains(&format!("SIG{signal} received")),
            "{stderr}"
        );
    }
}

#[test]
fn a_failed_startup_stops_what_had_started_and_exits_non_zero() {
    let child = Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("fail-startup")
        .output()
        .expect("the service binary runs");
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert_eq!(child.status.code(), Some(69), "startup failed: {stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "started a",
            "started b",
            "stopping b",
            "stopped b",
            "stopping a",
            "stopped a"
        ]
    );
    assert_eq!(
        stderr.trim_end(),
        "Error: lifespan `c` failed during startup: c refused to start"
    );
}

#[test]
fn a_teardown_that_hangs_is_cut_at_the_deadline_and_named() {
    // `hang-async` is cancelled by the runtime's own timeout; `hang-blocking` blocks the
    // thread that runs teardown, so only the watchdog thread can end it.
    for (fault, culprit) in [
        (
            "hang-async",
            "during shutdown (what was left of the shutdown deadline)",
        ),
        ("hang-blocking", "Still running: `main` (stopping for"),
        (
            "task-blocking",
            "task `flusher` of `main/c`, in one poll for",
        ),
        ("hook-blocking", "hook `deregister` of `main/c` for"),
    ] {
        let service = start_service(fault);
        let signalled = Instant::now();
        service.signal("TERM");
        let (status, _, printed, stderr) = service.wait();
        let took = signalled.elapsed();
        assert_eq!(status.code(), Some(1), "{fault}: {stderr}");
        assert!(stderr.contains(culprit), "{fault}: {stderr}");
        assert!(
            stderr.contains("`c`"),
            "{fault} names the culprit: {stderr}"
        );
        // Cut by the runtime at the deadline, or by the watchdog once the grace passed.
        assert!(
            (DEADLINE..DEADLINE + GRACE + SLACK).contains(&took),
            "{fault} exited after {took:?}"
        );
        assert_eq!(
            printed.last().map(String::as_str),
            Some(match fault {
                "hang-async" => "stopped a",
                "task-blocking" | "hook-blocking" => "stopped c",
                _ => "stopping c",
            })
        );
    }
}

#[test]
fn with_no_second_signal_timeout_a_second_signal_exits_130_at_once_naming_what_was_stopping() {
    let mut service = start_service("hang-async");
    service.signal("TERM");
    service.read_until(|line| line == "stopping c");
    service.signal("INT");
    let (status, took, _, stderr) = service.wait();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(took < Duration::from_millis(100), "exited after {took:?}");
    assert!(
        stderr.contains("a second SIGINT arrived during shutdown; exiting with code 130. Still running: `main` (stopping for"),
        "{stderr}"
    );
    assert!(stderr.contains("`c` (stopping for"), "{stderr}");
}

/// The extension an `EXTEND_TIMEOUT_USEC=` message asks for; `None` for another message.
#[cfg(unix)]
fn extension(message: &str) -> Option<Duration> {
    let micros = message.strip_prefix("EXTEND_TIMEOUT_USEC=")?;
    Some(Duration::from_micros(
        micros.parse().expect("a number of µs"),
    ))
}

#[cfg(unix)]
#[test]
fn notify_socket_receives_ready_then_stopping() {
    let socket = NotifySocket::bind("fast");
    let service = start_service_with("clean", &[("NOTIFY_SOCKET", &socket.path)]);
    // A fast startup and a fast shutdown ask systemd for no more time; nor does running,
    // past the 2 s after which a stage is extended, while main's 4 s startup_timeout is
    // still ahead. Nor does the startup watchdog stop a service that is running, once
    // that limit and its grace (250 ms) have passed.
    assert_eq!(socket.receive().0, "READY=1");
    std::thread::sleep(Duration::from_millis(4000 + 250 + 250));
    assert_eq!(socket.left(), Vec::<String>::new(), "nothing while running");
    service.signal("TERM");
    assert_eq!(socket.receive().0, "STOPPING=1");
    let (status, ..) = service.wait();
    assert_eq!(status.code(), Some(0));
    assert_eq!(socket.left(), Vec::<String>::new());
}

/// `slow-stages` starts and stops only when told: each stage lasts until the test has
/// seen its `EXTEND_TIMEOUT_USEC=`. Each extension is checked against what the service
/// allows itself, bounded both ways by when the test started the stage and when the
/// message arrived.
#[cfg(unix)]
#[test]
fn a_slow_startup_and_a_slow_shutdown_ask_systemd_to_wait_within_their_own_limits() {
    // The extension is counted in whole µs, so it may fall short by one.
    let rounding = Duration::from_millis(1);
    let socket = NotifySocket::bind("slow");
    let spawned = Instant::now();
    let mut service = Service::spawn(
        env!("CARGO_BIN_EXE_slow-stages"),
        &[],
        &[("NOTIFY_SOCKET", &socket.path)],
    );

    // `db` (10 s) is starting, `migrations` (60 s) in it waits for the test.
    let (message, received) = socket.receive();
    let extended = extension(&message)
        .unwrap_or_else(|| panic!("EXTEND_TIMEOUT_USEC= comes first, not {message:?}"));
    let db_limit = Duration::from_secs(10);
    assert!(extended > Duration::ZERO);
    assert!(
        extended <= db_limit,
        "db's 10 s cut migrations' 60 s, counted from db's start: {extended:?}"
    );
    assert!(
        extended + received.duration_since(spawned) + rounding >= db_limit,
        "all that is left of db's 10 s is promised: {extended:?}, received {:?} after the spawn",
        received.duration_since(spawned)
    );
    // The horizon does not move: two more looks of the thread's (every 500 ms) promise
    // nothing more.
    std::thread::sleep(Duration::from_millis(2 * 500 + 100));
    assert_eq!(
        socket.left(),
        Vec::<String>::new(),
        "a second startup promise"
    );
    service.say("go");
    service.read_until(|line| line == "ready");
    loop {
        let (message, _) = socket.receive();
        if message == "READY=1" {
            break;
        }
        assert!(extension(&message).is_some(), "{message:?} before READY=1");
    }

    // Shutdown: db's half waits for the test, under a 10 s deadline and the 250 ms grace.
    let signalled = Instant::now();
    service.signal("TERM");
    assert_eq!(socket.receive().0, "STOPPING=1");
    let (message, received) = socket.receive();
    let extended = extension(&message)
        .unwrap_or_else(|| panic!("EXTEND_TIMEOUT_USEC= during shutdown, not {message:?}"));
    let deadline = Duration::from_secs(10) + Duration::from_millis(250);
    assert!(
        extended <= deadline,
        "never past the deadline and its grace, from the signal: {extended:?}"
    );
    assert!(
        extended + received.duration_since(signalled) + rounding >= deadline,
        "all that is left of the deadline is promised: {extended:?}, received {:?} after the signal",
        received.duration_since(signalled)
    );
    std::thread::sleep(Duration::from_millis(2 * 500 + 100));
    assert_eq!(
        socket.left(),
        Vec::<String>::new(),
        "a second shutdown promise"
    );
    service.say("stop");
    let (status, _, printed, stderr) = service.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        printed,
        ["waiting to start", "ready", "waiting to stop", "stopped db"]
    );
    assert_eq!(
        socket.left(),
        Vec::<String>::new(),
        "one promise per stage, as its horizon did not move"
    );
}

#[test]
fn a_startup_that_blocks_its_thread_is_ended_by_the_watchdog() {
    let started = Instant::now();
    let service = Service::spawn(env!("CARGO_BIN_EXE_blocking-startup"), &[], &[]);
    let (status, _, _, stderr) = service.wait();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("startup is still running after its startup_timeout of 300ms"),
        "{stderr}"
    );
    assert!(stderr.contains("`blocker` (starting for"), "{stderr}");
    // 300 ms of startup and the grace before the watchdog steps in; then at most 300 ms
    // of shutdown deadline and the grace again.
    let limit = Duration::from_millis(300);
    assert!(
        (limit + GRACE..2 * (limit + GRACE) + SLACK).contains(&took),
        "exited after {took:?}"
    );
}

/// The signal ladder, on the `ladder` binary: a 30 s deadline, `second_signal_timeout`
/// of 1 s, a `consumer` task that ignores shutdown, a `db` to close. Its log goes to
/// stdout, so that a test waits for the watchdog's notices instead of sleeping.
mod ladder {
    use super::*;

    fn start(mode: &str) -> Service {
        Service::launch(env!("CARGO_BIN_EXE_ladder"), mode, &[])
    }

    #[test]
    fn a_second_signal_aborts_the_tasks_still_runs_the_shutdown_halves_and_exits_130() {
        let mut service = start("clean");
        service.signal("TERM");
        // The worker's half ran; the teardown now waits on `consumer`, which ignores it.
        service.read_until(|line| line == "stopped worker");
        assert!(service.is_running(), "one signal does not end it");
        let hurried = Instant::now();
        service.signal("TERM");
        let (status, _, printed, stderr) = service.wait();
        let took = hurried.elapsed();
        let stdout = printed.join("\n");
        assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
        assert!(
            took < Duration::from_secs(1),
            "a hurried teardown does not wait on the task: {took:?}"
        );
        assert!(
            printed.iter().any(|line| line == "stopped db"),
            "db's shutdown half still ran: {stdout}"
        );
        assert!(
            stdout.contains(
                "a second SIGTERM: hurrying, drains cut and tasks aborted; the shutdown halves have"
            ),
            "{stdout}"
        );
        assert!(
            stdout.contains("task `consumer` was aborted at its turn: the shutdown was hurried"),
            "the summary says what was cut: {stdout}"
        );
        assert!(
            stdout.contains("hurried by a second signal, so the exit code is 130"),
            "{stdout}"
        );
    }

    #[test]
    fn a_signal_after_a_shutdown_begun_in_code_is_a_first_signal_not_a_hurry() {
        let mut service = start("self-stop");
        service.read_until(|line| line == "stopped worker");
        service.signal("TERM");
        service.read_until(|line| {
            line.contains(
                "SIGTERM received, shutdown was already under way; send it again to hurry",
            )
        });
        assert!(
            service.is_running(),
            "the teardown goes on, waiting on the task"
        );
        service.signal("INT");
        let (status, _, printed, stderr) = service.wait();
        assert_eq!(status.code(), Some(130), "{stderr}");
        assert!(
            printed.iter().any(|line| line == "stopped db"),
            "{printed:?}"
        );
    }

    #[test]
    fn a_hurried_service_without_a_subscriber_still_prints_its_failures() {
        let mut service = start("quiet-fail");
        service.signal("TERM");
        service.read_until(|line| line == "stopped worker");
        service.signal("TERM");
        let (status, _, printed, stderr) = service.wait();
        assert_eq!(status.code(), Some(130), "{stderr}");
        assert!(
            printed.iter().any(|line| line == "stopping db"),
            "{printed:?}"
        );
        assert!(stderr.contains("Error: "), "{stderr}");
        assert!(
            stderr.contains("db could not flush its journal"),
            "the failure of a hurried shutdown is not lost: {stderr}"
        );
    }

    #[test]
    fn the_second_signal_timeout_passing_exits_130_naming_what_was_still_stopping() {
        let mut service = start("hang");
        service.signal("TERM");
        service.read_until(|line| line == "stopping cache");
        let hurried = Instant::now();
        service.signal("INT");
        let (status, _, printed, stderr) = service.wait();
        let took = hurried.elapsed();
        assert_eq!(status.code(), Some(130), "{stderr}");
        let second_signal_timeout = Duration::from_secs(1);
        assert!(
            (second_signal_timeout..second_signal_timeout + SLACK).contains(&took),
            "exited {took:?} after the second signal, with a 1 s second_signal_timeout"
        );
        assert!(
            stderr.contains(
                "the hurried shutdown's second_signal_timeout of 1s passed; exiting with code 130. Still running:"
            ),
            "{stderr}"
        );
        assert!(stderr.contains("`cache` (stopping for"), "{stderr}");
        assert!(
            !printed.iter().any(|line| line == "stopping db"),
            "{printed:?}"
        );
    }

    #[test]
    fn a_third_signal_exits_130_at_once() {
        let mut service = start("hang");
        service.signal("TERM");
        service.read_until(|line| line == "stopping cache");
        service.signal("INT");
        service.read_until(|line| line.contains("a second SIGINT: hurrying"));
        let third = Instant::now();
        service.signal("TERM");
        let (status, _, _, stderr) = service.wait();
        assert_eq!(status.code(), Some(130), "{stderr}");
        assert!(
            third.elapsed() < Duration::from_millis(900),
            "the third signal did not wait out the 1 s second_signal_timeout"
        );
        assert!(
            stderr.contains(
                "a third SIGTERM arrived during shutdown; exiting with code 130. Still running:"
            ),
            "{stderr}"
        );
        assert!(stderr.contains("`cache` (stopping for"), "{stderr}");
    }
}

/// `LIFESPAN_TIMELINE`: the service writes its timeline at exit, by the file's
/// extension; on a forced exit as far as it got; a path it cannot write is one warning,
/// and changes nothing else.
mod timeline_file {
    use super::*;

    /// A fresh directory of this test binary's own, under the system's temp dir.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lifespan-timeline-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn events(path: &std::path::Path) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(path).expect("the trace was written");
        let trace: serde_json::Value = serde_json::from_str(&text).expect("the trace is JSON");
        trace["traceEvents"]
            .as_array()
            .expect("traceEvents")
            .clone()
    }

    fn complete_event<'a>(
        events: &'a [serde_json::Value],
        name: &str,
        cat: &str,
    ) -> &'a serde_json::Value {
        events
            .iter()
            .find(|event| event["ph"] == "X" && event["name"] == name && event["cat"] == cat)
            .unwrap_or_else(|| panic!("no {cat} event for `{name}` in {events:?}"))
    }

    #[test]
    fn a_clean_stop_writes_a_trace_and_a_picture() {
        let dir = scratch("clean");
        for file in ["run.json", "run.svg"] {
            let path = dir.join(file);
            let path_text = path.to_str().unwrap().to_owned();
            let service = start_service_with("clean", &[("LIFESPAN_TIMELINE", &path_text)]);
            service.signal("TERM");
            let (status, _, _, stderr) = service.wait();
            assert_eq!(status.code(), Some(0), "{stderr}");
            assert!(
                !stderr.contains("ends in neither"),
                "{file} is a name the service knows: {stderr}"
            );
            if file.ends_with(".json") {
                let events = events(&path);
                for part in ["main", "main/a", "main/b", "main/c"] {
                    complete_event(&events, part, "startup");
                    complete_event(&events, part, "shutdown");
                }
                let c = complete_event(&events, "main/c", "shutdown");
                let a = complete_event(&events, "main/a", "shutdown");
                assert!(
                    c["ts"].as_f64() < a["ts"].as_f64(),
                    "c stops before a: {c} {a}"
                );
            } else {
                let svg = std::fs::read_to_string(&path).expect("the picture was written");
                let document = roxmltree::Document::parse(&svg).expect("the picture is XML");
                for part in ["main", "main/a", "main/b", "main/c"] {
                    for stage in ["startup", "shutdown"] {
                        let bars = document
                            .descendants()
                            .filter(|node| {
                                node.has_tag_name("rect")
                                    && node.attribute("data-path") == Some(part)
                                    && node
                                        .attribute("class")
                                        .is_some_and(|class| class.split(' ').next() == Some(stage))
                            })
                            .count();
                        assert_eq!(bars, 1, "one {stage} bar for {part}");
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_failed_startup_writes_its_rollback_with_the_failure_on_the_bar() {
        let dir = scratch("failed");
        let path = dir.join("failed.json");
        let child = Command::new(env!("CARGO_BIN_EXE_service"))
            .arg("fail-startup")
            .env("LIFESPAN_TIMELINE", &path)
            .output()
            .expect("the service binary runs");
        assert_eq!(child.status.code(), Some(69));
        let events = events(&path);
        let c = complete_event(&events, "main/c", "startup");
        let outcome = c["args"]["outcome"].as_str().unwrap();
        assert!(outcome.contains("c refused to start"), "{c}");
        complete_event(&events, "main/a", "shutdown"); // rolled back
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_forced_exit_writes_what_it_had_and_a_bad_path_only_warns() {
        let dir = scratch("forced");
        let path = dir.join("hang.json");
        let service = start_service_with(
            "hang-blocking",
            &[("LIFESPAN_TIMELINE", path.to_str().unwrap())],
        );
        service.signal("TERM");
        let (status, _, _, stderr) = service.wait();
        assert_eq!(status.code(), Some(1), "the deadline passed: {stderr}");
        let hang_events = events(&path);
        let c = complete_event(&hang_events, "main/c", "shutdown");
        assert_eq!(c["args"]["outcome"], "still running", "{c}");
        assert!(
            hang_events
                .iter()
                .any(|event| event["ph"] == "i" && event["name"] == "deadline"),
            "the deadline is drawn"
        );

        // A hook that blocks its thread is drawn, still running, at the forced exit.
        let path = dir.join("hook.json");
        let service = start_service_with(
            "hook-blocking",
            &[("LIFESPAN_TIMELINE", path.to_str().unwrap())],
        );
        service.signal("TERM");
        let (status, _, _, stderr) = service.wait();
        assert_eq!(status.code(), Some(1), "{stderr}");
        let hook_events = events(&path);
        let hook = complete_event(&hook_events, "main/c/deregister", "hook");
        assert_eq!(hook["args"]["outcome"], "still running", "{hook}");

        let unwritable = dir.join("missing-directory").join("run.svg");
        let service = start_service_with(
            "clean",
            &[("LIFESPAN_TIMELINE", unwritable.to_str().unwrap())],
        );
        service.signal("TERM");
        let (status, _, printed, stderr) = service.wait();
        assert_eq!(
            status.code(),
            Some(0),
            "a bad path changes no exit code: {stderr}"
        );
        assert_eq!(printed.last().map(String::as_str), Some("stopped a"));
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("could not write the timeline"))
            .collect();
        assert_eq!(warnings.len(), 1, "{stderr}");
        assert!(
            warnings[0].contains(unwritable.to_str().unwrap()),
            "{stderr}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
