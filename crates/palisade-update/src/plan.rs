//! The order in which `palisade update --test` tries updates ([`plan`]).

use std::cmp::Reverse;
use std::collections::HashSet;

use palisade_lockfile::{DepKind, Ecosystem};

use crate::fixes::Fix;
use crate::jump::{Jump, Parsed};
use crate::outdated::{Outdated, Status};

/// What [`plan`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Updates that fix advisories first, most urgent first (default: `true` — this is a
    /// security tool; an update that closes a vulnerability should not wait behind fifty
    /// cosmetic ones, nor be blocked by one of them breaking the build).
    pub security_first: bool,
    /// Only these packages (registry name or manifest key); empty means all.
    pub only: Vec<String>,
    /// Try all patch-level updates together, as one step (default: `false`). Fewer test runs;
    /// if the group fails, [`crate::find_breaking`] finds the culprit.
    pub group_patch: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            security_first: true,
            only: Vec::new(),
            group_patch: false,
        }
    }
}

/// One dependency update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The registry name.
    pub name: String,
    /// The manifest key when it differs.
    pub alias: Option<String>,
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Which table declares it.
    pub kind: DepKind,
    /// The locked version.
    pub from: String,
    /// The version to try: `latest`, or `wanted` when `latest` is not higher than `from` (an
    /// npm `latest` tag behind a backport the requirement allows).
    pub to: String,
    /// The size of `from → to`.
    pub jump: Jump,
    /// Whether `to` needs the manifest's requirement changed (it is outside the declared
    /// range), not only the lockfile.
    pub edits_manifest: bool,
    /// Advisories of `from` that `to` fixes, worst first.
    pub fixes: Vec<Fix>,
    /// The alternative: the highest version the declared requirement allows, when it is
    /// higher than `from` and differs from `to`.
    pub wanted: Option<String>,
    /// The size of `from → wanted` ([`Jump::None`] without one).
    pub wanted_jump: Jump,
    /// Advisories of `from` that `wanted` fixes.
    pub wanted_fixes: Vec<Fix>,
}

impl Update {
    /// The manifest key: the alias if renamed, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// The most urgent advisory this update fixes, as [`Fix`] ranks them; `None` without one.
    fn urgency(&self) -> Option<u8> {
        self.fixes.iter().map(Fix::urgency).max()
    }
}

/// A unit of `palisade update --test`: the updates applied together before one test run (and
/// committed together when it passes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// One update, or every patch-level update with [`PlanOptions::group_patch`].
    pub updates: Vec<Update>,
}

impl Step {
    /// Whether this is a group of several updates.
    pub fn is_group(&self) -> bool {
        self.updates.len() > 1
    }

    /// The biggest jump in the step.
    pub fn jump(&self) -> Jump {
        self.updates
            .iter()
            .map(|u| u.jump)
            .max()
            .unwrap_or(Jump::None)
    }

    /// Every advisory the step fixes.
    pub fn fixes(&self) -> impl Iterator<Item = &Fix> {
        self.updates.iter().flat_map(|u| &u.fixes)
    }
}

/// Orders the outdated rows into steps.
///
/// Like next-update and Greenkeeper, each dependency is tried at its **latest** version
/// ([`Update::to`]): that is what "keeping up" means, and a breaking major found by the test
/// suite is worth knowing about. The version the declared requirement allows
/// ([`Update::wanted`]) rides along as the fallback a caller can try when the latest fails —
/// a lockfile-only refresh that usually passes.
///
/// 1. Rows that are not [`Status::Outdated`] are left out, and with [`PlanOptions::only`] the
///    rows it does not name. A package declared twice (Cargo's normal + dev) at the same
///    locked version gives one update, with the first row's kind.
/// 2. With `security_first`, updates that fix advisories come first, one per step: the most
///    urgent advisory first (critical, high, moderate, unrated, low; informational last),
///    then the one fixing more advisories, then by name.
/// 3. With `group_patch`, the remaining patch-level updates form one step, placed before the
///    others: it is the cheapest to test and the most likely to pass. (A lone patch update
///    stays a single step.)
/// 4. The rest, one per step, by name (then by locked version).
pub fn plan(outdated: &[Outdated], options: PlanOptions) -> Vec<Step> {
    let mut seen = HashSet::new();
    let mut updates: Vec<Update> = outdated
        .iter()
        .filter(|o| o.status == Status::Outdated)
        .filter(|o| {
            options.only.is_empty() || options.only.iter().any(|n| *n == o.name || n == o.key())
        })
        .filter_map(update_of)
        .filter(|u| seen.insert((u.ecosystem, u.name.clone(), u.from.clone())))
        .collect();
    updates.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.from.cmp(&b.from)));

    let mut steps = Vec::new();
    if options.security_first {
        let (mut security, rest): (Vec<Update>, Vec<Update>) =
            updates.into_iter().partition(|u| !u.fixes.is_empty());
        // Stable sort: equal urgency and count keep the name order.
        security.sort_by_key(|u| Reverse((u.urgency(), u.fixes.len())));
        steps.extend(security.into_iter().map(|u| Step { updates: vec![u] }));
        updates = rest;
    }
    if options.group_patch {
        let (patches, rest): (Vec<Update>, Vec<Update>) =
            updates.into_iter().partition(|u| u.jump == Jump::Patch);
        if !patches.is_empty() {
            steps.push(Step { updates: patches });
        }
        updates = rest;
    }
    steps.extend(updates.into_iter().map(|u| Step { updates: vec![u] }));
    steps
}

/// The update for one outdated row: to `latest` when it is higher than the locked version,
/// else to `wanted`.
fn update_of(o: &Outdated) -> Option<Update> {
    let current = Parsed::parse(o.ecosystem, &o.current).ok()??;
    let higher = |v: &Option<String>| {
        v.as_deref()
            .and_then(|v| Parsed::parse(o.ecosystem, v).ok()?)
            .is_some_and(|p| p.precedence(&current).is_gt())
    };
    let (to, jump, fixes, edits_manifest) = if higher(&o.latest) {
        (
            o.latest.clone()?,
            o.jump,
            o.fixes.clone(),
            !o.latest_allowed,
        )
    } else if higher(&o.wanted) {
        (
            o.wanted.clone()?,
            o.wanted_jump,
            o.wanted_fixes.clone(),
            false,
        )
    } else {
        return None;
    };
    let wanted = o.wanted.clone().filter(|w| *w != to && higher(&o.wanted));
    let (wanted_jump, wanted_fixes) = match wanted {
        Some(_) => (o.wanted_jump, o.wanted_fixes.clone()),
        None => (Jump::None, Vec::new()),
    };
    Some(Update {
        name: o.name.clone(),
        alias: o.alias.clone(),
        ecosystem: o.ecosystem,
        kind: o.kind,
        from: o.current.clone(),
        to,
        jump,
        edits_manifest,
        fixes,
        wanted,
        wanted_jump,
        wanted_fixes,
    })
}
