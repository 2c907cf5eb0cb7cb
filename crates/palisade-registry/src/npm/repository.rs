//! A packument's `repository` as a URL a person can open.
//!
//! npm accepts many spellings — `github:o/r`, plain `o/r`, `git+https://github.com/o/r.git`,
//! `git://…`, `git+ssh://git@…`, scp-like `git@github.com:o/r.git`, or an object
//! `{ "type": "git", "url": … }` — and `npm repo` opens all of them in a browser. For GitHub,
//! GitLab and Bitbucket they become `https://host/owner/repo`, which compare links can extend;
//! other hosts keep an `http(s)` URL as given (less `git+` and `.git`), and anything else is
//! dropped rather than shown wrong.

use reqwest::Url;
use serde_json::Value;

/// Hosts whose repositories live at `https://host/owner/repo`, by their shorthand prefix.
const KNOWN_HOSTS: [(&str, &str); 3] = [
    ("github", "github.com"),
    ("gitlab", "gitlab.com"),
    ("bitbucket", "bitbucket.org"),
];

pub(super) fn normalise_repository(value: &Value) -> Option<String> {
    let url = match value {
        Value::String(url) => url,
        Value::Object(fields) => fields.get("url")?.as_str()?,
        _ => return None,
    };
    normalise(url.trim())
}

fn normalise(spec: &str) -> Option<String> {
    if let Some((prefix, rest)) = spec.split_once(':')
        && let Some((_, host)) = KNOWN_HOSTS.iter().find(|(short, _)| *short == prefix)
    {
        return owner_repo(host, rest);
    }
    if !spec.contains(':') {
        // npm reads a bare `owner/repo` as GitHub.
        return owner_repo("github.com", spec);
    }
    if !spec.contains("://")
        && let Some((user_host, path)) = spec.split_once(':')
        && let Some((_, host)) = user_host.split_once('@')
    {
        // scp-like `git@github.com:owner/repo.git`.
        return known_host(host).and_then(|host| owner_repo(host, path));
    }
    let url = Url::parse(spec.strip_prefix("git+").unwrap_or(spec)).ok()?;
    let host = url.host_str()?;
    if let Some(host) = known_host(host) {
        return owner_repo(host, url.path());
    }
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    let mut shown = format!("{}://{}{}", url.scheme(), host, url.path());
    if let Some(port) = url.port() {
        shown = format!("{}://{}:{}{}", url.scheme(), host, port, url.path());
    }
    let trimmed = shown.trim_end_matches('/');
    Some(trimmed.strip_suffix(".git").unwrap_or(trimmed).to_owned())
}

fn known_host(host: &str) -> Option<&'static str> {
    let host = host.strip_prefix("www.").unwrap_or(host);
    KNOWN_HOSTS
        .iter()
        .find(|(_, known)| host.eq_ignore_ascii_case(known))
        .map(|(_, known)| *known)
}

/// `https://host/owner/repo` from a path `owner/repo[.git][/…][#ref]`, when both parts are
/// plain names (the result lands in commit messages).
fn owner_repo(host: &str, path: &str) -> Option<String> {
    let path = path.split(['#', '?']).next()?;
    let mut parts = path.trim_start_matches('/').split('/');
    let owner = parts.next()?;
    let repo = parts.next()?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    let plain = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    (plain(owner) && plain(repo)).then(|| format!("https://{host}/{owner}/{repo}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_spelling_of_a_github_repository() {
        for spec in [
            "github:o/r",
            "o/r",
            "git+https://github.com/o/r.git",
            "https://github.com/o/r",
            "https://www.github.com/o/r/",
            "git://github.com/o/r.git",
            "git+ssh://git@github.com/o/r.git",
            "ssh://git@github.com/o/r",
            "git@github.com:o/r.git",
            "https://github.com/o/r/tree/main/packages/x",
            "github:o/r#semver:^1",
            " http://GitHub.com/o/r.git ",
        ] {
            assert_eq!(
                normalise_repository(&json!(spec)).as_deref(),
                Some("https://github.com/o/r"),
                "{spec}"
            );
        }
        let object = json!({"type": "git", "url": "git+https://github.com/o/r.git", "directory": "packages/x"});
        assert_eq!(
            normalise_repository(&object).as_deref(),
            Some("https://github.com/o/r")
        );
    }

    #[test]
    fn other_hosts_and_nonsense() {
        let n = |v: Value| normalise_repository(&v);
        assert_eq!(
            n(json!("gitlab:g/p")).as_deref(),
            Some("https://gitlab.com/g/p")
        );
        assert_eq!(
            n(json!("bitbucket:t/r")).as_deref(),
            Some("https://bitbucket.org/t/r")
        );
        assert_eq!(
            n(json!("git+https://git.example.org:8443/team/lib.git")).as_deref(),
            Some("https://git.example.org:8443/team/lib")
        );
        assert_eq!(n(json!("git://git.example.org/lib.git")), None);
        assert_eq!(n(json!("gist:11081aaa281")), None);
        assert_eq!(n(json!("github:o")), None);
        assert_eq!(n(json!("github:o/r <script>")), None);
        assert_eq!(n(json!("https://github.com/o")), None);
        assert_eq!(n(json!(42)), None);
        assert_eq!(n(json!({"type": "git"})), None);
    }
}
