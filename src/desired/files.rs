//! Finding and reading the desired-state files under a directory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

use super::problem::{Problem, Source};
use crate::confined::{self, Confinement, FileError};

/// One YAML file, read whole.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub source: Source,
    /// Written by `sync` (it lies under `generated/` in the directory): a hand-written entry
    /// may override what it says.
    pub generated: bool,
}

impl SourceFile {
    /// Wraps text that did not come from disk (tests, benchmarks).
    #[must_use]
    pub fn from_text(path: impl Into<PathBuf>, text: &str) -> Self {
        let path = path.into();
        // `validate .` should say `users.yaml`, not `./users.yaml`.
        let name = path
            .strip_prefix(".")
            .unwrap_or(&path)
            .display()
            .to_string();
        let source = Arc::new(NamedSource::new(
            name,
            Arc::from(lone_cr_to_lf(text).as_ref()),
        ));
        let generated = path.starts_with(super::write::GENERATED_FOLDER);
        Self {
            path,
            source,
            generated,
        }
    }

    #[must_use]
    pub fn text(&self) -> &str {
        self.source.inner()
    }

    #[must_use]
    pub fn name(&self) -> &str {
        self.source.name()
    }
}

/// Old Mac line ends (a lone `\r`) become `\n`: the YAML parser counts them as line breaks
/// but miette's snippets don't, so the two would disagree on line numbers. Same length, so
/// byte offsets are unchanged.
fn lone_cr_to_lf(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\r') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(if c == '\r' && chars.peek() != Some(&'\n') {
            '\n'
        } else {
            c
        });
    }
    out.into()
}

/// The most read from one desired-state file. A file of 100,000 users (an import of a big
/// account with no groups) is about 20 MB; anything much larger is not desired state.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// What a walk of the desired-state directory found.
#[derive(Debug, Default)]
pub struct Found {
    /// The files to read, in sorted path order, each once (two links to one file read it once).
    pub files: Vec<PathBuf>,
    /// Entries refused on the way: links leading out of the directory, FIFOs, devices…
    pub refused: Vec<Problem>,
}

/// Lists every `*.yaml`/`*.yml` file under `dir`, recursively, in sorted path order.
///
/// Hidden files and folders (`.git`, `.github`, `.docusign-gitops`) are skipped: a repo's root
/// is a fine DIR, and CI workflow files there are not desired state. In CI the directory is a
/// pull request's, so only what stays inside it is read: a link (to a file or a folder) is
/// followed only when its target is inside the directory, and a YAML name that is a FIFO,
/// socket or device is refused. Each folder is walked once, so a link cycle can't trap the walk.
pub fn find(dir: &Path) -> Result<Found, Problem> {
    let metadata = std::fs::metadata(dir).map_err(|err| {
        Problem::error(
            "desired::no_directory",
            format!("can't read the desired-state directory `{}`: {err}", dir.display()),
        )
        .help("pass the directory that holds your YAML files, e.g. `docusign-gitops validate examples/desired-state`")
    })?;
    if !metadata.is_dir() {
        return Err(Problem::error(
            "desired::no_directory",
            format!("`{}` is not a directory", dir.display()),
        )
        .help("pass the directory that holds your YAML files, not one file"));
    }
    let confinement = Confinement::of(dir)
        .map_err(|err| Problem::error("desired::no_directory", err.to_string()).help(err.help()))?;
    let mut walk = Walk {
        confinement,
        visited: HashSet::new(),
        files: Vec::new(),
        refused: Vec::new(),
    };
    walk.visited.insert(walk.confinement.root().to_path_buf());
    walk.folder(dir)?;
    let Walk {
        mut files, refused, ..
    } = walk;
    files.sort();
    let mut seen = HashSet::new();
    files.retain(|(_, real)| seen.insert(real.clone()));
    if files.is_empty() && refused.is_empty() {
        return Err(Problem::error(
            "desired::no_files",
            format!("no `*.yaml` or `*.yml` files under `{}`", dir.display()),
        )
        .help("check the path, or run `docusign-gitops import --out DIR` to write files for an existing account"));
    }
    Ok(Found {
        files: files.into_iter().map(|(path, _)| path).collect(),
        refused,
    })
}

struct Walk {
    confinement: Confinement,
    /// Real folders already walked.
    visited: HashSet<PathBuf>,
    /// Each file as named under the directory, and where it really is.
    files: Vec<(PathBuf, PathBuf)>,
    refused: Vec<Problem>,
}

