//! `LIFESPAN_TIMELINE`: where a service writes its timeline at exit, as an SVG picture
//! or a Chrome trace, by the file's extension.

use std::path::{Path, PathBuf};

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
/// picture otherwise. A failure is one warning naming the path; it never changes the
/// exit.
pub(super) fn write(root: &Scope, path: &Path) {
    let Some(timeline) = root.timeline() else {
        return;
    };
    let json = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
    let rendered = if json {
        timeline.to_chrome_trace()
    } else {
        timeline.to_svg()
    };
    if let Err(error) = std::fs::write(path, rendered) {
        let message = format!(
            "could not write the timeline to {} ({VARIABLE}): {error}",
            path.display()
        );
        if tracing::dispatcher::has_been_set() {
            tracing::warn!("{message}");
        } else {
            eprintln!("lifespan: {message}");
        }
    }
}
