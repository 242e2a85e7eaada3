//! A problem found in the desired state: a miette diagnostic that points into a source file.

use std::fmt;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use serde_saphyr::Location;

use crate::excerpt::Excerpt;
use crate::model::controls;

/// One YAML file's text, shared by every problem that points into it.
pub type Source = Arc<NamedSource<Arc<str>>>;

/// Whether a problem stops the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
    /// Only as a related note on another problem.
    Note,
}

/// One problem: a message, where it is, and how to fix it. Its text is made visible as it is
/// built (a control character in a quoted value shows as `<U+001B>`), so a value can't steer
/// the terminal the problem is printed on.
#[derive(Debug, Clone)]
pub struct Problem {
    level: Level,
    code: &'static str,
    message: String,
    source: Option<Source>,
    /// In the whole file's byte offsets.
    labels: Vec<LabeledSpan>,
    /// What miette is shown of the file, made when the problem is first rendered: never the
    /// whole file, which may be huge or not ours at all.
    shown: OnceLock<Shown>,
    help: Option<String>,
    related: Vec<Problem>,
}

/// A bounded excerpt of the file, and the labels re-based into it.
#[derive(Debug, Clone)]
struct Shown {
    excerpt: Excerpt,
    labels: Vec<LabeledSpan>,
}

impl Problem {
    /// An error (exit 1) with a stable code such as `desired::unknown_key`.
    #[must_use]
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Level::Error, code, message)
    }

    /// A warning: reported, but the desired state is still usable.
    #[must_use]
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Level::Warning, code, message)
    }

    fn new(level: Level, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            level,
            code,
            message: visible(message.into()),
            source: None,
            labels: Vec::new(),
            shown: OnceLock::new(),
            help: None,
            related: Vec::new(),
        }
    }

    /// Points the problem at `span` in `source`, with a short label.
    #[must_use]
    pub fn at(mut self, source: &Source, span: SourceSpan, label: impl Into<String>) -> Self {
        self.source = Some(Arc::clone(source));
        self.labels.push(LabeledSpan::new_with_span(
            Some(visible(label.into())),
            span,
        ));
        self.shown = OnceLock::new();
        self
    }

    fn shown(&self) -> Option<&Shown> {
        let source = self.source.as_ref()?;
        Some(self.shown.get_or_init(|| {
            let spans: Vec<SourceSpan> = self.labels.iter().map(|label| *label.inner()).collect();
            let name = controls::visible(source.name());
            let (excerpt, spans) = Excerpt::around(name, source.inner(), &spans);
            let labels = self
                .labels
                .iter()
                .zip(spans)
                .map(|(label, span)| {
                    LabeledSpan::new_with_span(label.label().map(str::to_owned), span)
                })
                .collect();
            Shown { excerpt, labels }
        }))
    }

    /// Points the problem at a value serde-saphyr located.
    #[must_use]
    pub fn at_location(
        self,
        source: &Source,
        location: &Location,
        label: impl Into<String>,
    ) -> Self {
        let span = span_of(source.inner(), location);
        self.at(source, span, label)
    }

    /// Says how to fix it.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(visible(help.into()));
        self
    }

    /// Adds a note pointing at a second place, possibly in another file ("first declared here").
    #[must_use]
    pub fn also_at(
        mut self,
        source: &Source,
        location: &Location,
        note: impl Into<String>,
    ) -> Self {
        self.related
            .push(Problem::new(Level::Note, "", note).at_location(source, location, "here"));
        self
    }

    #[must_use]
    pub fn level(&self) -> Level {
        self.level
    }

    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }

    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file this problem points into, if any.
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.source.as_ref().map(|source| source.name())
    }

    /// Where the problem's first label starts, for sorting problems in file order.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.labels.first().map_or(0, LabeledSpan::offset)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Note => Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.shown().map(|shown| &shown.excerpt as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let shown = self.shown()?;
        (!shown.labels.is_empty()).then(|| Box::new(shown.labels.iter().cloned()) as Box<_>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|note| note as &dyn Diagnostic)) as Box<_>)
    }
}

fn visible(text: String) -> String {
    match controls::visible(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(shown) => shown,
    }
}

/// The byte span of a located value. serde-saphyr gives byte offsets for string input; when it
/// can't, the line and column still place the value.
#[must_use]
pub fn span_of(text: &str, location: &Location) -> SourceSpan {
    let span = location.span();
    if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(text.len());
        let len = usize::try_from(len).unwrap_or(0).min(text.len() - offset);
        return SourceSpan::new(offset.into(), len);
    }
    let line = usize::try_from(location.line()).unwrap_or(usize::MAX);
    let column = usize::try_from(location.column()).unwrap_or(usize::MAX);
    SourceSpan::new(offset_of_line_column(text, line, column).into(), 0)
}

/// Byte offset where the 1-based `line` starts; `None` past the text's last line.
pub(crate) fn line_start(text: &str, line: usize) -> Option<usize> {
    text.split_inclusive('\n')
        .scan(0, |start, line_text| {
            let this = *start;
            *start += line_text.len();
            Some(this)
        })
        .nth(line.saturating_sub(1))
}

/// Byte offset of a 1-based line and character column, clamped to the text.
fn offset_of_line_column(text: &str, line: usize, column: usize) -> usize {
    let Some(line_start) = line_start(text, line) else {
        return text.len();
    };
    text[line_start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(offset, _)| line_start + offset)
}

#[cfg(test)]
mod tests {
    use super::offset_of_line_column;

    #[test]
    fn line_and_column_map_to_byte_offsets() {
        let text = "a: 1\nbé: 2\n";
        assert_eq!(offset_of_line_column(text, 1, 1), 0);
        assert_eq!(offset_of_line_column(text, 2, 1), 5);
        assert_eq!(offset_of_line_column(text, 2, 3), 8);
        assert_eq!(offset_of_line_column(text, 9, 1), text.len());
    }
}
