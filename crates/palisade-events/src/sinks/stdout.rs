//! `kind = "stdout"`: ECS JSON lines on standard output (containers, systemd's journal).

use std::io::Write;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Delivery, Sink, json_line};
use crate::error::SinkError;

/// `[[sinks]] kind = "stdout"` takes no options of its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdoutConfig {}

/// Writes each item as one line.
pub struct StdoutSink;

impl StdoutSink {
    /// A sink on this process's standard output.
    pub fn new(_config: StdoutConfig) -> Self {
        StdoutSink
    }
}

#[async_trait]
impl Sink for StdoutSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        let mut text = String::new();
        for item in batch {
            text.push_str(&json_line(item));
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| SinkError::retry(0, format!("stdout: {e}")))
    }
}
