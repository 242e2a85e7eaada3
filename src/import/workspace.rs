//! `import` of several accounts into one workspace (`examples/workspace/` is the layout):
//! `workspace.yaml` naming each account's folder; what every account holds alike — the same
//! YAML entry, letter for letter — written once in `shared/`; the rest in each account's
//! folder, with its own `account.yaml`. Each account still records every object it holds, with
//! its own IDs: shared or not, they are managed in that account.

use std::collections::BTreeSet;

use serde::Serialize;

use super::render::{self, UserFile};
use super::select::{self, Selection};
use super::{ImportError, Imported, SCHEMA_PATH, Source, failed, files_of, objects_of};
use crate::desired::workspace::WORKSPACE_FILE;
use crate::model::EmailKey;

/// The folder of the shared definitions, as `workspace.yaml` names it.
const SHARED_DIR: &str = "shared";

/// The files of a workspace, and what each account's files and state hold.
#[derive(Debug)]
pub struct ImportedWorkspace {
    /// (path relative to the workspace's root, with `/`; contents), in path order:
    /// `workspace.yaml`, the schema copy, `shared/…` and each account's folder.
    pub files: Vec<(String, String)>,
    /// Per account, in the order given: its `objects` are every object it declares, shared or
    /// not (its recorded state); its `files` are only its own folder's.
    pub accounts: Vec<Imported>,
    pub shared: Shared,
}

/// How many definitions went to `shared/`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Shared {
    pub permission_profiles: usize,
    pub groups: usize,
    pub signing_groups: usize,
    pub users: usize,
}

