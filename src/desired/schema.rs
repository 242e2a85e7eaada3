//! The JSON Schema of the desired-state YAML, for editors (yaml-language-server) and people.

use super::document::Document;

/// Where the committed copy lives, relative to the repository root.
pub const COMMITTED_PATH: &str = "schema/desired-state.schema.json";

/// The schema as pretty-printed JSON, ending with a newline.
#[must_use]
pub fn json() -> String {
    let schema = schemars::schema_for!(Document);
    let mut text = serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|err| unreachable!("a generated schema is plain JSON: {err}"));
    text.push('\n');
    text
}
