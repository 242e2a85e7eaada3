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
pub mod workspace;
pub mod write;

pub use files::SourceFile;
pub use problem::{Level, Problem};

use std::path::Path;

pub use checked::Desired;
pub use validate::Outcome;

/// Reads, parses and checks every desired-state file under `dir`. Never touches the network.
#[must_use]
pub fn load(dir: &Path) -> Outcome {
    check_tree(dir, read_tree(dir), &Parsed::default(), |_, _| Vec::new())
}

/// The desired-state files under a folder, read, and the problems of those that couldn't be.
#[derive(Default)]
pub struct Tree {
    files: Vec<SourceFile>,
    unreadable: Vec<Problem>,
    /// The folder itself can't be read, or holds no YAML: `unreadable` says why.
    missing: bool,
}

impl Tree {
    /// The files written by hand (not under `generated/`), or the problems of the files that
    /// couldn't be read.
    pub fn hand_written(self) -> Result<Vec<SourceFile>, Vec<Problem>> {
        if !self.unreadable.is_empty() {
            return Err(self.unreadable);
        }
        Ok(self
            .files
            .into_iter()
            .filter(|file| !file.generated)
            .collect())
    }
}

/// Reads every desired-state file under `dir`; one under its `generated/` is marked so.
#[must_use]
pub fn read_tree(dir: &Path) -> Tree {
    let found = match files::find(dir) {
        Ok(found) => found,
        Err(problem) => {
            return Tree {
                files: Vec::new(),
                unreadable: vec![problem],
                missing: true,
            };
        }
    };
    let files::Found {
        files: paths,
        refused: mut unreadable,
    } = found;
    let mut files = Vec::with_capacity(paths.len());
    for path in &paths {
        match files::read(path) {
            Ok(mut file) => {
                file.generated = path
                    .strip_prefix(dir)
                    .is_ok_and(|inside| inside.starts_with(write::GENERATED_FOLDER));
                files.push(file);
            }
            Err(problem) => unreadable.push(problem),
        }
    }
    Tree {
        files,
        unreadable,
        missing: false,
    }
}

/// A folder's files read and parsed once, for every check that takes them (a workspace's
/// shared definitions, which each account takes).
#[derive(Default)]
pub struct Parsed {
    /// Every file read, whether it parsed or not (for the digest and the count).
    files: Vec<SourceFile>,
    unreadable: Vec<Problem>,
    /// The files that parsed, each with its document.
    documents: Vec<(SourceFile, document::Document)>,
    /// Why the others didn't.
    problems: Vec<Problem>,
}

impl Parsed {
    /// Parses every file of `tree`.
    #[must_use]
    pub fn of(tree: Tree) -> Self {
        let (documents, problems) = parse_all(tree.files.clone());
        Self {
            files: tree.files,
            unreadable: tree.unreadable,
            documents,
            problems,
        }
    }
}

/// Parses and checks `own` with what `take` keeps of `other` (a workspace's shared files,
/// parsed once; what `take` keeps it adds to the parsed `own` ones). Paths in the digest and in
/// limits' places are relative to `root`.
pub fn check_tree(
    root: &Path,
    own: Tree,
    other: &Parsed,
    take: impl FnOnce(
        &mut Vec<(SourceFile, document::Document)>,
        &[(SourceFile, document::Document)],
    ) -> Vec<Problem>,
) -> Outcome {
    if own.missing {
        return Outcome {
            desired: None,
            problems: own.unreadable,
            files: 0,
            references_checked: false,
            digest: None,
            sync: None,
        };
    }
    let file_count =
        own.files.len() + own.unreadable.len() + other.files.len() + other.unreadable.len();
    let mut unreadable = own.unreadable;
    unreadable.extend(other.unreadable.iter().cloned());
    let sources: Vec<SourceFile> = own.files.iter().chain(&other.files).cloned().collect();
    let digest = digest::of_files(root, &sources);
    let (mut parsed, mut problems) = parse_all(own.files);
    problems.extend(other.problems.iter().cloned());
    let complete = unreadable.is_empty() && problems.is_empty();
    problems.extend(take(&mut parsed, &other.documents));
    let mut outcome = validate::validate(&parsed, complete);
    if !problems.is_empty() {
        outcome.desired = None;
    }
    if let Some(desired) = outcome.desired.as_mut() {
        // Where a limit is written, as a path within DIR: the same wherever DIR is checked
        // out, as a saved plan's guards must be.
        for place in desired.policy.limits.written_at.values_mut() {
            if let Some((file, line)) = place.rsplit_once(':')
                && let Ok(inside) = std::path::Path::new(file).strip_prefix(root)
            {
                *place = format!("{}:{line}", inside.display());
            }
        }
    }
    outcome.files = file_count;
    outcome.digest = Some(digest);
    outcome.problems.extend(problems);
    outcome.problems.extend(unreadable);
    sort_problems(&mut outcome.problems);
    outcome
}

/// Each file parsed, and the problems of those that couldn't be.
fn parse_all(files: Vec<SourceFile>) -> (Vec<(SourceFile, document::Document)>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(files.len());
    for file in files {
        match parse::parse(&file) {
            Ok(document) => parsed.push((file, document)),
            Err(found) => problems.extend(found),
        }
    }
    (parsed, problems)
}

/// Parses and checks files already in memory. `complete` is false when some file of the
/// desired state could not be read, so references into it can't be judged.
#[must_use]
pub fn check(files: Vec<SourceFile>, complete: bool) -> Outcome {
    let file_count = files.len();
    let (parsed, parse_problems) = parse_all(files);
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