/// Imports each of `accounts` (its folder's name, and what it is read from) into one workspace.
///
/// # Errors
/// A value serde-saphyr could not write: a bug.
pub fn import_workspace(accounts: &[(&str, Source<'_>)]) -> Result<ImportedWorkspace, ImportError> {
    let selections: Vec<Selection<'_>> = accounts
        .iter()
        .map(|(_, source)| select::select(source.live))
        .collect();
    let objects: Vec<_> = selections.iter().map(objects_of).collect();
    let integration_user = accounts
        .first()
        .and_then(|(_, source)| source.integration_user);
    let texts: Vec<Texts> = selections
        .iter()
        .map(|selection| Texts::of(selection, integration_user.map(EmailKey::new).as_ref()))
        .collect::<Result<_, _>>()?;
    let (shared, owns) = Alike::of(&texts).split(selections, &texts);
    let mut files = vec![
        (WORKSPACE_FILE.to_owned(), workspace_file(accounts)?),
        (SCHEMA_PATH.to_owned(), crate::desired::schema::json()),
    ];
    let counts = Shared {
        permission_profiles: shared.profiles.len(),
        groups: shared.groups.len(),
        signing_groups: shared.signing_groups.len(),
        users: shared.users.len(),
    };
    files.extend(in_folder(
        SHARED_DIR,
        files_of(&shared, None, integration_user, true)?,
    ));
    let mut imported = Vec::new();
    for (((name, source), own), objects) in accounts.iter().zip(owns).zip(objects) {
        let own_files = in_folder(
            name,
            files_of(&own, Some(source), source.integration_user, true)?,
        );
        files.extend(own_files.iter().cloned());
        imported.push(Imported {
            files: own_files,
            objects,
            left_out: own.left_out,
            builtin_profiles: own.builtin_profiles,
            builtin_groups: own.builtin_groups,
            closed_users: own.closed_users,
        });
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(ImportedWorkspace {
        files,
        accounts: imported,
        shared: counts,
    })
}

/// The files of a folder of the workspace: under `folder/`, without a schema copy of their
/// own, their modeline pointing one folder further up, at the root's copy.
fn in_folder(folder: &str, files: Vec<(String, String)>) -> Vec<(String, String)> {
    files
        .into_iter()
        .filter(|(path, _)| path != SCHEMA_PATH)
        .map(|(path, text)| {
            // The modeline is the first line, `# yaml-language-server: $schema=…`.
            let text = text.replacen("$schema=", "$schema=../", 1);
            (format!("{folder}/{path}"), text)
        })
        .collect()
}

/// Each object's entry as written alone, per kind, in the selection's order: what tells two
/// accounts' objects alike.
struct Texts {
    profiles: Vec<String>,
    groups: Vec<String>,
    signing_groups: Vec<String>,
    users: Vec<String>,
}

impl Texts {
    fn of(
        selection: &Selection<'_>,
        integration_user: Option<&EmailKey>,
    ) -> Result<Self, ImportError> {
        Ok(Self {
            profiles: each(&selection.profiles, "permission-profiles.yaml", |one| {
                render::profiles_file(std::slice::from_ref(one))
            })?,
            groups: each(&selection.groups, "groups.yaml", |one| {
                render::groups_file(&[one])
            })?,
            signing_groups: each(&selection.signing_groups, "signing-groups.yaml", |one| {
                render::signing_groups_file(&[one])
            })?,
            users: each(&selection.users, "users", |one| {
                user_text(one, integration_user)
            })?,
        })
    }
}

/// Each of `objects` written alone by `write` (the file `file` is named in an error).
fn each<T>(
    objects: &[T],
    file: &str,
    write: impl Fn(&T) -> Result<String, serde_saphyr::SerializeError>,
) -> Result<Vec<String>, ImportError> {
    objects
        .iter()
        .map(write)
        .collect::<Result<_, _>>()
        .map_err(failed(file))
}

/// The entries every account holds alike, per kind.
#[derive(Default)]
struct Alike {
    profiles: BTreeSet<String>,
    groups: BTreeSet<String>,
    signing_groups: BTreeSet<String>,
    users: BTreeSet<String>,
}

impl Alike {
    /// What every one of `texts` holds; nothing when there is one account (it all is its own).
    fn of(texts: &[Texts]) -> Self {
        if texts.len() < 2 {
            return Self::default();
        }
        let set = |pick: fn(&Texts) -> &Vec<String>| {
            let mut sets = texts
                .iter()
                .map(|one| pick(one).iter().cloned().collect::<BTreeSet<_>>());
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |so_far, next| &so_far & &next)
        };
        Self {
            profiles: set(|texts| &texts.profiles),
            groups: set(|texts| &texts.groups),
            signing_groups: set(|texts| &texts.signing_groups),
            users: set(|texts| &texts.users),
        }
    }

    /// The shared selection (the first account's objects every account holds alike) and each
    /// account's own (the rest).
    fn split<'a>(
        &self,
        selections: Vec<Selection<'a>>,
        texts: &[Texts],
    ) -> (Selection<'a>, Vec<Selection<'a>>) {
        let mut shared = Selection::default();
        let mut owns = Vec::new();
        for (index, (selection, texts)) in selections.into_iter().zip(texts).enumerate() {
            let first = index == 0;
            let mut own = Selection {
                left_out: selection.left_out,
                builtin_profiles: selection.builtin_profiles,
                builtin_groups: selection.builtin_groups,
                closed_users: selection.closed_users,
                ..Selection::default()
            };
            place(
                selection.profiles,
                &texts.profiles,
                &self.profiles,
                first,
                &mut shared.profiles,
                &mut own.profiles,
            );
            place(
                selection.groups,
                &texts.groups,
                &self.groups,
                first,
                &mut shared.groups,
                &mut own.groups,
            );
            place(
                selection.signing_groups,
                &texts.signing_groups,
                &self.signing_groups,
                first,
                &mut shared.signing_groups,
                &mut own.signing_groups,
            );
            place(
                selection.users,
                &texts.users,
                &self.users,
                first,
                &mut shared.users,
                &mut own.users,
            );
            owns.push(own);
        }
        (shared, owns)
    }
}

/// Puts each of `objects` (whose entries are `texts`) in `own`, or, when every account holds
/// it alike, in `shared` (once: from the first account).
fn place<T>(
    objects: Vec<T>,
    texts: &[String],
    alike: &BTreeSet<String>,
    first: bool,
    shared: &mut Vec<T>,
    own: &mut Vec<T>,
) {
    for (object, text) in objects.into_iter().zip(texts) {
        if !alike.contains(text) {
            own.push(object);
        } else if first {
            shared.push(object);
        }
    }
}

/// A user's entry, written alone.
fn user_text(
    user: &select::SelectedUser<'_>,
    integration_user: Option<&EmailKey>,
) -> Result<String, serde_saphyr::SerializeError> {
    render::users_file(
        &UserFile {
            path: String::new(),
            group: None,
            users: vec![user],
        },
        integration_user,
    )
}

#[derive(Serialize)]
struct WorkspaceDocument<'a> {
    workspace: WorkspaceSection<'a>,
}

#[derive(Serialize)]
struct WorkspaceSection<'a> {
    shared: &'static str,
    accounts: Vec<AccountEntry<'a>>,
}

#[derive(Serialize)]
struct AccountEntry<'a> {
    name: &'a str,
    dir: &'a str,
}

