//! The Rules page and API: detection mode, paranoia and the exclusions in force, and adding an
//! exclusion — typed in, or suggested from a false positive on its event's page. The change is
//! made by the [`RulesControl`](crate::RulesControl) the binary provides (config file
//! written, detection reloaded in place).

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use palisade_core::{Category, Event};
use serde::{Deserialize, Serialize};

use crate::Console;
use crate::auth::{Caller, Denied, check_csrf};
use crate::error::ConsoleError;
use crate::hooks::ExclusionSpec;
use crate::pages::blocking;

/// Longest field accepted in an exclusion (a path, a selector, the rule list).
const MAX_FIELD: usize = 512;

/// The exclusion a false positive suggests: its path (without the query), the one location
/// all its findings share (or every location), and the rules that fired. Only for detection
/// events; the admin reviews it before submitting.
pub(crate) fn suggestion(event: &Event) -> Option<ExclusionSpec> {
    let detection = matches!(
        event.category,
        Category::MaliciousTraffic | Category::Scanner | Category::SensitiveFileProbe
    );
    if !detection || event.rules.is_empty() {
        return None;
    }
    let path = event
        .path
        .as_deref()
        .map(|p| p.split(['?', '#']).next().unwrap_or(p))
        .filter(|p| p.starts_with('/'))
        .map(str::to_owned);
    // The guard records each finding as `RULE at LOCATION: EXCERPT`.
    let mut locations = event
        .fields
        .iter()
        .filter(|(k, _)| k.starts_with("finding."))
        .filter_map(|(_, v)| {
            let (_, rest) = v.split_once(" at ")?;
            let (location, _) = rest.split_once(": ")?;
            Some(location.to_owned())
        });
    let first = locations.next();
    let location = match first {
        Some(l) if locations.all(|other| other == l) => Some(l),
        _ => None,
    };
    Some(ExclusionSpec {
        path,
        location,
        rules: event.rules.clone(),
    })
}

/// The new exclusion as a form posts it: rules separated by commas or spaces, empty fields
/// meaning "any".
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExclusionForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    path: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    rules: String,
}

