//! The binaries in `src/bin/` are the fixtures, and `tests/` runs them as a service
//! manager would, with real signals and a real `NOTIFY_SOCKET`. What the tests share is
//! here: the scan of `/proc` that proves no process was left behind.
#![forbid(unsafe_code)]

/// Waits for `child` to exit; returns its status, the lines of `stdout` not read yet,
/// and all of its stderr (piped).
pub fn wait_for_output(
    child: &mut std::process::Child,
    stdout: &mut impl std::io::Read,
) -> (std::process::ExitStatus, Vec<String>, String) {
    use std::io::Read as _;
    let status = child.wait().expect("the service is waited for");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("stdout reads");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .expect("stderr reads");
    (status, rest.lines().map(str::to_owned).collect(), stderr)
}

/// Live processes (zombies are dead) whose command line carries `tag` as one argument.
#[cfg(target_os = "linux")]
pub fn tagged_alive(tag: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let command = std::fs::read(entry.path().join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat[stat.rfind(')')? + 2..].starts_with('Z');
            let ours = String::from_utf8_lossy(&command)
                .split('\0')
                .any(|arg| arg == tag);
            (ours && !zombie).then_some(pid)
        })
        .collect()
}
