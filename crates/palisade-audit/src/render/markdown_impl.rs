//! `--markdown`: a pull-request comment — the summary, a table of vulnerabilities, one
//! collapsible `<details>` block per finding, then warnings, yanked versions, ignored findings
//! and what could not be checked.

use std::fmt::Write as _;

use super::{one_line, severity_name};
use crate::report::{Finding, FindingKind, LockfileReport, Report};

/// The report as GitHub-flavoured Markdown.
///
/// ```
/// use palisade_audit::{AuditSettings, Date, Report, render};
///
/// let report = Report::generate(
///     &palisade_advisory::Index::new([]),
///     &[],
///     &AuditSettings::new(Date::parse("2026-05-01").unwrap()),
/// );
/// let md = render::markdown(&report);
/// assert!(md.starts_with("### palisade audit\n"));
/// assert!(md.contains("**no vulnerabilities in 0 audited packages; 0 warnings**"));
/// ```
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("### palisade audit\n\n");
    let summary = report.summary();
    let _ = writeln!(out, "**{}**\n", escape(&summary.line()));

    let vulnerabilities: Vec<(&LockfileReport, &Finding)> = report.vulnerabilities().collect();
    let several = report.lockfiles.len() > 1;
    if !vulnerabilities.is_empty() {
        out.push_str("| Severity | Package | Advisory | Fixed in |");
        out.push_str(if several { " Lockfile |\n" } else { "\n" });
        out.push_str("|---|---|---|---|");
        out.push_str(if several { "---|\n" } else { "\n" });
        for (lockfile, f) in &vulnerabilities {
            let _ = write!(
                out,
                "| {} | {} | {} | {} |",
                severity_name(f.severity()),
                code(&f.package.id()),
                link(f),
                f.fixed_in.as_deref().map_or("none".to_owned(), code),
            );
            if several {
                let _ = write!(out, " {} |", code(&lockfile.path));
            }
            out.push('\n');
        }
        out.push('\n');
        for (lockfile, f) in &vulnerabilities {
            details(&mut out, lockfile, f);
        }
    }

    let warnings: Vec<(&LockfileReport, &Finding)> = report.warnings().collect();
    let unchecked = report
        .lockfiles
        .iter()
        .flat_map(|l| l.unchecked.iter().map(move |u| (l, u)));
    if !warnings.is_empty() || summary.unchecked > 0 || !report.expired_ignores.is_empty() {
        out.push_str("#### Warnings\n\n");
        for (_, f) in &warnings {
            let kind = match &f.kind {
                FindingKind::Warning(k) => k.as_str(),
                FindingKind::Vulnerability => "vulnerability",
            };
            let _ = writeln!(
                out,
                "- **{}** {}: {} {}",
                escape(kind),
                code(&f.package.id()),
                link(f),
                escape(&f.advisory.summary),
            );
        }
        for (_, u) in unchecked {
            let _ = writeln!(
                out,
                "- could not check {} against {}: {}",
                code(&u.package.id()),
                code(u.advisory.id.as_str()),
                escape(&u.reason),
            );
        }
        for ignore in &report.expired_ignores {
            let expires = ignore.expires.map(|d| d.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "- the ignore for {} ({}) expired on {expires} and no longer applies: {}",
                code(&ignore.id),
                code(&format!("{}:{}", ignore.file, ignore.line)),
                escape(&ignore.reason),
            );
        }
        out.push('\n');
    }

    yanked(&mut out, report);

    let ignored: Vec<_> = report.lockfiles.iter().flat_map(|l| &l.ignored).collect();
    if !ignored.is_empty() {
        out.push_str("#### Ignored\n\n");
        for i in ignored {
            let until = super::until(&i.ignore);
            let _ = writeln!(
                out,
                "- {} for {}: {}{until}",
                code(i.advisory.id.as_str()),
                code(&i.package.id()),
                escape(&i.ignore.reason),
            );
        }
        out.push('\n');
    }

    let not_auditable: Vec<_> = report
        .lockfiles
        .iter()
        .flat_map(|l| &l.not_auditable)
        .collect();
    if !not_auditable.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} not auditable</summary>\n",
            crate::report::summary::plural(not_auditable.len(), "package", "packages")
        );
        for n in not_auditable {
            let _ = writeln!(out, "- {}: {}", code(&n.name), escape(&n.reason));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// `#### Yanked`: each yanked package with where it is locked, and the lockfiles whose
/// ecosystem was not checked when another was. Nothing when none was checked or found.
fn yanked(out: &mut String, report: &Report) {
    let not_checked: Vec<&LockfileReport> = report
        .lockfiles
        .iter()
        .filter(|l| report.yanked_checked && !l.yanked_checked)
        .collect();
    if report.yanked().next().is_none() && not_checked.is_empty() {
        return;
    }
    out.push_str(
        "#### Yanked

",
    );
    for (lockfile, y) in report.yanked() {
        let mut where_ = code(&lockfile.path);
        if let Some(line) = y.line {
            let _ = write!(where_, " line {line}");
        }
        let steps: Vec<String> = y.package.path.iter().map(|s| code(s)).collect();
        let _ = writeln!(
            out,
            "- {} in {where_}: yanked from {}; path {}",
            code(&y.package.id()),
            y.package.ecosystem,
            steps.join(" → "),
        );
    }
    for lockfile in not_checked {
        let _ = writeln!(
            out,
            "- not checked for {} ({})",
            code(&lockfile.path),
            lockfile.ecosystem
        );
    }
    out.push('\n');
}

fn details(out: &mut String, lockfile: &LockfileReport, f: &Finding) {
    let a = &f.advisory;
    let _ = writeln!(
        out,
        "<details>\n<summary><b>{}</b> {} {}: {}</summary>\n",
        severity_name(f.severity()),
        html_code(&f.package.id()),
        html_code(a.id.as_str()),
        escape(&a.summary),
    );
    let _ = write!(out, "- **Advisory:** {}", link(f));
    if !a.aliases.is_empty() {
        let aliases: Vec<String> = a.aliases.iter().map(|x| code(x.as_str())).collect();
        let _ = write!(out, " (also {})", aliases.join(", "));
    }
    out.push('\n');
    let _ = write!(out, "- **Severity:** {}", severity_name(f.severity()));
    if let Some(cvss) = &a.cvss {
        let _ = write!(out, ", CVSS {:.1} {}", cvss.score, code(&cvss.vector));
    }
    out.push('\n');
    let _ = writeln!(out, "- **Fix:** {}", with_code(&f.advice.to_string()));
    let steps: Vec<String> = f.package.path.iter().map(|s| code(s)).collect();
    let _ = writeln!(out, "- **Dependency path:** {}", steps.join(" → "));
    let mut where_ = code(&lockfile.path);
    if let Some(line) = f.line {
        let _ = write!(where_, " line {line}");
    }
    let _ = writeln!(out, "- **Lockfile:** {where_}");
    if f.package.dev {
        out.push_str("- development dependency only\n");
    }
    if !a.details.trim().is_empty() {
        let _ = writeln!(out, "\n> {}", escape(&a.details));
    }
    out.push_str("\n</details>\n\n");
}

/// Our own sentence with `` `command` `` spans: the spans as code, the rest escaped.
fn with_code(text: &str) -> String {
    one_line(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                code(part)
            } else {
                escape_chars(part)
            }
        })
        .collect()
}