impl Walk {
    fn folder(&mut self, dir: &Path) -> Result<(), Problem> {
        let unreadable = |err: std::io::Error| {
            Problem::error(
                "desired::unreadable",
                format!("can't list `{}`: {err}", dir.display()),
            )
        };
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            entries.push((entry.path(), entry.file_type().map_err(unreadable)?));
        }
        // In name order, so which of two names for one folder is walked is always the same.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, file_type) in entries {
            if file_type.is_dir() {
                self.enter(&path)?;
            } else if file_type.is_symlink() {
                self.link(&path)?;
            } else if is_yaml(&path) {
                if file_type.is_file() {
                    let real = self.confinement.resolve(&path);
                    match real {
                        Ok(real) => self.files.push((path, real)),
                        Err(err) => self.refuse(&err),
                    }
                } else {
                    match std::fs::symlink_metadata(&path) {
                        Ok(metadata) => {
                            self.refuse(&FileError::NotRegular {
                                path,
                                kind: confined::kind_of(&metadata),
                            });
                        }
                        Err(err) => return Err(unreadable(err)),
                    }
                }
            }
        }
        Ok(())
    }

    /// A folder inside the directory, walked unless it already was (under another name).
    fn enter(&mut self, path: &Path) -> Result<(), Problem> {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.visited.insert(real) {
            self.folder(path)?;
        }
        Ok(())
    }

    /// A link: followed when it stays inside and leads to a folder or a YAML file. A link with
    /// another name is never read, so it may point anywhere but to a folder outside.
    fn link(&mut self, path: &Path) -> Result<(), Problem> {
        let yaml = is_yaml(path);
        let leads_to_folder = std::fs::metadata(path).is_ok_and(|metadata| metadata.is_dir());
        if !yaml && !leads_to_folder {
            return Ok(());
        }
        let real = match self.confinement.resolve(path) {
            Ok(real) => real,
            Err(err) => {
                self.refuse(&err);
                return Ok(());
            }
        };
        if leads_to_folder {
            return self.enter(path);
        }
        match std::fs::metadata(&real) {
            Ok(metadata) if metadata.is_file() => self.files.push((path.to_path_buf(), real)),
            Ok(metadata) => self.refuse(&FileError::NotRegular {
                path: path.to_path_buf(),
                kind: confined::kind_of(&metadata),
            }),
            Err(err) => self.refuse(&FileError::Io {
                path: path.to_path_buf(),
                error: err,
            }),
        }
        Ok(())
    }

    fn refuse(&mut self, err: &FileError) {
        self.refused.push(refused(err));
    }
}

/// A file that is not read, as a problem.
fn refused(err: &FileError) -> Problem {
    let code = match err {
        FileError::Outside { .. } => "desired::link_outside",
        FileError::Dangling { .. } => "desired::dangling_link",
        FileError::NotRegular { .. } => "desired::not_a_file",
        FileError::TooLarge { .. } => "desired::too_large",
        FileError::Io { .. } => "desired::unreadable",
    };
    let help = match err {
        FileError::NotRegular { .. } => {
            "desired state is read from regular files only; replace it with a regular file, or remove it"
        }
        FileError::TooLarge { .. } => {
            "split it into several files: users, for one, may be spread over `users/*.yaml`"
        }
        other => other.help(),
    };
    Problem::error(code, err.to_string()).help(help)
}

/// Whether `path` names a YAML file, as the loader reads them (`.yaml`, `.yml`, any case).
#[must_use]
pub fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

/// Reads one file found by [`find`]: a regular file of at most [`MAX_FILE_BYTES`], opened
/// without blocking (a FIFO swapped in meanwhile is refused, not waited on). A file that is
/// not UTF-8 is a problem, not a crash.
pub fn read(path: &Path) -> Result<SourceFile, Problem> {
    // `find` checked where links lead; follow the last one here to the file it checked.
    let real = std::fs::canonicalize(path).map_err(|error| {
        refused(&FileError::Io {
            path: path.to_path_buf(),
            error,
        })
    })?;
    let bytes =
        confined::read_regular(&real, MAX_FILE_BYTES).map_err(|err| refused(&err.about(path)))?;
    let text = String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = valid.split(|&byte| byte == b'\n').count();
        Problem::error(
            "desired::not_utf8",
            format!(
                "`{}` is not UTF-8 text (invalid byte on line {line}, at offset {})",
                confined::shown(path),
                valid.len()
            ),
        )
        .help("save the file as UTF-8")
    })?;
    Ok(SourceFile::from_text(path, &text))
}
