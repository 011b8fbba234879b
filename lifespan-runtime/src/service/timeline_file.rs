//! `LIFESPAN_TIMELINE`: where a service writes its timeline at exit, as an SVG picture
//! or a Chrome trace, by the file's extension.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crate::engine::Scope;

/// The environment variable that names the file.
const VARIABLE: &str = "LIFESPAN_TIMELINE";

/// The file the timeline goes to, if the environment names one.
pub(super) fn wanted() -> Option<PathBuf> {
    std::env::var_os(VARIABLE)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

/// Writes the timeline of `root`'s app to `path`: a Chrome trace for `.json`, an SVG
/// picture for `.svg` (and, with a warning, for any other extension). The file is
/// written beside and renamed into place, so that it is whole or absent. A failure is
/// one warning naming the path; it never changes the exit.
pub(super) fn write(root: &Scope, path: &Path) {
    let Some(timeline) = root.timeline() else {
        return;
    };
    let extension = path
        .extension()
        .map(|extension| extension.to_string_lossy().to_ascii_lowercase());
    let rendered = match extension.as_deref() {
        Some("json") => timeline.to_chrome_trace(),
        Some("svg") => timeline.to_svg(),
        _ => {
            warn(&format!(
                "{VARIABLE}={} ends in neither .svg nor .json; writing a picture (SVG)",
                path.display()
            ));
            timeline.to_svg()
        }
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = std::fs::write(&partial, rendered).and_then(|()| std::fs::rename(&partial, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        warn(&format!(
            "could not write the timeline to {} ({VARIABLE}): {error}",
            path.display()
        ));
    }
}

/// [`write`] on a thread of its own, waited for at most `limit`: for a forced exit,
/// which must not hang on a file system.
pub(super) fn write_within(root: &Scope, path: &Path, limit: Duration) {
    let (done, written) = mpsc::channel();
    let (root, path) = (root.clone(), path.to_owned());
    let spawned = std::thread::Builder::new()
        .name("lifespan-timeline".into())
        .spawn(move || {
            write(&root, &path);
            let _ = done.send(());
        });
    if spawned.is_ok() && written.recv_timeout(limit).is_err() {
        warn(&format!(
            "the timeline was not written within {limit:?}; exiting without it"
        ));
    }
}

/// One warning: through `tracing` when the service installed a subscriber, on stderr
/// otherwise.
fn warn(message: &str) {
    if tracing::dispatcher::has_been_set() {
        tracing::warn!("{message}");
    } else {
        eprintln!("lifespan: {message}");
    }
}
