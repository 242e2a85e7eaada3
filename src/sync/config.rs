//! The `sync` section of the desired state: where people come from, and the rules that map
//! them. Declared once, in any file (by convention `sources.yaml`).

use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

use super::csv::{CsvConfig, CsvSource};
use super::ldap::{LdapConfig, LdapSource};
use super::rules::{Leavers, ProfileConflicts, Rule, Scope};
use super::scim::{ScimConfig, ScimSource};
use super::{Person, Source, SourceError};

/// Where `docusign-gitops sync` reads people from, and how it maps them to DocuSign.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// The directories people come from; each writes `generated/<name>.yaml`.
    pub sources: Vec<SourceEntry>,
    /// Who is in scope. Without it, everyone the sources give.
    #[serde(default)]
    pub scope: Scope,
    /// The rules, in order: a matching rule gives groups, a permission profile and a signing
    /// group.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Which rule's permission profile a person gets when several rules give one.
    #[serde(default)]
    pub profile_conflicts: ProfileConflicts,
    /// What happens to a person the source marks disabled, or who is gone from it (a leaver):
    /// closed, or left to `policy.unmanaged_users`.
    #[serde(default)]
    pub leavers: Leavers,
}

/// One source: a name and exactly one kind.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// Names the generated file (`generated/<name>.yaml`) and each user's provenance.
    pub name: String,
    /// An HR export as CSV.
    pub csv: Option<CsvConfig>,
    /// An LDAP directory or Active Directory.
    pub ldap: Option<LdapConfig>,
    /// A SCIM 2.0 export from an identity provider.
    pub scim: Option<ScimConfig>,
}

impl SourceEntry {
    /// How many kinds the entry names (exactly one is right).
    #[must_use]
    pub fn kinds(&self) -> usize {
        usize::from(self.csv.is_some())
            + usize::from(self.ldap.is_some())
            + usize::from(self.scim.is_some())
    }

    /// Reads the entry's people; files are read inside `dir`.
    ///
    /// # Errors
    /// The source's own: it can't be read, or an entry isn't a person.
    pub fn people(&self, dir: &Path) -> Result<Vec<Person>, SourceError> {
        if let Some(config) = &self.csv {
            CsvSource::new(dir, config.clone()).people()
        } else if let Some(config) = &self.ldap {
            LdapSource::new(config.clone()).people()
        } else if let Some(config) = &self.scim {
            ScimSource::new(dir, config.clone()).people()
        } else {
            Err(SourceError::BadEntry {
                at: format!("the source `{}`", self.name),
                problem: "names no kind".to_owned(),
                fix: Some("give it one of `csv:`, `ldap:` or `scim:`".to_owned()),
            })
        }
    }
}
