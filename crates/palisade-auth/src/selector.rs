//! Where a value sits in a request: `form:NAME`, `json:/pointer`, `query:NAME`, `header:NAME`.

use std::fmt;

use http::HeaderMap;
use http::header::HeaderName;

/// A validated selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// A field of an `application/x-www-form-urlencoded` body.
    Form(String),
    /// A JSON pointer (RFC 6901) into a JSON body.
    Json(String),
    /// A query-string parameter.
    Query(String),
    /// A request header (the first value).
    Header(HeaderName),
}

impl Selector {
    /// Parses `kind:name`; the error says what was wrong, for the caller to locate.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kind, name) = text.split_once(':').ok_or_else(|| {
            format!(
                "`{text}` is not a selector (form:NAME, json:/pointer, query:NAME, header:NAME)"
            )
        })?;
        if name.is_empty() {
            return Err(format!("`{text}`: the name after `{kind}:` is empty"));
        }
        match kind {
            "form" => Ok(Selector::Form(name.to_owned())),
            "query" => Ok(Selector::Query(name.to_owned())),
            "json" if name.starts_with('/') => Ok(Selector::Json(name.to_owned())),
            "json" => Err(format!(
                "`{text}`: a JSON pointer starts with `/` (json:/user/email)"
            )),
            "header" => HeaderName::from_bytes(name.as_bytes())
                .map(Selector::Header)
                .map_err(|_| format!("`{text}`: `{name}` is not a header name")),
            other => Err(format!(
                "`{text}`: unknown selector kind `{other}` (form, json, query, header)"
            )),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Form(n) => write!(f, "form:{n}"),
            Selector::Json(p) => write!(f, "json:{p}"),
            Selector::Query(n) => write!(f, "query:{n}"),
            Selector::Header(h) => write!(f, "header:{h}"),
        }
    }
}

/// One request's inputs, with the body parsed lazily and at most once per form.
pub(crate) struct RequestView<'a> {
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
    json: Option<Option<serde_json::Value>>,
}

impl<'a> RequestView<'a> {
    pub(crate) fn new(query: Option<&'a str>, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        RequestView {
            query,
            headers,
            body,
            json: None,
        }
    }

    /// The value the selector points at, moved out where possible (passwords are not copied
    /// more than the parser already did).
    pub(crate) fn take(&mut self, selector: &Selector) -> Option<String> {
        match selector {
            Selector::Form(name) => form_value(self.body, name),
            Selector::Query(name) => self.query.and_then(|q| form_value(q.as_bytes(), name)),
            Selector::Header(name) => self
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            Selector::Json(pointer) => {
                let body = self.body;
                let doc = self
                    .json
                    .get_or_insert_with(|| serde_json::from_slice(body).ok());
                let value = doc.as_mut()?.pointer_mut(pointer)?;
                match value.take() {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                }
            }
        }
    }

    /// Like [`take`](Self::take) but leaves the value in place (a selector used twice, e.g.
    /// username and email both `form:email`).
    pub(crate) fn get(&mut self, selector: &Selector) -> Option<String> {
        if let Selector::Json(pointer) = selector {
            let body = self.body;
            let doc = self
                .json
                .get_or_insert_with(|| serde_json::from_slice(body).ok());
            return match doc.as_ref()?.pointer(pointer)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
        }
        self.take(selector)
    }
}

fn form_value(input: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(input)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            Selector::parse("form:email"),
            Ok(Selector::Form("email".into()))
        );
        assert_eq!(
            Selector::parse("json:/user/email").unwrap().to_string(),
            "json:/user/email"
        );
        assert!(Selector::parse("json:user").is_err());
        assert!(Selector::parse("cookie:a").is_err());
        assert!(Selector::parse("header:bad header").is_err());
        assert!(Selector::parse("form:").is_err());
        assert!(Selector::parse("email").is_err());
    }

    #[test]
    fn takes_from_every_place() {
        let mut headers = HeaderMap::new();
        headers.insert("x-user", "hdr".parse().unwrap());
        let body = br#"{"user":{"email":"a@b.c","n":7}}"#;
        let mut view = RequestView::new(Some("u=q%20v&x=1"), &headers, body);
        assert_eq!(
            view.take(&Selector::parse("query:u").unwrap()).as_deref(),
            Some("q v")
        );
        assert_eq!(
            view.take(&Selector::parse("header:X-User").unwrap())
                .as_deref(),
            Some("hdr")
        );
        let email = Selector::parse("json:/user/email").unwrap();
        assert_eq!(view.get(&email).as_deref(), Some("a@b.c"));
        assert_eq!(view.take(&email).as_deref(), Some("a@b.c"));
        assert_eq!(
            view.take(&Selector::parse("json:/user/n").unwrap())
                .as_deref(),
            Some("7")
        );
        let form = b"email=a%40b.c&password=p%26w";
        let mut view = RequestView::new(None, &headers, form);
        assert_eq!(
            view.take(&Selector::parse("form:password").unwrap())
                .as_deref(),
            Some("p&w")
        );
        assert_eq!(view.take(&Selector::parse("form:missing").unwrap()), None);
    }
}
