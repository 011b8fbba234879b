//! The timeline as the summary `#[lifespan::main]` prints at exit: a line per part.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Bar, Row, RowKind, Timeline};

impl Timeline {
    /// A line per part, in the order they began: its name, how long its startup and its
    /// shutdown took, and how it ended ("ok", "never stopped", its failures in words,
    /// then its notes).
    pub(crate) fn summary(&self) -> String {
        let parts: Vec<&Row> = self
            .rows
            .iter()
            .filter(|row| row.kind == RowKind::Part)
            .collect();
        let width = parts.iter().map(|row| row.name.len()).max().unwrap_or(0);
        let mut summary = String::new();
        for row in parts {
            let startup = took(row.startup.as_ref());
            let shutdown = took(row.shutdown.as_ref());
            let mut outcome = match row.failures.as_slice() {
                [] if startup.is_none() => "never started".to_owned(),
                [] if shutdown.is_none() => "never stopped".to_owned(),
                [] => "ok".to_owned(),
                failures => failures.join("; "),
            };
            for note in &row.notes {
                outcome.push_str("; ");
                outcome.push_str(note);
            }
            let shown = |took: Option<Duration>| took.map_or("-".into(), |d| format!("{d:.1?}"));
            let _ = writeln!(
                summary,
                "  {:width$}  started in {:>9}  stopped in {:>9}  {outcome}",
                row.name,
                shown(startup),
                shown(shutdown),
            );
        }
        summary
    }
}

/// How long a bar took, if it ended.
fn took(bar: Option<&Bar>) -> Option<Duration> {
    let bar = bar?;
    Some(bar.end?.saturating_sub(bar.start))
}
