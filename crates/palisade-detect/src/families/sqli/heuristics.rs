//! Regex heuristics over the folded form: the SQL constructs an injection needs, gated at
//! paranoia 1 so prose that merely mentions them (a forum post about SQL) stays clean.

use super::rules::*;
use crate::families::pattern::{Gate, Pattern};

/// The heuristic patterns.
pub(crate) const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &UNION_SELECT,
        regex: r"\bunion(?:\s+(?:all|distinct))?\s*\(*\s*select\b",
        gate: Gate::NotProse,
    },
    Pattern {
        // A comparison of two literals after a string or number: the shape of a tautology.
        rule: &TAUTOLOGY,
        regex: r#"['"\d)]\s*(?:or|\|\||xor|and|&&)\s+\(*\s*(?:'[^']*'|"[^"]*"|-?\d+|true|false|not\s+false)\s*(?:=|<=>|<>|!=|>=?|<=?|\blike\b|\bis\b)\s*\(*(?:'[^']*|"[^"]*|-?\d+|true|false|null)|['"\d)]\s*(?:or|\|\|)\s+(?:true|not\s+false|\d+)\s*(?:--|#|$|;)"#,
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &STACKED_QUERY,
        regex: r";\s*(?:(?:drop|truncate)\s+(?:table|database|schema|view|user)\b|(?:exec|execute)\s+(?:xp_|sp_|master\.|@|\()|insert\s+into\b|delete\s+from\b|update\s+\S+\s+set\b|select\s+.{0,80}?\bfrom\b|select\s+(?:@@|sleep|pg_sleep|benchmark|version|user|database)|shutdown\b|declare\s+@|waitfor\s+delay\b|alter\s+(?:table|user|login|database)\b|create\s+(?:table|user|login|function|procedure)\b|grant\s+all\b)",
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &TIME_BASED,
        regex: r"(?:^|[^.\w])(?:sleep|pg_sleep|benchmark)\s*\(\s*[\d(']|\bwaitfor\s+(?:delay|time)\s+'|\bdbms_lock\.sleep\s*\(|\bdbms_pipe\.receive_message\s*\(|\brandomblob\s*\(\s*\d{5,}",
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &COMMENT_TRUNCATION,
        regex: r#"['"]\s*\)*\s*(?:--|#|/\*)[^\n]{0,24}$"#,
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &SYSTEM_TABLE,
        regex: r"\binformation_schema\b|\bmysql\.(?:user|db)\b|\bsys(?:objects|columns|users|databases|logins|comments)\b|\bmaster\.\.sys|\bpg_(?:catalog|shadow|user|database|tables|namespace)\b|\bsqlite_(?:master|schema|temp_master)\b|\b(?:all|user|dba)_tables\b|\bsys\.(?:tables|columns|objects|databases|sql_logins|schemas)\b|\bmsysobjects\b",
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &ERROR_BASED,
        regex: r"\b(?:extractvalue|updatexml|gtid_subset|ctxsys\.drithsx\.sn|utl_inaddr\.get_host_name|xmltype)\s*\(|\bexp\s*\(\s*~|\bfloor\s*\(\s*rand\s*\(|\bconvert\s*\(\s*int\s*,|\bcast\s*\(\s*\(?\s*select\b",
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &MSSQL_PROCEDURE,
        regex: r"\b(?:xp_cmdshell|xp_regread|xp_regwrite|xp_dirtree|xp_fileexist|xp_servicecontrol|sp_oacreate|sp_oamethod|sp_configure|sp_executesql|sp_addlogin|sp_addsrvrolemember|sp_makewebtask|openrowset|opendatasource)\b",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &FILE_ACCESS,
        regex: r"\bload_file\s*\(|\binto\s+(?:out|dump)file\b|\butl_file\.|\bpg_(?:read|ls)_(?:file|dir)\s*\(|\bcopy\s*(?:\([^)]{0,200}\)|\S+)\s*(?:from|to)\s+program\b|\blo_import\s*\(",
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &PROBE_FUNCTION,
        regex: r#"['"\d)]\s*(?:\|\||\+|&&|and|or)\s*\(*\s*(?:char|chr|concat|concat_ws|group_concat|substring|substr|mid|ascii|ord|hex|unhex|version|database|user|current_user|schema_name|length|if|elt|make_set)\s*\("#,
        gate: Gate::NotProse,
    },
];
