//! Plans for people (text, markdown) and machines (JSON).

mod markdown;
mod text;

pub use markdown::{markdown, markdown_within};
pub use text::text;

use super::Plan;

/// The plan as pretty JSON, ending with a newline.
#[must_use]
pub fn json(plan: &Plan) -> String {
    pretty_json(plan)
}

/// A report as pretty JSON, ending with a newline (as the plan and drift files are written).
#[must_use]
pub fn pretty_json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}
