//! Borrowed locations: the engine works with these and builds an owned [`Location`] only for a
//! finding it keeps.

use crate::Location;

/// A [`Location`] borrowing its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocRef<'a> {
    Path,
    Query(&'a str),
    QueryName(&'a str),
    Form(&'a str),
    Json(&'a str),
    Multipart(&'a str),
    Filename(&'a str),
    Header(&'a str),
    Cookie(&'a str),
    Body,
    Request,
}

impl LocRef<'_> {
    /// The owned location.
    pub(crate) fn to_location(self) -> Location {
        match self {
            LocRef::Path => Location::Path,
            LocRef::Query(n) => Location::Query(n.to_owned()),
            LocRef::QueryName(n) => Location::QueryName(n.to_owned()),
            LocRef::Form(n) => Location::Form(n.to_owned()),
            LocRef::Json(n) => Location::Json(n.to_owned()),
            LocRef::Multipart(n) => Location::Multipart(n.to_owned()),
            LocRef::Filename(n) => Location::Filename(n.to_owned()),
            LocRef::Header(n) => Location::Header(n.to_owned()),
            LocRef::Cookie(n) => Location::Cookie(n.to_owned()),
            LocRef::Body => Location::Body,
            LocRef::Request => Location::Request,
        }
    }

    /// Whether it designates the same place as `loc`.
    pub(crate) fn is(self, loc: &Location) -> bool {
        match (self, loc) {
            (LocRef::Path, Location::Path)
            | (LocRef::Body, Location::Body)
            | (LocRef::Request, Location::Request) => true,
            (LocRef::Query(a), Location::Query(b))
            | (LocRef::QueryName(a), Location::QueryName(b))
            | (LocRef::Form(a), Location::Form(b))
            | (LocRef::Json(a), Location::Json(b))
            | (LocRef::Multipart(a), Location::Multipart(b))
            | (LocRef::Filename(a), Location::Filename(b))
            | (LocRef::Header(a), Location::Header(b))
            | (LocRef::Cookie(a), Location::Cookie(b)) => a == b,
            _ => false,
        }
    }

    /// Whether excerpts here must not show secrets (cookies, credentials).
    pub(crate) fn is_secret(self) -> bool {
        match self {
            LocRef::Cookie(_) => true,
            LocRef::Header(h) => matches!(
                h,
                "cookie" | "authorization" | "proxy-authorization" | "x-api-key" | "x-auth-token"
            ),
            _ => false,
        }
    }
}
