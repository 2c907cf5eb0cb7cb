//! Options of the single-purpose headers (everything but CSP), as helmet 8 names them.

use std::collections::HashSet;
use std::fmt;

use serde::de::value::SeqAccessDeserializer;
use serde::de::{self, IntoDeserializer, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A closed set of header tokens: a serde enum, so a wrong value is a serde error that lists the
/// accepted ones.
macro_rules! token_enum {
    ($(#[$doc:meta])* $name:ident default $default:ident {
        $($(#[$vdoc:meta])* $variant:ident = $token:literal,)+
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $token)] $variant,)+
        }

        impl $name {
            /// The header token.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $token,)+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
    };
}

token_enum! {
    /// `Cross-Origin-Embedder-Policy` values.
    CoepPolicy default RequireCorp {
        /// `require-corp`
        RequireCorp = "require-corp",
        /// `credentialless`
        Credentialless = "credentialless",
        /// `unsafe-none`
        UnsafeNone = "unsafe-none",
    }
}

token_enum! {
    /// `Cross-Origin-Opener-Policy` values.
    CoopPolicy default SameOrigin {
        /// `same-origin`
        SameOrigin = "same-origin",
        /// `same-origin-allow-popups`
        SameOriginAllowPopups = "same-origin-allow-popups",
        /// `noopener-allow-popups`
        NoopenerAllowPopups = "noopener-allow-popups",
        /// `unsafe-none`
        UnsafeNone = "unsafe-none",
    }
}

token_enum! {
    /// `Cross-Origin-Resource-Policy` values.
    CorpPolicy default SameOrigin {
        /// `same-origin`
        SameOrigin = "same-origin",
        /// `same-site`
        SameSite = "same-site",
        /// `cross-origin`
        CrossOrigin = "cross-origin",
    }
}

token_enum! {
    /// `Referrer-Policy` tokens; helmet also accepts the empty token.
    ReferrerToken default NoReferrer {
        /// `no-referrer`
        NoReferrer = "no-referrer",
        /// `no-referrer-when-downgrade`
        NoReferrerWhenDowngrade = "no-referrer-when-downgrade",
        /// `same-origin`
        SameOrigin = "same-origin",
        /// `origin`
        Origin = "origin",
        /// `strict-origin`
        StrictOrigin = "strict-origin",
        /// `origin-when-cross-origin`
        OriginWhenCrossOrigin = "origin-when-cross-origin",
        /// `strict-origin-when-cross-origin`
        StrictOriginWhenCrossOrigin = "strict-origin-when-cross-origin",
        /// `unsafe-url`
        UnsafeUrl = "unsafe-url",
        /// the empty token
        Empty = "",
    }
}

token_enum! {
    /// `X-Permitted-Cross-Domain-Policies` values.
    PermittedPolicies default None {
        /// `none`
        None = "none",
        /// `master-only`
        MasterOnly = "master-only",
        /// `by-content-type`
        ByContentType = "by-content-type",
        /// `all`
        All = "all",
    }
}

/// `[headers.cross_origin_embedder_policy]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossOriginEmbedderPolicyOptions {
    /// Header value; default `require-corp`.
    pub policy: CoepPolicy,
}

/// `[headers.cross_origin_opener_policy]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossOriginOpenerPolicyOptions {
    /// Header value; default `same-origin`.
    pub policy: CoopPolicy,
}

/// `[headers.cross_origin_resource_policy]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossOriginResourcePolicyOptions {
    /// Header value; default `same-origin`.
    pub policy: CorpPolicy,
}

/// `[headers.referrer_policy]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferrerPolicyOptions {
    /// One token or a list (sent comma-separated, the last one the browser knows wins).
    pub policy: ReferrerTokens,
}

/// A non-empty list of distinct referrer tokens; TOML accepts a string or an array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "OneOrMany<ReferrerToken>")]
pub struct ReferrerTokens(pub Vec<ReferrerToken>);

impl Default for ReferrerTokens {
    fn default() -> Self {
        ReferrerTokens(vec![ReferrerToken::NoReferrer])
    }
}

