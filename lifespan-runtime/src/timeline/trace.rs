//! The timeline in the Chrome trace event format, which Perfetto and
//! `chrome://tracing` open.
//!
//! Written by hand, to keep serde out of the library: every string goes through
//! [`json_string`], every time through [`micros`].

use std::fmt::Write as _;
use std::time::Duration;

use super::{Bar, Row, RowKind, Timeline};

/// The one process of the trace.
const PID: u32 = 1;

impl Timeline {
    /// The timeline as a Chrome trace, the JSON object form
    /// `{"traceEvents":[...],"displayTimeUnit":"ms"}` that Perfetto and
    /// `chrome://tracing` open.
    ///
    /// Each row is a thread of process 1 (`tid` = the row's index + 1), named by its
    /// path through `thread_name` metadata so that each has a labelled track, in the
    /// timeline's order. Each bar is a complete event (`"ph":"X"`) named by the path,
    /// in category `startup` or `shutdown` for a part, `hook` or `tasks` otherwise,
    /// with `ts` and `dur` in microseconds; a bar still running ends when the timeline
    /// was taken. Its `args` hold the `path`, the `stage` (which half of the row:
    /// `startup` or `shutdown`), the `outcome` (`ok`, `still running`, or the
    /// failure's kind and message), the `count` of tasks and any notes. The shutdown
    /// deadline is a global instant event named `deadline`.
    ///
    /// ```
    /// # use lifespan::{from_fn, Scope};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let scope = Scope::new();
    /// scope.record_timeline();
    /// scope.enter(from_fn("db", |y| y.yield_app(()))).await?;
    /// scope.shutdown().await?;
    /// let trace = scope.timeline().unwrap().to_chrome_trace();
    /// assert!(trace.starts_with(r#"{"traceEvents":["#));
    /// assert!(trace.contains(r#""name":"db""#));
    /// # Ok::<(), lifespan::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn to_chrome_trace(&self) -> String {
        let mut events = vec![process_name_event()];
        for (index, row) in self.rows.iter().enumerate() {
            let tid = index + 1;
            events.push(thread_name_event(tid, row));
            events.push(thread_sort_event(tid));
        }
        for (index, row) in self.rows.iter().enumerate() {
            for (stage, bar) in row.bars() {
                events.push(complete_event(index + 1, row, stage, bar, self.taken));
            }
        }
        if let Some(deadline) = self.deadline {
            events.push(deadline_event(deadline));
        }
        format!(
            "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\"}}\n",
            events.join(",\n")
        )
    }
}

