//! What can go wrong with the recorded state, its lock and its commit: one error type, each case
//! naming the file and saying how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::desired::problem::line_start;
use crate::excerpt::Excerpt;

/// An error reading, writing, locking or committing the recorded state.
#[derive(Debug, Error, Diagnostic)]
pub enum StateError {
    /// The state file exists but could not be read.
    #[error("can't read the state file `{}`: {reason}", path.display())]
    #[diagnostic(
        code(state::read),
        help("check that the file and its folder are readable by this user")
    )]
    Read { path: PathBuf, reason: String },

    /// The state file is not JSON, or not the shape of a state file.
    #[error(
        "the state file `{}` is damaged at line {line}, column {column}: {reason}",
        path.display()
    )]
    #[diagnostic(
        code(state::corrupt),
        help(
            "the state file is written only by `docusign-gitops apply`; restore the last good version from git: `git log -- {0}`, then `git checkout <commit> -- {0}`",
            path.display()
        )
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
        /// A few lines around the error, never the whole file: it may not be ours at all.
        #[source_code]
        text: Excerpt,
        #[label("here")]
        at: SourceSpan,
    },

    /// The state file was written by a newer docusign-gitops.
    #[error(
        "the state file `{}` has format version {found}, newer than this docusign-gitops understands ({supported})",
        path.display()
    )]
    #[diagnostic(
        code(state::too_new),
        help(
            "a newer docusign-gitops applied this account; upgrade docusign-gitops (in CI too) and run again"
        )
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// The state file's format version is one no docusign-gitops ever wrote.
    #[error(
        "the state file `{}` has format version {found}, which no docusign-gitops writes",
        path.display()
    )]
    #[diagnostic(
        code(state::bad_version),
        help(
            "restore the last good version of the file from git: `git log -- {}`",
            path.display()
        )
    )]
    BadVersion { path: PathBuf, found: u32 },

    /// The state file describes another account than the one being applied.
    #[error(
        "the state file `{}` belongs to account `{found}`, not `{expected}`",
        path.display()
    )]
    #[diagnostic(
        code(state::other_account),
        help(
            "state files are named after their account; restore this one from git, or check DOCUSIGN_ACCOUNT_ID"
        )
    )]
    OtherAccount {
        path: PathBuf,
        found: String,
        expected: String,
    },

    /// The state file, the lock or their folder is a link leading out of the desired-state
    /// directory, or not a regular file: refused before anything is read or written through it.
    #[error("{reason}")]
    #[diagnostic(
        code(state::refused),
        help(
            "docusign-gitops keeps regular files in `.docusign-gitops/` and never reads or writes through a link leading out of the directory; remove `{}` (git restores a committed state file), then run again",
            crate::confined::shown(path)
        )
    )]
    Refused { path: PathBuf, reason: String },

    /// The state file (or its folder) could not be written.
    #[error("can't write the state file `{}`: {reason}", path.display())]
    #[diagnostic(
        code(state::write),
        help(
            "check that the folder is writable and the disk not full; the changes in DocuSign are made, so fix this and run `docusign-gitops apply` again to record them"
        )
    )]
    Write { path: PathBuf, reason: String },

    /// Another apply holds the lock.
    #[error("another apply is running on `{}`: held by {holder}", path.display())]
    #[diagnostic(
        code(state::locked),
        help(
            "wait for it to finish; the lock is released when that process ends, even if it is killed"
        )
    )]
    Locked { path: PathBuf, holder: String },

    /// The lock file could not be opened or locked.
    #[error("can't take the apply lock `{}`: {reason}", path.display())]
    #[diagnostic(
        code(state::lock),
        help("check that the folder is writable by this user")
    )]
    Lock { path: PathBuf, reason: String },

    /// The state file could not be committed to git.
    #[error("can't commit the state file `{}` to git: {reason}", path.display())]
    #[diagnostic(
        code(state::git),
        help(
            "the state file is written; commit it by hand (`git add {}`, then `git commit`) before the next apply",
            path.display()
        )
    )]
    Git { path: PathBuf, reason: String },
}

impl StateError {
    pub(crate) fn read(path: &Path, reason: &dyn fmt::Display) -> Self {
        Self::Read {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn write(path: &Path, reason: &dyn fmt::Display) -> Self {
        Self::Write {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn lock(path: &Path, reason: &dyn fmt::Display) -> Self {
        Self::Lock {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn refused(error: &crate::confined::FileError) -> Self {
        Self::Refused {
            path: error.path().to_path_buf(),
            reason: error.to_string(),
        }
    }

    pub(crate) fn git(path: &Path, reason: &dyn fmt::Display) -> Self {
        Self::Git {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// A JSON error in `bytes`, the content of `path`, placed by serde's line and column.
    pub(crate) fn corrupt(path: &Path, bytes: &[u8], error: &serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        let message = error.to_string();
        // serde_json appends the place to its message; we say it our own way.
        let reason = message
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&message)
            .to_owned();
        let text = String::from_utf8_lossy(bytes);
        let at = SourceSpan::new(offset_of(&text, line, column).into(), 0);
        let (text, at) = Excerpt::around(path.display().to_string(), &text, &[at]);
        Self::Corrupt {
            path: path.to_path_buf(),
            line,
            column,
            reason: crate::excerpt::quoted(&reason, 200),
            text,
            at: at[0],
        }
    }
}

/// Byte offset of `serde_json`'s 1-based line and byte column (0 before a line's first byte),
/// clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let Some(start) = line_start(text, line) else {
        return text.len();
    };
    let line_len = text[start..].find('\n').unwrap_or(text.len() - start);
    let mut offset = start + column.saturating_sub(1).min(line_len);
    // A lossy-decoded text may have grown; stay on a character boundary.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::offset_of;

    #[test]
    fn offsets_follow_serde_lines_and_columns() {
        let text = "{\n  \"a\": x\n}\n";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(&text[offset_of(text, 2, 8)..=offset_of(text, 2, 8)], "x");
        assert_eq!(offset_of(text, 9, 1), text.len());
        assert_eq!(offset_of("", 1, 0), 0);
    }
}
