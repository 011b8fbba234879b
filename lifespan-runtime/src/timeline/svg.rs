//! The timeline as a picture: an SVG like `systemd-analyze plot`.
//!
//! Plain SVG with presentation attributes: no stylesheet, no scripts, no fonts or
//! files from elsewhere. The only reference is to the hatch pattern in its own `<defs>`.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Bar, Row, RowKind, Timeline};
use crate::error::ErrorKind;

/// The picture's width; the label column takes what the longest label needs.
const WIDTH: f64 = 1200.0;
const ROW_HEIGHT: f64 = 20.0;
const BAR_HEIGHT: f64 = 14.0;
/// Room above the rows for the tick labels and the deadline's label.
const TOP: f64 = 36.0;
const BOTTOM: f64 = 16.0;
const RIGHT_MARGIN: f64 = 32.0;
const FONT_SIZE: f64 = 12.0;
/// A generous estimate of one character's width at `FONT_SIZE` in a sans-serif font.
const CHAR_WIDTH: f64 = 7.0;
/// How far past the last bar the axis may stretch to show the deadline as a line: up
/// to one and a half times what happened.
const DEADLINE_REACH: f64 = 1.5;
const INDENT: f64 = 14.0;
const MIN_LABEL_COLUMN: f64 = 120.0;
/// The label column never takes more than this; longer labels are cut with '…'.
const MAX_LABEL_COLUMN: f64 = 480.0;
/// How many characters of a failure's message the bar's label shows.
const FAILURE_LABEL_CHARS: usize = 60;
/// Aim for about this many ticks on the axis.
const TARGET_TICKS: u128 = 10;

const FONT_FAMILY: &str = "system-ui, sans-serif";
const STARTUP_COLOUR: &str = "#4c8bd6";
const SHUTDOWN_COLOUR: &str = "#e89f3c";
const FAILED_COLOUR: &str = "#d9423b";
const RUNNING_COLOUR: &str = "#7f9cbf";
const DEADLINE_COLOUR: &str = "#b0201a";
const STRIPE_COLOUR: &str = "#f2f4f7";
const GRID_COLOUR: &str = "#d8dce2";
const TEXT_COLOUR: &str = "#222";

