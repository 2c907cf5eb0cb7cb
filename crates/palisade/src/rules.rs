//! Detection rules changed while the guard runs: a `[[detect.exclude]]` added from the
//! console is written into the config file (its comments and layout kept) and put in force at
//! once; SIGHUP re-reads `[detect]` from the file. Either way the proxy keeps its connections:
//! requests already started finish with the rules they started with.
//!
//! Only `[detect]` is reloaded; the log says so when other sections changed too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use palisade_console::{ExclusionSpec, RulesControl, RulesView};
use palisade_guard::{DetectMode, DetectSettings, Detection};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::config::{self, Source};

/// The guard's detection rules backed by its config file.
pub struct ConfigRules {
    /// `None` when the guard runs on built-in defaults: nothing to write to.
    path: Option<PathBuf>,
    detection: OnceLock<Detection>,
    /// One edit of the file at a time (two console tabs submitting at once).
    editing: Mutex<()>,
}

impl ConfigRules {
    /// Rules for the config file at `path` (`None`: defaults, read-only).
    pub fn new(path: Option<PathBuf>) -> Arc<ConfigRules> {
        Arc::new(ConfigRules {
            path,
            detection: OnceLock::new(),
            editing: Mutex::new(()),
        })
    }

    /// Connects the running guard's detection (built after the console's routes).
    pub fn attach(&self, detection: Detection) {
        let _ = self.detection.set(detection);
    }

    /// Re-reads `[detect]` from the file and puts it in force.
    pub fn reload(&self) -> Result<(), String> {
        let path = self.path.as_deref().ok_or("no config file to reload")?;
        let _one = self.editing.lock().unwrap_or_else(|e| e.into_inner());
        let text = read(path)?;
        let settings = detect_settings(&text, path)?;
        self.put_in_force(settings)
    }

    fn put_in_force(&self, settings: Option<DetectSettings>) -> Result<(), String> {
        let detection = self.detection.get().ok_or("the guard is not running yet")?;
        detection.replace(settings);
        Ok(())
    }
}

impl RulesControl for ConfigRules {
    fn view(&self) -> RulesView {
        let current = self.detection.get().and_then(Detection::current);
        let mut view = RulesView {
            mode: "off".to_owned(),
            config: self.path.clone(),
            ..RulesView::default()
        };
        if let Some(d) = current {
            let engine = d.engine.config();
            view.mode = match d.mode {
                DetectMode::Monitor => "monitor",
                DetectMode::Block => "block",
            }
            .to_owned();
            view.paranoia = engine.paranoia;
            view.threshold = engine.threshold;
            view.exclusions = engine
                .exclusions
                .iter()
                .map(|e| ExclusionSpec {
                    path: e.path.clone(),
                    location: e.location.clone(),
                    rules: e.rules.clone(),
                })
                .collect();
        }
        view
    }

    fn add_exclusion(&self, exclusion: &ExclusionSpec) -> Result<(), String> {
        let path = self.path.as_deref().ok_or(
            "the guard runs on built-in defaults: start it with --config FILE to edit rules",
        )?;
        let _one = self.editing.lock().unwrap_or_else(|e| e.into_inner());
        let text = read(path)?;
        let edited = with_exclusion(&text, exclusion)?;
        // Validate the edited file as the guard would load it before it replaces the old one:
        // a refused exclusion leaves both the file and the running rules as they were.
        let settings = detect_settings(&edited, path)?;
        write_atomically(path, &edited)?;
        tracing::info!(
            path = ?exclusion.path,
            location = ?exclusion.location,
            rules = %exclusion.rules.join(","),
            "exclusion added to {} and detection reloaded",
            path.display()
        );
        self.put_in_force(settings)
    }
}

/// `text` with `exclusion` appended to `[[detect.exclude]]`, everything else (comments,
/// order, formatting) as it was. Refuses an exclusion that is already there.
pub fn with_exclusion(text: &str, exclusion: &ExclusionSpec) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("the config file does not parse: {e}"))?;
    let detect = doc
        .entry("detect")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or("`detect` in the config file is not a table")?;
    let list = detect
        .entry("exclude")
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or(
            "`detect.exclude` in the config file is not a list of tables ([[detect.exclude]])",
        )?;
    if list.iter().any(|t| same(t, exclusion)) {
        return Err("this exclusion is already in the config file".to_owned());
    }
    let mut table = Table::new();
    if let Some(p) = &exclusion.path {
        table.insert("path", value(p.as_str()));
    }
    if let Some(l) = &exclusion.location {
        table.insert("location", value(l.as_str()));
    }
    if !exclusion.rules.is_empty() {
        let mut rules = toml_edit::Array::new();
        for r in &exclusion.rules {
            rules.push(r.as_str());
        }
        table.insert("rules", value(rules));
    }
    list.push(table);
    Ok(doc.to_string())
}

fn same(table: &Table, e: &ExclusionSpec) -> bool {
    let s = |k: &str| table.get(k).and_then(Item::as_str).map(str::to_owned);
    let rules: Vec<String> = table
        .get("rules")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    s("path") == e.path && s("location") == e.location && rules == e.rules
}

