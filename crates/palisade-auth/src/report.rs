//! The body of the admin API's `POST /v1/auth/events`: login outcomes reported by apps that
//! know better than a status code (SSO callbacks, mobile APIs, MFA steps).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::route::{Attempt, Outcome, UsernamePolicy};

/// What an app reports. Unknown keys are refused — so is a `password`: it never belongs here.
///
/// ```json
/// {"user": "alice@example.com", "ip": "203.0.113.7", "outcome": "failure", "source": "mobile"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthEventReport {
    /// The username as typed (normalised like the login routes').
    pub user: String,
    /// The client's address.
    pub ip: IpAddr,
    /// `"success"` or `"failure"`.
    pub outcome: ReportedOutcome,
    /// The user's email, when the username is not one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the login happened (`"mobile"`, `"sso"`), used as the route name (default `"api"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A reported outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedOutcome {
    /// Accepted.
    Success,
    /// Refused.
    Failure,
}

impl AuthEventReport {
    /// The attempt, outcome and IP to hand to `Monitor::observe`; `None` for an empty username.
    pub fn into_observation(
        self,
        usernames: &UsernamePolicy,
    ) -> Option<(Attempt, Outcome, IpAddr)> {
        let user = usernames.normalise(&self.user)?;
        let email = self
            .email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| crate::route::looks_like_email(e));
        let source: String = self
            .source
            .unwrap_or_else(|| "api".into())
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect();
        let outcome = match self.outcome {
            ReportedOutcome::Success => Outcome::Success,
            ReportedOutcome::Failure => Outcome::Failure,
        };
        Some((Attempt::reported(&source, user, email), outcome, self.ip))
    }
}
