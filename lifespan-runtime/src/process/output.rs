//! An external service's stdout and stderr: each line to `tracing` under the
//! service's name, the last few kept for error messages, and the first line that
//! matches the readiness pattern reported.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use regex::Regex;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;

use crate::error::Name;
use crate::sync::lock;

/// How many lines an error quotes.
const KEPT: usize = 20;

/// The last lines printed, both streams interleaved.
#[derive(Clone, Debug, Default)]
pub(crate) struct LastLines(Arc<Mutex<VecDeque<String>>>);

impl LastLines {
    fn push(&self, line: String) {
        let mut lines = lock(&self.0);
        if lines.len() == KEPT {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    pub(crate) fn get(&self) -> Vec<String> {
        lock(&self.0).iter().cloned().collect()
    }
}

/// Told, once, that a line matched: `Some(address)` when its `address` group parsed.
pub(crate) type Watcher = Arc<watch::Sender<Option<Option<SocketAddr>>>>;

/// Reads `stream` line by line until it closes, on a task of its own.
pub(crate) fn follow(
    name: Name,
    stream_name: &'static str,
    stream: impl AsyncRead + Unpin + Send + 'static,
    last: LastLines,
    pattern: Option<(Regex, Watcher)>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::info!(target: "lifespan::process", service = %name, stream = stream_name, "{line}");
            if let Some((pattern, matched)) = &pattern {
                if matched.borrow().is_none() {
                    if let Some(captures) = pattern.captures(&line) {
                        let address = captures
                            .name("address")
                            .and_then(|address| address.as_str().parse().ok());
                        let _ = matched.send(Some(address));
                    }
                }
            }
            last.push(line);
        }
    });
}
