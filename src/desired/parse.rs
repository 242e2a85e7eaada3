//! Parsing one file into a stage-0 [`Document`], with YAML and type errors as [`Problem`]s.

use serde_saphyr::budget::Budget;
use serde_saphyr::{Error as YamlError, Location, Options};

use super::document::Document;
use super::files::SourceFile;
use super::problem::Problem;
use super::suggest;
use super::unknown_keys;
use crate::excerpt::quoted;

/// The most characters of a key or value name quoted in a message.
const NAME_CHARS: usize = 100;
/// The most characters of a parser message.
const MESSAGE_CHARS: usize = 300;

/// Parses one desired-state file. A file with nothing but comments is an empty document.
/// A file that doesn't parse gives the parser's error and every unknown key in it.
pub fn parse(file: &SourceFile) -> Result<Document, Vec<Problem>> {
    if is_blank(file.text()) {
        return Ok(Document::default());
    }
    serde_saphyr::from_str_with_options(file.text(), options()).map_err(|err| problems(file, &err))
}

/// The parser's error, then the unknown keys it would have reported had it gone on: serde
/// stops at the first, and a writer fixing them one run at a time would be told of the next
/// only after each fix.
fn problems(file: &SourceFile, err: &YamlError) -> Vec<Problem> {
    let at = |location: &Location| (location.line(), location.column());
    let first_at = err.location().as_ref().map(at);
    let mut problems = vec![to_problem(file, err)];
    for unknown in unknown_keys::find(file.text(), options()) {
        if Some(at(&unknown.location)) != first_at {
            let expected: Vec<&str> = unknown.expected.iter().map(String::as_str).collect();
            problems.push(unknown_key(&unknown.key, &expected).at_location(
                &file.source,
                &unknown.location,
                NOT_A_KEY,
            ));
        }
    }
    problems
}

/// The label of an unknown key.
const NOT_A_KEY: &str = "not a key here";

fn unknown_key(key: &str, expected: &[&str]) -> Problem {
    Problem::error(
        "desired::unknown_key",
        format!("unknown key `{}`", quoted(key, NAME_CHARS)),
    )
    .help(suggest::did_you_mean(key, expected, "key"))
}

fn options() -> Options {
    // A desired state of 100k users in one file is plausible (an import of a big account);
    // the default node budget (250k) would refuse it. Depth and alias limits stay as they
    // are: they are what protects us from hostile input.
    let mut budget = Budget::default();
    budget.max_events = 50_000_000;
    budget.max_nodes = 10_000_000;
    serde_saphyr::options! {
        budget: Some(budget),
        with_snippet: false,
    }
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

fn to_problem(file: &SourceFile, err: &YamlError) -> Problem {
    let err = err.without_snippet();
    let located = |problem: Problem, label: &str| match err.location() {
        Some(location) if location.line() > 0 => {
            problem.at_location(&file.source, &location, label)
        }
        _ => problem,
    };
    match err {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => located(unknown_key(field, expected), NOT_A_KEY),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let problem = Problem::error(
                "desired::invalid_value",
                format!(
                    "`{}` is not a valid value here",
                    quoted(variant, NAME_CHARS)
                ),
            )
            .help(suggest::did_you_mean(variant, expected, "value"));
            located(problem, "not valid here")
        }
        YamlError::SerdeMissingField { field, .. } => {
            let problem = Problem::error(
                "desired::missing_key",
                format!("missing required key `{field}`"),
            )
            .help(format!("add `{field}:` to this entry"));
            located(problem, "this entry")
        }
        YamlError::DuplicateMappingKey { key, .. } => {
            let what = key
                .as_deref()
                .map_or_else(String::new, |key| format!(" `{}`", quoted(key, NAME_CHARS)));
            let problem = Problem::error(
                "desired::duplicate_key",
                format!("the key{what} appears twice in one mapping"),
            )
            .help("a key may appear once in a mapping; remove one of them");
            located(problem, "repeated here")
        }
        YamlError::NullIntoString { .. } => {
            let problem =
                Problem::error("desired::wrong_type", "a value here is empty (YAML null)")
                    .help("write the value after the colon (quote it if it is empty on purpose)");
            located(problem, "value missing")
        }
        YamlError::Unexpected { expected, .. } => {
            let problem = Problem::error(
                "desired::wrong_type",
                format!("expected {} here", plain_words(expected)),
            )
            .help("see `docusign-gitops schema` for what each key takes");
            located(problem, "wrong type")
        }
        YamlError::MultipleDocuments { .. } => {
            let problem = Problem::error(
                "desired::multiple_documents",
                "this file holds more than one YAML document",
            )
            .help("keep one document per file: move the part after `---` into a file of its own");
            located(problem, "second document")
        }
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | YamlError::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => {
            let problem = Problem::error(
                "desired::wrong_type",
                format!("expected {expected}, found {}", shortened(unexpected)),
            )
            .help("see `docusign-gitops schema` for what each key takes");
            located(problem, "wrong type")
        }
        _ => {
            let problem = Problem::error("desired::yaml_syntax", message(err))
                .help("fix the YAML syntax at the marked place");
            located(problem, "here")
        }
    }
}

/// Keeps a quoted value readable (`1e-300` must not become three hundred digits) and its
/// control characters visible.
fn shortened(text: &str) -> String {
    quoted(text, 60)
}

/// serde-saphyr names YAML's node kinds; an administrator thinks in lists and mappings.
fn plain_words(expected: &str) -> String {
    match expected {
        "sequence start" => "a list (`- item` lines)".to_owned(),
        "mapping start" => "a mapping (`key: value` lines)".to_owned(),
        "string scalar" => "a text value".to_owned(),
        other => other.to_owned(),
    }
}

/// serde-saphyr's message without its own " at line X column Y" suffix: the snippet says where.
fn message(err: &YamlError) -> String {
    let text = err.to_string();
    let text = text
        .find(" at line ")
        .map_or(text.as_str(), |cut| &text[..cut]);
    // The parser may quote the file; the message stays one bounded line.
    quoted(text, MESSAGE_CHARS)
}
