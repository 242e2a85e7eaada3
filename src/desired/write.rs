//! Writing desired-state YAML the way `examples/desired-state/` lays it out: a modeline for
//! editors, a comment header, one blank line between entries, comments above the entries they
//! explain. Values are written by serde-saphyr, which quotes and escapes them. `import` and
//! `sync` both write through here.

use serde::Serialize;
use serde_saphyr::{FlowMap, FlowSeq, SerializeError, SerializerOptions};

use super::schema::COPY_PATH;
use crate::model::controls::visible;

pub(crate) fn options() -> SerializerOptions {
    serde_saphyr::ser_options! {
        // Members under `members:` indented, as in the examples.
        compact_list_indent: false,
        // Every value on one line: a name with a line break is escaped, not a block scalar.
        prefer_block_scalars: false,
    }
}

/// A value as YAML, through serde-saphyr.
pub(crate) fn yaml<T: Serialize>(value: &T) -> Result<String, SerializeError> {
    serde_saphyr::to_string_with_options(value, options())
}

/// The modeline that points an editor at the schema copy, from a file at `path`.
pub(crate) fn modeline(path: &str) -> String {
    let depth = path.matches('/').count();
    format!(
        "# yaml-language-server: $schema={}{COPY_PATH}\n",
        "../".repeat(depth)
    )
}

/// Text from DocuSign made safe for a one-line comment: control characters and line breaks
/// (LS and PS among them, which YAML 1.1 also breaks lines at) shown as `<U+…>`, and a BOM,
/// which some YAML reader might take for the start of a document, replaced by a space.
pub(crate) fn comment_text(text: &str) -> String {
    visible(text)
        .chars()
        .map(|c| if c == '\u{feff}' { ' ' } else { c })
        .collect()
}

/// A file: modeline, the comment header, then the body.
pub(crate) fn file(path: &str, header: &[&str], body: &str) -> String {
    let mut text = modeline(path);
    text.push_str("#\n");
    for line in header {
        if line.is_empty() {
            text.push_str("#\n");
        } else {
            text.push_str("# ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text.push('\n');
    text.push_str(body);
    text
}

/// One list entry: its comment lines, then the entry.
pub(crate) struct Entry {
    comments: Vec<String>,
    yaml: String,
}

impl Entry {
    pub(crate) fn new<T: Serialize>(
        value: &T,
        comments: Vec<String>,
    ) -> Result<Self, SerializeError> {
        // A one-item list, so serde-saphyr writes the `- ` and the indentation.
        Ok(Self {
            comments,
            yaml: yaml(&[value])?,
        })
    }
}

/// `key:` and its entries, indented under it, a blank line between entries.
pub(crate) fn list(key: &str, entries: &[Entry]) -> String {
    if entries.is_empty() {
        return format!("{key}: []\n");
    }
    let mut text = format!("{key}:\n");
    for (index, entry) in entries.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        for comment in &entry.comments {
            text.push_str("  # ");
            text.push_str(&comment_text(comment));
            text.push('\n');
        }
        for line in entry.yaml.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// A file whose body is the list `key`: the header, then one entry an item, in order.
pub(crate) fn list_file(
    path: &str,
    header: &[&str],
    key: &str,
    entries: impl IntoIterator<Item = Result<Entry, SerializeError>>,
) -> Result<String, SerializeError> {
    let entries = entries.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(file(path, header, &list(key, &entries)))
}

/// The folder, in a desired-state directory, of the files `sync` writes.
pub const GENERATED_FOLDER: &str = "generated";

/// Longest file-name stem made from a name.
const MAX_SLUG_CHARS: usize = 60;

/// A file-name stem from a name (a group's, a source's): ASCII letters and digits, lower case, `-` between words.
#[must_use]
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= MAX_SLUG_CHARS {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "group".to_owned()
    } else {
        slug.to_owned()
    }
}

/// A user entry as the files write it (`import` and `sync`): what is absent is left out.
#[derive(Serialize)]
pub struct UserYaml<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_profile: Option<&'a str>,
    #[serde(skip_serializing_if = "no_groups")]
    pub groups: FlowSeq<Vec<&'a str>>,
    #[serde(skip_serializing_if = "no_groups")]
    pub signing_groups: FlowSeq<Vec<&'a str>>,
    /// `closed`, or absent for active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// On a hand-written entry that replaces what `sync` generated for the same person.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub overrides_generated: bool,
    /// Where `sync` got the user; on generated entries only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<FlowMap<ProvenanceYaml<'a>>>,
}

/// A generated entry's `provenance`, as [`crate::desired::document::Provenance`] reads it.
#[derive(Serialize)]
pub struct ProvenanceYaml<'a> {
    pub source: &'a str,
    pub rules: FlowSeq<Vec<&'a str>>,
}

impl<'a> UserYaml<'a> {
    /// An active user as the account holds them: profile and groups named.
    pub fn of(user: &'a crate::model::User) -> Self {
        Self {
            email: &user.email,
            first_name: &user.first_name,
            last_name: &user.last_name,
            job_title: user.job_title.as_deref(),
            permission_profile: Some(&user.permission_profile),
            groups: FlowSeq(user.groups.iter().map(String::as_str).collect()),
            signing_groups: FlowSeq(Vec::new()),
            status: None,
            overrides_generated: false,
            provenance: None,
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn no_groups(groups: &FlowSeq<Vec<&str>>) -> bool {
    groups.0.is_empty()
}
