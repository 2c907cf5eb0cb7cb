//! `[headers.content_security_policy]`: helmet's CSP options.

use std::fmt;

use indexmap::IndexMap;
use serde::de::value::SeqAccessDeserializer;
use serde::de::{self, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Options of `Content-Security-Policy`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentSecurityPolicyOptions {
    /// Start from helmet's default directives; `directives` then replace, remove or add.
    pub use_defaults: bool,
    /// Directives in document order; names dashed (`script-src`) or camelCase (`scriptSrc`).
    pub directives: Directives,
    /// Send `Content-Security-Policy-Report-Only` instead.
    pub report_only: bool,
    /// A per-response `'nonce-…'` in `script-src` and `style-src`: `false`; `true` (or
    /// `"header"`) hands it to the app in `X-Csp-Nonce` to write into its pages; `"auto"` has
    /// the guard write it into every `<script>`/`<style>` of HTML responses (no code change).
    pub nonce: NonceMode,
    /// Collect violation reports at the guard: adds `report-uri` and `report-to` pointing at
    /// [`CSP_REPORT_PATH`](crate::CSP_REPORT_PATH) and a `Reporting-Endpoints` header.
    pub report: bool,
    /// Allow a policy without `default-src` (helmet's `dangerouslyDisableDefaultSrc`).
    pub dangerously_disable_default_src: bool,
}

impl Default for ContentSecurityPolicyOptions {
    fn default() -> Self {
        Self {
            use_defaults: true,
            directives: Directives::default(),
            report_only: false,
            nonce: NonceMode::Off,
            report: false,
            dangerously_disable_default_src: false,
        }
    }
}

/// The `directives` table, checked when read so an error points at it in the file.
///
/// [`Policy::from_config`](crate::Policy::from_config) checks it again, for maps built in code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "IndexMap<String, DirectiveValue>")]
pub struct Directives(pub IndexMap<String, DirectiveValue>);

impl TryFrom<IndexMap<String, DirectiveValue>> for Directives {
    type Error = String;

    fn try_from(map: IndexMap<String, DirectiveValue>) -> Result<Self, String> {
        crate::csp::check_directives(&map).map_err(|err| err.message)?;
        Ok(Directives(map))
    }
}

/// One directive's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectiveValue {
    /// The sources, space-joined; empty for value-less directives (`upgrade-insecure-requests`).
    Values(Vec<String>),
    /// `false`: drop the directive from helmet's defaults (helmet's `null`).
    Remove,
}

impl<'de> Deserialize<'de> for DirectiveValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DirectiveVisitor;

        impl<'de> Visitor<'de> for DirectiveVisitor {
            type Value = DirectiveValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, an array of strings, or `false` to remove the directive")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<DirectiveValue, E> {
                if v {
                    Err(E::invalid_value(Unexpected::Bool(true), &self))
                } else {
                    Ok(DirectiveValue::Remove)
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<DirectiveValue, E> {
                Ok(DirectiveValue::Values(vec![v.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DirectiveValue, A::Error> {
                Vec::<String>::deserialize(SeqAccessDeserializer::new(seq))
                    .map(DirectiveValue::Values)
            }
        }

        deserializer.deserialize_any(DirectiveVisitor)
    }
}

impl Serialize for DirectiveValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DirectiveValue::Values(values) => values.serialize(serializer),
            DirectiveValue::Remove => serializer.serialize_bool(false),
        }
    }
}

/// How the CSP nonce gets into pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum NonceMode {
    /// No nonce.
    #[default]
    Off,
    /// The app writes it: the guard sends it upstream in `X-Csp-Nonce` (`nonce = true`).
    Header,
    /// The guard rewrites HTML responses, adding it to every script and style element.
    Auto,
}

impl NonceMode {
    /// Whether the CSP carries a nonce at all.
    pub fn is_on(self) -> bool {
        self != NonceMode::Off
    }
}

impl<'de> Deserialize<'de> for NonceMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NonceVisitor;

        impl Visitor<'_> for NonceVisitor {
            type Value = NonceMode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"`false`, `true`, "header" or "auto""#)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<NonceMode, E> {
                Ok(if v { NonceMode::Header } else { NonceMode::Off })
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<NonceMode, E> {
                match v {
                    "off" => Ok(NonceMode::Off),
                    "header" => Ok(NonceMode::Header),
                    "auto" => Ok(NonceMode::Auto),
                    other => Err(E::invalid_value(Unexpected::Str(other), &self)),
                }
            }
        }

        deserializer.deserialize_any(NonceVisitor)
    }
}

impl Serialize for NonceMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            NonceMode::Off => serializer.serialize_bool(false),
            NonceMode::Header => serializer.serialize_bool(true),
            NonceMode::Auto => serializer.serialize_str("auto"),
        }
    }
}