/// `workspace.yaml`: every account, its folder named after it.
fn workspace_file(accounts: &[(&str, Source<'_>)]) -> Result<String, ImportError> {
    let body = crate::desired::write::yaml(&WorkspaceDocument {
        workspace: WorkspaceSection {
            shared: SHARED_DIR,
            accounts: accounts
                .iter()
                .map(|(name, _)| AccountEntry { name, dir: name })
                .collect(),
        },
    })
    .map_err(failed(WORKSPACE_FILE))?;
    Ok(crate::desired::write::file(
        WORKSPACE_FILE,
        &[
            "The accounts of this workspace, written by `docusign-gitops import`. What every",
            "account held alike when imported is written once, in shared/; each account's",
            "folder holds the rest and its own `account` section. An account's own entry of",
            "a shared name replaces the shared one; `without:` leaves shared ones out.",
        ],
        &body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::checked::Environment;
    use crate::model::{Account, User, UserStatus};
    use crate::plan::fixtures;

    fn person(email: &str, profile: &str) -> User {
        User {
            id: Some(format!("u-{email}")),
            email: email.to_owned(),
            first_name: "First".to_owned(),
            last_name: "Last".to_owned(),
            job_title: None,
            permission_profile: profile.to_owned(),
            groups: BTreeSet::new(),
            status: UserStatus::Active,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        }
    }

    /// An account with the profile `Sales` (its bulk-sending setting `bulk`), the group
    /// `Team`, and `ana` (a sender) plus `others`.
    fn account(bulk: &str, others: &[&str]) -> Account {
        let mut account = Account::default();
        account.add_profile(fixtures::profile("p-1", "DocuSign Sender", &[]));
        account.add_profile(fixtures::profile(
            "p-2",
            "Sales",
            &[("allowBulkSending", bulk)],
        ));
        account.add_group(fixtures::group("g-1", "Team", None));
        account.add_user(person("ana@example.com", "DocuSign Sender"));
        for email in others {
            account.add_user(person(email, "Sales"));
        }
        account
    }

    fn source(live: &Account) -> Source<'_> {
        Source {
            live,
            account_id: "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36",
            environment: Environment::Demo,
            integration_user: None,
        }
    }

    fn text<'a>(imported: &'a ImportedWorkspace, path: &str) -> Option<&'a str> {
        imported
            .files
            .iter()
            .find(|(found, _)| found == path)
            .map(|(_, text)| text.as_str())
    }

    /// Shared: what every account holds letter for letter. A profile whose settings differ,
    /// and a user only some accounts hold, stay each account's own; every account still
    /// records all it holds.
    #[test]
    fn only_what_every_account_holds_alike_is_shared() {
        let first = account("true", &["bo@example.com", "cy@example.com"]);
        let second = account("false", &["bo@example.com"]);
        let third = account("true", &["bo@example.com"]);
        let imported = import_workspace(&[
            ("one", source(&first)),
            ("two", source(&second)),
            ("three", source(&third)),
        ])
        .expect("imported");
        assert_eq!(imported.shared.groups, 1);
        assert_eq!(
            imported.shared.permission_profiles, 0,
            "Sales differs in `two`"
        );
        // Bo holds Sales, whose settings differ, but his entry names it alike everywhere.
        assert_eq!(imported.shared.users, 2);
        let shared_users = text(&imported, "shared/users/no-group.yaml").expect("shared users");
        assert!(
            shared_users.contains("ana@example.com") && shared_users.contains("bo@example.com")
        );
        assert!(!shared_users.contains("cy@example.com"));
        assert!(text(&imported, "one/users/no-group.yaml").is_some_and(|own| own.contains("cy@")));
        assert!(
            text(&imported, "two/permission-profiles.yaml")
                .is_some_and(|own| own.contains("allowBulkSending: false"))
        );
        assert!(
            text(&imported, "two/groups.yaml").is_none(),
            "no empty file"
        );
        assert!(text(&imported, "shared/account.yaml").is_none());
        assert_eq!(imported.accounts[0].objects.users.len(), 3);
        assert_eq!(imported.accounts[1].objects.permission_profiles.len(), 1);
    }

    /// One account shares nothing: its folder holds all it has.
    #[test]
    fn one_account_keeps_everything() {
        let only = account("true", &["bo@example.com"]);
        let imported = import_workspace(&[("only", source(&only))]).expect("imported");
        assert_eq!(imported.shared.users, 0);
        assert!(text(&imported, "only/users/no-group.yaml").is_some());
    }
}
