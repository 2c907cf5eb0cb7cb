//! `kind = "file"`: ECS JSON lines, rotated by size (`events.jsonl` → `events.jsonl.1` …).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Delivery, Sink, json_line};
use crate::error::SinkError;

/// `[[sinks]] kind = "file"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The file written to (created with its directory).
    pub path: PathBuf,
    /// Rotate when the file would grow past this many bytes (0: never).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Rotated files kept (`path.1` is the newest).
    #[serde(default = "default_keep")]
    pub keep: u32,
}

fn default_max_bytes() -> u64 {
    100 << 20
}

fn default_keep() -> u32 {
    5
}

/// Appends lines and rotates.
pub struct FileSink {
    config: FileConfig,
    file: Option<File>,
    size: u64,
}

impl FileSink {
    /// Checks the directory can be created; the file is opened on first use.
    pub fn new(config: FileConfig) -> Result<Self, String> {
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        Ok(FileSink {
            config,
            file: None,
            size: 0,
        })
    }

    fn open(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.config.path)?;
            self.size = f.metadata()?.len();
            self.file = Some(f);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        let keep = self.config.keep;
        let numbered = |n: u32| -> PathBuf { suffixed(&self.config.path, n) };
        if keep == 0 {
            return std::fs::remove_file(&self.config.path);
        }
        let _ = std::fs::remove_file(numbered(keep));
        for n in (1..keep).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.config.path, numbered(1))
    }

    fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.config.max_bytes > 0 && self.size > 0 && self.size + len > self.config.max_bytes {
            self.open()?.flush()?;
            self.rotate()?;
        }
        // One write per line, so a reader following the file never sees a line without its end.
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.open()?.write_all(&bytes)?;
        self.size += len;
        Ok(())
    }
}

fn suffixed(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

#[async_trait]
impl Sink for FileSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        for (i, item) in batch.iter().enumerate() {
            if let Err(e) = self.write_line(&json_line(item)) {
                // A half-written line must not be followed by the retry on the same line.
                self.file = None;
                return Err(SinkError::retry(
                    i,
                    format!("{}: {e}", self.config.path.display()),
                ));
            }
        }
        if let Some(f) = &mut self.file {
            f.flush()
                .map_err(|e| SinkError::retry(batch.len(), e.to_string()))?;
        }
        Ok(())
    }
}
