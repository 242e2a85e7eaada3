//! Editing one user entry of a YAML file as a person would: the file stays as it was written
//! (comments, order, quoting) but for the `status` (or `permission_profile`) line, replaced or
//! added at the entry's indentation, and a comment line above it.

use super::Action;
use crate::desired::write::{comment_text, yaml};

/// Where one block-style user entry lies in a file (0-based line indexes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The entry's first line (the one with its `- `).
    pub first_line: usize,
    /// Its last line with content (after it: blank lines, comments, or the next entry).
    pub last_line: usize,
    /// The column its keys start at.
    pub key_column: usize,
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// The entry whose `email` is on 1-based line `email_line` of `text`. Refused (with why) when
/// it isn't a block mapping under a `- `, the way the examples, `import` and `sync` write users.
pub fn place(text: &str, email_line: usize) -> Result<Place, String> {
    let lines: Vec<&str> = text.lines().collect();
    let index = email_line
        .checked_sub(1)
        .filter(|index| *index < lines.len())
        .ok_or("the entry's line is past the file's end")?;
    let line = lines[index];
    let Some(key_column) = key_column_of(line, "email") else {
        return Err(
            "the entry is not written as a block mapping (`- email: …` on its own line)".to_owned(),
        );
    };
    // Up to the line with the entry's `- `.
    let mut first_line = index;
    loop {
        let text = lines[first_line];
        if starts_item(text, key_column) {
            break;
        }
        if first_line == 0 {
            return Err("no `- ` starts the entry".to_owned());
        }
        first_line -= 1;
        let above = lines[first_line];
        if !is_blank_or_comment(above)
            && indentation(above) < key_column
            && !starts_item(above, key_column)
        {
            return Err("no `- ` starts the entry".to_owned());
        }
    }
    let mut last_line = index;
    for (next, text) in lines.iter().enumerate().skip(index + 1) {
        if is_blank_or_comment(text) {
            continue;
        }
        if indentation(text) < key_column {
            break;
        }
        last_line = next;
    }
    Ok(Place {
        first_line,
        last_line,
        key_column,
    })
}

/// Whether `line` starts a list item whose first key is at `key_column` (`  - email: …`).
fn starts_item(line: &str, key_column: usize) -> bool {
    key_column >= 2
        && indentation(line) == key_column - 2
        && line[key_column - 2..].starts_with("- ")
        && !line[key_column..].starts_with(' ')
}

/// The column of `key:` in a block-mapping line (after a `- ` or indentation), if it is there.
fn key_column_of(line: &str, key: &str) -> Option<usize> {
    let mut column = indentation(line);
    if line[column..].starts_with("- ") {
        column += 2;
        column += indentation(&line[column..]);
    }
    let rest = &line[column..];
    let after = rest.strip_prefix(key)?.trim_start_matches(' ');
    after.starts_with(':').then_some(column)
}

/// Applies `action` to the entry at `place`: the new text, the 1-based line of the key it
/// wrote, and how many lines it added.
pub fn apply(text: &str, place: &Place, action: &Action, why: &str) -> (String, usize, usize) {
    let (key, value) = match action {
        Action::Close => ("status", "closed".to_owned()),
        Action::Profile(profile) => (
            "permission_profile",
            yaml(&profile).map_or_else(|_| profile.clone(), |text| text.trim_end().to_owned()),
        ),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let pad = " ".repeat(place.key_column);
    let comment = format!("{pad}# {}", comment_text(why));
    let existing = (place.first_line..=place.last_line)
        .find(|index| key_column_of(&lines[*index], key) == Some(place.key_column));
    let (line, added) = match existing {
        Some(index) if index == place.first_line => {
            // The key is on the `- ` line: keep the dash, and put the comment above the item.
            let dash = &lines[index][..place.key_column];
            let replaced = format!("{dash}{key}: {value}");
            lines[index] = replaced;
            lines.insert(index, format!("{}# {}", &pad[2..], comment_text(why)));
            (index + 2, 1)
        }
        Some(index) => {
            lines[index] = format!("{pad}{key}: {value}");
            lines.insert(index, comment);
            (index + 2, 1)
        }
        None => {
            let at = place.last_line + 1;
            lines.insert(at, format!("{pad}{key}: {value}"));
            lines.insert(at, comment);
            (at + 2, 2)
        }
    };
    let mut edited = lines.join("\n");
    if text.ends_with('\n') {
        edited.push('\n');
    }
    (edited, line, added)
}
