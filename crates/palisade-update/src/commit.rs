//! The commit message for a step that passed its tests ([`commit_message`]).

use crate::plan::{Step, Update};

/// The commit message for `step`: a subject line, a blank line, and a body.
///
/// - One update: `Update serde from 1.0.100 to 1.0.200 (patch)` (an alias shows as
///   `lodash4 (lodash)`; `, requirement changed` is added when the manifest is edited). The
///   body gives `repository_url` as a link (`git+https://…/x.git` and `git@host:o/r` made
///   browsable), with the GitHub releases page when it is on GitHub, and one
///   `Fixes ID/ALIAS… (severity)` line per advisory fixed, worst first.
/// - A group: `Update 3 dependencies (patch)`, then one `- name from a to b` line per update
///   and the `Fixes` lines of all of them. `repository_url` names one package's repository,
///   so it is not used for a group.
///
/// The body is left out when there is nothing to say; the message never ends with a newline.
///
/// ```
/// use palisade_lockfile::{DepKind, Ecosystem};
/// use palisade_update::{Jump, Step, Update, commit_message};
///
/// let update = Update {
///     name: "serde".into(), alias: None, ecosystem: Ecosystem::CratesIo, kind: DepKind::Normal,
///     from: "1.0.100".into(), to: "1.0.200".into(), jump: Jump::Patch, edits_manifest: false,
///     fixes: vec![], wanted: None, wanted_jump: Jump::None, wanted_fixes: vec![],
/// };
/// let step = Step { updates: vec![update] };
/// assert_eq!(
///     commit_message(&step, Some("https://github.com/serde-rs/serde")),
///     "Update serde from 1.0.100 to 1.0.200 (patch)\n\n\
///      Repository: https://github.com/serde-rs/serde\n\
///      Release notes: https://github.com/serde-rs/serde/releases"
/// );
/// ```
pub fn commit_message(step: &Step, repository_url: Option<&str>) -> String {
    let mut body = Vec::new();
    let mut message = match step.updates.as_slice() {
        [] => return String::from("Update no dependencies"),
        [update] => {
            if let Some(url) = repository_url.and_then(browsable) {
                body.push(format!("Repository: {url}"));
                if url.starts_with("https://github.com/") {
                    body.push(format!("Release notes: {url}/releases"));
                }
            }
            let mut subject = format!(
                "Update {} from {} to {} ({}",
                label(update),
                update.from,
                update.to,
                update.jump
            );
            if update.edits_manifest {
                subject.push_str(", requirement changed");
            }
            subject.push(')');
            subject
        }
        updates => {
            for u in updates {
                body.push(format!("- {} from {} to {}", label(u), u.from, u.to));
            }
            format!("Update {} dependencies ({})", updates.len(), step.jump())
        }
    };
    body.extend(step.fixes().map(|f| format!("Fixes {}", f.label())));
    if !body.is_empty() {
        message.push_str("\n\n");
        message.push_str(&body.join("\n"));
    }
    message
}

/// `name`, or `key (name)` for an alias.
fn label(update: &Update) -> String {
    match &update.alias {
        Some(alias) => format!("{alias} ({})", update.name),
        None => update.name.clone(),
    }
}

/// A repository URL as a browser link: npm's `git+https://…/x.git`, `git://…`,
/// `git@github.com:o/r.git` and `github:o/r` become `https://…/o/r`. `None` for anything that
/// is not a web or git URL (a commit message is no place for arbitrary text from a registry).
fn browsable(url: &str) -> Option<String> {
    let url = url.trim();
    let url = url.strip_prefix("git+").unwrap_or(url);
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest.to_owned()
    } else if let Some(rest) = url
        .strip_prefix("git://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("ssh://git@"))
    {
        rest.to_owned()
    } else if let Some(rest) = url.strip_prefix("git@") {
        rest.replacen(':', "/", 1)
    } else if let Some(rest) = url.strip_prefix("github:") {
        format!("github.com/{rest}")
    } else {
        return None;
    };
    let rest = rest.split(['#', '?']).next().unwrap_or_default();
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let valid = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\'));
    valid.then(|| format!("https://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_become_links() {
        let cases = [
            (
                "git+https://github.com/expressjs/express.git",
                Some("https://github.com/expressjs/express"),
            ),
            ("git://github.com/a/b.git", Some("https://github.com/a/b")),
            ("git@github.com:a/b.git", Some("https://github.com/a/b")),
            (
                "git+ssh://git@github.com/a/b.git",
                Some("https://github.com/a/b"),
            ),
            ("github:a/b", Some("https://github.com/a/b")),
            ("https://gitlab.com/a/b/", Some("https://gitlab.com/a/b")),
            (
                "https://github.com/a/b#readme",
                Some("https://github.com/a/b"),
            ),
            ("not a url", None),
            ("https://", None),
            ("https://example.org/<script>", None),
        ];
        for (url, link) in cases {
            assert_eq!(browsable(url).as_deref(), link, "{url}");
        }
    }
}
