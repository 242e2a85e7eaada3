//! The probe's findings as a file (versioned JSON) and as a table.
//!
//! The file is a map of behaviours, each keyed by a stable name, so a behaviour added later is
//! one more key: a reader takes the keys it knows and ignores the rest, and a missing or `null`
//! `value` means "not observed".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What every probe file says it is.
pub const FORMAT: &str = "docusign-gitops-probe";
/// Bumped only when a reader of the previous version would misread the file; new behaviours
/// are new keys and keep the version.
pub const VERSION: u32 = 1;

/// The stable names of the behaviours.
pub mod key {
    pub const PROFILE_CHANGE_ROUTES: &str = "profile_change_routes";
    pub const GROUP_PROFILE_ON_JOIN: &str = "group_profile_on_join";
    pub const GROUP_LIST_IN_USER_RECORDS: &str = "group_list_in_user_records";
    pub const USERS_PAGE_SIZE: &str = "users_default_page_size";
    pub const RATE_LIMITS: &str = "rate_limits";
    pub const RATE_LIMIT_STATUS: &str = "rate_limit_status";
    pub const REACTIVATION_KEEPS_USER_ID: &str = "reactivation_keeps_user_id";
    pub const ITEM_ANSWERS: &str = "item_answers";
    pub const PROFILE_IN_USER_ANSWERS: &str = "profile_in_user_answers";
    pub const SIGNING_GROUP_PUT_MEMBERS: &str = "signing_group_put_members";
}

/// A probe file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: String,
    pub version: u32,
    /// The tool and version that wrote it.
    pub tool: String,
    /// When the probe ran (UTC, RFC 3339).
    pub probed_at: String,
    /// `demo` or `emulator`: probe never runs against production.
    pub environment: String,
    /// API calls the probe made, the burst spent included.
    pub api_calls: u64,
    pub behaviours: BTreeMap<String, Entry>,
}

/// One behaviour as observed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// What was seen, in words.
    pub observed: String,
    /// What `emulator --behaviour` reads; `null` when it could not be told.
    #[serde(default)]
    pub value: Value,
    /// The emulator's switch for this value, as its flags spell it; or, where the emulator
    /// has no switch, what it does.
    pub emulator: String,
    /// The answers as DocuSign gave them, for whoever studies the file.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

impl Entry {
    /// A behaviour told apart, with nothing beyond the words to study.
    #[must_use]
    pub fn seen(observed: impl Into<String>, value: Value, emulator: impl Into<String>) -> Self {
        Self {
            observed: observed.into(),
            value,
            emulator: emulator.into(),
            details: Value::Null,
        }
    }

    #[must_use]
    pub fn unobserved(why: &str, emulator: &str) -> Self {
        Self {
            observed: why.to_owned(),
            value: Value::Null,
            emulator: emulator.to_owned(),
            details: Value::Null,
        }
    }
}

impl Report {
    #[must_use]
    pub fn new(
        probed_at: String,
        environment: String,
        api_calls: u64,
        behaviours: BTreeMap<String, Entry>,
    ) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            tool: concat!("docusign-gitops ", env!("CARGO_PKG_VERSION")).to_owned(),
            probed_at,
            environment,
            api_calls,
            behaviours,
        }
    }

    /// The file's text: pretty JSON with a final newline.
    #[must_use]
    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A three-column table for a terminal: behaviour, what was observed, the emulator's
    /// switch. Long cells wrap under their column.
    #[must_use]
    pub fn table(&self) -> String {
        const WIDTHS: [usize; 3] = [28, 52, 44];
        let header = ["behaviour", "observed", "emulator switch"];
        let mut out = String::new();
        row(&mut out, &header.map(str::to_owned), WIDTHS);
        let rule: Vec<String> = WIDTHS.iter().map(|width| "-".repeat(*width)).collect();
        let _ = writeln!(out, "{}", rule.join("  ").trim_end());
        for (name, entry) in &self.behaviours {
            row(
                &mut out,
                &[
                    name.replace('_', " "),
                    crate::model::controls::visible(&entry.observed).into_owned(),
                    entry.emulator.clone(),
                ],
                WIDTHS,
            );
        }
        out
    }
}

/// One table row; each cell wrapped at its width on word boundaries.
fn row(out: &mut String, cells: &[String; 3], widths: [usize; 3]) {
    let wrapped: Vec<Vec<String>> = cells
        .iter()
        .zip(widths)
        .map(|(cell, width)| wrap(cell, width))
        .collect();
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    for line in 0..lines {
        let mut text = String::new();
        for (column, width) in widths.iter().enumerate() {
            let cell = wrapped[column].get(line).map_or("", String::as_str);
            let _ = write!(text, "{cell:<width$}  ");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if last.is_empty() {
            last.push_str(word);
        } else if last.chars().count() + 1 + word.chars().count() <= width {
            last.push(' ');
            last.push_str(word);
        } else {
            lines.push(word.to_owned());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_wrap_on_words_under_their_column() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("", 7), [""]);
        let mut out = String::new();
        row(
            &mut out,
            &["a".to_owned(), "b c".to_owned(), "d".to_owned()],
            [2, 1, 1],
        );
        assert_eq!(out, "a   b  d\n    c\n");
    }
}