fn process_name_event() -> String {
    format!(r#"{{"name":"process_name","ph":"M","pid":{PID},"args":{{"name":"lifespan"}}}}"#)
}

/// Names the row's track by its path.
fn thread_name_event(tid: usize, row: &Row) -> String {
    format!(
        r#"{{"name":"thread_name","ph":"M","pid":{PID},"tid":{tid},"args":{{"name":{}}}}}"#,
        json_string(&row.path)
    )
}

/// Keeps the tracks in the timeline's order rather than sorted by name.
fn thread_sort_event(tid: usize) -> String {
    format!(
        r#"{{"name":"thread_sort_index","ph":"M","pid":{PID},"tid":{tid},"args":{{"sort_index":{tid}}}}}"#
    )
}

fn complete_event(tid: usize, row: &Row, stage: &str, bar: &Bar, taken: Duration) -> String {
    let duration = bar.end.unwrap_or(taken).saturating_sub(bar.start);
    format!(
        r#"{{"name":{name},"cat":"{category}","ph":"X","ts":{ts},"dur":{dur},"pid":{PID},"tid":{tid},"args":{args}}}"#,
        name = json_string(&row.path),
        category = category(row.kind, stage),
        ts = micros(bar.start),
        dur = micros(duration),
        args = event_args(row, stage, bar),
    )
}

fn deadline_event(deadline: Duration) -> String {
    format!(
        r#"{{"name":"deadline","cat":"shutdown","ph":"i","s":"g","ts":{},"pid":{PID},"tid":1}}"#,
        micros(deadline)
    )
}

/// A part's bars go by their stage; a hook's and tasks' by what they are.
fn category(kind: RowKind, stage: &str) -> &str {
    match kind {
        RowKind::Part => stage,
        RowKind::Hook => "hook",
        RowKind::Tasks => "tasks",
    }
}

fn event_args(row: &Row, stage: &str, bar: &Bar) -> String {
    let mut args = format!(
        r#"{{"path":{},"stage":"{stage}","outcome":{}"#,
        json_string(&row.path),
        json_string(&outcome(bar))
    );
    if row.kind == RowKind::Tasks {
        let _ = write!(args, r#","count":{}"#, row.count);
    }
    if !row.notes.is_empty() {
        let notes: Vec<String> = row.notes.iter().map(|note| json_string(note)).collect();
        let _ = write!(args, r#","notes":[{}]"#, notes.join(","));
    }
    args.push('}');
    args
}

/// `ok`, `still running`, or the failure's kind and message: `TimedOut: …`.
fn outcome(bar: &Bar) -> String {
    match (&bar.failure, bar.end) {
        (Some(failure), _) => format!("{:?}: {}", failure.kind, failure.message),
        (None, None) => "still running".to_owned(),
        (None, Some(_)) => "ok".to_owned(),
    }
}

/// A duration in microseconds as an exact JSON number, to the nanosecond: `1500.250`.
fn micros(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    format!("{}.{:03}", nanos / 1000, nanos % 1000)
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(quoted, "\\u{:04x}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::Value;

    use super::super::svg::tests::{DB_CLOSE_MESSAGE, sample};
    use super::json_string;

    fn events(trace: &Value) -> &[Value] {
        trace["traceEvents"].as_array().unwrap()
    }

    fn micros(duration: Duration) -> f64 {
        duration.as_nanos() as f64 / 1000.0
    }

    fn the_event<'a>(trace: &'a Value, tid: usize, stage: &str) -> &'a Value {
        let found: Vec<_> = events(trace)
            .iter()
            .filter(|e| e["ph"] == "X" && e["tid"] == tid && e["args"]["stage"] == stage)
            .collect();
        assert_eq!(found.len(), 1, "one {stage} event on track {tid}");
        found[0]
    }

    #[test]
    fn one_complete_event_per_bar_at_its_time() {
        let timeline = sample();
        let trace: Value = serde_json::from_str(&timeline.to_chrome_trace()).unwrap();
        assert_eq!(trace["displayTimeUnit"], "ms");
        let halves = timeline
            .rows
            .iter()
            .map(|row| row.startup.iter().count() + row.shutdown.iter().count())
            .sum::<usize>();
        assert_eq!(
            events(&trace).iter().filter(|e| e["ph"] == "X").count(),
            halves
        );
        for (index, row) in timeline.rows.iter().enumerate() {
            for (stage, bar) in row.bars() {
                let event = the_event(&trace, index + 1, stage);
                let end = bar.end.unwrap_or(timeline.taken);
                assert_eq!(event["name"], row.path.as_str());
                assert_eq!(event["pid"], 1);
                assert_eq!(event["args"]["path"], row.path.as_str());
                assert!((event["ts"].as_f64().unwrap() - micros(bar.start)).abs() < 1e-6);
                assert!((event["dur"].as_f64().unwrap() - micros(end - bar.start)).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn categories_outcomes_and_counts() {
        let trace: Value = serde_json::from_str(&sample().to_chrome_trace()).unwrap();
        let main = the_event(&trace, 1, "startup");
        assert_eq!(
            (&main["cat"], &main["args"]["outcome"]),
            (&"startup".into(), &"ok".into())
        );
        assert_eq!(main["args"]["notes"][0], "listening on 127.0.0.1:8080");
        assert!(main["args"].get("count").is_none());
        let db_close = the_event(&trace, 2, "shutdown");
        assert_eq!(db_close["cat"], "shutdown");
        assert_eq!(
            db_close["args"]["outcome"],
            format!("Failed: {DB_CLOSE_MESSAGE}").as_str()
        );
        assert_eq!(the_event(&trace, 4, "run")["cat"], "hook");
        assert_eq!(
            the_event(&trace, 6, "startup")["args"]["outcome"],
            "TimedOut: startup timed out after 500ms"
        );
        let workers = the_event(&trace, 7, "run");
        assert_eq!(workers["cat"], "tasks");
        assert_eq!(workers["args"]["count"], 3);
        assert_eq!(workers["args"]["outcome"], "still running");
        assert_eq!(workers["ts"].as_f64(), Some(800_000.0));
        assert_eq!(
            workers["dur"].as_f64(),
            Some(400_000.0),
            "a running bar ends when the timeline was taken"
        );
    }

    #[test]
    fn each_row_is_a_named_track_in_order() {
        let timeline = sample();
        let trace: Value = serde_json::from_str(&timeline.to_chrome_trace()).unwrap();
        let names: Vec<_> = events(&trace)
            .iter()
            .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
            .map(|e| {
                (
                    e["tid"].as_u64().unwrap(),
                    e["args"]["name"].as_str().unwrap(),
                )
            })
            .collect();
        let expected: Vec<_> = timeline
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| (i as u64 + 1, row.path.as_str()))
            .collect();
        assert_eq!(names, expected);
        assert!(
            events(&trace)
                .iter()
                .any(|e| e["ph"] == "M" && e["name"] == "process_name" && e["pid"] == 1)
        );
    }

    #[test]
    fn the_deadline_is_a_global_instant() {
        let trace: Value = serde_json::from_str(&sample().to_chrome_trace()).unwrap();
        let instants: Vec<_> = events(&trace).iter().filter(|e| e["ph"] == "i").collect();
        assert_eq!(instants.len(), 1);
        assert_eq!(
            (&instants[0]["name"], &instants[0]["s"]),
            (&"deadline".into(), &"g".into())
        );
        assert_eq!(instants[0]["ts"].as_f64(), Some(1_100_000.0));
    }

    #[test]
    fn strings_are_escaped_for_json() {
        let trace = sample().to_chrome_trace();
        assert!(trace.contains(r#"close failed: <&> \"q\" 'a' \\ \u000a second line \u0001"#));
        let every_awkward: String = (0u8..0x20)
            .map(char::from)
            .chain("\"\\/é\u{2028}".chars())
            .collect();
        let parsed: String = serde_json::from_str(&json_string(&every_awkward)).unwrap();
        assert_eq!(parsed, every_awkward);
    }

    #[test]
    fn an_empty_timeline_is_still_a_trace() {
        let empty = super::Timeline {
            rows: Vec::new(),
            deadline: None,
            taken: Duration::ZERO,
        };
        let trace: Value = serde_json::from_str(&empty.to_chrome_trace()).unwrap();
        assert_eq!(events(&trace).len(), 1);
        assert!(roxmltree::Document::parse(&empty.to_svg()).is_ok());
    }
}
