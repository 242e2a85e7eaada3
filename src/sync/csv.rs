//! The CSV source: people from an HR system's export, one row a person, under a header row
//! that names the columns.
//!
//! HR exports come from spreadsheets and HR suites set up by someone else: the delimiter is
//! `;` where the comma is the decimal mark, Excel on Windows saves "CSV" in Windows-1252 and
//! "CSV UTF-8" with a byte-order mark, and header cells carry stray spaces. All of that is read
//! as the administrator would expect; anything that can't be one person (a row with no email,
//! a mapped column the header lacks) is an error naming the line and the column, and no
//! person is given at all, so a broken export can never make everyone a leaver.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::source::{Person, Source, SourceError};
use crate::confined::{self, Confinement, FileError};
use crate::excerpt;

/// The most read from one source file: an export of half a million people with a dozen
/// columns is about 100 MB; anything larger is not one.
pub const MAX_SOURCE_BYTES: u64 = 256 << 20;

/// Longest value quoted from a file in a message.
const QUOTED_CHARS: usize = 60;

/// An HR export in CSV: which file, how it is written, and which column holds what.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct CsvConfig {
    /// The CSV file, relative to the desired-state directory (`hr/people.csv`). Links may not
    /// lead outside the directory.
    pub path: PathBuf,
    /// The character between columns: `,` (the default), `;` (European exports), `"\t"` or
    /// `tab` for tab-separated files, or `|`.
    #[serde(default = "default_delimiter", deserialize_with = "delimiter")]
    #[schemars(with = "String", extend("default" = ",", "examples" = [",", ";", "tab", "|"]))]
    pub delimiter: u8,
    /// How the file's text is encoded. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is
    /// recognised whatever this says.
    #[serde(default)]
    #[schemars(extend("default" = "utf-8"))]
    pub encoding: Encoding,
    /// Which header column holds each of the person's fields.
    pub columns: CsvColumns,
    /// More values the mapping rules may test, by the name the rules use: `department: Dept`
    /// makes the `Dept` column the attribute `department`. An empty cell gives no attribute.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Which rows are leavers (disabled accounts), by a status column. Left out, nobody in
    /// the file is a leaver: people who left are those no longer in it.
    pub status: Option<CsvStatus>,
}

/// The header columns of the person's own fields.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct CsvColumns {
    /// The column of the email address, the person's DocuSign identity. Every row needs one.
    pub email: String,
    /// The column of the first (given) name.
    pub first_name: String,
    /// The column of the last (family) name.
    pub last_name: String,
    /// The column of the job title, if the export has one.
    pub job_title: Option<String>,
    /// The column of the directory groups the person is in (a department, a team), which the
    /// mapping rules match on.
    pub groups: Option<String>,
    /// What separates several groups in the `groups` column (`"|"`, `","`). Left out, the
    /// whole cell is one group.
    pub groups_separator: Option<String>,
}

/// A column that says whether the person has left.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct CsvStatus {
    /// The status column (`Status`, `Employment status`).
    pub column: String,
    /// The values that make a row a leaver (`Terminated`, `Inactive`), letter case and
    /// surrounding spaces aside. Any other value, or an empty cell, is someone still there.
    #[serde(deserialize_with = "some_values")]
    #[schemars(length(min = 1))]
    pub disabled_values: Vec<String>,
}

/// How a CSV file's text is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark ("CSV UTF-8" in Excel).
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252, what Excel on Windows saves as plain "CSV" in Western Europe and the
    /// Americas.
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// ISO-8859-1, read as Windows-1252 (its superset in every printable character), as web
    /// browsers do.
    #[serde(rename = "latin-1")]
    Latin1,
}

/// `,` unless told otherwise.
fn default_delimiter() -> u8 {
    b','
}

/// A list of at least one value: an empty `disabled_values` would quietly make nobody a leaver.
fn some_values<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let values = Vec::<String>::deserialize(deserializer)?;
    if values.iter().all(|value| value.trim().is_empty()) {
        return Err(serde::de::Error::custom(
            "`disabled_values` needs at least one value (`[Terminated, Inactive]`); to read no status, remove `status`",
        ));
    }
    Ok(values)
}

