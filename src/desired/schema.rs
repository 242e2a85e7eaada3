//! The JSON Schema of the desired-state YAML, for editors (yaml-language-server) and people.

use super::document::Document;

/// Where the committed copy lives, relative to the repository root.
pub const COMMITTED_PATH: &str = "schema/desired-state.schema.json";

/// Where a desired-state directory keeps its own copy, beside the YAML: `import` writes it
/// there, the examples carry one there, and each file's modeline points at it, so a directory
/// copied anywhere still opens in an editor with completion. The loader reads only YAML, so
/// it never takes the copy for desired state.
pub const COPY_PATH: &str = "desired-state.schema.json";

/// The schema as pretty-printed JSON, ending with a newline.
#[must_use]
pub fn json() -> String {
    let schema = schemars::schema_for!(Document);
    let mut text = serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|err| unreachable!("a generated schema is plain JSON: {err}"));
    text.push('\n');
    text
}
