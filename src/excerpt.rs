//! The part of an untrusted file an error may show: a line or two around each place it points
//! at, each line cut to [`MAX_LINE_CHARS`] characters and its control characters escaped.
//!
//! Given a whole file, miette prints whole lines: a one-line file of 50 MB is 50 MB of error,
//! and a file that is really `/proc/self/environ` or a private key would land in the CI log.
//! miette is given an [`Excerpt`] instead, with the problem's spans re-based into it; line and
//! column numbers still read as the file's own.

use std::fmt::Write as _;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::model::controls;

/// The most characters of one line shown, escapes included, not counting the `…` that marks a
/// cut.
pub const MAX_LINE_CHARS: usize = 200;

/// Characters kept before the place a line is cut around, so what is wrong there shows with a
/// little of what leads up to it.
const LEAD_CHARS: usize = 60;

/// Lines shown before and after the line of each place (miette's own default).
const CONTEXT_LINES: usize = 1;

const CUT: &str = "…";

/// A bounded, escaped window of a file around some places in it.
#[derive(Clone, Debug)]
pub struct Excerpt {
    name: String,
    /// The windows' lines, as shown; each window ends with a newline unless the file did.
    text: String,
    windows: Vec<Window>,
    /// Where each place starts, in `text`, with its byte column in the file.
    columns: Vec<(usize, usize)>,
}

/// One run of consecutive lines of the file, as shown in [`Excerpt::text`].
#[derive(Clone, Copy, Debug)]
struct Window {
    start: usize,
    end: usize,
    /// 0-based line number of its first line in the file.
    first_line: usize,
}

/// A run of lines of the file: byte range and first line number.
#[derive(Clone, Copy, Debug)]
struct Lines {
    start: usize,
    end: usize,
    first_line: usize,
}

impl Excerpt {
    /// The excerpt of `text` (the file `name`) around `spans`, and the spans re-based into it.
    /// A span is shown on its first line only.
    #[must_use]
    pub fn around(
        name: impl Into<String>,
        text: &str,
        spans: &[SourceSpan],
    ) -> (Self, Vec<SourceSpan>) {
        let starts: Vec<usize> = spans
            .iter()
            .map(|span| floor_char_boundary(text, span.offset()))
            .collect();
        let ends: Vec<usize> = spans
            .iter()
            .zip(&starts)
            .map(|(span, &start)| {
                let line_end = text[start..].find('\n').map_or(text.len(), |at| start + at);
                floor_char_boundary(text, (start + span.len()).min(line_end))
            })
            .collect();
        let mut runs: Vec<Lines> = starts.iter().map(|&at| lines_around(text, at)).collect();
        runs.sort_by_key(|run| run.start);
        let mut merged: Vec<Lines> = Vec::new();
        for run in runs {
            match merged.last_mut() {
                Some(last) if run.start <= last.end => last.end = last.end.max(run.end),
                _ => merged.push(run),
            }
        }

        let mut excerpt = Self {
            name: name.into(),
            text: String::new(),
            windows: Vec::with_capacity(merged.len()),
            columns: Vec::with_capacity(spans.len()),
        };
        let mut rebased: Vec<Option<(usize, usize)>> = vec![None; spans.len()];
        for run in merged {
            let start = excerpt.text.len();
            let mut line_start = run.start;
            loop {
                let newline = text[line_start..run.end].find('\n');
                let line_end = newline.map_or(run.end, |at| line_start + at);
                let content = text[line_start..line_end]
                    .strip_suffix('\r')
                    .unwrap_or(&text[line_start..line_end]);
                let on_line = |at: usize| (line_start..=line_end).contains(&at);
                let focus = starts
                    .iter()
                    .filter(|&&at| on_line(at))
                    .min()
                    .map(|&at| at - line_start);
                let shown = Shown::of(content, focus);
                let base = excerpt.text.len();
                shown.write(content, &mut excerpt.text);
                for (index, (&from, &to)) in starts.iter().zip(&ends).enumerate() {
                    if on_line(from) {
                        let from_at = base + shown.position(content, from - line_start);
                        let to_at = base + shown.position(content, to - line_start);
                        rebased[index] = Some((from_at, to_at));
                        excerpt.columns.push((from_at, from - line_start));
                    }
                }
                if newline.is_none() {
                    break;
                }
                excerpt.text.push('\n');
                line_start = line_end + 1;
                // The empty line after a file's last newline is shown only when a place is on
                // it (an error at the end of the file).
                let place_there = line_start == text.len() && starts.contains(&line_start);
                if line_start > run.end || (line_start == run.end && !place_there) {
                    break;
                }
            }
            excerpt.windows.push(Window {
                start,
                end: excerpt.text.len(),
                first_line: run.first_line,
            });
        }
        let spans = rebased
            .into_iter()
            .map(|at| {
                let (from, to) = at.unwrap_or((0, 0));
                SourceSpan::new(from.into(), to.saturating_sub(from))
            })
            .collect();
        (excerpt, spans)
    }