impl Timeline {
    /// The timeline as a self-contained SVG picture, like `systemd-analyze plot`.
    ///
    /// A row per [`Row`], labelled at the left with the last segment of its path and
    /// indented by its depth (`hook flush` for a hook, `worker ×3` for tasks); a bar
    /// for each half on one time axis with ticks, blue for startup and orange for
    /// shutdown. A failed bar is red and labelled with its failure; a bar still running
    /// when the timeline was taken is hatched, drawn to [`taken`](Self::taken) and
    /// labelled "still running"; the shutdown deadline is a dashed vertical line.
    ///
    /// Every bar is a `<rect>` with a `class` (`startup` or `shutdown`, and `failed` or
    /// `running`), a `data-path` and a `<title>` saying its path, stage, start,
    /// duration and outcome, which viewers show on hover. The text is real text, in
    /// generic font families only; there are no scripts, fonts or external files. A
    /// deadline far past the run (more than half again as long) would squash every
    /// bar into the first pixels: it is then named at the right edge instead.
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.record_timeline();
    /// scope.enter(from_fn("db", |y| y.yield_app(()))).await?;
    /// scope.shutdown().await?;
    /// let svg = scope.timeline().unwrap().to_svg();
    /// assert!(svg.contains(r#"data-path="db""#));
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn to_svg(&self) -> String {
        let layout = Layout::new(self);
        let mut svg = String::new();
        write_header(&mut svg, &layout);
        write_stripes(&mut svg, &layout, self.rows.len());
        write_axis(&mut svg, &layout);
        for (index, row) in self.rows.iter().enumerate() {
            write_row(&mut svg, &layout, index, row);
        }
        if let Some(deadline) = self.deadline {
            write_deadline(&mut svg, &layout, deadline);
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Where things go: the label column, the time scale and the picture's height.
struct Layout {
    label_column: f64,
    /// The end of the axis: `taken`, or later if the deadline or a bar lies beyond it.
    span: Duration,
    taken: Duration,
    height: f64,
}

impl Layout {
    fn new(timeline: &Timeline) -> Layout {
        let widest = timeline
            .rows
            .iter()
            .map(|row| indent_of(row) + text_width(&row_label(row)))
            .fold(0.0, f64::max);
        let label_column = (widest + 16.0).clamp(MIN_LABEL_COLUMN, MAX_LABEL_COLUMN);
        let bars = timeline.rows.iter().flat_map(bars_of);
        let ends = bars.flat_map(|(_, bar)| [Some(bar.start), bar.end]);
        let span = ends.chain([Some(timeline.taken)]).flatten().max();
        let mut span = span.unwrap_or_default().max(Duration::from_millis(1));
        // A deadline far beyond what happened would squash every bar into the first
        // pixels (a 30 s deadline on a 40 ms run): the axis reaches it only when it is
        // near, and otherwise the deadline is named at the right edge.
        if let Some(deadline) = timeline.deadline {
            if deadline.as_secs_f64() <= span.as_secs_f64() * DEADLINE_REACH {
                span = span.max(deadline);
            }
        }
        let height = TOP + ROW_HEIGHT * timeline.rows.len() as f64 + BOTTOM;
        Layout {
            label_column,
            span,
            taken: timeline.taken,
            height,
        }
    }

    /// How many characters of a row's label fit in the label column at its indent.
    fn label_chars(&self, row: &Row) -> usize {
        ((self.label_column - 12.0 - indent_of(row)) / CHAR_WIDTH).max(1.0) as usize
    }

    /// Where a moment on the axis falls, in pixels from the left.
    fn x(&self, at: Duration) -> f64 {
        let chart = WIDTH - RIGHT_MARGIN - self.label_column;
        self.label_column + chart * at.as_secs_f64() / self.span.as_secs_f64()
    }

    fn row_top(&self, index: usize) -> f64 {
        TOP + ROW_HEIGHT * index as f64
    }
}

/// The `<svg>` element, the hatch that running bars are filled with, and a white
/// background for viewers with a dark one.
fn write_header(svg: &mut String, layout: &Layout) {
    let (width, height) = (WIDTH, layout.height);
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">
<defs><pattern id="running-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{RUNNING_COLOUR}" fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="6" stroke="{RUNNING_COLOUR}" stroke-width="3"/></pattern></defs>
<rect class="background" width="{width}" height="{height}" fill="#fff"/>"##
    );
}

/// A light band behind every other row, to follow a row across the picture.
fn write_stripes(svg: &mut String, layout: &Layout, rows: usize) {
    for index in (0..rows).step_by(2) {
        let _ = writeln!(
            svg,
            r#"<rect class="stripe" x="0" y="{top}" width="{WIDTH}" height="{ROW_HEIGHT}" fill="{STRIPE_COLOUR}"/>"#,
            top = layout.row_top(index),
        );
    }
}

/// The vertical grid lines and their labels, at a step of 1, 2 or 5 × 10ⁿ.
fn write_axis(svg: &mut String, layout: &Layout) {
    let step = tick_step(layout.span);
    let bottom = layout.height - BOTTOM;
    // A step cuts the span into at most `TARGET_TICKS` steps, so this many ticks reach
    // its end; a bounded count, so that drawing never loops for ever, whatever the step.
    let ticks = (0..=TARGET_TICKS).map(|index| step.saturating_mul(index as u32));
    for tick in ticks.take_while(|&tick| tick <= layout.span) {
        let x = layout.x(tick);
        let label = xml_escape(&tick_label(tick, step));
        let _ = writeln!(
            svg,
            r#"<line class="tick" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="{GRID_COLOUR}"/><text class="tick-label" x="{x:.1}" y="{label_y}" text-anchor="middle">{label}</text>"#,
            top = TOP - 4.0,
            label_y = TOP - 8.0,
        );
    }
}

/// The smallest of 1, 2 or 5 × 10ⁿ nanoseconds that cuts the span into at most
/// about [`TARGET_TICKS`] steps.
fn tick_step(span: Duration) -> Duration {
    let wanted = (span.as_nanos() / TARGET_TICKS).max(1);
    // 10¹⁹ ns (317 years) is past any span a `Duration` from a run can have.
    let steps =
        (0..=19).flat_map(|exponent| [1, 2, 5].map(|multiple| multiple * 10u128.pow(exponent)));
    let step = steps
        .into_iter()
        .find(|&step| step >= wanted)
        .unwrap_or(wanted);
    Duration::from_nanos(u64::try_from(step).unwrap_or(u64::MAX))
}

/// A tick's label, in the unit of the step so that it is a whole number.
fn tick_label(tick: Duration, step: Duration) -> String {
    let nanos = tick.as_nanos();
    match step.as_nanos() {
        s if s >= 1_000_000_000 => format!("{} s", nanos / 1_000_000_000),
        s if s >= 1_000_000 => format!("{} ms", nanos / 1_000_000),
        s if s >= 1_000 => format!("{} µs", nanos / 1_000),
        _ => format!("{nanos} ns"),
    }
}

fn write_row(svg: &mut String, layout: &Layout, index: usize, row: &Row) {
    let top = layout.row_top(index);
    let label = truncate(&row_label(row), layout.label_chars(row));
    let _ = writeln!(
        svg,
        r#"<text class="label" x="{x}" y="{y}" data-path="{path}">{label}<title>{path}</title></text>"#,
        x = 6.0 + indent_of(row),
        y = text_baseline(top),
        path = xml_escape(&row.path),
        label = xml_escape(&label),
    );
    for (stage, bar) in bars_of(row) {
        write_bar(svg, layout, top, row, stage, bar);
    }
}

fn write_bar(svg: &mut String, layout: &Layout, top: f64, row: &Row, stage: &str, bar: &Bar) {
    let place = Place {
        top,
        start: layout.x(bar.start),
        end: layout.x(bar.end.unwrap_or(layout.taken)),
    };
    let (class, paint) = bar_style(row, stage, bar);
    let _ = writeln!(
        svg,
        r#"<rect class="{class}" data-path="{path}" x="{x:.2}" y="{y}" width="{width:.2}" height="{BAR_HEIGHT}" rx="2" {paint}><title>{title}</title></rect>"#,
        path = xml_escape(&row.path),
        x = place.start,
        y = top + (ROW_HEIGHT - BAR_HEIGHT) / 2.0,
        width = (place.end - place.start).max(1.0),
        title = xml_escape(&bar_title(row, stage, bar, layout.taken)),
    );
    if let Some(failure) = &bar.failure {
        let full = format!("{}: {}", kind_words(failure.kind), failure.message);
        write_bar_note(
            svg,
            layout,
            &place,
            "failure-label",
            &failure_label(&full),
            &full,
        );
    } else if bar.end.is_none() {
        let running = "still running";
        write_bar_note(svg, layout, &place, "running-label", running, running);
    }
}

/// Where a bar is drawn: its row's top, and its left and right ends.
struct Place {
    top: f64,
    start: f64,
    end: f64,
}

/// A bar's classes (its stage, then `failed` or `running`) and how it is painted:
/// red if it failed, hatched with a dashed outline if it still runs, else blue for
/// startup and orange for shutdown; lighter for tasks, whose bars span their runs.
fn bar_style(row: &Row, stage: &str, bar: &Bar) -> (String, String) {
    let (class, fill) = match (&bar.failure, bar.end) {
        (Some(_), None) => (format!("{stage} failed running"), FAILED_COLOUR),
        (Some(_), Some(_)) => (format!("{stage} failed"), FAILED_COLOUR),
        (None, None) => (format!("{stage} running"), "url(#running-hatch)"),
        (None, Some(_)) if stage == "startup" || row.kind == RowKind::Tasks => {
            (stage.to_owned(), STARTUP_COLOUR)
        }
        (None, Some(_)) => (stage.to_owned(), SHUTDOWN_COLOUR),
    };
    let mut paint = format!(r#"fill="{fill}""#);
    if bar.end.is_none() {
        paint.push_str(r##" stroke="#4a6584" stroke-dasharray="3 2""##);
    }
    if row.kind == RowKind::Tasks {
        paint.push_str(r#" fill-opacity="0.7""#);
    }
    (class, paint)
}

/// A note beside a bar: to its right if it fits before the edge, else inside the bar
/// if it fits there, else to its left.
fn write_bar_note(
    svg: &mut String,
    layout: &Layout,
    place: &Place,
    class: &str,
    shown: &str,
    full: &str,
) {
    let width = text_width(shown);
    let (x, anchor) = if place.end + 4.0 + width <= WIDTH - 2.0 {
        (place.end + 4.0, "start")
    } else if place.end - place.start >= width + 8.0 {
        (place.end - 4.0, "end")
    } else {
        ((place.start - 4.0).max(layout.label_column), "end")
    };
    let _ = writeln!(
        svg,
        r#"<text class="{class}" x="{x:.2}" y="{y}" text-anchor="{anchor}">{shown}<title>{full}</title></text>"#,
        y = text_baseline(place.top),
        shown = xml_escape(shown),
        full = xml_escape(full),
    );
}

fn write_deadline(svg: &mut String, layout: &Layout, deadline: Duration) {
    if deadline > layout.span {
        let _ = writeln!(
            svg,
            r#"<text class="deadline-label" x="{x:.2}" y="{label_y}" text-anchor="end" fill="{DEADLINE_COLOUR}">deadline at {at} →</text>"#,
            x = WIDTH - 4.0,
            label_y = TOP - 20.0,
            at = xml_escape(&format!("{deadline:.1?}")),
        );
        return;
    }
    let x = layout.x(deadline);
    let _ = writeln!(
        svg,
        r#"<line class="deadline" x1="{x:.2}" y1="{top}" x2="{x:.2}" y2="{bottom}" stroke="{DEADLINE_COLOUR}" stroke-width="1.5" stroke-dasharray="6 3"><title>deadline at {at}</title></line><text class="deadline-label" x="{x:.2}" y="{label_y}" text-anchor="middle" fill="{DEADLINE_COLOUR}">deadline</text>"#,
        top = TOP - 18.0,
        bottom = layout.height - BOTTOM,
        label_y = TOP - 20.0,
        at = human_duration(deadline),
    );
}

/// What a row is called at the left: `pool` for `main/db/pool`, `hook flush` for a
/// hook, `worker ×3` for tasks.
fn row_label(row: &Row) -> String {
    let name = row.name.as_str();
    match row.kind {
        RowKind::Part => name.to_owned(),
        RowKind::Hook => format!("hook {name}"),
        RowKind::Tasks => format!("{name} ×{}", row.count),
    }
}

/// The hover text of a bar: its path, stage, start, duration and outcome.
fn bar_title(row: &Row, stage: &str, bar: &Bar, taken: Duration) -> String {
    let what = match row.kind {
        RowKind::Part => stage.to_owned(),
        RowKind::Hook => "shutdown hook".to_owned(),
        RowKind::Tasks => format!("{stage} of {} tasks", row.count),
    };
    let duration = bar.end.unwrap_or(taken).saturating_sub(bar.start);
    let outcome = match (&bar.failure, bar.end) {
        (Some(failure), _) => format!("{}: {}", kind_words(failure.kind), failure.message),
        (None, None) => "still running".to_owned(),
        (None, Some(_)) => "ok".to_owned(),
    };
    let mut title = format!(
        "{path} — {what}\nstart: {start}\nduration: {duration}{so_far}\noutcome: {outcome}",
        path = row.path,
        start = human_duration(bar.start),
        duration = human_duration(duration),
        so_far = if bar.end.is_none() { " so far" } else { "" },
    );
    for note in &row.notes {
        title.push('\n');
        title.push_str(note);
    }
    title
}

/// The bars a row has, with the stage each stands for.
fn bars_of(row: &Row) -> impl Iterator<Item = (&'static str, &Bar)> {
    row.bars()
}

/// A failure's kind in words, for labels and titles.
fn kind_words(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Failed => "failed",
        ErrorKind::Panicked => "panicked",
        ErrorKind::TimedOut => "timed out",
        ErrorKind::ReturnedBeforeYield => "returned before yield",
        ErrorKind::Cancelled => "cut while starting",
        ErrorKind::Aborted => "aborted",
        ErrorKind::NoScope => "no scope",
        ErrorKind::ScopeClosed => "scope closed",
        ErrorKind::WrongScope => "wrong scope",
        ErrorKind::Several => "several failures",
    }
}

/// A duration for people, to three decimals of its unit: `850.000µs`, `1.250s`.
fn human_duration(duration: Duration) -> String {
    format!("{duration:.3?}")
}

fn indent_of(row: &Row) -> f64 {
    INDENT * row.depth() as f64
}

fn text_width(text: &str) -> f64 {
    CHAR_WIDTH * text.chars().count() as f64
}

fn text_baseline(row_top: f64) -> f64 {
    row_top + ROW_HEIGHT / 2.0 + FONT_SIZE * 0.35
}

/// A failure's label: its first line, and at most [`FAILURE_LABEL_CHARS`] of it,
/// ending in '…' if anything was cut.
fn failure_label(full: &str) -> String {
    let first_line = full.lines().next().unwrap_or("").trim_end();
    if first_line.len() < full.trim_end().len() {
        truncate(&format!("{first_line}…"), FAILURE_LABEL_CHARS)
    } else {
        truncate(first_line, FAILURE_LABEL_CHARS)
    }
}

/// At most `max` characters, the last of them '…' if any were cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Text made safe for XML content and attribute values.
fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // XML 1.0 allows no other control characters, even escaped, nor these two.
            c if c.is_control() && !matches!(c, '\n' | '\t') => escaped.push('\u{fffd}'),
            '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
pub(super) mod tests {
    use std::time::Duration;

    use roxmltree::{Document, Node};

    use super::super::{Bar, Failure, Row, RowKind, Timeline};
    use super::tick_step;
    use crate::error::ErrorKind;

    pub(in crate::timeline) const DB_CLOSE_MESSAGE: &str =
        "close failed: <&> \"q\" 'a' \\ \n second line \u{1}";

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn ok(start: u64, end: u64) -> Option<Bar> {
        Some(Bar {
            start: ms(start),
            end: Some(ms(end)),
            failure: None,
        })
    }

    fn failed(start: u64, end: u64, kind: ErrorKind, message: &str) -> Option<Bar> {
        Some(Bar {
            start: ms(start),
            end: Some(ms(end)),
            failure: Some(Failure {
                kind,
                message: message.to_owned(),
            }),
        })
    }

    fn row(path: &str, kind: RowKind, startup: Option<Bar>, shutdown: Option<Bar>) -> Row {
        Row {
            path: path.to_owned(),
            name: path.rsplit('/').next().unwrap_or(path).to_owned(),
            depth: path.matches('/').count(),
            kind,
            startup,
            shutdown,
            count: 1,
            failures: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A small app: `main` with `db` (and its `pool`, and a hook) and `cache`, started
    /// together; `slow` timed out; `db` failed to close; three workers still run.
    pub(in crate::timeline) fn sample() -> Timeline {
        let running = Some(Bar {
            start: ms(800),
            end: None,
            failure: None,
        });
        let timed_out = failed(
            30,
            530,
            ErrorKind::TimedOut,
            "startup timed out after 500ms",
        );
        let mut workers = row("main/worker", RowKind::Tasks, running, None);
        workers.count = 3;
        let mut main = row("main", RowKind::Part, ok(0, 50), ok(800, 1000));
        main.notes.push("listening on 127.0.0.1:8080".to_owned());
        Timeline {
            rows: vec![
                main,
                row(
                    "main/db",
                    RowKind::Part,
                    ok(5, 30),
                    failed(850, 990, ErrorKind::Failed, DB_CLOSE_MESSAGE),
                ),
                row("main/db/pool", RowKind::Part, ok(10, 25), ok(860, 900)),
                row("main/db/flush", RowKind::Hook, None, ok(855, 858)),
                row("main/cache", RowKind::Part, ok(20, 45), ok(820, 840)),
                row("main/slow", RowKind::Part, timed_out, None),
                workers,
            ],
            deadline: Some(ms(1100)),
            taken: ms(1200),
        }
    }

    fn many_rows(count: usize) -> Timeline {
        let rows = (0..count)
            .map(|i| {
                row(
                    &format!("main/part{i}"),
                    RowKind::Part,
                    ok(i as u64, i as u64 + 10),
                    ok(500, 600),
                )
            })
            .collect();
        Timeline {
            rows,
            deadline: None,
            taken: ms(700),
        }
    }

    fn number(node: Node, attribute: &str) -> f64 {
        node.attribute(attribute).unwrap().parse().unwrap()
    }

    fn first_label<'a>(document: &'a Document<'a>) -> Node<'a, 'a> {
        document
            .descendants()
            .find(|node| has_class(*node, "label"))
            .unwrap()
    }

    fn has_class(node: Node, class: &str) -> bool {
        node.attribute("class")
            .is_some_and(|classes| classes.split(' ').any(|c| c == class))
    }

    fn title_of<'a>(node: Node<'a, 'a>) -> &'a str {
        node.children()
            .find(|child| child.has_tag_name("title"))
            .and_then(|title| title.text())
            .unwrap()
    }

    fn bars<'a>(document: &'a Document<'a>) -> Vec<Node<'a, 'a>> {
        document
            .descendants()
            .filter(|node| node.has_tag_name("rect") && node.attribute("data-path").is_some())
            .collect()
    }

    fn the_bar<'a>(document: &'a Document<'a>, path: &str, stage: &str) -> Node<'a, 'a> {
        let found: Vec<_> = bars(document)
            .into_iter()
            .filter(|bar| bar.attribute("data-path") == Some(path) && has_class(*bar, stage))
            .collect();
        assert_eq!(found.len(), 1, "one {stage} bar for {path}");
        found[0]
    }

    #[test]
    fn one_bar_per_half_with_its_class_and_path() {
        let timeline = sample();
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let halves = timeline
            .rows
            .iter()
            .map(|row| row.startup.iter().count() + row.shutdown.iter().count())
            .sum::<usize>();
        assert_eq!(bars(&document).len(), halves);
        for row in &timeline.rows {
            for (stage, bar) in row.bars() {
                let node = the_bar(&document, &row.path, stage);
                assert_eq!(
                    has_class(node, "failed"),
                    bar.failure.is_some(),
                    "{} {stage}",
                    row.path
                );
                assert_eq!(
                    has_class(node, "running"),
                    bar.end.is_none(),
                    "{} {stage}",
                    row.path
                );
            }
        }
    }

    #[test]
    fn bars_are_ordered_on_the_axis_as_their_starts() {
        let timeline = sample();
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let mut starts: Vec<(Duration, f64)> = timeline
            .rows
            .iter()
            .flat_map(|row| row.bars().map(move |(stage, bar)| (row, stage, bar)))
            .map(|(row, stage, bar)| (bar.start, number(the_bar(&document, &row.path, stage), "x")))
            .collect();
        starts.sort_by_key(|(start, _)| *start);
        for pair in starts.windows(2) {
            let ((early, early_x), (late, late_x)) = (pair[0], pair[1]);
            assert!(
                early_x <= late_x,
                "{early:?} at {early_x}, {late:?} at {late_x}"
            );
            if early < late {
                assert!(early_x < late_x);
            }
        }
        // `db` and `cache` started together: their startup bars overlap.
        let (db, cache) = (
            the_bar(&document, "main/db", "startup"),
            the_bar(&document, "main/cache", "startup"),
        );
        assert!(number(cache, "x") < number(db, "x") + number(db, "width"));
    }

    #[test]
    fn failures_are_labelled_and_escaped() {
        let svg = sample().to_svg();
        assert!(svg.contains("close failed: &lt;&amp;&gt; &quot;q&quot; &apos;a&apos;"));
        assert!(!svg.contains("<&>"));
        let document = Document::parse(&svg).unwrap();
        let labels: Vec<_> = document
            .descendants()
            .filter(|node| has_class(*node, "failure-label"))
            .collect();
        assert_eq!(labels.len(), 2);
        let close = labels
            .iter()
            .find(|label| label.text().unwrap().starts_with("failed: close failed"))
            .unwrap();
        assert_eq!(
            close.text(),
            Some("failed: close failed: <&> \"q\" 'a' \\…"),
            "the first line only"
        );
        assert_eq!(
            title_of(*close),
            format!("failed: {}", DB_CLOSE_MESSAGE.replace('\u{1}', "\u{fffd}"))
        );
        assert!(
            labels
                .iter()
                .any(|label| label.text() == Some("timed out: startup timed out after 500ms"))
        );
        let db_title = title_of(the_bar(&document, "main/db", "shutdown"));
        assert!(db_title.starts_with(
            "main/db — shutdown\nstart: 850.000ms\nduration: 140.000ms\noutcome: failed: close"
        ));
        let main_title = title_of(the_bar(&document, "main", "startup"));
        assert_eq!(
            main_title,
            "main — startup\nstart: 0.000ns\nduration: 50.000ms\noutcome: ok\nlistening on 127.0.0.1:8080"
        );
    }

    #[test]
    fn a_running_bar_reaches_the_end_of_the_axis() {
        let svg = sample().to_svg();
        let document = Document::parse(&svg).unwrap();
        let workers = the_bar(&document, "main/worker", "run");
        let main = the_bar(&document, "main", "shutdown"); // 800 to 1000 ms
        let px_per_ms = number(main, "width") / 200.0;
        let end = number(workers, "x") + number(workers, "width");
        assert!((end - (number(main, "x") + 400.0 * px_per_ms)).abs() < 0.1);
        assert!(title_of(workers).ends_with("duration: 400.000ms so far\noutcome: still running"));
        assert!(
            document.descendants().any(
                |node| has_class(node, "running-label") && node.text() == Some("still running")
            )
        );
    }

    #[test]
    fn a_deadline_far_past_the_run_is_named_at_the_edge_not_drawn() {
        let mut timeline = sample();
        timeline.deadline = Some(Duration::from_secs(30));
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        assert!(
            !document
                .descendants()
                .any(|node| node.has_tag_name("line") && has_class(node, "deadline")),
            "no line squashing the run into the first pixels"
        );
        assert!(document.descendants().any(|node| {
            has_class(node, "deadline-label") && node.text() == Some("deadline at 30.0s →")
        }));
        // The run still fills the width: the last bar ends near the right edge.
        let main = the_bar(&document, "main", "shutdown");
        assert!(number(main, "x") + number(main, "width") > super::WIDTH / 2.0);
    }

    #[test]
    fn the_deadline_is_a_line_where_it_falls() {
        let svg = sample().to_svg();
        let document = Document::parse(&svg).unwrap();
        let line = document
            .descendants()
            .find(|node| node.has_tag_name("line") && has_class(*node, "deadline"))
            .unwrap();
        let main = the_bar(&document, "main", "shutdown"); // 800 to 1000 ms
        let expected = number(main, "x") + 300.0 * number(main, "width") / 200.0;
        assert!((number(line, "x1") - expected).abs() < 0.1);
        assert_eq!(number(line, "x1"), number(line, "x2"));
        assert!(
            document
                .descendants()
                .any(|node| has_class(node, "deadline-label") && node.text() == Some("deadline"))
        );
    }

    #[test]
    fn labels_are_indented_text_with_counts_and_hooks() {
        let svg = sample().to_svg();
        let document = Document::parse(&svg).unwrap();
        let label = |path: &str| {
            document
                .descendants()
                .find(|node| has_class(*node, "label") && node.attribute("data-path") == Some(path))
                .unwrap()
        };
        assert_eq!(label("main/worker").text(), Some("worker ×3"));
        assert_eq!(label("main/db/flush").text(), Some("hook flush"));
        assert_eq!(label("main/db/pool").text(), Some("pool"));
        assert!(number(label("main"), "x") < number(label("main/db"), "x"));
        assert!(number(label("main/db"), "x") < number(label("main/db/pool"), "x"));
    }

    #[test]
    fn nothing_is_fetched_or_run() {
        let svg = sample().to_svg();
        let document = Document::parse(&svg).unwrap();
        assert!(
            !document
                .descendants()
                .any(|node| node.has_tag_name("script") || node.has_tag_name("style"))
        );
        for forbidden in [
            "<script",
            "href",
            "@import",
            "url(http",
            "url(data",
            "<image",
            "<foreignObject",
        ] {
            assert!(!svg.contains(forbidden), "{forbidden}");
        }
        assert_eq!(
            document.root_element().attribute("font-family"),
            Some("system-ui, sans-serif")
        );
    }

    #[test]
    fn a_hundred_rows_are_all_drawn_and_labelled() {
        let (ten, hundred) = (many_rows(10).to_svg(), many_rows(100).to_svg());
        let (ten, hundred) = (
            Document::parse(&ten).unwrap(),
            Document::parse(&hundred).unwrap(),
        );
        let height = |document: &Document| number(document.root_element(), "height");
        let row_height = (height(&hundred) - height(&ten)) / 90.0;
        assert!((18.0..=22.0).contains(&row_height), "{row_height}");
        let labels: Vec<_> = hundred
            .descendants()
            .filter(|node| has_class(*node, "label"))
            .filter_map(|node| node.text())
            .collect();
        for i in 0..100 {
            assert!(labels.contains(&format!("part{i}").as_str()), "part{i}");
        }
        assert_eq!(bars(&hundred).len(), 200);
    }

    #[test]
    fn ticks_step_by_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(ms(1000)), ms(100));
        assert_eq!(tick_step(ms(1200)), ms(200));
        assert_eq!(tick_step(ms(3)), Duration::from_micros(500));
        assert_eq!(tick_step(Duration::from_secs(45)), Duration::from_secs(5));
        let svg = sample().to_svg();
        let document = Document::parse(&svg).unwrap();
        let ticks: Vec<_> = document
            .descendants()
            .filter(|node| has_class(*node, "tick-label"))
            .filter_map(|node| node.text())
            .collect();
        assert_eq!(
            ticks,
            [
                "0 ms", "200 ms", "400 ms", "600 ms", "800 ms", "1000 ms", "1200 ms"
            ]
        );
        // A span of exactly ten steps draws its eleven ticks, the last at its end.
        let round = Timeline {
            rows: Vec::new(),
            deadline: None,
            taken: ms(1000),
        };
        let svg = round.to_svg();
        let document = Document::parse(&svg).unwrap();
        let labels = document
            .descendants()
            .filter(|node| has_class(*node, "tick-label"))
            .filter_map(|node| node.text())
            .collect::<Vec<_>>();
        assert_eq!(labels.len(), 11, "{labels:?}");
        assert_eq!(labels.last(), Some(&"1000 ms"));
    }

    /// Time maps onto the chart from the label column to the right margin, each row's
    /// bars lie in its band, every other band is striped, and a label is cut to what
    /// fits at its indent.
    #[test]
    fn time_maps_onto_the_chart_and_rows_onto_their_bands() {
        let timeline = sample();
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let ticks: Vec<f64> = document
            .descendants()
            .filter(|node| node.has_tag_name("line") && has_class(*node, "tick"))
            .map(|node| number(node, "x1"))
            .collect();
        let main = the_bar(&document, "main", "startup"); // from 0
        assert!(
            (number(main, "x") - ticks[0]).abs() < 0.1,
            "0 is the first tick"
        );
        assert!(ticks[0] >= super::MIN_LABEL_COLUMN);
        // The axis ends when the timeline was taken, where the running workers end.
        let workers = the_bar(&document, "main/worker", "run");
        let right = number(workers, "x") + number(workers, "width");
        assert!(
            (right - (super::WIDTH - super::RIGHT_MARGIN)).abs() < 0.1,
            "{right}"
        );
        // Halfway in time is halfway across the chart.
        let chart = super::WIDTH - super::RIGHT_MARGIN - ticks[0];
        let db = the_bar(&document, "main/db", "shutdown");
        let expected = ticks[0]
            + chart
                * timeline.rows[1]
                    .shutdown
                    .as_ref()
                    .unwrap()
                    .start
                    .as_secs_f64()
                / timeline.taken.as_secs_f64();
        assert!((number(db, "x") - expected).abs() < 0.1);

        for (index, row) in timeline.rows.iter().enumerate() {
            let band = super::TOP + super::ROW_HEIGHT * index as f64;
            for (stage, _) in row.bars() {
                let bar = the_bar(&document, &row.path, stage);
                let (y, height) = (number(bar, "y"), number(bar, "height"));
                assert!(
                    y > band && y + height < band + super::ROW_HEIGHT,
                    "{} in its band",
                    row.path
                );
            }
        }
        let stripes: Vec<f64> = document
            .descendants()
            .filter(|node| has_class(*node, "stripe"))
            .map(|node| number(node, "y"))
            .collect();
        let expected: Vec<f64> = (0..timeline.rows.len())
            .step_by(2)
            .map(|index| super::TOP + super::ROW_HEIGHT * index as f64)
            .collect();
        assert_eq!(stripes, expected);
    }

    #[test]
    fn a_label_is_cut_to_what_fits_at_its_indent() {
        let deep = format!("a/b/c/{}", "x".repeat(100));
        let timeline = Timeline {
            rows: vec![row(&deep, RowKind::Part, ok(0, 1), None)],
            deadline: None,
            taken: ms(2),
        };
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let label = first_label(&document);
        let shown = label.text().unwrap().chars().count();
        let column = super::MAX_LABEL_COLUMN;
        let fits = ((column - 12.0 - 3.0 * super::INDENT) / super::CHAR_WIDTH) as usize;
        assert_eq!(shown, fits, "cut to the column, less the indent of depth 3");
    }

    #[test]
    fn tick_labels_are_whole_numbers_in_the_step_s_unit() {
        use super::tick_label;
        let cases = [
            (
                Duration::from_millis(1500),
                Duration::from_millis(500),
                "1500 ms",
            ),
            (Duration::from_secs(2), Duration::from_secs(1), "2 s"),
            (
                Duration::from_micros(1500),
                Duration::from_micros(500),
                "1500 µs",
            ),
            (
                Duration::from_nanos(500),
                Duration::from_nanos(100),
                "500 ns",
            ),
            (Duration::from_micros(2), Duration::from_micros(1), "2 µs"),
        ];
        for (tick, step, label) in cases {
            assert_eq!(tick_label(tick, step), label);
        }
    }

    /// Startups blue, shutdowns and hook runs orange, task runs blue and lighter.
    #[test]
    fn bars_are_painted_by_what_they_are() {
        let timeline = Timeline {
            rows: vec![
                row("main", RowKind::Part, ok(0, 10), ok(20, 30)),
                row("main/flush", RowKind::Hook, None, ok(22, 24)),
                row("main/worker", RowKind::Tasks, ok(5, 25), None),
            ],
            deadline: None,
            taken: ms(30),
        };
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let paint = |path: &str, stage: &str| {
            let bar = the_bar(&document, path, stage);
            (
                bar.attribute("fill").unwrap().to_owned(),
                bar.attribute("fill-opacity").map(str::to_owned),
            )
        };
        let startup = super::STARTUP_COLOUR.to_owned();
        let shutdown = super::SHUTDOWN_COLOUR.to_owned();
        assert_eq!(paint("main", "startup"), (startup.clone(), None));
        assert_eq!(paint("main", "shutdown"), (shutdown.clone(), None));
        assert_eq!(paint("main/flush", "run"), (shutdown, None));
        assert_eq!(
            paint("main/worker", "run"),
            (startup, Some("0.7".to_owned()))
        );
    }

    /// Labels sit in their row's band, and the label column is as wide as the longest
    /// label needs (between its bounds): the chart starts right after it.
    #[test]
    fn labels_sit_in_their_band_and_size_the_column() {
        let name = "a".repeat(30);
        let timeline = Timeline {
            rows: vec![
                row(&name, RowKind::Part, ok(0, 10), None),
                row(&format!("{name}/b"), RowKind::Part, ok(1, 9), None),
            ],
            deadline: None,
            taken: ms(10),
        };
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let labels: Vec<Node> = document
            .descendants()
            .filter(|node| has_class(*node, "label"))
            .collect();
        for (index, label) in labels.iter().enumerate() {
            let band = super::TOP + super::ROW_HEIGHT * index as f64;
            let y = number(*label, "y");
            assert!(
                y > band + super::ROW_HEIGHT / 2.0 && y < band + super::ROW_HEIGHT,
                "{y}"
            );
        }
        assert_eq!(
            number(labels[1], "x") - number(labels[0], "x"),
            super::INDENT
        );
        let column = 30.0 * super::CHAR_WIDTH + 16.0;
        let first_bar = the_bar(&document, &name, "startup");
        assert!(
            (number(first_bar, "x") - column).abs() < 0.1,
            "{}",
            number(first_bar, "x")
        );
    }

    /// A note goes right of its bar when it fits before the edge, else inside the bar
    /// when that is wide enough, else left of it.
    #[test]
    fn a_note_goes_where_it_fits() {
        let noted = |path: &str, startup: Option<Bar>| {
            let mut startup = startup.unwrap();
            startup.failure = Some(Failure {
                kind: ErrorKind::Failed,
                message: "n".repeat(20),
            });
            row(path, RowKind::Part, Some(startup), None)
        };
        let timeline = Timeline {
            rows: vec![
                noted("early", ok(0, 10)),
                noted("wide", ok(100, 1000)),
                noted("narrow", ok(990, 1000)),
            ],
            deadline: None,
            taken: ms(1000),
        };
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let note_of = |path: &str| {
            let bar = the_bar(&document, path, "startup");
            let end = number(bar, "x") + number(bar, "width");
            let index = ["early", "wide", "narrow"]
                .iter()
                .position(|p| *p == path)
                .unwrap();
            let band = super::TOP + super::ROW_HEIGHT * index as f64;
            let note = document
                .descendants()
                .find(|node| {
                    node.has_tag_name("text")
                        && node
                            .text()
                            .is_some_and(|text| text.starts_with("failed: nnnn"))
                        && (band..band + super::ROW_HEIGHT).contains(&number(*node, "y"))
                })
                .unwrap();
            (
                number(bar, "x"),
                end,
                number(note, "x"),
                note.attribute("text-anchor").unwrap().to_owned(),
            )
        };
        let (_, end, x, anchor) = note_of("early");
        assert_eq!(
            (x, anchor.as_str()),
            (end + 4.0, "start"),
            "right of the bar"
        );
        let (_, end, x, anchor) = note_of("wide");
        assert_eq!((x, anchor.as_str()), (end - 4.0, "end"), "inside the bar");
        let (start, _, x, anchor) = note_of("narrow");
        assert_eq!(
            (x, anchor.as_str()),
            (start - 4.0, "end"),
            "left of the bar"
        );
    }

    #[test]
    fn long_labels_are_cut_to_the_column() {
        let long = "x".repeat(200);
        let timeline = Timeline {
            rows: vec![row(&long, RowKind::Part, ok(0, 1), None)],
            deadline: None,
            taken: ms(2),
        };
        let svg = timeline.to_svg();
        let document = Document::parse(&svg).unwrap();
        let label = first_label(&document);
        assert!(label.text().unwrap().ends_with('…'));
        assert_eq!(title_of(label), long);
        assert!(number(the_bar(&document, &long, "startup"), "x") <= super::MAX_LABEL_COLUMN);
    }
}
