//! The committed JSON Schema matches the code, and every example file points editors at it.

use std::path::{Component, Path, PathBuf};

use docusign_gitops::desired::schema;

use crate::harness::{self, Fixture};

fn root() -> &'static Path {
    harness::crate_root()
}

/// Set `UPDATE_SCHEMA=1` to rewrite the committed copy after changing the format (refused on
/// CI).
#[test]
fn committed_schema_is_current() {
    let update = harness::rewrite_requested("UPDATE_SCHEMA");
    let path = root().join(schema::COMMITTED_PATH);
    let generated = schema::json();
    if update {
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
    let run = Fixture::new().run(&["schema"]);
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

/// `dir` joined with `target` and `..` resolved by name, as an editor resolves a modeline; the
/// relative path stays relative, so a copy of the examples checks the committed layout.
fn resolve(dir: &Path, target: &str) -> PathBuf {
    let mut resolved = PathBuf::new();
    for part in dir.join(target).components() {
        match part {
            Component::ParentDir => assert!(resolved.pop(), "{target} leaves the repository"),
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    resolved
}

#[test]
fn every_example_file_has_the_schema_modeline() {
    let examples = Path::new("examples/desired-state");
    let copy = tempfile::tempdir().expect("temp dir");
    harness::copy_into(&examples.to_string_lossy(), &copy.path().join(examples));
    let mut stack = vec![examples.to_path_buf()];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(copy.path().join(&dir)).expect("read examples") {
            let entry = entry.expect("entry");
            let path = dir.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(copy.path().join(&path)).expect("read example");
            let first = text.lines().next().unwrap_or_default();
            let target = first
                .strip_prefix("# yaml-language-server: $schema=")
                .unwrap_or_else(|| panic!("{} lacks the modeline", path.display()));
            assert_eq!(
                resolve(&dir, target),
                Path::new(schema::COMMITTED_PATH),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} example files");
    assert!(root().join(schema::COMMITTED_PATH).is_file());
}
