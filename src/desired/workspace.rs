//! A workspace: several DocuSign accounts in one tree. `workspace.yaml` at the root names each
//! account's folder (a desired-state directory with its own `account` section) and the folder
//! of shared definitions (permission profiles, groups, signing groups, users) every account
//! takes. An account's own definition of an object replaces the shared one, and `without`
//! leaves shared objects out of an account, so a person can be a sender in one account, a
//! viewer in another and absent from a third.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::document::Document;
use super::files::{self, SourceFile};
use super::problem::Problem;
use super::{Outcome, parse};
use crate::model::{EmailKey, NameKey};

/// The file that makes a directory a workspace.
pub const WORKSPACE_FILE: &str = "workspace.yaml";

/// The `workspace` section, alone in `workspace.yaml` at the root of the tree.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSection {
    /// The folder, under the root, of the definitions every account takes (only
    /// `permission_profiles`, `groups`, `signing_groups` and `users`). Default `shared`.
    #[serde(default = "default_shared")]
    #[schemars(with = "String")]
    pub shared: Spanned<String>,
    /// The accounts, each a folder under the root with its own `account` section.
    #[schemars(with = "Vec<AccountEntry>")]
    pub accounts: Spanned<Vec<AccountEntry>>,
}

fn default_shared() -> Spanned<String> {
    Spanned {
        value: "shared".to_owned(),
        referenced: serde_saphyr::Location::UNKNOWN,
        defined: serde_saphyr::Location::UNKNOWN,
    }
}

/// One account of the workspace.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// What `--account` and the plan call it.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Its folder, relative to the root: a desired-state directory like any other.
    #[schemars(with = "String")]
    pub dir: Spanned<String>,
    /// Shared objects this account doesn't take, by name (users by email).
    #[serde(default)]
    pub without: Without,
    /// This account's own credentials: with `env_prefix: EMEA`, they are read from
    /// `EMEA_DOCUSIGN_ACCESS_TOKEN`, `EMEA_DOCUSIGN_CLIENT_ID`, `EMEA_DOCUSIGN_USER_ID`,
    /// `EMEA_DOCUSIGN_PRIVATE_KEY_FILE` and the rest (and `EMEA_DOCUSIGN_AUTH_SERVER` when set),
    /// never from the `DOCUSIGN_…` ones the other accounts share. Capital letters, digits and
    /// `_`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub env_prefix: Option<Spanned<String>>,
}

impl AccountEntry {
    /// What this account's credential variables start with: `EMEA_` for `env_prefix: EMEA`;
    /// empty for the shared `DOCUSIGN_…` ones.
    #[must_use]
    pub fn credentials_prefix(&self) -> String {
        self.env_prefix
            .as_ref()
            .map(|prefix| format!("{}_", prefix.value.trim().trim_end_matches('_')))
            .unwrap_or_default()
    }
}

/// An `env_prefix` that can't start a variable's name, at its line.
fn prefix_problems(source: &super::problem::Source, accounts: &[AccountEntry]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for account in accounts {
        let Some(prefix) = &account.env_prefix else {
            continue;
        };
        let value = prefix.value.trim().trim_end_matches('_');
        let well_formed = value
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_uppercase())
            && value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            problems.push(
                    Problem::error(
                        "workspace::env_prefix",
                        format!("`{value}` can't start the name of an environment variable"),
                    )
                    .at_location(source, &prefix.referenced, "here")
                    .help("use capital letters, digits and `_`, starting with a letter, e.g. `env_prefix: EMEA` for `EMEA_DOCUSIGN_CLIENT_ID`"),
                );
        }
    }
    problems
}

/// The shared objects an account leaves out.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Without {
    /// Shared permission profiles the account doesn't take, by name.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub permission_profiles: Vec<Spanned<String>>,
    /// Shared groups the account doesn't take, by name.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub groups: Vec<Spanned<String>>,
    /// Shared signing groups the account doesn't take, by name.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub signing_groups: Vec<Spanned<String>>,
    /// Shared users the account doesn't take, by email: absent from this account.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub users: Vec<Spanned<String>>,
}

/// A workspace as read: where it is, its file (for problems) and what it says.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub file: SourceFile,
    pub shared: String,
    pub accounts: Vec<AccountEntry>,
}

