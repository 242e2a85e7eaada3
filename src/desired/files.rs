//! Finding and reading the desired-state files under a directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

use super::problem::{Problem, Source};

/// One YAML file, read whole.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub source: Source,
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
        Self { path, source }
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

/// Lists every `*.yaml`/`*.yml` file under `dir`, recursively, in sorted path order.
///
/// Hidden files and folders (`.git`, `.github`, `.docusign-gitops`) are skipped: a repo's root
/// is a fine DIR, and CI workflow files there are not desired state. Links to folders are not
/// followed, so a link cycle can't trap the walk.
pub fn find(dir: &Path) -> Result<Vec<PathBuf>, Problem> {
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
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    found.sort();
    if found.is_empty() {
        return Err(Problem::error(
            "desired::no_files",
            format!("no `*.yaml` or `*.yml` files under `{}`", dir.display()),
        )
        .help("check the path, or run `docusign-gitops import --out DIR` to write files for an existing account"));
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), Problem> {
    let unreadable = |err: std::io::Error| {
        Problem::error(
            "desired::unreadable",
            format!("can't list `{}`: {err}", dir.display()),
        )
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let file_type = entry.file_type().map_err(unreadable)?;
        if hidden {
            continue;
        }
        if file_type.is_dir() {
            walk(&path, found)?;
        } else if is_yaml(&path) && path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

/// Reads one file; a file that is not UTF-8 is a problem, not a crash.
pub fn read(path: &Path) -> Result<SourceFile, Problem> {
    let bytes = std::fs::read(path).map_err(|err| {
        Problem::error(
            "desired::unreadable",
            format!("can't read `{}`: {err}", path.display()),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|err| {
        Problem::error(
            "desired::not_utf8",
            format!(
                "`{}` is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                err.utf8_error().valid_up_to()
            ),
        )
        .help("save the file as UTF-8")
    })?;
    Ok(SourceFile::from_text(path, &text))
}
