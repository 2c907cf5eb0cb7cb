//! One dependency against what its registry offers: the `wanted` and `latest` versions, the
//! jumps to them, and the advisories each would fix — a row of `palisade outdated`.

use std::cmp::Ordering;

use palisade_advisory::{Index, Requirement};
use palisade_lockfile::{DepKind, Ecosystem};

use crate::error::UpdateError;
use crate::fixes::{Fix, advisory_ecosystem, split_fixes};
use crate::jump::{Jump, Parsed};

/// A dependency to check: what the manifest declares and what the lockfile installed.
/// [`crate::dependencies`] builds these from a manifest and a lockfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The registry name.
    pub name: String,
    /// The manifest key when it differs (an npm alias, a renamed Cargo dependency).
    pub alias: Option<String>,
    /// Where the name and versions are meaningful.
    pub ecosystem: Ecosystem,
    /// Which table declares it.
    pub kind: DepKind,
    /// The declared requirement, as written (`^4.17.0`, `1`, `>=2, <4`, `latest`). Empty means
    /// any version (`*`).
    pub requirement: String,
    /// The locked version.
    pub current: String,
}

impl Dependency {
    /// The manifest key: the alias if renamed, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// What a registry offers for one package; the registry client fills it in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Available {
    /// Every published version, in any order.
    pub versions: Vec<Published>,
    /// npm's `dist-tags.latest`: the version the publisher calls latest, which need not be the
    /// highest (a backport to an old major does not move it). `None` for crates.io.
    pub latest_tag: Option<String>,
}

/// One published version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// As the registry spells it. Prereleases are recognised by parsing; versions the
    /// ecosystem's rules cannot parse (some very old npm releases) are ignored.
    pub version: String,
    /// Yanked from crates.io, or deprecated on npm: never chosen as an update target while
    /// an alternative exists (see [`outdated`]).
    pub yanked_or_deprecated: bool,
}

impl Published {
    /// A normal published version.
    pub fn new(version: impl Into<String>) -> Published {
        Published {
            version: version.into(),
            yanked_or_deprecated: false,
        }
    }

    /// A yanked (crates.io) or deprecated (npm) version.
    pub fn yanked(version: impl Into<String>) -> Published {
        Published {
            version: version.into(),
            yanked_or_deprecated: true,
        }
    }
}

/// How a dependency stands against its registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `latest` (or `wanted`) is higher than the locked version.
    Outdated,
    /// The locked version is `latest` (shown only by `--all`).
    UpToDate,
    /// The locked version is higher than `latest` (a prerelease or `next` tag installed on
    /// purpose) and nothing the requirement allows is higher either.
    Ahead,
    /// The registry offers no usable version (all yanked, or none that parses).
    NoRelease,
}

/// A row of `palisade outdated`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outdated {
    /// The registry name.
    pub name: String,
    /// The manifest key when it differs.
    pub alias: Option<String>,
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Which table declares it.
    pub kind: DepKind,
    /// The declared requirement, as written.
    pub requirement: String,
    /// The locked version.
    pub current: String,
    /// The version a fresh resolution of the declared requirement would pick, as the package
    /// manager picks it (see [`outdated`]); `None` when the requirement allows no published
    /// version.
    pub wanted: Option<String>,
    /// The newest release: npm's `dist-tags.latest` when given; otherwise the highest
    /// non-yanked stable version, or the highest non-yanked prerelease when there is no
    /// stable one. `None` when nothing is published.
    pub latest: Option<String>,
    /// Whether the declared requirement allows `latest`: if not, updating to it means editing
    /// the manifest, not only the lockfile.
    pub latest_allowed: bool,
    /// Outdated, up to date, ahead, or nothing published.
    pub status: Status,
    /// From `current` to `latest`.
    pub jump: Jump,
    /// From `current` to `wanted`.
    pub wanted_jump: Jump,
    /// Advisories that affect `current` but not `latest`, worst first.
    pub fixes: Vec<Fix>,
    /// Advisories that affect `current` but not `wanted`, worst first.
    pub wanted_fixes: Vec<Fix>,
    /// Advisories that affect `current` and `latest` alike: no update fixes them yet.
    pub unfixed: Vec<Fix>,
}