/// One ASCII character, or `tab`: the CSV reader splits bytes, so a multi-byte character
/// could not be a delimiter.
fn delimiter<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let written = String::deserialize(deserializer)?;
    parse_delimiter(&written).map_err(serde::de::Error::custom)
}

fn parse_delimiter(written: &str) -> Result<u8, String> {
    if written.eq_ignore_ascii_case("tab") {
        return Ok(b'\t');
    }
    match written.as_bytes() {
        [byte] if *byte != b'"' && *byte != b'\n' && *byte != b'\r' => Ok(*byte),
        _ => Err(format!(
            "the delimiter must be one character such as `,`, `;`, `|` or `tab`, not `{}`",
            excerpt::quoted(written, QUOTED_CHARS)
        )),
    }
}

/// A CSV export under a desired-state directory, ready to read.
#[derive(Clone, Debug)]
pub struct CsvSource {
    dir: PathBuf,
    config: CsvConfig,
}

impl CsvSource {
    /// The export `config` describes, its path taken from the desired-state directory `dir`.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, config: CsvConfig) -> Self {
        Self {
            dir: dir.into(),
            config,
        }
    }
}

impl Source for CsvSource {
    fn people(&self) -> Result<Vec<Person>, SourceError> {
        let bytes = read_in_dir(&self.dir, &self.config.path)?;
        parse(&confined::shown(&self.config.path), &bytes, &self.config)
    }
}

/// Reads the source file `path`, relative to the desired-state directory `dir`, refusing a
/// path that leaves the directory (absolute, `..`, or a link leading out), a file that is not
/// regular, and one larger than [`MAX_SOURCE_BYTES`].
pub(super) fn read_in_dir(dir: &Path, path: &Path) -> Result<Vec<u8>, SourceError> {
    let name = confined::shown(path);
    let unreadable = |reason: String| SourceError::Unreadable {
        path: name.clone(),
        reason,
    };
    if path.is_absolute()
        || path
            .components()
            .any(|part| matches!(part, Component::ParentDir | Component::Prefix(_)))
    {
        return Err(unreadable(
            "a source's path is relative to the desired-state directory and stays inside it: move the file into the directory and name it from there".to_owned(),
        ));
    }
    let explain = |err: FileError| {
        let help = err.help();
        let err = err.about(path);
        match err {
            FileError::Io { error, .. } => unreadable(format!("{error}; {help}")),
            other => unreadable(format!("{other}; {help}")),
        }
    };
    let confinement = Confinement::of(dir).map_err(explain)?;
    let real = match confinement.file(&dir.join(path)) {
        Ok(Some(real)) => real,
        Ok(None) => {
            return Err(unreadable(format!(
                "there is no such file in `{}`: check the source's `path`, which is relative to the desired-state directory",
                dir.display()
            )));
        }
        Err(err) => return Err(explain(err)),
    };
    confined::read_regular(&real, MAX_SOURCE_BYTES).map_err(explain)
}

