//! docs/events.md documents every published type from the crate itself:
//! the part after its "Generated below" marker is the type's description,
//! fields, golden payload and schema path, generated here from
//! `crates/contracts` (the schemas, which `tests/schemas.rs` keeps equal to
//! the structs, and the fixtures). The test fails when the file says
//! anything else; `UPDATE_DOCS=1 cargo test -p minsheng-contracts --test
//! events_doc` rewrites that part.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;

use minsheng_contracts::fixtures::ALL;
use serde_json::Value;

const MARKER: &str = "--test events_doc rewrites it. -->\n";

/// A property's type, as a reader would say it.
fn type_of(property: &Value) -> String {
    if let Some(reference) = property["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let Some(any) = property["anyOf"].as_array() {
        let kinds: Vec<String> = any.iter().map(type_of).collect();
        return kinds.join(" or ");
    }
    match &property["type"] {
        Value::String(kind) if kind == "array" => {
            format!("list of {}", type_of(&property["items"]))
        }
        Value::String(kind) => property["format"]
            .as_str()
            .map_or_else(|| kind.clone(), |format| format!("{kind} ({format})")),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

fn generated() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut doc = String::from("\n## Published types\n");
    for fixture in ALL {
        let name = format!("{}.v{}", fixture.event_type, fixture.version);
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(format!("schemas/{name}.schema.json"))).unwrap(),
        )
        .unwrap();
        let description = schema["description"]
            .as_str()
            .unwrap_or("")
            .replace('\n', " ");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        writeln!(
            doc,
            "\n### `{}` (schema {})\n",
            fixture.event_type, fixture.version
        )
        .unwrap();
        writeln!(doc, "{description}\n").unwrap();
        if let Some(properties) = schema["properties"].as_object() {
            for (field, property) in properties {
                let optional = if required.contains(&field.as_str()) {
                    ""
                } else {
                    ", optional"
                };
                write!(doc, "- `{field}`: {}{optional}", type_of(property)).unwrap();
                match property["description"].as_str() {
                    Some(about) => writeln!(doc, ". {}", about.replace('\n', " ")).unwrap(),
                    None => writeln!(doc).unwrap(),
                }
            }
        }
        writeln!(
            doc,
            "\nGolden payload (`crates/contracts/fixtures/{name}.json`):\n\n```json\n{}```\n\nJSON Schema: `crates/contracts/schemas/{name}.schema.json`.",
            fixture.json
        )
        .unwrap();
    }
    doc
}

#[test]
fn events_md_documents_every_published_type_as_the_crate_has_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find(MARKER).expect("docs/events.md keeps its marker") + MARKER.len();
    let expected = generated();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{}{expected}", &text[..at])).unwrap();
        return;
    }
    assert!(
        text[at..] == expected,
        "docs/events.md disagrees with crates/contracts: UPDATE_DOCS=1 cargo test -p minsheng-contracts --test events_doc, then review"
    );
}
