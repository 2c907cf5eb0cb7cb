//! The terminal report: one block per lockfile, a table of findings with their summary, path
//! and advice underneath, then what was ignored, could not be checked or was yanked, then the
//! summary line.

use std::fmt::Write as _;

use palisade_advisory::Severity;

use super::{one_line, path_text, severity_name};
use crate::report::summary::plural;
use crate::report::{Finding, FindingKind, LockfileReport, Report, kind_name};

/// Whether the table uses ANSI colours (the caller decides: a TTY, `NO_COLOR`, `--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// Plain text.
    Never,
    /// ANSI SGR colours by severity.
    Ansi,
}

/// The report as a terminal table.
///
/// ```
/// use palisade_audit::render::{self, Color};
/// use palisade_audit::{AuditSettings, Date, Report};
///
/// let report = Report::generate(
///     &palisade_advisory::Index::new([]),
///     &[],
///     &AuditSettings::new(Date::parse("2026-05-01").unwrap()),
/// );
/// let text = render::table(&report, Color::Never);
/// assert!(text.ends_with("no vulnerabilities in 0 audited packages; 0 warnings\n"));
/// ```
pub fn table(report: &Report, color: Color) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let summary = report.summary();
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&format!(
            "palisade audit: {} in {}, against {} ({})",
            plural(summary.audited, "package", "packages"),
            plural(summary.lockfiles, "lockfile", "lockfiles"),
            plural(report.advisories, "advisory", "advisories"),
            report.date,
        ))
    );
    for lockfile in &report.lockfiles {
        out.push('\n');
        lockfile_block(&mut out, lockfile, report.yanked_checked, paint);
    }
    if !report.expired_ignores.is_empty() {
        out.push('\n');
    }
    for ignore in &report.expired_ignores {
        let expires = ignore.expires.map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} the ignore for {} ({}:{}) expired on {expires}; it no longer applies ({})",
            paint.sgr("33", "warning:"),
            one_line(&ignore.id),
            one_line(&ignore.file),
            ignore.line,
            one_line(&ignore.reason),
        );
    }
    out.push('\n');
    let line = summary.line();
    let code = if summary.vulnerabilities > 0 {
        "1;31"
    } else {
        "1;32"
    };
    let _ = writeln!(out, "{}", paint.sgr(code, &line));
    out
}

fn lockfile_block(out: &mut String, lockfile: &LockfileReport, yanked_checked: bool, paint: Paint) {
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&format!(
            "{} ({}, {}): {} of {} audited",
            one_line(&lockfile.path),
            kind_name(lockfile.kind),
            lockfile.ecosystem,
            lockfile.audited,
            plural(lockfile.packages, "package", "packages"),
        ))
    );
    if lockfile.dev_skipped > 0 {
        let _ = writeln!(
            out,
            "  {} skipped",
            plural(
                lockfile.dev_skipped,
                "development package",
                "development packages"
            )
        );
    }

    if lockfile.findings.is_empty() {
        let _ = writeln!(out, "  {}", paint.sgr("32", "no known vulnerabilities"));
    } else {
        let rows: Vec<[String; 4]> = lockfile
            .findings
            .iter()
            .map(|f| {
                [
                    label(f),
                    one_line(&f.package.id()),
                    one_line(f.advisory.id.as_str()),
                    f.fixed_in.as_deref().map_or("-".to_owned(), one_line),
                ]
            })
            .collect();
        let header = ["SEVERITY", "PACKAGE", "ADVISORY", "FIXED IN"];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let _ = writeln!(
            out,
            "  {}",
            paint.sgr(
                "2",
                &format!(
                    "{:w0$}  {:w1$}  {:w2$}  {}",
                    header[0],
                    header[1],
                    header[2],
                    header[3],
                    w0 = widths[0],
                    w1 = widths[1],
                    w2 = widths[2],
                )
            )
        );
        let indent = " ".repeat(widths[0] + 4);
        for (finding, row) in lockfile.findings.iter().zip(&rows) {
            // Pad before colouring: escape codes have no width.
            let severity = format!("{:w$}", row[0], w = widths[0]);
            let _ = writeln!(
                out,
                "  {}  {:w1$}  {:w2$}  {}",
                paint.sgr(colour_of(finding), &severity),
                row[1],
                row[2],
                row[3],
                w1 = widths[1],
                w2 = widths[2],
            );
            if !finding.advisory.summary.is_empty() {
                let _ = writeln!(out, "{indent}{}", one_line(&finding.advisory.summary));
            }
            let location = match finding.line {
                Some(line) => format!(" ({}:{line})", one_line(&lockfile.path)),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "{indent}path: {}{location}",
                path_text(&finding.package.path)
            );
            let _ = writeln!(
                out,
                "{indent}fix:  {}",
                one_line(&finding.advice.to_string())
            );
        }
    }

    for item in &lockfile.ignored {
        let until = super::until(&item.ignore);
        let _ = writeln!(
            out,
            "  {} {} for {}: {}{until}",
            paint.sgr("2", "ignored:"),
            one_line(item.advisory.id.as_str()),
            one_line(&item.package.id()),
            one_line(&item.ignore.reason),
        );
    }
    for item in &lockfile.unchecked {
        let _ = writeln!(
            out,
            "  {} could not check {} against {}: {}",
            paint.sgr("33", "warning:"),
            one_line(&item.package.id()),
            one_line(item.advisory.id.as_str()),
            one_line(&item.reason),
        );
    }
    for item in &lockfile.yanked {
        let location = match item.line {
            Some(line) => format!(" ({}:{line})", one_line(&lockfile.path)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {}, path: {}{location}",
            paint.sgr("33", "yanked:"),
            one_line(&item.package.id()),
            path_text(&item.package.path),
        );
    }
    // Another ecosystem was checked, this one not: say so rather than look clean.
    if yanked_checked && !lockfile.yanked_checked {
        let _ = writeln!(
            out,
            "  {} not checked for {}",
            paint.sgr("2", "yanked:"),
            lockfile.ecosystem
        );
    }
    for item in &lockfile.not_auditable {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            paint.sgr("2", "not auditable:"),
            one_line(&item.name),
            one_line(&item.reason),
        );
    }
}

/// The first column: the severity of a vulnerability, the kind of a warning.
fn label(finding: &Finding) -> String {
    match &finding.kind {
        FindingKind::Vulnerability => severity_name(finding.severity()).to_owned(),
        FindingKind::Warning(kind) => one_line(kind.as_str()),
    }
}

fn colour_of(finding: &Finding) -> &'static str {
    match (&finding.kind, finding.severity()) {
        (FindingKind::Warning(_), _) => "33",
        (_, Some(Severity::Critical)) => "1;31",
        (_, Some(Severity::High)) => "31",
        (_, Some(Severity::Moderate)) => "33",
        (_, Some(Severity::Low)) => "36",
        (_, Some(Severity::None)) => "2",
        (_, None) => "35",
    }
}

#[derive(Clone, Copy)]
struct Paint(Color);

impl Paint {
    fn sgr(self, code: &str, text: &str) -> String {
        match self.0 {
            Color::Never => text.to_owned(),
            Color::Ansi => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }

    fn bold(self, text: &str) -> String {
        self.sgr("1", text)
    }
}
