//! What each operation does to an account, in model terms, as DocuSign would do it: the
//! simulation the planner replays a plan with (`plan::replay` checks the rules on it) and apply
//! keeps its picture of the account by.

use std::collections::{BTreeMap, BTreeSet};

use super::operation::{Change, Operation};
use crate::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};

/// Does `operation` to `account`, as DocuSign would. An operation on a missing object (or one
/// that would clash with an existing name) leaves the account unchanged, as DocuSign's API
/// refuses it; [`check_step`] reports it.
pub fn apply(account: &mut Account, operation: &Operation) {
    match operation {
        Operation::CreateProfile { name, settings } => create_profile(account, name, settings),
        Operation::RenameProfile { from, to, .. } => rename_profile(account, from, to),
        Operation::UpdateProfileSettings {
            profile, changes, ..
        } => update_profile_settings(account, profile, changes),
        Operation::CreateGroup {
            name,
            permission_profile,
        } => create_group(account, name, permission_profile.as_deref()),
        Operation::RenameGroup { from, to, .. } => rename_group(account, from, to),
        Operation::SetGroupProfile { group, to, .. } => {
            set_group_profile(account, group, to.as_deref());
        }
        Operation::CreateSigningGroup { name, email } => {
            create_signing_group(account, name, email.as_ref());
        }
        Operation::RenameSigningGroup { from, to, .. } => {
            rename(&mut account.signing_groups, from, to, false, |entry| {
                &mut entry.name
            });
        }
        Operation::SetSigningGroupEmail {
            signing_group, to, ..
        } => {
            if let Some(entry) = account.signing_groups.get_mut(&NameKey::new(signing_group)) {
                entry.email.clone_from(to);
            }
        }
        Operation::AddSigningGroupMember {
            signing_group,
            name,
            email,
            ..
        } => add_signing_group_member(account, signing_group, name, email),
        Operation::RemoveSigningGroupMember {
            signing_group,
            email,
            ..
        } => {
            if let Some(entry) = account.signing_groups.get_mut(&NameKey::new(signing_group)) {
                entry.members.remove(&EmailKey::new(email));
            }
        }
        Operation::DeleteSigningGroup { name, .. } => {
            account.signing_groups.remove(&NameKey::new(name));
        }
        Operation::DeleteGroup { name, .. } => delete_group(account, name),
        Operation::DeleteProfile {
            name,
            move_users_to,
            ..
        } => delete_profile(account, name, move_users_to),
        user_operation => apply_to_user(account, user_operation),
    }
}

/// The operations on one user.
fn apply_to_user(account: &mut Account, operation: &Operation) {
    match operation {
        Operation::CreateUser {
            email,
            first_name,
            last_name,
            job_title,
            permission_profile,
        } => {
            let Some(profile) = profile_name(account, permission_profile) else {
                return;
            };
            account
                .users
                .entry(EmailKey::new(email))
                .or_insert_with(|| User {
                    id: None,
                    email: email.clone(),
                    first_name: first_name.clone(),
                    last_name: last_name.clone(),
                    job_title: job_title.clone(),
                    permission_profile: profile,
                    groups: BTreeSet::new(),
                    // DocuSign sends an activation email; the user is pending until they accept.
                    status: UserStatus::Pending,
                    managed_by_scim: false,
                    membership_managed_by_scim: false,
                });
        }
        Operation::ReactivateUser {
            email,
            permission_profile,
            ..
        } => {
            let profile = profile_name(account, permission_profile);
            if let (Some(user), Some(profile)) =
                (account.users.get_mut(&EmailKey::new(email)), profile)
            {
                user.status = UserStatus::Pending;
                user.permission_profile = profile;
            }
        }
        Operation::AddMember { group, email, .. } => add_member(account, group, email),
        Operation::RemoveMember { group, email, .. } => {
            if let Some(user) = account.users.get_mut(&EmailKey::new(email)) {
                leave_group(user, &NameKey::new(group));
            }
        }
        Operation::UpdateUser { email, changes, .. } => {
            if let Some(user) = account.users.get_mut(&EmailKey::new(email)) {
                update_user(user, changes);
            }
        }
        Operation::ChangeProfile { email, to, .. } => {
            let profile = profile_name(account, to);
            if let (Some(user), Some(profile)) =
                (account.users.get_mut(&EmailKey::new(email)), profile)
            {
                user.permission_profile = profile;
            }
        }
        Operation::CloseUser { email, .. } => {
            // DocuSign keeps a closed user's memberships and profile unless asked otherwise.
            if let Some(user) = account.users.get_mut(&EmailKey::new(email)) {
                user.status = UserStatus::Closed;
            }
        }
        _ => {}
    }
}

