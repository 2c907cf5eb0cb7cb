//! The app's stdout and stderr: each line timestamped into a rotating file, echoed to the
//! terminal, and (for stderr) kept in a short tail for the crash event.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::settings::LogSettings;

/// A line longer than this is cut into pieces, so an app printing without newlines cannot
/// make the supervisor buffer without bound.
const MAX_LINE: usize = 16 * 1024;
/// Longest line kept in the crash tail.
const MAX_TAIL_LINE: usize = 512;

/// Which of the app's streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// stdout
    Out,
    /// stderr
    Err,
}

impl Stream {
    fn suffix(self) -> &'static str {
        match self {
            Stream::Out => "out",
            Stream::Err => "err",
        }
    }
}

/// The last stderr lines, shared between the pump and the supervisor.
#[derive(Debug, Clone, Default)]
pub struct Tail {
    lines: Arc<Mutex<VecDeque<String>>>,
    cap: usize,
}

impl Tail {
    /// Keeps at most `cap` lines.
    pub fn new(cap: usize) -> Self {
        Tail {
            lines: Arc::default(),
            cap,
        }
    }

    fn push(&self, line: &str) {
        if self.cap == 0 {
            return;
        }
        let mut cut = line.trim_end();
        if cut.len() > MAX_TAIL_LINE {
            let mut end = MAX_TAIL_LINE;
            while !cut.is_char_boundary(end) {
                end -= 1;
            }
            cut = &cut[..end];
        }
        if let Ok(mut lines) = self.lines.lock() {
            if lines.len() == self.cap {
                lines.pop_front();
            }
            lines.push_back(cut.to_owned());
        }
    }

    /// The kept lines, oldest first, and forgets them (each crash reports its own run).
    pub fn take(&self) -> Vec<String> {
        self.lines
            .lock()
            .map(|mut l| l.drain(..).collect())
            .unwrap_or_default()
    }
}

/// The log file of one stream.
pub fn log_path(dir: &Path, name: &str, stream: Stream) -> PathBuf {
    dir.join(format!("{name}.{}.log", stream.suffix()))
}

/// One stream's destinations. The rotating file persists across restarts of the app.
pub struct LogWriter {
    file: Option<FileRotate<AppendCount>>,
    stream: Stream,
    echo: bool,
    tail: Option<Tail>,
}

impl LogWriter {
    /// Opens (creating the directory) the stream's file when `settings.dir` is set.
    pub fn open(
        settings: &LogSettings,
        name: &str,
        stream: Stream,
        tail: Option<Tail>,
    ) -> std::io::Result<Self> {
        let file = match &settings.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let path = log_path(dir, name, stream);
                // Fail now, with the path, rather than on the first line.
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?;
                Some(FileRotate::new(
                    path,
                    AppendCount::new(settings.keep.max(1)),
                    ContentLimit::BytesSurpassed(
                        usize::try_from(settings.max_bytes.max(1)).unwrap_or(usize::MAX),
                    ),
                    Compression::None,
                    None,
                ))
            }
            None => None,
        };
        Ok(LogWriter {
            file,
            stream,
            echo: settings.echo,
            tail,
        })
    }

    fn line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\n', '\r']);
        if let Some(file) = &mut self.file {
            let stamp = humantime::format_rfc3339_millis(SystemTime::now());
            // One write per line: the rotation happens between writes, and must not split one.
            let record = format!("{stamp} {text}\n");
            if let Err(e) = file.write_all(record.as_bytes()) {
                tracing::warn!("cannot write the app's log: {e}");
            }
        }
        if self.echo {
            // The app's lines go out as they came, on the stream they came on.
            let _ = match self.stream {
                Stream::Out => writeln!(std::io::stdout().lock(), "{text}"),
                Stream::Err => writeln!(std::io::stderr().lock(), "{text}"),
            };
        }
        if let Some(tail) = &self.tail {
            tail.push(text);
        }
    }

    fn flush(&mut self) {
        if let Some(file) = &mut self.file {
            let _ = file.flush();
        }
    }
}

/// Copies `reader` into `writer` line by line until the app closes the stream.
pub async fn pump(reader: impl AsyncRead + Unpin, writer: Arc<Mutex<LogWriter>>) {
    let mut reader = BufReader::with_capacity(8192, reader);
    let mut line = Vec::with_capacity(256);
    loop {
        let chunk = match reader.fill_buf().await {
            Ok([]) => break,
            Ok(chunk) => chunk,
            Err(e) => {
                tracing::debug!("app output: {e}");
                break;
            }
        };
        let (take, complete) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE - line.len();
        let take = take.min(room);
        line.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if complete && line.last() == Some(&b'\n') || line.len() >= MAX_LINE {
            if let Ok(mut w) = writer.lock() {
                w.line(&line);
            }
            line.clear();
        }
    }
    if let Ok(mut w) = writer.lock() {
        if !line.is_empty() {
            w.line(&line);
        }
        w.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_stamped_rotated_and_tailed() {
        let dir = tempfile::tempdir().unwrap();
        let settings = LogSettings {
            dir: Some(dir.path().to_path_buf()),
            max_bytes: 200,
            keep: 2,
            echo: false,
            tail_lines: 3,
        };
        let tail = Tail::new(3);
        let writer = Arc::new(Mutex::new(
            LogWriter::open(&settings, "app", Stream::Err, Some(tail.clone())).unwrap(),
        ));
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("line {i} password=hunter2\n"));
        }
        text.push_str("no newline at the end");
        pump(text.as_bytes(), writer.clone()).await;
        assert_eq!(
            tail.take(),
            [
                "line 38 password=hunter2",
                "line 39 password=hunter2",
                "no newline at the end"
            ]
        );
        let current = std::fs::read_to_string(dir.path().join("app.err.log")).unwrap();
        assert!(current.ends_with("no newline at the end\n"), "{current}");
        let first = current.lines().next().unwrap();
        assert!(first.starts_with("20") && first.contains("Z "), "{first}");
        let older = std::fs::read_to_string(dir.path().join("app.err.log.1")).unwrap();
        assert!(older.lines().all(|l| l.contains("Z line ")), "{older}");
        assert!(dir.path().join("app.err.log.2").exists());
        assert!(!dir.path().join("app.err.log.3").exists(), "keep = 2");
    }

    #[tokio::test]
    async fn endless_lines_are_cut() {
        let settings = LogSettings {
            dir: None,
            echo: false,
            ..LogSettings::default()
        };
        let tail = Tail::new(10);
        let writer = Arc::new(Mutex::new(
            LogWriter::open(&settings, "app", Stream::Err, Some(tail.clone())).unwrap(),
        ));
        let long = vec![b'x'; MAX_LINE * 3 + 5];
        pump(&long[..], writer).await;
        assert_eq!(tail.take().len(), 4);
    }
}