    /// The excerpt's text, as miette is given it.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let window = self
            .windows
            .iter()
            .find(|window| {
                window.start <= span.offset() && span.offset() + span.len() <= window.end
            })
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((span.offset() - window.start).into(), span.len());
        let data = &self.text.as_bytes()[window.start..window.end];
        let inner = data.read_span(&local, context_lines_before, context_lines_after)?;
        // The column of a place is the file's, not the excerpt's, where a cut line is shorter.
        let column = if context_lines_before == 0 {
            self.columns
                .iter()
                .find(|(at, _)| *at == span.offset())
                .map_or(inner.column(), |(_, column)| *column)
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + window.start).into(),
                inner.span().len(),
            ),
            window.first_line + inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// Which part of one line is shown: bytes `from..to` of it, with a cut mark where it is cut.
#[derive(Clone, Copy, Debug)]
struct Shown {
    from: usize,
    to: usize,
}

impl Shown {
    /// The part of `line` shown: all of it when short enough, else a cut around `focus` (a byte
    /// offset in the line), or its start.
    fn of(line: &str, focus: Option<usize>) -> Self {
        if fits(line) {
            return Self {
                from: 0,
                to: line.len(),
            };
        }
        let focus = floor_char_boundary(line, focus.unwrap_or(0));
        let mut from = focus;
        let mut lead = 0;
        for (at, c) in line[..focus].char_indices().rev() {
            lead += escaped_width(c);
            if lead > LEAD_CHARS {
                break;
            }
            from = at;
        }
        let mut to = from;
        let mut shown = 0;
        for (at, c) in line[from..].char_indices() {
            shown += escaped_width(c);
            if shown > MAX_LINE_CHARS {
                break;
            }
            to = from + at + c.len_utf8();
        }
        Self { from, to }
    }

    fn write(self, line: &str, out: &mut String) {
        if self.from > 0 {
            out.push_str(CUT);
        }
        push_escaped(&line[self.from..self.to], out);
        if self.to < line.len() {
            out.push_str(CUT);
        }
    }

    /// Where byte `at` of the line is in what [`write`](Self::write) wrote; a place outside the
    /// shown part is pinned to its nearest end.
    fn position(self, line: &str, at: usize) -> usize {
        let lead = if self.from > 0 { CUT.len() } else { 0 };
        let at = floor_char_boundary(line, at.clamp(self.from, self.to));
        lead + line[self.from..at].chars().map(escaped_len).sum::<usize>()
    }
}

/// The lines of `text` around byte `at`: its own and [`CONTEXT_LINES`] each side.
fn lines_around(text: &str, at: usize) -> Lines {
    let line_of = text[..at].matches('\n').count();
    let mut start = line_start(text, at);
    let mut first_line = line_of;
    for _ in 0..CONTEXT_LINES {
        if start == 0 {
            break;
        }
        start = line_start(text, start - 1);
        first_line -= 1;
    }
    let mut end = next_line_start(text, at);
    for _ in 0..CONTEXT_LINES {
        if end < text.len() {
            end = next_line_start(text, end);
        }
    }
    Lines {
        start,
        end,
        first_line,
    }
}

fn next_line_start(text: &str, at: usize) -> usize {
    text[at..]
        .find('\n')
        .map_or(text.len(), |newline| at + newline + 1)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Characters that would be invisible, move the cursor, or reorder the text around them: the
/// control characters every renderer shows as `<U+…>` (a tab only lays a line out), and a BOM.
fn needs_escape(c: char) -> bool {
    (controls::is_control(c) && c != '\t') || c == '\u{feff}'
}

fn push_escaped(text: &str, out: &mut String) {
    for c in text.chars() {
        if needs_escape(c) {
            let _ = write!(out, "<{}>", controls::code_point(c));
        } else {
            out.push(c);
        }
    }
}

/// Bytes `c` takes once escaped.
fn escaped_len(c: char) -> usize {
    if needs_escape(c) {
        escape_len(c)
    } else {
        c.len_utf8()
    }
}

/// Characters `c` takes once escaped.
fn escaped_width(c: char) -> usize {
    if needs_escape(c) { escape_len(c) } else { 1 }
}

/// The length of `<U+001B>`: the brackets and `U+`, and at least four hex digits.
fn escape_len(c: char) -> usize {
    let bits = 32 - u32::from(c).leading_zeros();
    let digits = bits.div_ceil(4).max(4);
    4 + usize::try_from(digits).unwrap_or(8)
}

/// Whether `line` is shown whole; stops counting at the bound, so a huge line costs little.
fn fits(line: &str) -> bool {
    let mut shown = 0;
    line.chars().all(|c| {
        shown += escaped_width(c);
        shown <= MAX_LINE_CHARS
    })
}

/// A value taken from an untrusted file, fit for a one-line message: control characters
/// escaped, and cut to `max` characters with a `…`.
#[must_use]
pub fn quoted(value: &str, max: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for c in value.chars() {
        shown += escaped_width(c);
        if shown > max {
            out.push_str(CUT);
            break;
        }
        push_escaped(c.encode_utf8(&mut [0; 4]), &mut out);
    }
    out
}

#[cfg(test)]
mod tests;
