//! [`Yanked`]: which locked versions their registry has yanked, as the caller found out.
//!
//! Asking a registry is I/O (for crates.io, the sparse index's `"yanked": true` per version),
//! so the caller does it and hands the answer over through
//! [`AuditSettings::with_yanked`](crate::AuditSettings::with_yanked). The set also records
//! which ecosystems were asked, so a report can tell "none yanked" from "not checked": a
//! caller that only asks crates.io must not make an npm lockfile look checked.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use palisade_lockfile::Ecosystem;

/// Yanked versions, by (ecosystem, name, version), and the ecosystems whose registries were
/// asked. The default checked nothing.
///
/// Names compare as the lockfile model spells them; PyPI names are PEP 503-normalised on the
/// way in, as the model's are. Versions compare as written in the lockfile.
///
/// ```
/// use palisade_audit::Yanked;
/// use palisade_lockfile::Ecosystem;
///
/// let mut yanked = Yanked::checked(Ecosystem::CratesIo);
/// assert!(yanked.is_checked(Ecosystem::CratesIo) && yanked.is_empty());
/// yanked.insert(Ecosystem::CratesIo, "smallvec", "1.6.0");
/// assert!(yanked.contains(Ecosystem::CratesIo, "smallvec", "1.6.0"));
/// assert!(!yanked.contains(Ecosystem::CratesIo, "smallvec", "1.6.1"));
/// // npm was not asked: its lockfiles report "not checked", not "none".
/// assert!(!yanked.is_checked(Ecosystem::Npm));
/// assert!(!Yanked::not_checked().any_checked());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Yanked {
    checked: BTreeSet<Ecosystem>,
    /// Ecosystem → name → versions: looked up by `&str` once per audited package, without
    /// allocating (but for PyPI names, normalised first).
    versions: BTreeMap<Ecosystem, BTreeMap<String, BTreeSet<String>>>,
    len: usize,
}

impl Yanked {
    /// No registry asked (the default of [`AuditSettings`](crate::AuditSettings)): reports
    /// say yanked versions were not checked.
    pub fn not_checked() -> Self {
        Yanked::default()
    }

    /// `ecosystem`'s registry was asked and, so far, yanked nothing; add what it did yank with
    /// [`Yanked::insert`].
    pub fn checked(ecosystem: Ecosystem) -> Self {
        let mut yanked = Yanked::default();
        yanked.mark_checked(ecosystem);
        yanked
    }

    /// Records that `ecosystem`'s registry was asked too. A checked ecosystem's packages
    /// without an entry read as "not yanked"; this set cannot say "partly checked", so a
    /// caller whose look-ups partly failed should report that failure itself.
    pub fn mark_checked(&mut self, ecosystem: Ecosystem) {
        self.checked.insert(ecosystem);
    }

    /// Records `name`@`version` as yanked, and `ecosystem` as checked (a known yanked version
    /// means its registry was asked); `false` when it was already recorded.
    pub fn insert(
        &mut self,
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> bool {
        self.checked.insert(ecosystem);
        let name = name.into();
        let name = match fold(ecosystem, &name) {
            Cow::Owned(folded) => folded,
            Cow::Borrowed(_) => name,
        };
        let added = self
            .versions
            .entry(ecosystem)
            .or_default()
            .entry(name)
            .or_default()
            .insert(version.into());
        self.len += usize::from(added);
        added
    }

    /// Whether `name`@`version` is recorded as yanked.
    pub fn contains(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        self.versions
            .get(&ecosystem)
            .and_then(|names| names.get(fold(ecosystem, name).as_ref()))
            .is_some_and(|versions| versions.contains(version))
    }

    /// Whether `ecosystem`'s registry was asked.
    pub fn is_checked(&self, ecosystem: Ecosystem) -> bool {
        self.checked.contains(&ecosystem)
    }

    /// Whether any registry was asked.
    pub fn any_checked(&self) -> bool {
        !self.checked.is_empty()
    }

    /// How many versions are recorded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no version is recorded (checked or not).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// PyPI names PEP 503-normalised, as the lockfile model writes them; others as they are.
fn fold(ecosystem: Ecosystem, name: &str) -> Cow<'_, str> {
    match ecosystem {
        Ecosystem::PyPI => Cow::Owned(palisade_lockfile::normalize_pypi_name(name)),
        _ => Cow::Borrowed(name),
    }
}