/// The people in the CSV text `bytes`, read as `config` says; `name` is the file as the user
/// knows it (`hr/people.csv`), for origins and errors.
pub fn parse(name: &str, bytes: &[u8], config: &CsvConfig) -> Result<Vec<Person>, SourceError> {
    let text = decode(name, bytes, config.encoding)?;
    let skip = sep_line(name, &text, config.delimiter)?;
    let mut lines = Lines::of(text.as_bytes(), skip);
    let header_line = lines.at(0);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(config.delimiter)
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(&text.as_bytes()[skip..]);
    let header = reader
        .headers()
        .map_err(|err| csv_error(name, &err, Lines::of(text.as_bytes(), skip), config))?
        .clone();
    if header.iter().all(str::is_empty) {
        return Err(SourceError::BadEntry {
            at: name.to_owned(),
            problem: "has no header row".to_owned(),
            fix: Some(
                "the first line must name the columns (`Email,First name,Last name,…`): export the file with its header".to_owned(),
            ),
        });
    }
    let layout = Layout::of(&format!("{name}:{header_line}"), &header, config)?;

    let mut people = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                return Err(csv_error(
                    name,
                    &err,
                    Lines::of(text.as_bytes(), skip),
                    config,
                ));
            }
        }
        let line = lines.at(record.position().map_or(0, csv::Position::byte));
        let person = layout.person(name, line, &record)?;
        if let Some(first) = seen.insert(crate::email::fold(&person.email), line) {
            return Err(SourceError::BadEntry {
                at: format!("{name}:{line}"),
                problem: format!(
                    "`{}` is on line {first} too",
                    excerpt::quoted(&person.email, QUOTED_CHARS)
                ),
                fix: Some(
                    "each person may appear once in an export: remove one of the rows, or correct its email".to_owned(),
                ),
            });
        }
        people.push(person);
    }
    if people.is_empty() {
        return Err(SourceError::empty_export(
            name.to_owned(),
            "has a header but no people",
        ));
    }
    Ok(people)
}

/// The length of Excel's `sep=;` line, when the file starts with one (Excel writes it so
/// that a double click opens the file right); 0 without. One naming another delimiter than the
/// source's is refused: the source would split every row wrong.
fn sep_line(name: &str, text: &str, delimiter: u8) -> Result<usize, SourceError> {
    let first = text.split('\n').next().unwrap_or("");
    let Some(said) = first
        .get(..4)
        .filter(|start| start.eq_ignore_ascii_case("sep="))
        .and_then(|_| first.get(4..))
        .map(|rest| rest.trim_end_matches('\r'))
    else {
        return Ok(0);
    };
    if said.len() == 1 && said.as_bytes()[0] == delimiter {
        return Ok((first.len() + 1).min(text.len()));
    }
    Err(SourceError::BadEntry {
        at: format!("{name}:1"),
        problem: format!(
            "the file says `sep={}`, but the source's delimiter is `{}`",
            excerpt::quoted(said, QUOTED_CHARS),
            delimiter_shown(delimiter)
        ),
        fix: Some(format!(
            "set `delimiter: '{}'` on the source",
            excerpt::quoted(said, QUOTED_CHARS)
        )),
    })
}

/// The file's text. A byte-order mark decides UTF-8 whatever `encoding` says; a UTF-16 one
/// (Excel's "Unicode Text") is refused with the way out.
fn decode(name: &str, bytes: &[u8], encoding: Encoding) -> Result<String, SourceError> {
    let bad = |problem: String, fix: &str| SourceError::BadEntry {
        at: name.to_owned(),
        problem,
        fix: Some(fix.to_owned()),
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(bad(
            "is UTF-16 text (Excel's \"Unicode Text\"), which is not read".to_owned(),
            "save it as \"CSV UTF-8\" instead",
        ));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(name, rest);
    }
    match encoding {
        Encoding::Utf8 => utf8(name, bytes),
        Encoding::Windows1252 | Encoding::Latin1 => {
            // Text that is valid UTF-8 with letters beyond ASCII is UTF-8: as Windows-1252 it
            // would turn `José` into `JosÃ©` without a word.
            if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
                return Err(bad(
                    format!(
                        "is UTF-8 text, but the source says `encoding: {}`",
                        if encoding == Encoding::Latin1 {
                            "latin-1"
                        } else {
                            "windows-1252"
                        }
                    ),
                    "remove `encoding` from the source (UTF-8 is the default)",
                ));
            }
            // Windows-1252 gives every byte a character: decoding can't fail.
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Ok(text.into_owned())
        }
    }
}

