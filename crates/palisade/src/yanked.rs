//! `palisade audit --yanked`: which locked crates were yanked, asked of the registry each
//! Cargo.lock's packages come from (crates.io's sparse index, or what cargo's config replaces
//! it with), through palisade-registry and its cache.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_audit::Yanked;
use palisade_lockfile::{Ecosystem, LockfileKind, Source};
use palisade_registry::{
    CargoRegistry, CargoSources, Client, DiskCache, NpmConfig, Request, Settings, Versions,
};

use crate::audit::Read;

/// The yanked crates of every Cargo.lock in `reads`. A registry that cannot be asked gives a
/// warning and leaves the check incomplete rather than failing the audit, as cargo-audit does.
pub(crate) fn check(reads: &[Read]) -> Yanked {
    let mut yanked = Yanked::not_checked();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("warning: yanked crates not checked: {e}");
            return yanked;
        }
    };
    for read in reads
        .iter()
        .filter(|r| r.lockfile.kind == LockfileKind::CargoLock)
    {
        // `Cargo.lock` has an empty parent: the current directory.
        let dir = Path::new(&read.path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        match check_one(read, dir, &runtime, &mut yanked) {
            Ok(()) => yanked.mark_checked(Ecosystem::CratesIo),
            Err(why) => eprintln!("warning: yanked crates of {} not checked: {why}", read.path),
        }
    }
    yanked
}

fn check_one(
    read: &Read,
    dir: &Path,
    runtime: &tokio::runtime::Runtime,
    yanked: &mut Yanked,
) -> Result<(), String> {
    // The locked versions of each (name, source), asked once per pair.
    let mut locked: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for p in &read.lockfile.packages {
        if let Source::Registry { url: Some(source) } = &p.source {
            locked
                .entry((p.name.as_str(), source.as_str()))
                .or_default()
                .insert(p.version.as_str());
        }
    }
    if locked.is_empty() {
        return Ok(());
    }
    let sources = CargoSources::load(dir, cargo_home().as_deref()).map_err(|e| e.to_string())?;
    let client = Client::new(Settings::default(), NpmConfig::default(), sources)
        .map_err(|e| e.to_string())?
        .with_cache(DiskCache::new(
            crate::apps::home().join("cache").join("registry"),
        ));
    let requests: Vec<Request> = locked
        .keys()
        .map(|(name, source)| Request::Crate {
            name: (*name).to_owned(),
            registry: CargoRegistry::Source((*source).to_owned()),
        })
        .collect();
    let answers = runtime.block_on(client.fetch_all(&requests, |_, _| {}));
    let mut failure = None;
    let mut found = Vec::new();
    for (((name, _), versions), answer) in locked.iter().zip(answers) {
        match answer {
            Ok(Versions::Crate(published)) => {
                for v in published.versions.iter().filter(|v| v.yanked) {
                    if versions.contains(v.version.as_str()) {
                        found.push((*name, v.version.clone()));
                    }
                }
            }
            Ok(Versions::Npm(_)) => {}
            // A crate the registry does not list (a private one behind a mirror) has nothing
            // to say about yanking.
            Err(e) if e.is_not_found() => {}
            Err(e) => failure = Some(e.to_string()),
        }
    }
    // A partial answer is no answer: recording part of it would mark the check as done and
    // read the rest as "not yanked".
    if let Some(why) = failure {
        return Err(why);
    }
    for (name, version) in found {
        yanked.insert(Ecosystem::CratesIo, name, version);
    }
    Ok(())
}

/// `$CARGO_HOME`, else `~/.cargo`, as cargo finds its own configuration.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|h| h.join(".cargo")))
}
