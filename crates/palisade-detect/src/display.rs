//! Names for humans and logs: `sqli`, `critical`, `query:q` — the same spellings as the
//! serde forms and the exclusion selectors, so what `palisade detect` prints can be pasted into
//! a `[[detect.exclude]]`.

use std::fmt;

use crate::{Family, Location, Severity};

impl Family {
    /// The snake_case name (`sqli`, `sensitive_file`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Sqli => "sqli",
            Family::Xss => "xss",
            Family::Traversal => "traversal",
            Family::Rfi => "rfi",
            Family::Cmdi => "cmdi",
            Family::Jndi => "jndi",
            Family::Php => "php",
            Family::JavaDeser => "java_deser",
            Family::Ssti => "ssti",
            Family::SensitiveFile => "sensitive_file",
            Family::Scanner => "scanner",
            Family::Protocol => "protocol",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Location {
    /// As an exclusion selector: `query:q`, `json:/user/name`, `header:user-agent`, `path`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name) = match self {
            Location::Path => ("path", None),
            Location::Query(n) => ("query", Some(n)),
            Location::QueryName(n) => ("query_name", Some(n)),
            Location::Form(n) => ("form", Some(n)),
            Location::Json(n) => ("json", Some(n)),
            Location::Multipart(n) => ("multipart", Some(n)),
            Location::Filename(n) => ("filename", Some(n)),
            Location::Header(n) => ("header", Some(n)),
            Location::Cookie(n) => ("cookie", Some(n)),
            Location::Body => ("body", None),
            Location::Request => ("request", None),
        };
        match name {
            Some(n) => write!(f, "{kind}:{n}"),
            None => f.write_str(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Family, Location, Severity};

    #[test]
    fn names_match_the_serde_forms() {
        for fam in [Family::Sqli, Family::JavaDeser, Family::SensitiveFile] {
            let json = serde_json::to_value(fam).unwrap();
            assert_eq!(json.as_str().unwrap(), fam.as_str());
        }
        let json = serde_json::to_value(Severity::Critical).unwrap();
        assert_eq!(json.as_str().unwrap(), Severity::Critical.as_str());
        assert_eq!(Location::Json("/a/b".into()).to_string(), "json:/a/b");
        assert_eq!(Location::Path.to_string(), "path");
    }
}
