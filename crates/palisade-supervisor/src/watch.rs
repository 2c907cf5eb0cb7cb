//! Restart on file change: watched paths, debounced, with ignore globs.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc;

use crate::settings::WatchSettings;

/// A running watcher; changes arrive on [`FileWatch::changed`].
pub struct FileWatch {
    _debouncer: Debouncer<RecommendedWatcher>,
    rx: mpsc::Receiver<PathBuf>,
}

/// Decides which changed paths matter.
#[derive(Debug)]
pub struct Filter {
    roots: Vec<PathBuf>,
    ignore: GlobSet,
    /// Paths the supervisor itself writes (the app's log directory), whose changes would
    /// otherwise restart the app in a loop.
    own: Vec<PathBuf>,
}

impl Filter {
    /// Builds the filter; a bad glob is an error naming it.
    pub fn new(settings: &WatchSettings, own: Vec<PathBuf>) -> Result<Self, String> {
        let mut builder = GlobSetBuilder::new();
        for pattern in &settings.ignore {
            builder.add(
                Glob::new(pattern).map_err(|e| format!("bad ignore pattern {pattern:?}: {e}"))?,
            );
        }
        let ignore = builder.build().map_err(|e| e.to_string())?;
        let canon = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        Ok(Filter {
            roots: settings.paths.iter().map(canon).collect(),
            ignore,
            own: own.iter().map(canon).collect(),
        })
    }

    /// True when a change to `path` should restart the app.
    pub fn matters(&self, path: &Path) -> bool {
        if self.own.iter().any(|o| path.starts_with(o)) {
            return false;
        }
        let name = path.file_name().map(Path::new);
        if name.is_some_and(|n| self.ignore.is_match(n)) {
            return false;
        }
        let relative = self
            .roots
            .iter()
            .find_map(|r| path.strip_prefix(r).ok())
            .unwrap_or(path);
        if self.ignore.is_match(relative) {
            return false;
        }
        // `node_modules/**` should also catch `a/node_modules/x`: try every suffix.
        let mut rest = relative;
        while let Some(next) = strip_first(rest) {
            if self.ignore.is_match(next) {
                return false;
            }
            rest = next;
        }
        true
    }
}

fn strip_first(path: &Path) -> Option<&Path> {
    let mut parts = path.components();
    parts.next()?;
    let rest = parts.as_path();
    (!rest.as_os_str().is_empty()).then_some(rest)
}

impl FileWatch {
    /// Watches `settings.paths` recursively. Each path must exist.
    pub fn start(settings: &WatchSettings, filter: Filter) -> Result<Self, String> {
        let (tx, rx) = mpsc::channel(64);
        let mut debouncer = new_debouncer(settings.debounce, move |res: DebounceEventResult| {
            match res {
                Ok(events) => {
                    if let Some(e) = events.iter().find(|e| filter.matters(&e.path)) {
                        // A full channel already holds a pending restart; one is enough.
                        let _ = tx.try_send(e.path.clone());
                    }
                }
                Err(e) => tracing::warn!("file watch: {e}"),
            }
        })
        .map_err(|e| format!("cannot start the file watcher: {e}"))?;
        for path in &settings.paths {
            debouncer
                .watcher()
                .watch(path, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
        }
        Ok(FileWatch {
            _debouncer: debouncer,
            rx,
        })
    }

    /// The next relevant change (one path of the debounced batch).
    pub async fn changed(&mut self) -> Option<PathBuf> {
        self.rx.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings(root: &Path) -> WatchSettings {
        WatchSettings {
            paths: vec![root.to_path_buf()],
            ignore: vec!["node_modules/**".into(), "*.log".into(), ".git/**".into()],
            debounce: Duration::from_millis(50),
        }
    }

    #[test]
    fn ignores_globs_nested_dirs_and_own_logs() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let logs = root.join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let f = Filter::new(&settings(&root), vec![logs.clone()]).unwrap();
        assert!(f.matters(&root.join("src/app.js")));
        assert!(!f.matters(&root.join("node_modules/x/index.js")));
        assert!(!f.matters(&root.join("pkg/node_modules/x/index.js")));
        assert!(!f.matters(&root.join("debug.log")));
        assert!(!f.matters(&root.join(".git/HEAD")));
        assert!(!f.matters(&logs.join("app.out.txt")));
    }

    #[test]
    fn a_bad_glob_is_named() {
        let mut s = settings(Path::new("."));
        s.ignore.push("a[".into());
        let err = Filter::new(&s, Vec::new()).unwrap_err();
        assert!(err.contains("a["), "{err}");
    }

    #[tokio::test]
    async fn a_change_is_reported_and_an_ignored_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let s = settings(&root);
        let mut w = FileWatch::start(&s, Filter::new(&s, Vec::new()).unwrap()).unwrap();
        std::fs::write(root.join("ignored.log"), "x").unwrap();
        let none = tokio::time::timeout(Duration::from_millis(400), w.changed()).await;
        assert!(none.is_err(), "an ignored file restarted: {none:?}");
        std::fs::write(root.join("app.js"), "x").unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), w.changed()).await;
        assert_eq!(got.unwrap().unwrap().file_name().unwrap(), "app.js");
    }
}