impl Workspace {
    /// The workspace rooted at `dir`, `Ok(None)` when `dir` holds no `workspace.yaml` (a
    /// single-account directory), or the problems that make it unusable, each at its line.
    ///
    /// # Errors
    /// When the file can't be read or parsed, holds anything but the `workspace` section, or
    /// names accounts that can't be told apart or found.
    pub fn find(dir: &Path) -> Result<Option<Self>, Vec<Problem>> {
        let path = dir.join(WORKSPACE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let file = files::read(&path).map_err(|problem| vec![problem])?;
        let document = parse::parse(&file)?;
        let workspace = Self::checked(dir, file, document)?;
        Ok(Some(workspace))
    }

    fn checked(dir: &Path, file: SourceFile, document: Document) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let more = !document.holds_only(&["workspace"]);
        let Some(section) = document.workspace else {
            return Err(vec![
                Problem::error(
                    "workspace::no_section",
                    format!("`{}` has no `workspace` section", file.name()),
                )
                .help("name the accounts: `workspace: { accounts: [ { name: production, dir: production } ] }`"),
            ]);
        };
        if more {
            problems.push(
                Problem::error(
                    "workspace::other_sections",
                    format!("`{}` holds more than the `workspace` section", file.name()),
                )
                .help("put definitions in the shared folder or in an account's folder"),
            );
        }
        let source = &file.source;
        let mut names = HashSet::new();
        let mut dirs = HashSet::new();
        for account in &section.accounts.value {
            let name = account.name.value.trim();
            if name.is_empty() || !names.insert(name.to_lowercase()) {
                problems.push(
                    Problem::error(
                        "workspace::account_name",
                        format!("the account name `{name}` is empty or used twice"),
                    )
                    .at_location(source, &account.name.referenced, "here")
                    .help("give every account its own name"),
                );
            }
            let folder = account.dir.value.trim().trim_end_matches('/');
            let inside = !folder.is_empty()
                && folder != "."
                && Path::new(folder).is_relative()
                && !Path::new(folder)
                    .components()
                    .any(|part| matches!(part, std::path::Component::ParentDir));
            if !inside || !dir.join(folder).is_dir() {
                problems.push(
                    Problem::error(
                        "workspace::account_dir",
                        format!("`{folder}` is not a folder under the workspace's root"),
                    )
                    .at_location(source, &account.dir.referenced, "here")
                    .help("give the account's folder relative to the folder that holds workspace.yaml, e.g. `dir: production`"),
                );
            } else if !dirs.insert(folder.to_owned()) || folder == section.shared.value.trim() {
                problems.push(
                    Problem::error(
                        "workspace::account_dir",
                        format!("the folder `{folder}` is used twice"),
                    )
                    .at_location(source, &account.dir.referenced, "here")
                    .help("each account, and the shared definitions, have a folder of their own"),
                );
            }
        }
        problems.extend(prefix_problems(source, &section.accounts.value));
        if section.accounts.value.is_empty() {
            problems.push(
                Problem::error("workspace::no_accounts", "the workspace names no account")
                    .at_location(source, &section.accounts.referenced, "here")
                    .help("list each account with its `name` and `dir`"),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            root: dir.to_path_buf(),
            shared: section.shared.value.trim().trim_end_matches('/').to_owned(),
            accounts: section.accounts.value,
            file,
        })
    }

    /// The account called `name` (letter case aside).
    #[must_use]
    pub fn account(&self, name: &str) -> Option<&AccountEntry> {
        self.accounts
            .iter()
            .find(|account| account.name.value.trim().eq_ignore_ascii_case(name.trim()))
    }

    /// The account's folder.
    #[must_use]
    pub fn dir_of(&self, account: &AccountEntry) -> PathBuf {
        self.root
            .join(account.dir.value.trim().trim_end_matches('/'))
    }

    /// The shared definitions, read and parsed, for [`Self::load_with`]; none when the shared
    /// folder isn't there.
    #[must_use]
    pub fn shared(&self) -> super::Parsed {
        let shared_dir = self.root.join(&self.shared);
        if shared_dir.is_dir() {
            super::Parsed::of(super::read_tree(&shared_dir))
        } else {
            super::Parsed::default()
        }
    }