fn utf8(name: &str, bytes: &[u8]) -> Result<String, SourceError> {
    String::from_utf8(bytes.to_vec()).map_err(|err| {
        let valid = &bytes[..err.utf8_error().valid_up_to()];
        let line = valid.split(|&byte| byte == b'\n').count();
        SourceError::BadEntry {
            at: format!("{name}:{line}"),
            problem: format!(
                "is not UTF-8 text (byte 0x{:02X} at offset {})",
                bytes[valid.len()],
                valid.len()
            ),
            fix: Some(
                "an export saved by Excel as plain \"CSV\" is usually Windows-1252: set `encoding: windows-1252` on the source, or save the file as \"CSV UTF-8\"".to_owned(),
            ),
        }
    })
}

/// A reader's complaint, in the file's terms.
fn csv_error(name: &str, err: &csv::Error, mut lines: Lines, config: &CsvConfig) -> SourceError {
    let line = lines.at(err.position().map_or(0, csv::Position::byte));
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => SourceError::BadEntry {
            at: format!("{name}:{line}"),
            problem: format!("the row has {len} columns where the header has {expected_len}"),
            fix: Some(format!(
                "a value holding the delimiter `{}` must be in double quotes; check that `delimiter` is the character the export uses",
                delimiter_shown(config.delimiter)
            )),
        },
        _ => SourceError::BadEntry {
            at: format!("{name}:{line}"),
            problem: format!("can't be read as CSV: {err}"),
            fix: Some(
                "check that the file is a CSV export and that `delimiter` and `encoding` match it"
                    .to_owned(),
            ),
        },
    }
}

