//! The composable index template (`PUT _index_template/<name>`) palisade installs: ECS
//! mappings for exactly the fields it sends.
//!
//! Only types both Elasticsearch 8 and OpenSearch 2 know are used — `date`, `ip`, `keyword`,
//! `text`, `long`, `object` — so no `match_only_text`, `wildcard`, `flattened` or
//! `constant_keyword`. Strings palisade adds later (and `palisade.fields.*`, which producers
//! choose) are mapped as `keyword` by a dynamic template instead of Elasticsearch's default
//! `text` + `keyword` pair, so an unknown field is searchable and aggregatable as it is.

use serde_json::{Value, json};

use super::config::IndexName;

/// Bumped whenever the mappings change; stored in the mapping's `_meta`.
pub(crate) const VERSION: u32 = 1;

/// Above the built-in `logs-*-*` templates (100), so a user's catch-all does not win, and
/// below what people typically use for their own overrides (500+).
const PRIORITY: u32 = 200;

fn keyword() -> Value {
    json!({ "type": "keyword", "ignore_above": 1024 })
}

fn keywords(names: &[&str]) -> Value {
    Value::Object(names.iter().map(|n| ((*n).to_owned(), keyword())).collect())
}

/// The template body for `index`: a data stream template (`"data_stream": {}`) or a plain one
/// for dated indices.
pub(crate) fn body(index: &IndexName) -> Value {
    let long_keyword = json!({ "type": "keyword", "ignore_above": 8191 });
    let mut template = json!({
        "index_patterns": index.patterns(),
        "priority": PRIORITY,
        "template": {
            "mappings": {
                "_meta": { "managed_by": "palisade", "version": VERSION },
                "dynamic_templates": [
                    {
                        "strings_as_keyword": {
                            "match_mapping_type": "string",
                            "mapping": keyword(),
                        }
                    }
                ],
                "properties": {
                    "@timestamp": { "type": "date" },
                    "message": { "type": "text" },
                    "ecs": { "properties": keywords(&["version"]) },
                    "event": {
                        "properties": {
                            "id": keyword(),
                            "kind": keyword(),
                            "category": keyword(),
                            "action": keyword(),
                            "dataset": keyword(),
                            "module": keyword(),
                            "outcome": keyword(),
                            "severity": { "type": "long" },
                        }
                    },
                    "log": { "properties": keywords(&["level"]) },
                    "source": { "properties": { "ip": { "type": "ip" } } },
                    "user": {
                        "properties": {
                            "name": {
                                "type": "keyword",
                                "ignore_above": 1024,
                                "fields": { "text": { "type": "text" } },
                            }
                        }
                    },
                    "http": {
                        "properties": {
                            "request": { "properties": keywords(&["id", "method"]) }
                        }
                    },
                    "url": {
                        "properties": {
                            "domain": keyword(),
                            "path": long_keyword,
                            "query": long_keyword,
                            "original": {
                                "type": "keyword",
                                "ignore_above": 8191,
                                "fields": { "text": { "type": "text" } },
                            },
                        }
                    },
                    "rule": { "properties": keywords(&["id"]) },
                    "observer": {
                        "properties": keywords(&["name", "product", "vendor", "type"])
                    },
                    "palisade": {
                        "properties": {
                            "category": keyword(),
                            "severity": keyword(),
                            "fields": { "type": "object" },
                            "alert": {
                                "properties": {
                                    "rule": keyword(),
                                    "key": keyword(),
                                    "count": { "type": "long" },
                                    "text": { "type": "text" },
                                }
                            },
                        }
                    },
                }
            }
        }
    });
    if matches!(index, IndexName::DataStream(_)) {
        template["data_stream"] = json!({});
    }
    template
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_streams_get_a_data_stream_template() {
        let t = body(&IndexName::parse("palisade-events").unwrap());
        assert_eq!(t["index_patterns"], json!(["palisade-events"]));
        assert_eq!(t["data_stream"], json!({}));
        let m = &t["template"]["mappings"]["properties"];
        assert_eq!(m["@timestamp"]["type"], "date");
        assert_eq!(m["source"]["properties"]["ip"]["type"], "ip");
        assert_eq!(m["event"]["properties"]["action"]["type"], "keyword");
        assert_eq!(m["message"]["type"], "text");

        let t = body(&IndexName::parse("palisade-events-%Y.%m").unwrap());
        assert_eq!(t["index_patterns"], json!(["palisade-events-*"]));
        assert!(t.get("data_stream").is_none());
    }
}
