//! `import`: the desired-state files that describe a live account as it stands, so that a plan
//! on them has nothing to change. Pure: the live account in, file texts out; the CLI reads the
//! account and writes the files.
//!
//! Layout follows `examples/desired-state/`: `account.yaml` (account, defaults, policy),
//! `permission-profiles.yaml`, `groups.yaml`, `signing-groups.yaml`, and the users split over
//! `users/<group>.yaml` by their team's group (`team.rs` says which that is;
//! `users/no-group.yaml` for the rest).
//! Every list is sorted by its key, so the same account gives the same bytes.

mod render;
mod select;
mod team;
#[cfg(test)]
mod tests;
mod workspace;

use crate::desired::checked::Environment;
use crate::model::{Account, EmailKey, NameKey};

pub use crate::desired::write::slug;
pub use render::NO_GROUP_FILE;
pub use select::LeftOut;
pub use workspace::{ImportedWorkspace, Shared, import_workspace};

/// The schema copy every imported file points its editor at, relative to the output directory.
pub const SCHEMA_PATH: &str = crate::desired::schema::COPY_PATH;

/// What import works from.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The live account, as the snapshot read it.
    pub live: &'a Account,
    pub account_id: &'a str,
    pub environment: Environment,
    /// The email of the user whose token was used, to say so on its entry.
    pub integration_user: Option<&'a str>,
}

/// The files to write, and what they declare.
#[derive(Debug)]
pub struct Imported {
    /// (path relative to the output directory, with `/`; contents), in path order. The schema
    /// copy at [`SCHEMA_PATH`] is among them.
    pub files: Vec<(String, String)>,
    /// The objects the files declare, as DocuSign holds them (IDs included): the managed
    /// objects to record.
    pub objects: Account,
    /// Objects not written because the YAML can't hold what DocuSign has; they stay unmanaged.
    pub left_out: Vec<LeftOut>,
    /// Not written because they can't be changed or aren't managed.
    pub builtin_profiles: usize,
    pub builtin_groups: usize,
    pub closed_users: usize,
}

/// A value serde-saphyr could not write: a bug, since every value is a string or a boolean.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(
    "can't write `{file}` as YAML: {reason}; this is a bug in docusign-gitops, please report it"
)]
#[diagnostic(code(import::yaml), help("nothing was written"))]
pub struct ImportError {
    pub file: String,
    pub reason: String,
}

/// Writes the desired state of `source.live`.
pub fn import(source: &Source<'_>) -> Result<Imported, ImportError> {
    let selection = select::select(source.live);
    let objects = objects_of(&selection);
    let files = files_of(&selection, Some(source), source.integration_user, false)?;
    Ok(Imported {
        files,
        objects,
        left_out: selection.left_out,
        builtin_profiles: selection.builtin_profiles,
        builtin_groups: selection.builtin_groups,
        closed_users: selection.closed_users,
    })
}

/// An [`ImportError`] for `file`, from serde-saphyr's.
fn failed(file: &str) -> impl Fn(serde_saphyr::SerializeError) -> ImportError {
    let file = file.to_owned();
    move |err| ImportError {
        file: file.clone(),
        reason: err.to_string(),
    }
}

/// The files of `selection`, in path order, the schema copy among them: `account.yaml` too
/// when `source` is given (an account's files, not a workspace's shared ones). With `sparse`
/// (a folder of a workspace), a kind the selection holds none of gets no file.
fn files_of(
    selection: &select::Selection<'_>,
    source: Option<&Source<'_>>,
    integration_user: Option<&str>,
    sparse: bool,
) -> Result<Vec<(String, String)>, ImportError> {
    let mut files = vec![
        (
            "permission-profiles.yaml".to_owned(),
            render::profiles_file(&selection.profiles)
                .map_err(failed("permission-profiles.yaml"))?,
        ),
        (
            "groups.yaml".to_owned(),
            render::groups_file(&selection.groups).map_err(failed("groups.yaml"))?,
        ),
        (
            "signing-groups.yaml".to_owned(),
            render::signing_groups_file(&selection.signing_groups)
                .map_err(failed("signing-groups.yaml"))?,
        ),
    ];
    if sparse {
        let held = [
            !selection.profiles.is_empty(),
            !selection.groups.is_empty(),
            !selection.signing_groups.is_empty(),
        ];
        let mut held = held.into_iter();
        files.retain(|_| held.next().unwrap_or(true));
    }
    if let Some(source) = source {
        files.push((
            "account.yaml".to_owned(),
            render::account_file(source).map_err(failed("account.yaml"))?,
        ));
    }
    let integration_user = integration_user.map(EmailKey::new);
    for users in render::split_users(selection) {
        let text =
            render::users_file(&users, integration_user.as_ref()).map_err(failed(&users.path))?;
        files.push((users.path, text));
    }
    files.push((SCHEMA_PATH.to_owned(), crate::desired::schema::json()));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The objects `selection` declares, as DocuSign holds them: the managed objects to record.
fn objects_of(selection: &select::Selection<'_>) -> Account {
    Account {
        permission_profiles: selection
            .profiles
            .iter()
            .map(|selected| {
                (
                    NameKey::new(&selected.profile.name),
                    selected.profile.clone(),
                )
            })
            .collect(),
        groups: selection
            .groups
            .iter()
            .map(|group| (NameKey::new(&group.name), (*group).clone()))
            .collect(),
        signing_groups: selection
            .signing_groups
            .iter()
            .map(|group| (NameKey::new(&group.name), (*group).clone()))
            .collect(),
        users: selection
            .users
            .iter()
            .map(|selected| (EmailKey::new(&selected.user.email), selected.user.clone()))
            .collect(),
    }
}