/// Line numbers as an editor or a spreadsheet shows them, from a record's byte offset. The
/// reader's own count runs one behind after a CRLF line end (it counts the `\n` as part of
/// the next record), and Excel writes CRLF.
struct Lines<'t> {
    text: &'t [u8],
    /// Where the reader starts in the text: its offsets are from there.
    skip: usize,
    /// How far the text has been counted, and the line there.
    counted: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    /// Lines of `text`, whose records are read from the offset `skip` on.
    fn of(text: &'t [u8], skip: usize) -> Self {
        Self {
            text,
            skip,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the record starting at `byte`: past any line ends there (a record may be
    /// said to start at the `\n` of the CRLF before it; blank lines are skipped), counting
    /// `\n`, and a lone `\r` as old Macs wrote it. Offsets must not go back.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .saturating_add(self.skip)
            .min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        let from = self.counted.min(start);
        for (offset, &byte) in self.text[from..start].iter().enumerate() {
            let next = self.text.get(from + offset + 1);
            if byte == b'\n' || (byte == b'\r' && next != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.counted = start;
        self.line
    }
}

fn delimiter_shown(delimiter: u8) -> String {
    if delimiter == b'\t' {
        "tab".to_owned()
    } else {
        char::from(delimiter).to_string()
    }
}

/// Where each mapped value is in a row.
struct Layout<'a> {
    config: &'a CsvConfig,
    header: Vec<String>,
    email: usize,
    first_name: usize,
    last_name: usize,
    job_title: Option<usize>,
    groups: Option<usize>,
    status: Option<usize>,
    attributes: Vec<(&'a str, usize)>,
    disabled_values: BTreeSet<String>,
}

impl<'a> Layout<'a> {
    /// Finds every mapped column in the header, or says which is missing and what the header
    /// has.
    /// `at` is where the header is: `people.csv:1`.
    fn of(
        at: &str,
        header: &csv::StringRecord,
        config: &'a CsvConfig,
    ) -> Result<Self, SourceError> {
        let header: Vec<String> = header.iter().map(str::to_owned).collect();
        let find = |column: &str, key: &str| column_index(at, &header, column, key);
        let columns = &config.columns;
        let optional = |column: &Option<String>, key: &str| {
            column
                .as_deref()
                .map(|column| find(column, key))
                .transpose()
        };
        let attributes = config
            .attributes
            .iter()
            .map(|(attribute, column)| {
                find(column, &format!("attributes.{attribute}"))
                    .map(|index| (attribute.as_str(), index))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            email: find(&columns.email, "columns.email")?,
            first_name: find(&columns.first_name, "columns.first_name")?,
            last_name: find(&columns.last_name, "columns.last_name")?,
            job_title: optional(&columns.job_title, "columns.job_title")?,
            groups: optional(&columns.groups, "columns.groups")?,
            status: config
                .status
                .as_ref()
                .map(|status| find(&status.column, "status.column"))
                .transpose()?,
            attributes,
            disabled_values: config
                .status
                .iter()
                .flat_map(|status| &status.disabled_values)
                .map(|value| value.trim().to_lowercase())
                .collect(),
            header,
            config,
        })
    }

    /// Every column the mapping reads.
    fn mapped(&self) -> impl Iterator<Item = usize> + '_ {
        [self.email, self.first_name, self.last_name]
            .into_iter()
            .chain(self.job_title)
            .chain(self.groups)
            .chain(self.status)
            .chain(self.attributes.iter().map(|&(_, index)| index))
    }

    /// A header cell, fit for a message.
    fn column(&self, index: usize) -> String {
        excerpt::quoted(&self.header[index], QUOTED_CHARS)
    }

    /// The person on `line`.
    fn person(
        &self,
        name: &str,
        line: u64,
        record: &csv::StringRecord,
    ) -> Result<Person, SourceError> {
        let at = format!("{name}:{line}");
        let cell = |index: usize| record.get(index).unwrap_or("");
        // A line break in a name would end up in generated YAML and on terminals.
        for index in self.mapped() {
            if let Some(control) = cell(index).chars().find(|c| c.is_control()) {
                return Err(SourceError::BadEntry {
                    at,
                    problem: format!(
                        "column `{}` holds a control character (U+{:04X})",
                        self.column(index),
                        u32::from(control)
                    ),
                    fix: Some(
                        "remove line breaks, tabs and other control characters from the value in the HR system, and export again".to_owned(),
                    ),
                });
            }
        }
        let email = cell(self.email);
        if email.is_empty() {
            return Err(SourceError::BadEntry {
                at,
                problem: format!("column `{}` is empty", self.column(self.email)),
                fix: Some(
                    "every person needs an email, their DocuSign identity: fill it in, or remove the row".to_owned(),
                ),
            });
        }
        if !looks_like_email(email) {
            return Err(SourceError::BadEntry {
                at,
                problem: format!(
                    "`{}` in column `{}` is not an email address",
                    excerpt::quoted(email, QUOTED_CHARS),
                    self.column(self.email)
                ),
                fix: Some(
                    "correct the address in the export; if the column is the wrong one, change `columns.email`".to_owned(),
                ),
            });
        }
        let first_name = cell(self.first_name);
        let last_name = cell(self.last_name);
        if first_name.is_empty() && last_name.is_empty() {
            return Err(SourceError::BadEntry {
                at,
                problem: format!(
                    "columns `{}` and `{}` are both empty",
                    self.column(self.first_name),
                    self.column(self.last_name)
                ),
                fix: Some("DocuSign needs a name for every user: fill in at least one".to_owned()),
            });
        }
        let groups = match self.groups {
            None => BTreeSet::new(),
            Some(index) => {
                split_groups(cell(index), self.config.columns.groups_separator.as_deref())
            }
        };
        let attributes = self
            .attributes
            .iter()
            .filter(|(_, index)| !cell(*index).is_empty())
            .map(|&(attribute, index)| (attribute.to_owned(), cell(index).to_owned()))
            .collect();
        let disabled = self
            .status
            .is_some_and(|index| self.disabled_values.contains(&cell(index).to_lowercase()));
        Ok(Person {
            email: email.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            job_title: self
                .job_title
                .map(cell)
                .filter(|title| !title.is_empty())
                .map(str::to_owned),
            groups,
            attributes,
            disabled,
            origin: at,
        })
    }
}

/// The index of `column` in the header; `key` is the config key that names it, for the error.
fn column_index(
    at: &str,
    header: &[String],
    column: &str,
    key: &str,
) -> Result<usize, SourceError> {
    let column = column.trim();
    let matching: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, cell)| *cell == column)
        .map(|(index, _)| index)
        .collect();
    match matching[..] {
        [index] => Ok(index),
        [] => {
            let listed = header
                .iter()
                .map(|cell| format!("`{}`", excerpt::quoted(cell, QUOTED_CHARS)))
                .collect::<Vec<_>>()
                .join(", ");
            let suggestion = closest(column, header)
                .map(|best| format!("did you mean `{best}`? "))
                .unwrap_or_default();
            Err(SourceError::BadEntry {
                at: at.to_owned(),
                problem: format!(
                    "the header has no column `{}` (named by `{key}`); its columns are {listed}",
                    excerpt::quoted(column, QUOTED_CHARS)
                ),
                fix: Some(format!(
                    "{suggestion}column names are matched exactly, letter case included: correct `{key}`, or the export's header"
                )),
            })
        }
        [..] => Err(SourceError::BadEntry {
            at: at.to_owned(),
            problem: format!(
                "the header has {} columns named `{}` (named by `{key}`)",
                matching.len(),
                excerpt::quoted(column, QUOTED_CHARS)
            ),
            fix: Some(
                "rename all but one of them in the export, so the mapping names one column"
                    .to_owned(),
            ),
        }),
    }
}