impl Outdated {
    /// Whether the row belongs in `palisade outdated` without `--all`.
    pub fn is_outdated(&self) -> bool {
        self.status == Status::Outdated
    }

    /// The manifest key: the alias if renamed, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// Compares one dependency with what its registry offers.
///
/// **wanted** follows each package manager's own choice for the declared requirement:
///
/// - **npm** (npm-pick-manifest, what `npm install` and `npm outdated` use): the requirement is
///   a node-semver range, where a prerelease matches only if a comparator of the same
///   `major.minor.patch` opts in (`^2.0.0-rc.1` allows `2.0.0-rc.2`, `*` allows none). If
///   `dist-tags.latest` is allowed (or the range is `*`, empty or `latest`) and not
///   deprecated, it wins even over higher allowed versions; otherwise the highest allowed
///   version that is not deprecated, and a deprecated one only when nothing else is allowed.
///   A dist-tag other than `latest` is an [`UpdateError::UnknownDistTag`].
/// - **crates.io** (Cargo's resolver): Cargo's requirement syntax (a bare `1.2` is `^1.2`,
///   `0.x` carets stop at the minor, comma lists all apply, prereleases only when a
///   comparator of the same version opts in); the highest allowed version that is not
///   yanked. An empty requirement is `*`.
///
/// **fixes** are the advisories of `advisories` that affect `current` and do not affect the
/// target (a target that cannot be compared keeps the advisory: palisade does not claim a fix
/// it cannot check). Informational advisories count when a version leaves them behind.
///
/// Errors: a requirement or locked version that does not parse, an ecosystem without update
/// rules. Published versions that do not parse are skipped.
pub fn outdated(
    dependency: &Dependency,
    available: &Available,
    advisories: &Index,
) -> Result<Outdated, UpdateError> {
    let eco = dependency.ecosystem;
    let name = &dependency.name;
    let current = Parsed::parse_or_err(eco, name, &dependency.current)?;
    let requirement = requirement(dependency)?;
    let mut published = Vec::with_capacity(available.versions.len());
    for p in &available.versions {
        if let Some(parsed) = Parsed::parse(eco, &p.version)? {
            published.push(Candidate {
                text: &p.version,
                parsed,
                avoid: p.yanked_or_deprecated,
            });
        }
    }
    // Only npm has dist-tags; an unparseable tag is ignored like an unparseable version.
    let tag = match (&available.latest_tag, eco) {
        (Some(text), Ecosystem::Npm) => Parsed::parse(eco, text)?.map(|parsed| Candidate {
            text,
            parsed,
            avoid: false,
        }),
        _ => None,
    };

    let wanted = wanted(dependency, requirement.as_ref(), &published, tag.as_ref());
    let latest = tag.as_ref().or_else(|| {
        highest(
            published
                .iter()
                .filter(|c| !c.avoid && !c.parsed.is_prerelease()),
        )
        .or_else(|| highest(published.iter().filter(|c| !c.avoid)))
    });

    let compare = |v: Option<&Candidate<'_>>| v.map(|c| c.parsed.precedence(&current));
    let status = match (compare(latest), compare(wanted)) {
        (None, _) => Status::NoRelease,
        (Some(Ordering::Greater), _) | (_, Some(Ordering::Greater)) => Status::Outdated,
        (Some(Ordering::Equal), _) => Status::UpToDate,
        (Some(Ordering::Less), _) => Status::Ahead,
    };
    let jump_to = |v: Option<&Candidate<'_>>| v.map_or(Jump::None, |c| current.jump_to(&c.parsed));
    let fixes_at = |v: Option<&Candidate<'_>>| {
        split_fixes(
            advisories,
            eco,
            name,
            &dependency.current,
            v.map(|c| c.text),
        )
    };
    let (fixes, unfixed) = fixes_at(latest);
    let (wanted_fixes, _) = fixes_at(wanted);