fn create_profile(account: &mut Account, name: &str, settings: &BTreeMap<String, String>) {
    if has_profile(account, name) {
        return;
    }
    account.permission_profiles.insert(
        NameKey::new(name),
        PermissionProfile {
            id: None,
            name: name.to_owned(),
            settings: settings.clone(),
            previously: Vec::new(),
        },
    );
}

/// Users and groups name their profile, so a rename re-points them too.
fn rename_profile(account: &mut Account, from: &str, to: &str) {
    let to_builtin = BuiltinProfile::from_name(to).is_some();
    if !rename(
        &mut account.permission_profiles,
        from,
        to,
        to_builtin,
        |entry| &mut entry.name,
    ) {
        return;
    }
    let from = NameKey::new(from);
    for user in account.users.values_mut() {
        if NameKey::new(&user.permission_profile) == from {
            to.clone_into(&mut user.permission_profile);
        }
    }
    for group in account.groups.values_mut() {
        if group.permission_profile.as_deref().map(NameKey::new) == Some(from.clone()) {
            group.permission_profile = Some(to.to_owned());
        }
    }
}

/// Only the listed settings; a change to `None` removes the key.
fn update_profile_settings(account: &mut Account, profile: &str, changes: &[Change]) {
    let Some(entry) = account.permission_profiles.get_mut(&NameKey::new(profile)) else {
        return;
    };
    for change in changes {
        match &change.to {
            Some(value) => entry.settings.insert(change.field.clone(), value.clone()),
            None => entry.settings.remove(&change.field),
        };
    }
}

fn create_group(account: &mut Account, name: &str, permission_profile: Option<&str>) {
    if has_group(account, name) {
        return;
    }
    let permission_profile = match permission_profile {
        Some(profile) => match profile_name(account, profile) {
            Some(found) => Some(found),
            None => return,
        },
        None => None,
    };
    account.groups.insert(
        NameKey::new(name),
        Group {
            id: None,
            name: name.to_owned(),
            permission_profile,
            previously: Vec::new(),
        },
    );
}

/// Users list their groups by name, so a rename renames the group in every user's set.
fn rename_group(account: &mut Account, from: &str, to: &str) {
    let to_builtin = BuiltinGroup::from_name(to).is_some();
    if !rename(&mut account.groups, from, to, to_builtin, |entry| {
        &mut entry.name
    }) {
        return;
    }
    let from = NameKey::new(from);
    for user in account.users.values_mut() {
        if leave_group(user, &from) {
            user.groups.insert(to.to_owned());
        }
    }
}

fn set_group_profile(account: &mut Account, group: &str, to: Option<&str>) {
    let profile = match to {
        Some(profile) => match profile_name(account, profile) {
            Some(found) => Some(found),
            None => return,
        },
        None => None,
    };
    if let Some(entry) = account.groups.get_mut(&NameKey::new(group)) {
        entry.permission_profile = profile;
    }
}

fn create_signing_group(account: &mut Account, name: &str, email: Option<&String>) {
    account
        .signing_groups
        .entry(NameKey::new(name))
        .or_insert_with(|| SigningGroup {
            id: None,
            name: name.to_owned(),
            email: email.cloned(),
            members: BTreeMap::new(),
            previously: Vec::new(),
        });
}

fn add_signing_group_member(account: &mut Account, signing_group: &str, name: &str, email: &str) {
    if let Some(entry) = account.signing_groups.get_mut(&NameKey::new(signing_group)) {
        let member = SigningGroupMember {
            name: name.to_owned(),
            email: email.to_owned(),
        };
        entry.members.insert(EmailKey::new(email), member);
    }
}

fn add_member(account: &mut Account, group: &str, email: &str) {
    let Some(name) = group_name(account, group) else {
        return;
    };
    if let Some(user) = account.users.get_mut(&EmailKey::new(email))
        && !in_group(user, &NameKey::new(group))
    {
        user.groups.insert(name);
    }
}

fn update_user(user: &mut User, changes: &[Change]) {
    for change in changes {
        match change.field.as_str() {
            "first_name" => user.first_name = change.to.clone().unwrap_or_default(),
            "last_name" => user.last_name = change.to.clone().unwrap_or_default(),
            "job_title" => user.job_title.clone_from(&change.to),
            // The model holds no other user attribute.
            _ => {}
        }
    }
}

fn delete_group(account: &mut Account, name: &str) {
    let key = NameKey::new(name);
    if account.groups.remove(&key).is_none() {
        return;
    }
    for user in account.users.values_mut() {
        leave_group(user, &key);
    }
}