impl ReferrerTokens {
    /// The header value, or helmet's complaint about an empty or repeating list.
    pub(crate) fn header_value(&self) -> Result<String, String> {
        if self.0.is_empty() {
            return Err("Referrer-Policy received no policy tokens".to_owned());
        }
        let mut seen = HashSet::new();
        for token in &self.0 {
            if !seen.insert(token) {
                return Err(format!(
                    "Referrer-Policy received a duplicate policy token \"{}\"",
                    token.as_str()
                ));
            }
        }
        let tokens: Vec<&str> = self.0.iter().map(|t| t.as_str()).collect();
        Ok(tokens.join(","))
    }
}

impl TryFrom<OneOrMany<ReferrerToken>> for ReferrerTokens {
    type Error = String;

    fn try_from(value: OneOrMany<ReferrerToken>) -> Result<Self, String> {
        let tokens = ReferrerTokens(value.0);
        tokens.header_value()?;
        Ok(tokens)
    }
}

/// A bare value or an array of them.
#[derive(Debug)]
pub(crate) struct OneOrMany<T>(pub(crate) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(|one| OneOrMany(vec![one]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany)
            }
        }

        deserializer.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

/// `[headers.strict_transport_security]` (alias `hsts`)
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StrictTransportSecurityOptions {
    /// Seconds the browser should remember to use HTTPS only; default one year.
    pub max_age: MaxAge,
    /// Append `includeSubDomains`; default true.
    pub include_sub_domains: bool,
    /// Append `preload`; default false.
    pub preload: bool,
}

impl Default for StrictTransportSecurityOptions {
    fn default() -> Self {
        Self {
            max_age: MaxAge::default(),
            include_sub_domains: true,
            preload: false,
        }
    }
}

/// HSTS `max-age` in seconds: a non-negative integer (helmet's `parseMaxAge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MaxAge(pub u64);

impl Default for MaxAge {
    fn default() -> Self {
        MaxAge(365 * 24 * 60 * 60)
    }
}

impl<'de> Deserialize<'de> for MaxAge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaxAgeVisitor;

        fn invalid<E: de::Error>(shown: impl fmt::Display) -> E {
            E::custom(format!(
                "Strict-Transport-Security: {shown} is not a valid value for max_age. Please choose a positive integer."
            ))
        }

        impl Visitor<'_> for MaxAgeVisitor {
            type Value = MaxAge;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer of seconds")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MaxAge, E> {
                Ok(MaxAge(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MaxAge, E> {
                u64::try_from(v).map(MaxAge).map_err(|_| invalid(v))
            }

            // Helmet floors fractional ages; a fraction in a config file is more likely a typo.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MaxAge, E> {
                Err(invalid(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<MaxAge, E> {
                Err(invalid(format_args!("{v:?}")))
            }
        }

        deserializer.deserialize_any(MaxAgeVisitor)
    }
}

/// `[headers.x_dns_prefetch_control]` (alias `dns_prefetch_control`)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct XDnsPrefetchControlOptions {
    /// `on` when true, `off` (default) otherwise.
    pub allow: bool,
}

/// `[headers.x_frame_options]` (alias `frameguard`)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct XFrameOptionsOptions {
    /// `sameorigin` (default) or `deny`, any case; `same-origin` is read as `sameorigin`.
    pub action: FrameAction,
}

/// `X-Frame-Options` action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum FrameAction {
    /// `DENY`
    Deny,
    /// `SAMEORIGIN`
    #[default]
    SameOrigin,
}

impl FrameAction {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            FrameAction::Deny => "DENY",
            FrameAction::SameOrigin => "SAMEORIGIN",
        }
    }
}

// Not derived: helmet upper-cases the action before matching, so "Deny" and "DENY" are valid.
impl<'de> Deserialize<'de> for FrameAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let action = String::deserialize(deserializer)?;
        match action.to_ascii_uppercase().as_str() {
            "DENY" => Ok(FrameAction::Deny),
            "SAMEORIGIN" | "SAME-ORIGIN" => Ok(FrameAction::SameOrigin),
            _ => Err(de::Error::unknown_variant(
                &action,
                &["deny", "sameorigin", "same-origin"],
            )),
        }
    }
}

impl Serialize for FrameAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match self {
            FrameAction::Deny => "deny",
            FrameAction::SameOrigin => "sameorigin",
        })
    }
}

/// `[headers.x_permitted_cross_domain_policies]` (alias `permitted_cross_domain_policies`)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct XPermittedCrossDomainPoliciesOptions {
    /// Header value; default `none`.
    pub permitted_policies: PermittedPolicies,
}
