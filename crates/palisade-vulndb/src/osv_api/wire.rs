//! The OSV API's JSON for `POST /v1/querybatch` (<https://google.github.io/osv.dev/post-v1-querybatch/>).

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub(super) struct BatchRequest<'a> {
    pub(super) queries: Vec<Query<'a>>,
}

#[derive(Serialize)]
pub(super) struct Query<'a> {
    pub(super) package: Package<'a>,
    pub(super) version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) page_token: Option<&'a str>,
}

#[derive(Serialize)]
pub(super) struct Package<'a> {
    pub(super) name: &'a str,
    pub(super) ecosystem: &'a str,
}

#[derive(Deserialize)]
pub(super) struct BatchResponse {
    #[serde(default)]
    pub(super) results: Vec<BatchResult>,
}

/// One query's answer: an empty object when nothing is known.
#[derive(Deserialize)]
pub(super) struct BatchResult {
    #[serde(default)]
    pub(super) vulns: Vec<VulnRef>,
    #[serde(default)]
    pub(super) next_page_token: Option<String>,
}

/// The batch endpoint answers ids and modification times only; full records come from
/// `GET /v1/vulns/{id}`.
#[derive(Deserialize)]
pub(super) struct VulnRef {
    pub(super) id: String,
}
