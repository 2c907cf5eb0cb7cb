//! Invalid configs are errors, worded like helmet's (messages checked against helmet 8.3.0).

use indexmap::IndexMap;
use palisade_headers::config::{
    ContentSecurityPolicyOptions, DirectiveValue, Directives, PathOverride, ReferrerPolicyOptions,
    ReferrerToken, ReferrerTokens, Toggle,
};
use palisade_headers::{HeadersConfig, Policy, PolicyError};

/// The serde error for a `[headers]` table.
fn parse_err(toml_text: &str) -> String {
    match toml::from_str::<HeadersConfig>(toml_text) {
        Ok(cfg) => panic!("accepted {toml_text:?}: {cfg:?}"),
        Err(err) => err.to_string(),
    }
}

/// The compile error for a table serde accepts.
fn policy_err(toml_text: &str) -> PolicyError {
    let cfg: HeadersConfig = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    match Policy::from_config(&cfg) {
        Ok(_) => panic!("compiled {toml_text:?}"),
        Err(err) => err,
    }
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

#[test]
fn unknown_key_names_the_expected_ones() {
    let err = parse_err("[hsts]\nmax_agee = 5");
    assert_contains(&err, "unknown field `max_agee`, expected one of `max_age`");
    assert_contains(&err, "line 2, column 1");

    let err = parse_err("contentSecurityPolicy = false");
    assert_contains(&err, "unknown field `contentSecurityPolicy`");
    let err = parse_err("content_security_policy = { reportOnly = true }");
    assert_contains(
        &err,
        "unknown field `reportOnly`, expected one of `use_defaults`",
    );
    let err = parse_err("[[path]]\npath = \"/a\"\nx_frame_option = false");
    assert_contains(&err, "unknown field `x_frame_option`");
    let err = parse_err("[[path]]\nx_frame_options = false");
    assert_contains(&err, "missing field `path`");
}

#[test]
fn bad_enum_values_list_the_accepted_ones() {
    let err = parse_err(r#"cross_origin_embedder_policy = { policy = "require-corpp" }"#);
    assert_contains(
        &err,
        "unknown variant `require-corpp`, expected one of `require-corp`, `credentialless`, `unsafe-none`",
    );
    let err = parse_err(r#"cross_origin_opener_policy = { policy = "same-site" }"#);
    assert_contains(&err, "unknown variant `same-site`");
    let err = parse_err(r#"referrer_policy = { policy = ["origin", "nope"] }"#);
    assert_contains(
        &err,
        "unknown variant `nope`, expected one of `no-referrer`",
    );
    let err = parse_err(r#"frameguard = { action = "allow-from" }"#);
    assert_contains(
        &err,
        "unknown variant `allow-from`, expected one of `deny`, `sameorigin`",
    );
    let err = parse_err(r#"x_permitted_cross_domain_policies = { permitted_policies = "some" }"#);
    assert_contains(&err, "unknown variant `some`");
    let err = parse_err(r#"upstream = "replace""#);
    assert_contains(
        &err,
        "unknown variant `replace`, expected `keep` or `override`",
    );
    let err = parse_err("content_security_policy = 5");
    assert_contains(&err, "expected `true`, `false` or a table of options");
    let err = parse_err("x_xss_protection = { mode = \"block\" }");
    assert_contains(&err, "invalid type: map, expected a boolean");
}

#[test]
fn csp_values_are_checked_like_helmet() {
    let err =
        parse_err("[content_security_policy.directives]\nscript-src = [\"'self'; object-src *\"]");
    assert_contains(
        &err,
        "Content-Security-Policy received an invalid directive value for \"script-src\"",
    );
    let err = parse_err("[content_security_policy.directives]\nimgSrc = \"a.example, b.example\"");
    assert_contains(&err, "invalid directive value for \"img-src\"");
    let err = parse_err("[content_security_policy.directives]\nscriptSrc = [\"self\"]");
    assert_contains(
        &err,
        "Content-Security-Policy received an invalid directive value for \"script-src\". \"self\" should be quoted",
    );
    let err = parse_err("[content_security_policy.directives]\nscriptSrc = [\"sha256-abc\"]");
    assert_contains(&err, "\"sha256-abc\" should be quoted");
    let err = parse_err("[content_security_policy.directives]\nScriptSrc = [\"'self'\"]");
    assert_contains(
        &err,
        "Content-Security-Policy received an invalid directive name \"ScriptSrc\"",
    );
    let err = parse_err("[content_security_policy.directives]\nscript-src = true");
    assert_contains(&err, "expected a string, an array of strings, or `false`");
}

#[test]
fn duplicate_directive_in_two_spellings() {
    let err = parse_err(
        "[content_security_policy.directives]\nscriptSrc = [\"'self'\"]\nscript-src = [\"'none'\"]",
    );
    assert_contains(
        &err,
        "Content-Security-Policy received a duplicate directive \"script-src\"",
    );
}

#[test]
fn default_src_is_required() {
    let err = policy_err(
        r#"content_security_policy = { use_defaults = false, directives = { script-src = "'self'" } }"#,
    );
    assert_eq!(err.path(), ["content_security_policy", "directives"]);
    assert_eq!(
        err.message(),
        "Content-Security-Policy needs a default-src but none was provided. If you really want to disable it, set `dangerously_disable_default_src = true`."
    );
    assert_eq!(
        err.to_string(),
        format!("content_security_policy.directives: {}", err.message())
    );

    let err = parse_err("[content_security_policy.directives]\ndefault-src = false");
    assert_contains(&err, "needs a default-src but it was set to `false`");

    let err = policy_err("content_security_policy = { use_defaults = false }");
    assert_eq!(
        err.message(),
        "Content-Security-Policy has no directives. Either set some or disable the header"
    );

    let err = policy_err(
        "content_security_policy = { dangerously_disable_default_src = true, directives = { defaultSrc = \"'self'\" } }",
    );
    assert_eq!(
        err.path(),
        ["content_security_policy", "dangerously_disable_default_src"]
    );

    let err = policy_err(
        "content_security_policy = { nonce = true, directives = { scriptSrc = false, styleSrc = false } }",
    );
    assert_eq!(err.path(), ["content_security_policy", "nonce"]);
}

#[test]
fn max_age_must_be_a_non_negative_integer() {
    let err = parse_err("hsts = { max_age = -1 }");
    assert_contains(
        &err,
        "Strict-Transport-Security: -1 is not a valid value for max_age. Please choose a positive integer.",
    );
    assert_contains(&err, "line 1, column 20");
    assert_contains(
        &parse_err("hsts = { max_age = 1.5 }"),
        "1.5 is not a valid value for max_age",
    );
    assert_contains(
        &parse_err("hsts = { max_age = \"1d\" }"),
        "\"1d\" is not a valid value",
    );
}

#[test]
fn referrer_tokens_must_be_distinct_and_present() {
    let err = parse_err(r#"referrer_policy = { policy = ["origin", "origin"] }"#);
    assert_contains(
        &err,
        "Referrer-Policy received a duplicate policy token \"origin\"",
    );
    let err = parse_err("referrer_policy = { policy = [] }");
    assert_contains(&err, "Referrer-Policy received no policy tokens");
}

#[test]
fn alias_and_name_together_is_an_error() {
    assert_contains(
        &parse_err("hsts = true\nstrict_transport_security = false"),
        "duplicate field",
    );
    assert_contains(
        &parse_err("frameguard = true\nx_frame_options = false"),
        "duplicate field",
    );
}

#[test]
fn path_override_must_start_with_slash() {
    let err = parse_err("[[path]]\npath = \"admin\"");
    assert_contains(&err, "path override \"admin\" must start with '/'");
    assert_contains(&err, "line 2, column 8");

    let err = policy_err("[[path]]\npath = \"/a\"\n[[path]]\npath = \"/a\"");
    assert_eq!(err.path(), ["path", "1", "path"]);
    assert_contains(err.message(), "given twice");

    let err = policy_err(
        "[[path]]\npath = \"/a\"\n[[path]]\npath = \"/b\"\ncontent_security_policy = { use_defaults = false }",
    );
    assert_eq!(
        err.path(),
        ["path", "1", "content_security_policy", "directives"]
    );
}

/// Configs built in code skip serde; `from_config` checks them all the same.
#[test]
fn configs_built_in_code_are_checked_too() {
    let mut cfg = HeadersConfig::default();
    cfg.path.push(PathOverride {
        path: "admin".to_owned(),
        ..PathOverride::default()
    });
    let err = Policy::from_config(&cfg).expect_err("no leading slash");
    assert_eq!(err.path(), ["path", "0", "path"]);

    let mut directives = IndexMap::new();
    directives.insert(
        "scriptSrc".to_owned(),
        DirectiveValue::Values(vec!["'self';".to_owned()]),
    );
    let cfg = HeadersConfig {
        content_security_policy: Toggle::On(ContentSecurityPolicyOptions {
            directives: Directives(directives),
            ..ContentSecurityPolicyOptions::default()
        }),
        ..HeadersConfig::default()
    };
    let err = Policy::from_config(&cfg).expect_err("semicolon");
    assert_eq!(
        err.path(),
        ["content_security_policy", "directives", "scriptSrc"]
    );
    assert_eq!(
        err.message(),
        "Content-Security-Policy received an invalid directive value for \"script-src\""
    );

    let mut directives = IndexMap::new();
    directives.insert(
        "x".to_owned(),
        DirectiveValue::Values(vec!["a\nb".to_owned()]),
    );
    let cfg = HeadersConfig {
        content_security_policy: Toggle::On(ContentSecurityPolicyOptions {
            directives: Directives(directives),
            ..ContentSecurityPolicyOptions::default()
        }),
        ..HeadersConfig::default()
    };
    assert!(
        Policy::from_config(&cfg).is_err(),
        "a newline would split the header"
    );

    let cfg = HeadersConfig {
        referrer_policy: Toggle::On(ReferrerPolicyOptions {
            policy: ReferrerTokens(vec![ReferrerToken::Origin, ReferrerToken::Origin]),
        }),
        ..HeadersConfig::default()
    };
    let err = Policy::from_config(&cfg).expect_err("duplicate token");
    assert_eq!(err.path(), ["referrer_policy", "policy"]);
}

#[test]
fn path_overrides_that_match_the_same_paths_are_one_too_many() {
    let err = policy_err(
        "[[path]]\npath = \"/admin\"\nx_frame_options = false\n[[path]]\npath = \"/Admin\"\nx_frame_options = { action = \"deny\" }\n",
    );
    assert_eq!(err.path(), ["path", "1", "path"]);
    assert_contains(err.message(), "given twice");
}
