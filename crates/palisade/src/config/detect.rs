//! `[detect]`: attack detection, validated into the guard's [`DetectSettings`].

use std::sync::Arc;

use bytesize::ByteSize;
use ipnet::IpNet;
use palisade_detect::{DetectConfig, Engine, Exclusion};
use palisade_guard::{DetectMode, DetectSettings};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::load::locate;
use super::runtime::Source;

/// `off`, `monitor` (record only) or `block` (record and answer 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeFile {
    /// No inspection.
    Off,
    /// Record events, forward every request.
    Monitor,
    /// Record events, refuse requests over the threshold with 403.
    Block,
}

/// `[detect]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectFile {
    /// What to do with a request over the threshold.
    pub mode: ModeFile,
    /// 1 (few false positives) to 4 (more rules, more false positives).
    pub paranoia: u8,
    /// Anomaly score at which a request counts as an attack (one critical finding is 5).
    pub threshold: u32,
    /// Body bytes inspected (and held back from the upstream until inspected) at most.
    pub body_limit: ByteSize,
    /// Headers inspected besides User-Agent, Referer and X-Forwarded-For.
    pub headers: Vec<String>,
    /// Extra sensitive paths to flag (added to the built-in list: .env, .git/, …).
    pub sensitive_paths: Vec<String>,
    /// Clients never inspected (CIDRs).
    pub allow: Vec<IpNet>,
    /// False-positive exclusions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<ExcludeFile>,
}

impl Default for DetectFile {
    fn default() -> Self {
        let d = DetectConfig::default();
        DetectFile {
            mode: ModeFile::Block,
            paranoia: d.paranoia,
            threshold: d.threshold,
            body_limit: ByteSize::b(d.body_limit as u64),
            headers: Vec::new(),
            sensitive_paths: Vec::new(),
            allow: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

/// `[[detect.exclude]]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeFile {
    /// Path prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `query:NAME`, `form:NAME`, `json:/POINTER`, `header:NAME`, `cookie:NAME`,
    /// `multipart:NAME`, `path` or `body`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Rule ids, `*` as a trailing wildcard (`sqli-*`); empty: every rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

impl DetectFile {
    /// The engine's configuration.
    pub fn engine_config(&self) -> DetectConfig {
        DetectConfig {
            paranoia: self.paranoia,
            threshold: self.threshold,
            body_limit: usize::try_from(self.body_limit.as_u64()).unwrap_or(usize::MAX),
            extra_headers: self
                .headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            sensitive_paths: self.sensitive_paths.clone(),
            exclusions: self
                .exclude
                .iter()
                .map(|e| Exclusion {
                    path: e.path.clone(),
                    location: e.location.clone(),
                    rules: e.rules.clone(),
                })
                .collect(),
        }
    }
}

/// Largest inspection window: the guard holds this much body back from the upstream.
const MAX_BODY_LIMIT: u64 = 1 << 20;

/// Compiles the engine; `None` when `mode = "off"`.
pub fn settings(
    file: &DetectFile,
    src: &Source<'_>,
) -> Result<Option<DetectSettings>, ConfigError> {
    let located = |path: Vec<String>, message: String| {
        let err = ConfigError::whole_file(src.name, message).with_key(path.join("."));
        match locate(src.text, &path) {
            Some(off) => err.at(src.text, off),
            None => err,
        }
    };
    let mode = match file.mode {
        ModeFile::Off => return Ok(None),
        ModeFile::Monitor => DetectMode::Monitor,
        ModeFile::Block => DetectMode::Block,
    };
    if file.body_limit.as_u64() > MAX_BODY_LIMIT {
        return Err(located(
            vec!["detect".into(), "body_limit".into()],
            format!("body_limit is at most 1 MiB (got {})", file.body_limit),
        )
        .with_hint("the guard holds this much of each body back from the app until inspected"));
    }
    let engine = Engine::new(file.engine_config()).map_err(|e| {
        // The engine names fields as `exclusions[2].rules[0]`; the file calls it `exclude`.
        let mut path = vec!["detect".to_owned()];
        let field = e.field.replace("exclusions", "exclude");
        for part in field.split(['.', '[']) {
            let part = part.trim_end_matches(']');
            if !part.is_empty() {
                path.push(part.to_owned());
            }
        }
        let key = path.join(".");
        located(path, format!("`{key}`: {}", e.message))
    })?;
    Ok(Some(DetectSettings {
        mode,
        engine: Arc::new(engine),
        allow: file.allow.clone(),
    }))
}
