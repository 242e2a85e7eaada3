//! Characters that steer a terminal or a text layout instead of being shown: the control
//! characters (C0 with TAB, CR and LF, DEL, C1), the bidirectional controls, and the line and
//! paragraph separators (which break a line wherever Unicode line breaking is honoured).
//!
//! A name typed into DocuSign by hand can hold them, and printed raw they can recolour, erase or
//! reorder what a reviewer reads in a plan. So the desired state may not hold them (`validate`
//! refuses them), and everything shown from live data writes each one as `<U+202E>`: visible,
//! plain ASCII, and the same form in the terminal, in markdown and in error messages.

use std::borrow::Cow;

/// True for a control character or a bidirectional control.
#[must_use]
pub fn is_control(c: char) -> bool {
    // `char::is_control` is exactly Unicode's `Cc`: U+0000–U+001F, U+007F and U+0080–U+009F.
    c.is_control() || bidi_name(c).is_some()
}

/// The first control character in `text`, if any.
#[must_use]
pub fn first_control(text: &str) -> Option<char> {
    text.chars().find(|&c| is_control(c))
}

/// `text` with every control character written as `<U+XXXX>`; borrowed when there is none.
#[must_use]
pub fn visible(text: &str) -> Cow<'_, str> {
    if first_control(text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_control(c) {
            out.push('<');
            out.push_str(&code_point(c));
            out.push('>');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `U+202E`.
#[must_use]
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// `U+202E (RIGHT-TO-LEFT OVERRIDE)`, or the code point alone for the controls without a name
/// anyone would recognise.
#[must_use]
pub fn describe(c: char) -> String {
    match control_name(c).or_else(|| bidi_name(c)) {
        Some(name) => format!("{} ({name})", code_point(c)),
        None => code_point(c),
    }
}

/// The common C0 controls and DEL, by the names terminals and editors use.
fn control_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "NUL",
        '\u{7}' => "BELL",
        '\u{8}' => "BACKSPACE",
        '\t' => "TAB",
        '\n' => "LINE FEED",
        '\u{b}' => "VERTICAL TAB",
        '\u{c}' => "FORM FEED",
        '\r' => "CARRIAGE RETURN",
        '\u{1b}' => "ESCAPE",
        '\u{7f}' => "DELETE",
        '\u{85}' => "NEXT LINE",
        '\u{9b}' => "CONTROL SEQUENCE INTRODUCER",
        _ => return None,
    })
}

/// The bidirectional controls (embeddings, overrides, isolates and the invisible marks), and the
/// two separators that end a line as LF does.
fn bidi_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{061c}' => "ARABIC LETTER MARK",
        '\u{200e}' => "LEFT-TO-RIGHT MARK",
        '\u{200f}' => "RIGHT-TO-LEFT MARK",
        '\u{202a}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202b}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202c}' => "POP DIRECTIONAL FORMATTING",
        '\u{202d}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202e}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_is_c0_del_c1_and_the_bidi_controls() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{1b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}',
        ] {
            assert!(is_control(c), "{}", code_point(c));
        }
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
            '\u{2028}', '\u{2029}',
        ] {
            assert!(is_control(c), "{}", code_point(c));
        }
        for c in [' ', 'a', 'é', '\u{a0}', '\u{200d}', '\u{2070}', '\u{202f}'] {
            assert!(!is_control(c), "{}", code_point(c));
        }
    }

    #[test]
    fn visible_writes_each_control_as_its_code_point() {
        assert_eq!(visible("Sales"), Cow::Borrowed("Sales"));
        assert_eq!(
            visible("a\u{1b}[2Jb\r\u{202e}c\0"),
            "a<U+001B>[2Jb<U+000D><U+202E>c<U+0000>"
        );
        assert_eq!(visible("\u{85}"), "<U+0085>");
    }

    #[test]
    fn describe_names_the_character() {
        assert_eq!(describe('\u{202e}'), "U+202E (RIGHT-TO-LEFT OVERRIDE)");
        assert_eq!(describe('\u{1b}'), "U+001B (ESCAPE)");
        assert_eq!(describe('\u{90}'), "U+0090");
    }
}