/// `[id](link)`, the link percent-encoded where Markdown would end it.
fn link(f: &Finding) -> String {
    let url = f
        .advisory
        .link()
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20");
    format!("[{}]({url})", escape(f.advisory.id.as_str()))
}

/// Text in a code span: backticks cannot close it early, pipes cannot end a table cell.
fn code(text: &str) -> String {
    let t = one_line(text).replace('`', "'").replace('|', "\\|");
    format!("`{t}`")
}

/// Text inside HTML (`<summary>`), where Markdown code spans do not apply.
fn html_code(text: &str) -> String {
    format!("<code>{}</code>", html(&one_line(text)))
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Third-party text as inert Markdown on one line: HTML escaped, Markdown punctuation
/// backslash-escaped, `@` made an entity so it cannot mention anyone, `#` so it cannot link
/// an issue.
pub(crate) fn escape(text: &str) -> String {
    escape_chars(&one_line(text))
}

/// [`escape`] without the whitespace clean-up: for text already made one line.
fn escape_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn third_party_text_is_inert() {
        assert_eq!(
            escape("<img src=x> @admin *bold* [a](b) | #12\n\u{1b}[31m"),
            "&lt;img src=x&gt; &#64;admin \\*bold\\* \\[a\\](b) \\| &#35;12 \\[31m"
        );
        assert_eq!(code("a`b|c"), "`a'b\\|c`");
        assert_eq!(
            with_code("try `npm update ms` now"),
            "try `npm update ms` now"
        );
    }
}
