//! The Observatory's ten tests, one module each, named after the Observatory's own files
//! (`src/analyzer/tests/*.js` in mdn/mdn-http-observatory), whose rules they port.

pub(crate) mod cookie_date;
pub(crate) mod cookies;
pub(crate) mod corp;
pub(crate) mod cors;
pub(crate) mod csp;
pub(crate) mod csp_parse;
pub(crate) mod hsts;
pub(crate) mod redirection;
pub(crate) mod referrer;
pub(crate) mod sri;
pub(crate) mod xcto;
pub(crate) mod xfo;
