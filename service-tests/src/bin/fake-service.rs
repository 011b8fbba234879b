//! A stand-in for an external service, for `lifespan::process`'s tests. It serves TCP
//! on a free port and prints `listening on ADDRESS` when ready. Flags change it:
//!
//! - `--ready-after-ms N`: wait N ms before binding and printing;
//! - `--never-ready`: print progress lines but never the ready line;
//! - `--exit-early`: print `fatal: bad config` and exit 2 before being ready;
//! - `--exit-after-ms N`: exit 3, N ms after being ready;
//! - `--ignore-term`: ignore SIGTERM, so that only SIGKILL stops it;
//! - `--grandchild`: start a copy of itself with `--sleep` in the same process group,
//!   and print `grandchild PID`;
//! - `--sleep`: do nothing but sleep;
//! - `--tag T`: ignored; lets a test find its own processes in `/proc`.

#![forbid(unsafe_code)]

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|arg| arg == name);
    let number = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|at| args.get(at + 1))
            .and_then(|value| value.parse::<u64>().ok())
    };
    if flag("--sleep") {
        sleep_forever();
    }
    if flag("--ignore-term") {
        signal_hook::flag::register(
            signal_hook::consts::SIGTERM,
            Arc::new(AtomicBool::new(false)),
        )
        .expect("SIGTERM can be caught");
    }
    if flag("--grandchild") {
        #[allow(
            clippy::zombie_processes,
            reason = "left running on purpose: the test checks that the process group dies"
        )]
        // `--sleep` first; the other flags ride along, so a `--tag` marks it too.
        let grandchild = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--sleep")
            .args(&args)
            .spawn()
            .expect("the grandchild starts");
        say(&format!("grandchild {}", grandchild.id()));
    }
    say("starting up");
    if flag("--exit-early") {
        say("fatal: bad config");
        std::process::exit(2);
    }
    thread::sleep(Duration::from_millis(
        number("--ready-after-ms").unwrap_or(0),
    ));
    if flag("--never-ready") {
        say("still loading");
        sleep_forever();
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    say(&format!("listening on {}", listener.local_addr().unwrap()));
    thread::spawn(move || for _ in listener.incoming() {});
    if let Some(after) = number("--exit-after-ms") {
        thread::sleep(Duration::from_millis(after));
        say("crashing");
        std::process::exit(3);
    }
    sleep_forever();
}

fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn sleep_forever() -> ! {
    loop {
        thread::sleep(Duration::from_secs(3600));
    }
}
