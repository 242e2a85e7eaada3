//! Plans for people (text, markdown) and machines (JSON).

mod markdown;
mod text;

pub use markdown::markdown;
pub use text::text;

use super::Plan;

/// The plan as pretty JSON, ending with a newline.
#[must_use]
pub fn json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}
