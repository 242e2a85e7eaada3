use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
    SourceSpan,
};

use super::{Excerpt, MAX_LINE_CHARS, quoted};

/// An error pointing into some source, rendered the way the CLI renders problems.
#[derive(Debug)]
struct Pointing<S> {
    source: S,
    spans: Vec<SourceSpan>,
}

impl<S: std::fmt::Debug> std::fmt::Display for Pointing<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("something is wrong")
    }
}

impl<S: std::fmt::Debug> std::error::Error for Pointing<S> {}

impl<S: SourceCode + std::fmt::Debug> Diagnostic for Pointing<S> {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.spans.iter().map(|span| {
            LabeledSpan::new_with_span(Some("here".to_owned()), *span)
        })))
    }
}

fn render(diagnostic: &dyn Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .expect("renders");
    out
}

fn whole(text: &str, spans: &[SourceSpan]) -> String {
    render(&Pointing {
        source: NamedSource::new("f.yaml", Arc::<str>::from(text)),
        spans: spans.to_vec(),
    })
}

fn excerpted(text: &str, spans: &[SourceSpan]) -> String {
    let (excerpt, spans) = Excerpt::around("f.yaml", text, spans);
    render(&Pointing {
        source: excerpt,
        spans,
    })
}

fn span(text: &str, needle: &str) -> SourceSpan {
    let at = text.find(needle).expect("needle in text");
    SourceSpan::new(at.into(), needle.len())
}

#[test]
fn a_short_file_renders_as_if_miette_had_it_whole() {
    let text = "users:\n  - email: a@example.com\n    first_name: Ann\n    bogus: 1\n    last_name: Lee\n  - email: b@example.com\n";
    for needle in [
        "users",
        "bogus",
        "Lee",
        "b@example.com",
        "first_name: Ann\n    bogus",
    ] {
        let spans = [span(text, needle)];
        if needle.contains('\n') {
            // A span over two lines is shown on its first.
            assert!(excerpted(text, &spans).contains("f.yaml:3:5"));
            continue;
        }
        assert_eq!(
            excerpted(text, &spans),
            whole(text, &spans),
            "at {needle:?}"
        );
    }
    // Two places far apart, and the end of the file.
    let long = (1..=40)
        .map(|n| format!("line{n}: {n}\n"))
        .collect::<Vec<_>>()
        .concat();
    let spans = [span(&long, "line3:"), span(&long, "line30:")];
    assert_eq!(excerpted(&long, &spans), whole(&long, &spans));
    let end = [SourceSpan::new(long.len().into(), 0)];
    assert_eq!(excerpted(&long, &end), whole(&long, &end));
    let unterminated = "a: 1\nb: [";
    let end = [SourceSpan::new(unterminated.len().into(), 0)];
    assert_eq!(excerpted(unterminated, &end), whole(unterminated, &end));
}

#[test]
fn a_fifty_megabyte_line_shows_a_few_hundred_characters_around_the_place() {
    let mut text = "x".repeat(50 << 20);
    let at = 40 << 20;
    text.replace_range(at..at + 5, "WRONG");
    let spans = [SourceSpan::new(at.into(), 5)];
    let rendered = excerpted(&text, &spans);
    assert!(rendered.len() < 4096, "{} bytes of error", rendered.len());
    assert!(rendered.contains("WRONG"), "{rendered}");
    // The file's own line and (byte) column, not the excerpt's.
    assert!(
        rendered.contains(&format!("f.yaml:1:{}", at + 1)),
        "{rendered}"
    );
    let shown_line = rendered
        .lines()
        .find(|line| line.contains("WRONG"))
        .expect("the line");
    assert!(
        shown_line.starts_with(" 1 │ …") && shown_line.ends_with('…'),
        "{shown_line}"
    );
    assert!(
        shown_line.chars().count() <= MAX_LINE_CHARS + 10,
        "{shown_line}"
    );
}

#[test]
fn context_lines_are_cut_too() {
    let text = format!("{}\nbad: [\n{}\n", "a".repeat(10_000), "b".repeat(10_000));
    let rendered = excerpted(&text, &[span(&text, "[")]);
    assert!(rendered.len() < 2048, "{rendered}");
    assert!(rendered.contains("f.yaml:2:6"), "{rendered}");
    assert!(
        rendered.contains(&format!("{}…", "a".repeat(MAX_LINE_CHARS))),
        "{rendered}"
    );
}

#[test]
fn control_characters_are_shown_escaped() {
    let text = "KEY=secret\0PATH=/bin\0\u{1b}[31mred\u{202e}txt: [\n";
    let rendered = excerpted(text, &[span(text, "[")]);
    assert!(
        rendered.contains("secret<U+0000>PATH=/bin<U+0000><U+001B>[31mred<U+202E>txt: ["),
        "{rendered}"
    );
    assert!(
        !rendered.contains('\0') && !rendered.contains('\u{1b}') && !rendered.contains('\u{202e}')
    );
    // The label still points at the bracket.
    let (excerpt, spans) = Excerpt::around("f", text, &[span(text, "[")]);
    assert_eq!(&excerpt.text()[spans[0].offset()..=spans[0].offset()], "[");
}

#[test]
fn crlf_line_ends_are_line_ends() {
    let text = "a: 1\r\nb: [\r\nc: 3\r\n";
    let (excerpt, spans) = Excerpt::around("f", text, &[span(text, "[")]);
    assert_eq!(excerpt.text(), "a: 1\nb: [\nc: 3\n");
    assert_eq!(spans[0], SourceSpan::new(8.into(), 1));
}

#[test]
fn quoted_values_are_escaped_and_cut() {
    assert_eq!(quoted("plain", 10), "plain");
    assert_eq!(quoted("a\nb\u{1b}", 20), "a<U+000A>b<U+001B>");
    assert_eq!(quoted(&"y".repeat(50), 10), format!("{}…", "y".repeat(10)));
}
