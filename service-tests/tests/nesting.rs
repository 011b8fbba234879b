//! Nesting under `#[lifespan::main]`: the startup of nested lifespans runs on the
//! process's main thread (8 MiB by default), in the debug build that `cargo test`
//! makes.

use std::process::Command;

fn run(levels: usize) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_nested"))
        .arg(levels.to_string())
        .output()
        .expect("the nested binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_thousand_nested_levels_start_and_stop_under_main() {
    let (success, stdout) = run(1_000);
    assert!(success, "exit status: {stdout}");
    assert_eq!(stdout, "started 1000\nstopped 1000\n");
}
