//! The desired state: YAML files in a directory, parsed with their source spans (stage 0),
//! then checked and turned into the span-free model the planner uses (stage 1).

pub mod checked;
pub mod digest;
pub mod document;
pub mod files;
pub mod parse;
pub mod problem;
pub mod schema;
mod suggest;
pub mod syntax;
mod unknown_keys;
pub mod validate;
pub mod values;
pub mod write;

pub use files::SourceFile;
pub use problem::{Level, Problem};

use std::path::Path;

pub use checked::Desired;
pub use validate::Outcome;

/// Reads, parses and checks every desired-state file under `dir`. Never touches the network.
#[must_use]
pub fn load(dir: &Path) -> Outcome {
    let found = match files::find(dir) {
        Ok(found) => found,
        Err(problem) => {
            return Outcome {
                desired: None,
                problems: vec![problem],
                files: 0,
                references_checked: false,
                digest: None,
                sync: None,
            };
        }
    };
    let files::Found {
        files: paths,
        refused: mut unreadable,
    } = found;
    // A refused entry is a file that could not be read, like one whose read failed.
    let file_count = paths.len() + unreadable.len();
    let mut sources = Vec::with_capacity(paths.len());
    for path in &paths {
        match files::read(path) {
            Ok(mut file) => {
                file.generated = path
                    .strip_prefix(dir)
                    .is_ok_and(|inside| inside.starts_with(write::GENERATED_FOLDER));
                sources.push(file);
            }
            Err(problem) => unreadable.push(problem),
        }
    }
    let digest = digest::of_files(dir, &sources);
    let mut outcome = check(sources, unreadable.is_empty());
    if let Some(desired) = outcome.desired.as_mut() {
        // Where a limit is written, as a path within DIR: the same wherever DIR is checked
        // out, as a saved plan's guards must be.
        for place in desired.policy.limits.written_at.values_mut() {
            if let Some((file, line)) = place.rsplit_once(':')
                && let Ok(inside) = std::path::Path::new(file).strip_prefix(dir)
            {
                *place = format!("{}:{line}", inside.display());
            }
        }
    }
    outcome.files = file_count;
    outcome.digest = Some(digest);
    outcome.problems.extend(unreadable);
    sort_problems(&mut outcome.problems);
    outcome
}

/// Parses and checks files already in memory. `complete` is false when some file of the
/// desired state could not be read, so references into it can't be judged.
#[must_use]
pub fn check(files: Vec<SourceFile>, complete: bool) -> Outcome {
    let file_count = files.len();
    let mut parse_problems = Vec::new();
    let mut parsed = Vec::with_capacity(files.len());
    for file in files {
        match parse::parse(&file) {
            Ok(document) => parsed.push((file, document)),
            Err(problems) => parse_problems.extend(problems),
        }
    }
    let complete = complete && parse_problems.is_empty();
    let mut outcome = validate::validate(&parsed, complete);
    outcome.files = file_count;
    outcome.problems.extend(parse_problems);
    sort_problems(&mut outcome.problems);
    outcome
}

/// Errors before warnings; within each, in file and position order.
fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by(|a, b| {
        (a.level(), a.file_name(), a.offset()).cmp(&(b.level(), b.file_name(), b.offset()))
    });
}
