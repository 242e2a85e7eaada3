//! What each operation depends on, and what its failure takes down with it: an operation is
//! skipped when something it needs failed (or was skipped) earlier in the run.

use crate::model::{EmailKey, NameKey};
use crate::plan::Operation;

/// Something an operation can need from an earlier one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dependency {
    /// The profile exists under this name.
    Profile(NameKey),
    Group(NameKey),
    SigningGroup(NameKey),
    /// The user exists (was created or reopened).
    User(EmailKey),
    /// Every open holder of this profile has moved off it.
    HoldersMoved(NameKey),
}

fn profile(name: &str) -> Dependency {
    Dependency::Profile(NameKey::new(name))
}

fn group(name: &str) -> Dependency {
    Dependency::Group(NameKey::new(name))
}

fn signing_group(name: &str) -> Dependency {
    Dependency::SigningGroup(NameKey::new(name))
}

fn user(email: &str) -> Dependency {
    Dependency::User(EmailKey::new(email))
}

/// What `operation` needs from earlier operations.
#[must_use]
pub fn needs(operation: &Operation) -> Vec<Dependency> {
    match operation {
        Operation::UpdateProfileSettings { profile: name, .. }
        | Operation::CreateGroup {
            permission_profile: Some(name),
            ..
        }
        | Operation::CreateUser {
            permission_profile: name,
            ..
        }
        | Operation::ReactivateUser {
            permission_profile: name,
            ..
        } => vec![profile(name)],
        Operation::SetGroupProfile {
            group: name, to, ..
        } => {
            let mut needs = vec![group(name)];
            needs.extend(to.as_deref().map(profile));
            needs
        }
        Operation::SetSigningGroupEmail {
            signing_group: name,
            ..
        }
        | Operation::AddSigningGroupMember {
            signing_group: name,
            ..
        } => vec![signing_group(name)],
        Operation::AddMember {
            group: name, email, ..
        } => vec![group(name), user(email)],
        Operation::UpdateUser { email, .. } => vec![user(email)],
        Operation::ChangeProfile { email, to, .. } => vec![user(email), profile(to)],
        Operation::DeleteProfile {
            name,
            move_users_to,
            ..
        } => vec![
            Dependency::HoldersMoved(NameKey::new(name)),
            profile(move_users_to),
        ],
        _ => Vec::new(),
    }
}

/// What becomes unavailable when `operation` fails or is skipped.
#[must_use]
pub fn provides(operation: &Operation) -> Vec<Dependency> {
    match operation {
        Operation::CreateProfile { name, .. } => vec![profile(name)],
        Operation::CreateGroup { name, .. } => vec![group(name)],
        Operation::CreateSigningGroup { name, .. } => vec![signing_group(name)],
        Operation::CreateUser { email, .. } | Operation::ReactivateUser { email, .. } => {
            vec![user(email)]
        }
        Operation::ChangeProfile { from, .. } => {
            vec![Dependency::HoldersMoved(NameKey::new(from))]
        }
        // A rename that fails leaves the object under its old name with the same ID, which is
        // how the later steps find it: they don't depend on the rename.
        _ => Vec::new(),
    }
}
