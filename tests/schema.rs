//! The committed JSON Schema matches the code, and every example file points editors at it.

use std::path::Path;

use docusign_gitops::desired::schema;

use crate::harness::run_in;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Set `UPDATE_SCHEMA=1` to rewrite the committed copy after changing the format.
#[test]
fn committed_schema_is_current() {
    let path = root().join(schema::COMMITTED_PATH);
    let generated = schema::json();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write the schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_SCHEMA=1 cargo test committed_schema` and commit it",
        schema::COMMITTED_PATH
    );
}

#[test]
fn schema_command_prints_the_schema() {
    let run = run_in(root(), &["schema"]);
    run.exits(0);
    assert_eq!(run.stdout, schema::json());
}

/// Walks the schema and lists every property that has no description.
fn undescribed(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    if let Some(properties) = value.get("properties").and_then(|p| p.as_object()) {
        for (name, property) in properties {
            if property.get("description").is_none() {
                found.push(format!("{path}.{name}"));
            }
        }
    }
    if let Some(object) = value.as_object() {
        for (key, child) in object {
            undescribed(child, &format!("{path}/{key}"), found);
        }
    }
}

#[test]
fn every_field_has_a_description() {
    let schema: serde_json::Value = serde_json::from_str(&schema::json()).expect("schema is JSON");
    let mut found = Vec::new();
    undescribed(&schema, "", &mut found);
    assert!(found.is_empty(), "fields without a description: {found:?}");
}

#[test]
fn every_example_file_has_the_schema_modeline() {
    let mut stack = vec![root().join("examples/desired-state")];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read examples") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read example");
            let first = text.lines().next().unwrap_or_default();
            let target = first
                .strip_prefix("# yaml-language-server: $schema=")
                .unwrap_or_else(|| panic!("{} lacks the modeline", path.display()));
            let resolved = path.parent().expect("parent").join(target);
            assert_eq!(
                resolved.canonicalize().expect("modeline target exists"),
                root()
                    .join(schema::COMMITTED_PATH)
                    .canonicalize()
                    .expect("schema exists"),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} example files");
}
