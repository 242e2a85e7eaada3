//! The committed JSON Schemas match the code, every example file points editors at the copy
//! beside it, and `schema --out` writes one.

use std::path::{Component, Path, PathBuf};

use docusign_gitops::desired::schema;

use crate::harness::{self, Fixture};

fn root() -> &'static Path {
    harness::crate_root()
}

/// The example desired-state directories, each with a copy of the schema beside its YAML.
const EXAMPLES: [&str; 3] = [
    "examples/desired-state",
    "examples/directory-sync",
    "examples/workspace",
];

/// The committed copies: the reference, and the one beside each example's YAML.
fn committed_copies() -> Vec<PathBuf> {
    std::iter::once(PathBuf::from(schema::COMMITTED_PATH))
        .chain(
            EXAMPLES
                .iter()
                .map(|example| Path::new(example).join(schema::COPY_PATH)),
        )
        .collect()
}

/// Set `UPDATE_SCHEMA=1` to rewrite the committed copies after changing the format (refused
/// on CI).
#[test]
fn committed_schema_is_current() {
    let update = harness::rewrite_requested("UPDATE_SCHEMA");
    let generated = schema::json();
    for relative in committed_copies() {
        let path = root().join(&relative);
        if update {
            std::fs::write(&path, &generated).expect("write the schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is stale: run `UPDATE_SCHEMA=1 cargo test committed_schema` and commit it",
            relative.display()
        );
    }
}

/// Issue 15 item 14: the schema written beside the YAML, where the modelines point.
#[test]
fn schema_out_writes_the_schema_creating_its_folder() {
    let fixture = Fixture::new();
    let run = fixture.run(&["schema", "--out", "team/desired-state.schema.json"]);
    run.exits(0).stdout_has("team/desired-state.schema.json");
    let written = std::fs::read_to_string(fixture.path().join("team/desired-state.schema.json"))
        .expect("the schema file");
    assert_eq!(written, schema::json());
    Fixture::new()
        .run(&["schema", "--help"])
        .exits(0)
        .stdout_has("--out <FILE>");
}

#[test]
fn schema_out_into_a_file_that_cant_be_written_says_so() {
    let fixture = Fixture::new().file("taken", "a file, not a folder\n");
    fixture
        .run(&["schema", "--out", "taken/desired-state.schema.json"])
        .exits(1)
        .stderr_has(&["can't write the schema to `taken/desired-state.schema.json`"]);
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
/// relative path stays relative, and may not climb out of the copied folder.
fn resolve(dir: &Path, target: &str) -> PathBuf {
    let mut resolved = PathBuf::new();
    for part in dir.join(target).components() {
        match part {
            Component::ParentDir => {
                assert!(resolved.pop(), "{target} leaves the copy of the examples");
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    resolved
}

/// Issue 15 item 14: the examples copied anywhere, as someone starting from them would, still
/// point their editor at a schema: the copy beside them, not a file of this repository.
#[test]
fn every_example_file_has_the_schema_modeline() {
    for example in EXAMPLES {
        every_file_has_the_schema_modeline(example);
    }
}

fn every_file_has_the_schema_modeline(example: &str) {
    let copy = tempfile::tempdir().expect("temp dir");
    harness::copy_into(example, copy.path());
    let mut stack = vec![PathBuf::new()];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(copy.path().join(&dir)).expect("read examples") {
            let entry = entry.expect("entry");
            let path = dir.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(copy.path().join(&path)).expect("read example");
            let first = text.lines().next().unwrap_or_default();
            let target = first
                .strip_prefix("# yaml-language-server: $schema=")
                .unwrap_or_else(|| panic!("{example}: {} lacks the modeline", path.display()));
            assert_eq!(
                resolve(&dir, target),
                Path::new(schema::COPY_PATH),
                "{example}: {}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "{example}: only {checked} example files");
    let beside = std::fs::read_to_string(copy.path().join(schema::COPY_PATH))
        .expect("the schema beside the examples");
    assert_eq!(beside, schema::json());
}