    Ok(Outdated {
        name: name.clone(),
        alias: dependency.alias.clone(),
        ecosystem: eco,
        kind: dependency.kind,
        requirement: dependency.requirement.clone(),
        current: dependency.current.clone(),
        wanted: wanted.map(|c| c.text.to_owned()),
        latest: latest.map(|c| c.text.to_owned()),
        // What the package manager would pick is allowed by definition (npm's `*` and
        // `latest` take the tag even when it is a prerelease).
        latest_allowed: latest.is_some_and(|c| {
            wanted.is_some_and(|w| w.text == c.text) || allows(requirement.as_ref(), c)
        }),
        status,
        jump: jump_to(latest),
        wanted_jump: jump_to(wanted),
        fixes,
        wanted_fixes,
        unfixed,
    })
}

/// A published version, parsed.
struct Candidate<'a> {
    text: &'a str,
    parsed: Parsed,
    /// Yanked or deprecated.
    avoid: bool,
}

fn highest<'c, 'a: 'c>(
    candidates: impl Iterator<Item = &'c Candidate<'a>>,
) -> Option<&'c Candidate<'a>> {
    candidates.max_by(|a, b| a.parsed.precedence(&b.parsed))
}

/// Whether the requirement allows a version; `None` is npm's `latest` tag used as a
/// requirement, which (without the tag itself) allows the stable versions.
fn allows(requirement: Option<&Requirement>, candidate: &Candidate<'_>) -> bool {
    match requirement {
        Some(r) => r.matches(candidate.text).unwrap_or(false),
        None => !candidate.parsed.is_prerelease(),
    }
}

/// The declared requirement, parsed; `None` for npm's `latest` tag. An empty requirement is
/// `*` (npm reads it so, and Cargo does for a path dependency without a version).
fn requirement(dependency: &Dependency) -> Result<Option<Requirement>, UpdateError> {
    let text = dependency.requirement.trim();
    let ecosystem = match dependency.ecosystem {
        Ecosystem::Npm if text == "latest" => return Ok(None),
        Ecosystem::Npm | Ecosystem::CratesIo => advisory_ecosystem(dependency.ecosystem),
        other => return Err(UpdateError::UnsupportedEcosystem(other)),
    };
    let text = if text.is_empty() { "*" } else { text };
    match Requirement::parse(&ecosystem, text) {
        Ok(req) => Ok(Some(req)),
        Err(_) if dependency.ecosystem == Ecosystem::Npm && is_dist_tag(text) => {
            Err(UpdateError::UnknownDistTag {
                name: dependency.name.clone(),
                tag: text.to_owned(),
            })
        }
        Err(source) => Err(UpdateError::InvalidRequirement {
            name: dependency.name.clone(),
            source,
        }),
    }
}

/// npm tag names: what npm-package-arg takes for a tag when a specifier is no range.
fn is_dist_tag(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// npm ranges that npm-pick-manifest reads as "whatever `latest` is".
fn means_latest(text: &str) -> bool {
    matches!(text.trim(), "" | "*" | "latest")
}

fn wanted<'c, 'a: 'c>(
    dependency: &Dependency,
    requirement: Option<&Requirement>,
    published: &'c [Candidate<'a>],
    tag: Option<&'c Candidate<'a>>,
) -> Option<&'c Candidate<'a>> {
    let allowed = || published.iter().filter(|c| allows(requirement, c));
    if dependency.ecosystem != Ecosystem::Npm {
        return highest(allowed().filter(|c| !c.avoid));
    }
    if let Some(tag) = tag {
        let deprecated = published.iter().any(|c| c.text == tag.text && c.avoid);
        if !deprecated && (means_latest(&dependency.requirement) || allows(requirement, tag)) {
            return Some(tag);
        }
    }
    highest(allowed().filter(|c| !c.avoid)).or_else(|| highest(allowed()))
}
