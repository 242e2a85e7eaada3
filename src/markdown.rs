//! Markdown for GitHub comments and issues: values from DocuSign that can't break out of the
//! place they are put in, and lists cut to fit a size budget with a count of what was left out.
//!
//! Anyone can type a name into DocuSign, and these texts land in a pull request next to the
//! change a reviewer approves. So a value never reaches the markdown raw: control characters
//! show as `<U+202E>`, very long values are shortened, and a value is either a code span fenced
//! by more backticks than it holds, or text with every character markdown or HTML would act on
//! escaped.

use crate::model::controls::{self, visible};

/// The most characters of one value shown; the JSON keeps the rest.
pub const MAX_VALUE_CHARS: usize = 120;

/// `text` cut to [`MAX_VALUE_CHARS`] characters, and whether it was cut.
fn cut_short(text: &str) -> (&str, bool) {
    text.char_indices()
        .nth(MAX_VALUE_CHARS)
        .map_or((text, false), |(at, _)| (&text[..at], true))
}

/// `text` cut to [`MAX_VALUE_CHARS`] with `…` where it was cut, then with its control
/// characters made visible.
fn shortened(text: &str) -> String {
    let (cut, was_cut) = cut_short(text);
    let mut shown = visible(cut).into_owned();
    if was_cut {
        shown.push('…');
    }
    shown
}

/// A value as an inline code span that nothing in it can end: fenced by one more backtick than
/// its longest run of them, padded with a space when it starts or ends with a backtick or a
/// space (markdown strips one space from each side again). Not for table cells.
#[must_use]
pub fn code(text: &str) -> String {
    let shown = shortened(text);
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if shown.starts_with(['`', ' ']) || shown.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// A value as plain text, every character that markdown or HTML could act on escaped with a
/// backslash (so `<b>` shows as `<b>`, `|` can't end a table cell, a backtick can't open a
/// code span). Fine inside a table cell; not at the start of a line.
#[must_use]
pub fn text(text: &str) -> String {
    let (cut, was_cut) = cut_short(text);
    let mut out = String::with_capacity(cut.len() + 8);
    for c in cut.chars() {
        if controls::is_control(c) {
            // `<U+202E>` is no HTML tag (`+` can't be in a tag name) and no autolink (no
            // colon), so it shows as it is.
            out.push('<');
            out.push_str(&controls::code_point(c));
            out.push('>');
            continue;
        }
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    if was_cut {
        out.push('…');
    }
    out
}

/// A list cut to fit: the lines shown and how many were left out.
#[derive(Debug)]
pub struct Fitted {
    pub text: String,
    pub left_out: usize,
}

/// Where a cut list leaves lines out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Keep the first lines: the list is in order of importance.
    End,
    /// Keep the first and the last lines: the list is in the order things happen, and its end
    /// (deletions, closures) matters as much as its start.
    Middle,
}

/// `lines` joined with newlines, within `room` bytes. When they don't fit, lines are left out
/// where `cut` says and the line `note(how many)` takes their place; when even that line
/// doesn't fit, the text is empty.
#[must_use]
pub fn fit(lines: &[String], room: usize, cut: Cut, note: impl Fn(usize) -> String) -> Fitted {
    let whole: usize = lines.iter().map(|line| line.len() + 1).sum();
    if whole <= room + 1 {
        return Fitted {
            text: lines.join("\n"),
            left_out: 0,
        };
    }
    // Room for the note with the widest count it could carry.
    let room_for_lines = room.saturating_sub(note(lines.len()).len() + 1);
    let (front_room, back_room) = match cut {
        Cut::End => (room_for_lines, 0),
        Cut::Middle => (room_for_lines / 2, room_for_lines / 2),
    };
    let front = take_within(lines.iter(), front_room);
    let back = take_within(lines[front..].iter().rev(), back_room);
    let left_out = lines.len() - front - back;
    let note = note(left_out);
    if note.len() > room {
        return Fitted {
            text: String::new(),
            left_out: lines.len(),
        };
    }
    let mut shown: Vec<&str> = lines[..front].iter().map(String::as_str).collect();
    shown.push(&note);
    shown.extend(lines[lines.len() - back..].iter().map(String::as_str));
    Fitted {
        text: shown.join("\n"),
        left_out,
    }
}

/// How many of `lines`, in the order given, fit in `room` bytes with a newline each.
fn take_within<'a>(lines: impl Iterator<Item = &'a String>, room: usize) -> usize {
    let mut used = 0;
    let mut count = 0;
    for line in lines {
        if used + line.len() + 1 > room {
            break;
        }
        used += line.len() + 1;
        count += 1;
    }
    count
}