/// The header cell most like `column`, when it is likely a typo or a case slip.
fn closest<'h>(column: &str, header: &'h [String]) -> Option<&'h str> {
    header
        .iter()
        .map(|cell| {
            (
                strsim::normalized_damerau_levenshtein(
                    &column.to_lowercase(),
                    &cell.to_lowercase(),
                ),
                cell.as_str(),
            )
        })
        .filter(|(similarity, _)| *similarity >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, cell)| cell)
}

/// The groups in a cell: the whole cell, or its pieces between separators, blanks dropped.
fn split_groups(cell: &str, separator: Option<&str>) -> BTreeSet<String> {
    let pieces: Box<dyn Iterator<Item = &str>> = match separator {
        Some(separator) if !separator.is_empty() => Box::new(cell.split(separator)),
        _ => Box::new(std::iter::once(cell)),
    };
    pieces
        .map(str::trim)
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One `@` with something on each side and no space: what a directory's email field must at
/// least be. DocuSign checks the rest.
pub(super) fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_one_ascii_character_or_tab() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("TAB"), Ok(b'\t'));
        assert!(parse_delimiter(";;").is_err());
        assert!(parse_delimiter("").is_err());
        assert!(parse_delimiter("§").is_err());
        assert!(parse_delimiter("\"").is_err());
    }

    #[test]
    fn lines_are_counted_as_an_editor_shows_them() {
        let crlf = b"h\r\na\r\n\r\nb\r\n";
        let mut lines = Lines::of(crlf, 0);
        // The reader puts the second record at the `\n` of the CRLF before it.
        assert_eq!(lines.at(2), 2);
        assert_eq!(lines.at(5), 4);
        let mut lines = Lines::of(b"h\n\"two\nlines\"\nc\rd\n", 0);
        assert_eq!(lines.at(2), 2);
        assert_eq!(lines.at(14), 4);
        assert_eq!(lines.at(16), 5);
    }

    #[test]
    fn groups_split_on_the_separator_or_not_at_all() {
        assert_eq!(
            split_groups(" Sales | EMEA ||", Some("|")),
            ["EMEA", "Sales"].map(str::to_owned).into()
        );
        assert_eq!(
            split_groups("Sales | EMEA", None),
            ["Sales | EMEA"].map(str::to_owned).into()
        );
        assert!(split_groups("", Some("|")).is_empty());
    }

    #[test]
    fn an_email_needs_one_at_with_text_either_side() {
        assert!(looks_like_email("ana@example.com"));
        assert!(!looks_like_email("ana.example.com"));
        assert!(!looks_like_email("@example.com"));
        assert!(!looks_like_email("ana@"));
        assert!(!looks_like_email("ana@b@c"));
        assert!(!looks_like_email("ana silva@example.com"));
    }
}