/// DocuSign moves the profile's remaining holders to `move_users_to` in the same call; rule 3
/// says none should remain. What happens to a group carrying the profile is unconfirmed; the
/// model drops the reference rather than keep one to a profile that no longer exists.
fn delete_profile(account: &mut Account, name: &str, move_users_to: &str) {
    let key = NameKey::new(name);
    let Some(target) = profile_name(account, move_users_to) else {
        return;
    };
    if NameKey::new(&target) == key || account.permission_profiles.remove(&key).is_none() {
        return;
    }
    for user in account.users.values_mut() {
        if NameKey::new(&user.permission_profile) == key {
            user.permission_profile.clone_from(&target);
        }
    }
    for group in account.groups.values_mut() {
        if group
            .permission_profile
            .as_deref()
            .map(NameKey::new)
            .as_ref()
            == Some(&key)
        {
            group.permission_profile = None;
        }
    }
}

/// Renames the entry at `from` to `to` (its `name` and its key), unless `from` is missing or
/// `to` names another entry, or a built-in (`to_builtin`) other than by letter case. Says
/// whether it was renamed.
fn rename<T>(
    map: &mut BTreeMap<NameKey, T>,
    from: &str,
    to: &str,
    to_builtin: bool,
    name: fn(&mut T) -> &mut String,
) -> bool {
    let (from_key, to_key) = (NameKey::new(from), NameKey::new(to));
    if from_key != to_key && (to_builtin || map.contains_key(&to_key)) {
        return false;
    }
    let Some(entry) = map.remove(&from_key) else {
        return false;
    };
    to.clone_into(name(map.entry(to_key).or_insert(entry)));
    true
}

/// Removes the group from the user's set, in whatever case it is written; says if it was there.
fn leave_group(user: &mut User, group: &NameKey) -> bool {
    let before = user.groups.len();
    user.groups.retain(|name| NameKey::new(name) != *group);
    user.groups.len() != before
}

// Looking things up, for the simulation and the rule checks.

/// The profile's name as the account spells it, if it exists. Built-in profiles exist in every
/// account, even a model account that doesn't list them.
pub(super) fn profile_name(account: &Account, name: &str) -> Option<String> {
    if let Some(profile) = account.permission_profiles.get(&NameKey::new(name)) {
        return Some(profile.name.clone());
    }
    BuiltinProfile::from_name(name).map(|builtin| builtin.api_name().to_owned())
}

/// The group's name as the account spells it, if it exists; built-in groups always do.
pub(super) fn group_name(account: &Account, name: &str) -> Option<String> {
    if let Some(group) = account.groups.get(&NameKey::new(name)) {
        return Some(group.name.clone());
    }
    BuiltinGroup::from_name(name).map(|builtin| builtin.api_name().to_owned())
}

pub(super) fn has_profile(account: &Account, name: &str) -> bool {
    profile_name(account, name).is_some()
}

pub(super) fn has_group(account: &Account, name: &str) -> bool {
    group_name(account, name).is_some()
}

pub(super) fn has_signing_group(account: &Account, name: &str) -> bool {
    account.signing_groups.contains_key(&NameKey::new(name))
}

pub(super) fn has_user(account: &Account, email: &str) -> bool {
    account.users.contains_key(&EmailKey::new(email))
}

pub(super) fn in_group(user: &User, group: &NameKey) -> bool {
    user.groups.iter().any(|name| NameKey::new(name) == *group)
}

pub(super) fn in_builtin_group(user: &User, group: BuiltinGroup) -> bool {
    user.groups
        .iter()
        .any(|name| BuiltinGroup::from_name(name) == Some(group))
}

/// Holds full administrative access: Account Administrator, or a profile that allows account
/// management (`model::admin`).
pub(super) fn admin_capable(account: &Account, profile: &str) -> bool {
    account.profile_administers(profile)
}

pub(super) fn holders<'a>(account: &'a Account, profile: &NameKey) -> Vec<&'a EmailKey> {
    account
        .users
        .iter()
        .filter(|(_, user)| NameKey::new(&user.permission_profile) == *profile)
        .map(|(email, _)| email)
        .collect()
}

/// The users whose profile or groups `operation` can change.
pub(super) fn footprint(account: &Account, operation: &Operation) -> BTreeSet<EmailKey> {
    match operation {
        Operation::CreateUser { email, .. }
        | Operation::ReactivateUser { email, .. }
        | Operation::AddMember { email, .. }
        | Operation::RemoveMember { email, .. }
        | Operation::UpdateUser { email, .. }
        | Operation::ChangeProfile { email, .. }
        | Operation::CloseUser { email, .. } => BTreeSet::from([EmailKey::new(email)]),
        Operation::RenameProfile { from: name, .. } | Operation::DeleteProfile { name, .. } => {
            holders(account, &NameKey::new(name))
                .into_iter()
                .cloned()
                .collect()
        }
        Operation::RenameGroup { from: name, .. } | Operation::DeleteGroup { name, .. } => {
            let group = NameKey::new(name);
            account
                .users
                .iter()
                .filter(|(_, user)| in_group(user, &group))
                .map(|(email, _)| email.clone())
                .collect()
        }
        _ => BTreeSet::new(),
    }
}