/// The `[detect]` settings of config `text`, validated as at start-up (`None`: off).
fn detect_settings(text: &str, path: &Path) -> Result<Option<DetectSettings>, String> {
    let name = path.display().to_string();
    let file = config::load_str(text, &name).map_err(|e| e.to_string())?;
    config::detect::settings(&file.detect, &Source { name: &name, text }).map_err(|e| e.to_string())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Replaces `path` with `text` so that a reader (or a crash) sees the old file or the new one,
/// never half of each; the file keeps its permissions.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| format!("writing {}: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file()
            .set_permissions(meta.permissions())
            .map_err(fail)?;
    }
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Reloads `[detect]` on every SIGHUP, for the life of the process.
pub fn reload_on_sighup(rules: Arc<ConfigRules>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    // Registered before this returns, so a SIGHUP right after start-up is not fatal.
    let mut hangups = rt.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    })?;
    std::thread::Builder::new()
        .name("palisade-reload".into())
        .spawn(move || {
            rt.block_on(async move {
                while hangups.recv().await.is_some() {
                    match rules.reload() {
                        Ok(()) => tracing::info!("SIGHUP: [detect] reloaded"),
                        Err(e) => tracing::error!("SIGHUP: reload refused, rules unchanged: {e}"),
                    }
                }
            });
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, location: &str, rules: &[&str]) -> ExclusionSpec {
        ExclusionSpec {
            path: Some(path.to_owned()),
            location: (!location.is_empty()).then(|| location.to_owned()),
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn appends_keeping_comments_and_layout() {
        let text = "# my guard\n[guard]\nlisten = \"127.0.0.1:8080\" # the port\n\n[detect]\nmode = \"block\"\n";
        let out = with_exclusion(text, &spec("/search", "query:q", &["sqli-*"])).unwrap();
        assert!(out.starts_with(text), "{out}");
        let parsed: toml::Value = toml::from_str(&out).unwrap();
        let ex = &parsed["detect"]["exclude"][0];
        assert_eq!(ex["path"].as_str(), Some("/search"));
        assert_eq!(ex["location"].as_str(), Some("query:q"));
        assert_eq!(ex["rules"][0].as_str(), Some("sqli-*"));
    }

    #[test]
    fn creates_the_detect_table_and_appends_after_existing_exclusions() {
        let out = with_exclusion("", &spec("/a", "", &[])).unwrap();
        let out = with_exclusion(&out, &spec("/b", "form:c", &["xss-1", "xss-2"])).unwrap();
        let parsed: toml::Value = toml::from_str(&out).unwrap();
        let list = parsed["detect"]["exclude"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["path"].as_str(), Some("/a"));
        assert!(list[0].get("rules").is_none());
        assert_eq!(list[1]["rules"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn refuses_duplicates_and_foreign_shapes() {
        let once = with_exclusion("", &spec("/a", "query:q", &["r"])).unwrap();
        assert!(with_exclusion(&once, &spec("/a", "query:q", &["r"])).is_err());
        assert!(with_exclusion("detect = 3\n", &spec("/a", "", &[])).is_err());
        assert!(with_exclusion("[detect]\nexclude = 1\n", &spec("/a", "", &[])).is_err());
        assert!(with_exclusion("[detect\n", &spec("/a", "", &[])).is_err());
    }

    #[test]
    fn hostile_values_stay_values() {
        let e = spec(
            "/x\"]\n[guard]\nlisten = \"0.0.0.0:1",
            "query:\n[admin]",
            &["a\"b"],
        );
        let out = with_exclusion("", &e).unwrap();
        let parsed: toml::Value = toml::from_str(&out).unwrap();
        assert!(parsed.get("guard").is_none() && parsed.get("admin").is_none());
        assert_eq!(
            parsed["detect"]["exclude"][0]["path"].as_str(),
            e.path.as_deref()
        );
    }

    #[test]
    fn an_invalid_exclusion_leaves_the_file_and_the_rules_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palisade.toml");
        let text = "[detect]\nmode = \"block\"\n";
        std::fs::write(&path, text).unwrap();
        let rules = ConfigRules::new(Some(path.clone()));
        let detection = Detection::new(detect_settings(text, &path).unwrap());
        rules.attach(detection.clone());
        let err = rules
            .add_exclusion(&spec("/a", "nowhere:x", &["sqli-*"]))
            .unwrap_err();
        assert!(err.contains("exclude"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert!(rules.view().exclusions.is_empty());

        rules
            .add_exclusion(&spec("/search", "query:q", &["sqli-*"]))
            .unwrap();
        assert_eq!(rules.view().exclusions.len(), 1);
        assert_eq!(rules.view().mode, "block");
        let before = detection.current().unwrap();
        std::fs::write(&path, "[detect]\nmode = \"monitor\"\nparanoia = 2\n").unwrap();
        rules.reload().unwrap();
        let view = rules.view();
        assert_eq!((view.mode.as_str(), view.paranoia), ("monitor", 2));
        assert!(view.exclusions.is_empty());
        // A request that started before the reload keeps the settings it took.
        assert_eq!(before.mode, DetectMode::Block);
        std::fs::write(&path, "[detect]\nparanoia = 9\n").unwrap();
        assert!(rules.reload().is_err());
        assert_eq!(rules.view().paranoia, 2);
    }
}
