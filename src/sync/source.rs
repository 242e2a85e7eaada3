//! What every directory source gives: the people in it, as they are there. Mapping them to
//! DocuSign (groups, profiles, who is in scope) is the rules' job, not the source's.

use std::collections::{BTreeMap, BTreeSet};

/// One person as a directory holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    /// As the source spells it; normalised when mapped.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: Option<String>,
    /// The directory groups the person is in, by the name the rules use (a CSV column's
    /// values, an LDAP group's `cn`, a SCIM group's `displayName`), nested membership resolved.
    pub groups: BTreeSet<String>,
    /// Any other attribute the rules may test, by the name the source's mapping gives it.
    pub attributes: BTreeMap<String, String>,
    /// The directory says the account is disabled: a leaver.
    pub disabled: bool,
    /// Where in the source the person came from, for errors: `people.csv:12`,
    /// an LDAP DN, `users.json: Resources[3]`.
    pub origin: String,
}

/// A directory the people come from. Entra ID or Okta can follow as more implementations.
pub trait Source {
    /// Every person in scope of the source's own filter, in a stable order.
    ///
    /// # Errors
    /// When the source can't be read, or holds an entry that can't be a person (a row with no
    /// email, say): never a partial list.
    fn people(&self) -> Result<Vec<Person>, SourceError>;
}

/// Why a source couldn't be read. Never carries a secret (a bind password, a token).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SourceError {
    /// The source's file can't be read.
    #[error("can't read `{path}`: {reason}")]
    #[diagnostic(code(sync::unreadable))]
    Unreadable { path: String, reason: String },

    /// One entry is not a person the rules can use; `at` says where (a file and row, a DN…).
    #[error("{at}: {problem}")]
    #[diagnostic(code(sync::bad_entry))]
    BadEntry {
        at: String,
        problem: String,
        #[help]
        fix: Option<String>,
    },

    /// The directory server refused us or couldn't be reached.
    #[error("the directory at `{url}` {problem}")]
    #[diagnostic(code(sync::directory))]
    Directory {
        url: String,
        problem: String,
        #[help]
        fix: Option<String>,
    },
}

impl SourceError {
    /// An export that names nobody, at `at`: refused, as the same fix says for every kind of
    /// export, because writing it would make everyone from the source a leaver.
    pub(super) fn empty_export(at: String, problem: &str) -> Self {
        Self::BadEntry {
            at,
            problem: problem.to_owned(),
            fix: Some(
                "an empty export would make everyone from this source a leaver: check the export that wrote it; to stop using the source, remove it from `sources.yaml`".to_owned(),
            ),
        }
    }
}