/// The size of a pull-request comment or issue body we write: GitHub refuses more than 65,536
/// characters, and a margin leaves room for whatever wraps it.
pub const COMMENT_BUDGET: usize = 60_000;

/// Bytes each list still to come keeps for itself while an earlier one takes what it needs, so
/// a huge first list never crowds out the rest entirely.
const ROOM_KEPT_PER_LIST: usize = 2_000;

/// One list of a comment: what opens and closes it, its lines, where it may be cut, and the
/// line that says how many it left out.
pub struct Section<'a> {
    pub open: String,
    pub lines: Vec<String>,
    pub close: &'static str,
    pub cut: Cut,
    pub left_out: Box<dyn Fn(usize) -> String + 'a>,
}

/// `head` (never cut), then each section in order, each taking what it needs while leaving the
/// ones after it room of their own; a section that doesn't fit is cut and says how many lines
/// it left out. The whole stays within [`COMMENT_BUDGET`].
#[must_use]
pub fn comment(head: String, sections: &[Section<'_>]) -> String {
    comment_within(head, sections, COMMENT_BUDGET)
}

/// As [`comment`], within `budget` characters (a part of a larger comment).
#[must_use]
pub fn comment_within(head: String, sections: &[Section<'_>], budget: usize) -> String {
    let mut out = head;
    let mut remaining = budget.saturating_sub(out.len());
    for (index, section) in sections.iter().enumerate() {
        let later = sections.len() - index - 1;
        let room = remaining
            .saturating_sub(later * ROOM_KEPT_PER_LIST)
            .saturating_sub(section.open.len() + section.close.len());
        let fitted = fit(&section.lines, room, section.cut, &section.left_out);
        let text = format!("{}{}{}", section.open, fitted.text, section.close);
        remaining = remaining.saturating_sub(text.len());
        out.push_str(&text);
    }
    within(out, budget)
}

/// The last resort when a rendering is still over `budget` (a bug): cut at a character
/// boundary and say so, so the comment is posted rather than refused.
#[must_use]
pub fn within(mut text: String, budget: usize) -> String {
    const NOTE: &str = "\n\n… cut to fit a comment; see the JSON.\n";
    if text.len() <= budget {
        return text;
    }
    let mut end = budget.saturating_sub(NOTE.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(NOTE);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_span_is_fenced_longer_than_any_backtick_run_inside() {
        assert_eq!(code("Sales"), "`Sales`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code("x\ny|<b>"), "`x<U+000A>y|<b>`");
    }

    #[test]
    fn text_escapes_what_markdown_and_html_act_on() {
        assert_eq!(
            text("<img src=x>|`a`*b*_c_[d](e)&amp;"),
            r"\<img src=x\>\|\`a\`\*b\*\_c\_\[d\](e)\&amp;"
        );
        assert_eq!(text("a\u{202e}b\r\n"), "a<U+202E>b<U+000D><U+000A>");
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(5_000);
        assert_eq!(code(&long).len(), MAX_VALUE_CHARS + "…".len() + 2);
        assert!(text(&long).ends_with('…'));
    }

    #[test]
    fn fit_says_how_many_it_left_out_and_stays_in_its_room() {
        let lines: Vec<String> = (0..1_000).map(|n| format!("- line {n}")).collect();
        let note = |n: usize| format!("- … and {n} more lines, cut");
        for cut in [Cut::End, Cut::Middle] {
            let fitted = fit(&lines, 2_000, cut, note);
            assert!(fitted.text.len() <= 2_000, "{}", fitted.text.len());
            assert!(fitted.left_out > 700, "{}", fitted.left_out);
            let shown = fitted.text.lines().count() - 1;
            assert_eq!(shown + fitted.left_out, 1_000);
            assert!(
                fitted
                    .text
                    .contains(&format!("- … and {} more lines, cut", fitted.left_out)),
                "{}",
                fitted.text
            );
        }
        let middle = fit(&lines, 2_000, Cut::Middle, note);
        assert!(middle.text.starts_with("- line 0\n"));
        assert!(middle.text.ends_with("\n- line 999"));
        let whole = fit(&lines[..3], 2_000, Cut::End, note);
        assert_eq!(
            (whole.text.as_str(), whole.left_out),
            ("- line 0\n- line 1\n- line 2", 0)
        );
        assert_eq!(fit(&lines, 10, Cut::End, note).text, "");
    }

    #[test]
    fn within_cuts_at_a_character_boundary() {
        let text = within("é".repeat(100), 101);
        assert!(text.len() <= 101, "{}", text.len());
        assert!(text.ends_with("see the JSON.\n"));
    }
}