    /// Reads and checks one account: its own files and the shared ones it takes.
    #[must_use]
    pub fn load(&self, account: &AccountEntry) -> Outcome {
        self.load_with(account, &self.shared())
    }

    /// Reads and checks one account with `shared`, the shared definitions [`Self::shared`]
    /// read and parsed: as [`Self::load`] does, without reading them again.
    #[must_use]
    pub fn load_with(&self, account: &AccountEntry, shared: &super::Parsed) -> Outcome {
        let own = super::read_tree(&self.dir_of(account));
        super::check_tree(&self.root, own, shared, |parsed, shared| {
            self.take_shared(account, parsed, shared)
        })
    }

    /// Reads and checks every account, and answers what `then` makes of each one's outcome, in
    /// the order `workspace.yaml` names them: the shared definitions read and parsed once, then
    /// each account, and `then`, on a thread of its own.
    pub fn load_every<T: Send>(&self, then: impl Fn(&AccountEntry, Outcome) -> T + Sync) -> Vec<T> {
        let shared = self.shared();
        let (shared, then) = (&shared, &then);
        std::thread::scope(|scope| {
            let running: Vec<_> = self
                .accounts
                .iter()
                .map(|account| scope.spawn(move || then(account, self.load_with(account, shared))))
                .collect();
            running
                .into_iter()
                .map(|thread| {
                    thread
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// Adds to `parsed` (the account's own files) what of `shared` the account takes: every
    /// object it neither defines itself nor leaves out with `without`. Returns the problems: a
    /// shared file with more than objects, a `without` that names no shared object.
    fn take_shared(
        &self,
        account: &AccountEntry,
        parsed: &mut Vec<(SourceFile, Document)>,
        shared: &[(SourceFile, Document)],
    ) -> Vec<Problem> {
        let mut problems = Vec::new();
        let own = Keys::of(parsed.iter().map(|(_, document)| document));
        let left_out = Keys::without(&account.without);
        let offered = Keys::of(shared.iter().map(|(_, document)| document));
        for (kind, names) in left_out.kinds() {
            for name in names.iter().filter(|name| !offered.holds(kind, name)) {
                let reference = account
                    .without
                    .named(kind, name)
                    .map(|spanned| spanned.referenced);
                let mut problem = Problem::error(
                    "workspace::without_unknown",
                    format!("`without.{kind}` names `{name}`, which no shared definition declares"),
                )
                .help("name a shared object, or remove the entry");
                if let Some(location) = reference {
                    problem = problem.at_location(&self.file.source, &location, "here");
                }
                problems.push(problem);
            }
        }
        for (file, document) in shared {
            if !document.holds_only(&Document::OBJECT_SECTIONS) {
                problems.push(
                    Problem::error(
                        "workspace::shared_sections",
                        format!(
                            "`{}` is a shared definition and holds more than objects",
                            file.name()
                        ),
                    )
                    .help("shared files hold only `permission_profiles`, `groups`, `signing_groups` and `users`; put `account`, `defaults`, `policy` and `sync` in each account's folder"),
                );
                continue;
            }
            let taken =
                |kind: &str, name: &str| !own.holds(kind, name) && !left_out.holds(kind, name);
            // A file that holds only objects is its four lists and nothing else: what the
            // account takes of them is all of it. The shared documents are parsed once for
            // every account, so only what this one takes is copied.
            let kept = Document {
                permission_profiles: kept(document.permission_profiles.as_ref(), |entry| {
                    taken("permission_profiles", &entry.name.value)
                }),
                groups: kept(document.groups.as_ref(), |entry| {
                    taken("groups", &entry.name.value)
                }),
                signing_groups: kept(document.signing_groups.as_ref(), |entry| {
                    taken("signing_groups", &entry.name.value)
                }),
                users: kept(document.users.as_ref(), |entry| {
                    taken("users", &entry.email.value)
                }),
                ..Document::default()
            };
            parsed.push((file.clone(), kept));
        }
        problems
    }
}

impl Without {
    fn named(&self, kind: &str, name: &str) -> Option<&Spanned<String>> {
        let list = match kind {
            "permission_profiles" => &self.permission_profiles,
            "groups" => &self.groups,
            "signing_groups" => &self.signing_groups,
            _ => &self.users,
        };
        list.iter()
            .find(|entry| key(kind, &entry.value) == key(kind, name))
    }
}

/// The entries of `list` that `take` keeps, copied; `None` when the list isn't written.
fn kept<T: Clone>(list: Option<&Vec<T>>, take: impl Fn(&T) -> bool) -> Option<Vec<T>> {
    list.map(|list| list.iter().filter(|entry| take(entry)).cloned().collect())
}

/// The keys declared per kind, as the validator compares them.
#[derive(Default)]
struct Keys(BTreeMap<&'static str, Vec<String>>);

const KINDS: [&str; 4] = ["permission_profiles", "groups", "signing_groups", "users"];

/// The names (`name` of each entry) a list declares.
fn names<T>(list: Option<&Vec<T>>, name: impl Fn(&T) -> &String) -> Vec<&str> {
    list.into_iter()
        .flatten()
        .map(|entry| name(entry).as_str())
        .collect()
}

fn key(kind: &str, name: &str) -> String {
    if kind == "users" {
        EmailKey::new(name).as_str().to_owned()
    } else {
        NameKey::new(name).as_str().to_owned()
    }
}

impl Keys {
    fn of<'d>(documents: impl Iterator<Item = &'d Document>) -> Self {
        let mut keys = Self::default();
        for document in documents {
            let lists: [(&'static str, Vec<&str>); 4] = [
                (
                    KINDS[0],
                    names(document.permission_profiles.as_ref(), |e| &e.name.value),
                ),
                (KINDS[1], names(document.groups.as_ref(), |e| &e.name.value)),
                (
                    KINDS[2],
                    names(document.signing_groups.as_ref(), |e| &e.name.value),
                ),
                (KINDS[3], names(document.users.as_ref(), |e| &e.email.value)),
            ];
            for (kind, list) in lists {
                keys.0
                    .entry(kind)
                    .or_default()
                    .extend(list.into_iter().map(|name| key(kind, name)));
            }
        }
        keys
    }

    fn without(without: &Without) -> Self {
        let lists = [
            (KINDS[0], &without.permission_profiles),
            (KINDS[1], &without.groups),
            (KINDS[2], &without.signing_groups),
            (KINDS[3], &without.users),
        ];
        Self(
            lists
                .into_iter()
                .map(|(kind, list)| (kind, list.iter().map(|n| key(kind, &n.value)).collect()))
                .collect(),
        )
    }

    fn holds(&self, kind: &str, name: &str) -> bool {
        self.0
            .get(kind)
            .is_some_and(|keys| keys.contains(&key(kind, name)))
    }

    fn kinds(&self) -> impl Iterator<Item = (&'static str, &Vec<String>)> {
        self.0.iter().map(|(kind, names)| (*kind, names))
    }
}

/// Why a command that works on one account's desired state can't take `dir` (yet): `dir` is a
/// workspace's root, or one account's folder in a workspace, which alone lacks the shared
/// definitions (a plan from it would close every shared user).
#[must_use]
pub fn single_account_refusal(dir: &Path) -> Option<Problem> {
    if dir.join(WORKSPACE_FILE).exists() {
        return Some(
            Problem::error(
                "workspace::not_yet",
                format!("`{}` is a workspace of several accounts, and this command takes one account's directory", dir.display()),
            )
            .help("`validate`, `plan`, `apply` and `drift` take a workspace with `--account NAME` (validate: all accounts without it); this command doesn't take a workspace yet"),
        );
    }
    let real = std::fs::canonicalize(dir).ok()?;
    for root in real.ancestors().skip(1) {
        if !root.join(WORKSPACE_FILE).exists() {
            continue;
        }
        let Ok(Some(workspace)) = Workspace::find(root) else {
            return None;
        };
        let account = workspace.accounts.iter().find(|account| {
            std::fs::canonicalize(workspace.dir_of(account)).is_ok_and(|folder| folder == real)
        })?;
        return Some(
            Problem::error(
                "workspace::account_folder",
                format!(
                    "`{}` is the account `{}` of the workspace at `{}`, and holds only part of its desired state",
                    dir.display(),
                    account.name.value.trim(),
                    root.display()
                ),
            )
            .help(format!(
                "the shared definitions in `{}` belong to it too: name the workspace and the account, e.g. `docusign-gitops plan {} --account {}`",
                workspace.shared,
                root.display(),
                account.name.value.trim()
            )),
        );
    }
    None
}