impl ExclusionForm {
    fn spec(&self) -> Result<ExclusionSpec, ConsoleError> {
        let spec = ExclusionSpec {
            path: non_empty(&self.path),
            location: non_empty(&self.location),
            rules: self
                .rules
                .split([',', ' ', '\n', '\r', '\t'])
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        checked(spec)
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Refuses what no sensible exclusion looks like before it reaches the config file; the
/// engine validates the rest (selector kinds, rule patterns) when the file is reloaded.
fn checked(spec: ExclusionSpec) -> Result<ExclusionSpec, ConsoleError> {
    if spec.path.is_none() && spec.location.is_none() && spec.rules.is_empty() {
        return Err(ConsoleError::bad(
            "exclusion",
            "give a path, a location or rules: an empty exclusion would turn detection off",
        ));
    }
    if let Some(p) = &spec.path
        && !p.starts_with('/')
    {
        return Err(ConsoleError::bad("path", "a path prefix starts with `/`"));
    }
    let long = spec
        .path
        .iter()
        .chain(spec.location.iter())
        .any(|s| s.len() > MAX_FIELD)
        || spec.rules.iter().map(String::len).sum::<usize>() > MAX_FIELD;
    let control = spec
        .path
        .iter()
        .chain(spec.location.iter())
        .chain(spec.rules.iter())
        .any(|s| s.chars().any(char::is_control));
    if long || control {
        return Err(ConsoleError::bad(
            "exclusion",
            format!("fields are at most {MAX_FIELD} characters, without control characters"),
        ));
    }
    Ok(spec)
}

#[derive(Serialize)]
struct Flash {
    added: bool,
}

/// One rule of the catalogue as the page lists it.
#[derive(Serialize)]
struct RuleRow {
    id: &'static str,
    family: &'static str,
    paranoia: u8,
    severity: &'static str,
    points: u32,
    summary: &'static str,
    /// Runs at the paranoia level in force.
    active: bool,
}

/// Every rule the engine can report; event pages link here (`#rule-ID`).
fn catalogue(view: Option<&crate::RulesView>) -> Vec<RuleRow> {
    let level = view.filter(|v| v.mode != "off").map_or(0, |v| v.paranoia);
    palisade_detect::rules()
        .iter()
        .map(|r| RuleRow {
            id: r.id,
            family: r.family.as_str(),
            paranoia: r.paranoia,
            severity: r.severity.as_str(),
            points: r.severity.points(),
            summary: r.summary,
            active: r.paranoia <= level,
        })
        .collect()
}

/// `GET /console/rules`
pub(crate) async fn page(
    State(console): State<Console>,
    headers: HeaderMap,
    query: axum::extract::RawQuery,
) -> Response {
    let Some((_, session)) = console.session(&headers) else {
        return Denied::Login.into_response();
    };
    let view = console.settings().rules.as_ref().map(|r| r.view());
    let flash = Flash {
        added: query.0.as_deref() == Some("added=1"),
    };
    let catalogue = catalogue(view.as_ref());
    console.render(
        StatusCode::OK,
        "rules.html",
        context! { csrf => session.csrf, nav => "rules", view, flash, catalogue },
    )
}

/// `POST /console/rules/exclusions`
pub(crate) async fn add(
    State(console): State<Console>,
    headers: HeaderMap,
    form: Result<Form<ExclusionForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let csrf = match crate::pages::form_caller(&console, &headers, form.csrf.as_deref()) {
        Ok(t) => t,
        Err(d) => return d.into_response(),
    };
    match add_exclusion(&console, form.spec()).await {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/console/rules?added=1")],
        )
            .into_response(),
        Err(e) => console.page_error(&csrf, &e, "/console/rules"),
    }
}

async fn add_exclusion(
    console: &Console,
    spec: Result<ExclusionSpec, ConsoleError>,
) -> Result<(), ConsoleError> {
    let spec = spec?;
    let rules = console
        .settings()
        .rules
        .clone()
        .ok_or_else(|| ConsoleError::Unavailable("rules cannot be edited here".into()))?;
    // Writes and fsyncs a file and compiles the rules: off the async threads.
    blocking(move || {
        rules
            .add_exclusion(&spec)
            .map_err(|m| ConsoleError::bad("exclusion", m))
    })
    .await
}

fn api_caller(console: &Console, headers: &HeaderMap) -> Result<Caller, Denied> {
    console.api_caller(headers).ok_or(Denied::Unauthorized)
}

/// `GET /api/v1/rules`
pub(crate) async fn api_view(State(console): State<Console>, headers: HeaderMap) -> Response {
    if let Err(d) = api_caller(&console, &headers) {
        return d.into_response();
    }
    match console.settings().rules.as_ref() {
        Some(r) => Json(r.view()).into_response(),
        None => ConsoleError::Unavailable("rules are not available here".into()).into_response(),
    }
}

/// `POST /api/v1/rules/exclusions` with an [`ExclusionSpec`] as JSON.
pub(crate) async fn api_add(
    State(console): State<Console>,
    headers: HeaderMap,
    body: Result<Json<ExclusionSpec>, JsonRejection>,
) -> Response {
    let caller = match api_caller(&console, &headers) {
        Ok(c) => c,
        Err(d) => return d.into_response(),
    };
    if let Err(d) = check_csrf(&caller, &headers, None) {
        return d.into_response();
    }
    let spec = body
        .map(|Json(s)| s)
        .map_err(|e| ConsoleError::bad("body", e.body_text()))
        .and_then(checked);
    match add_exclusion(&console, spec).await {
        Ok(()) => {
            let view = console.settings().rules.as_ref().map(|r| r.view());
            (StatusCode::CREATED, Json(view)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::Severity;

    fn blocked(path: &str, findings: &[(&str, &str)]) -> Event {
        let mut e = Event::new(Category::MaliciousTraffic, Severity::High, "sqli blocked");
        e.path = Some(path.to_owned());
        for (i, (rule, location)) in findings.iter().enumerate() {
            if !e.rules.iter().any(|r| r == rule) {
                e.rules.push((*rule).to_owned());
            }
            e.fields.insert(
                format!("finding.{}", i + 1),
                format!("{rule} at {location}: select x: y"),
            );
        }
        e
    }

    #[test]
    fn a_false_positive_suggests_its_path_location_and_rules() {
        let e = blocked(
            "/search?q=select+1",
            &[("sqli-1", "query:q"), ("sqli-2", "query:q")],
        );
        let s = suggestion(&e).unwrap();
        assert_eq!(s.path.as_deref(), Some("/search"));
        assert_eq!(s.location.as_deref(), Some("query:q"));
        assert_eq!(s.rules, ["sqli-1", "sqli-2"]);

        let mixed = blocked("/a", &[("x-1", "query:q"), ("x-2", "header:referer")]);
        assert_eq!(suggestion(&mixed).unwrap().location, None);

        let mut login = Event::new(Category::AuthFailure, Severity::Low, "bad password");
        login.rules.push("r".into());
        assert!(suggestion(&login).is_none());
    }

    #[test]
    fn forms_are_checked_before_they_reach_the_file() {
        let form = |path: &str, location: &str, rules: &str| ExclusionForm {
            csrf: None,
            path: path.into(),
            location: location.into(),
            rules: rules.into(),
        };
        let s = form(" /a ", "", "sqli-1, xss-*\tlfi-2").spec().unwrap();
        assert_eq!(s.path.as_deref(), Some("/a"));
        assert_eq!(s.rules, ["sqli-1", "xss-*", "lfi-2"]);
        assert!(form("", "", "").spec().is_err());
        assert!(form("a", "", "").spec().is_err());
        assert!(form("/a\u{0}b", "", "").spec().is_err());
        assert!(
            form(&format!("/{}", "a".repeat(600)), "", "")
                .spec()
                .is_err()
        );
    }
}
