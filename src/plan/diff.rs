//! What differs between the desired and the live account, as unordered operations and
//! reports. Without recorded state (until apply writes it) the managed objects are the ones
//! desired state names, so nothing is deleted that the YAML never mentioned.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::operation::{Change, Operation};
use crate::desired::Desired;
use crate::desired::checked::UnmanagedUsers;
use crate::model::{Account, BuiltinGroup, BuiltinProfile, EmailKey, NameKey, User, UserStatus};

/// Something the plan says but doesn't do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub email: String,
    pub note: String,
}

/// Operations and reports, before ordering.
#[derive(Debug, Default)]
pub struct Diff {
    pub operations: Vec<Operation>,
    pub reports: Vec<Report>,
}

/// Live name → desired name, for objects renamed through `previously`.
type Renames = HashMap<NameKey, String>;

/// The renames the plan makes, so that what follows them compares with the new names.
struct Renamed {
    profiles: Renames,
    groups: Renames,
}

/// A name as it will be after the plan's renames.
fn after_renames(name: &str, renames: &Renames) -> String {
    renames
        .get(&NameKey::new(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// Compares desired with live. `integration_user` is the email of the user whose token we use.
#[must_use]
pub fn diff(desired: &Desired, live: &Account, integration_user: Option<&str>) -> Diff {
    let mut out = Diff::default();
    let renamed = Renamed {
        profiles: profiles(desired, live, integration_user, &mut out),
        groups: Renames::new(),
    };
    let renamed = Renamed {
        groups: groups(desired, live, &renamed.profiles, &mut out),
        ..renamed
    };
    signing_groups(desired, live, &mut out);
    users(desired, live, integration_user, &renamed, &mut out);
    out
}

/// The live object a desired one stands for: by name, else by an earlier name.
fn find<'a, T>(
    live: &'a BTreeMap<NameKey, T>,
    name: &str,
    previously: &[String],
) -> Option<(&'a NameKey, &'a T)> {
    live.get_key_value(&NameKey::new(name)).or_else(|| {
        previously
            .iter()
            .find_map(|old| live.get_key_value(&NameKey::new(old)))
    })
}

/// Profiles to create, rename and update; returns the renames.
fn profiles(
    desired: &Desired,
    live: &Account,
    integration_user: Option<&str>,
    out: &mut Diff,
) -> Renames {
    let mut renames = Renames::new();
    for profile in desired.state.permission_profiles.values() {
        let Some((key, current)) = find(
            &live.permission_profiles,
            &profile.name,
            &profile.previously,
        ) else {
            out.operations.push(Operation::CreateProfile {
                name: profile.name.clone(),
                settings: profile.settings.clone(),
            });
            continue;
        };
        if current.name != profile.name {
            renames.insert(key.clone(), profile.name.clone());
            out.operations.push(Operation::RenameProfile {
                id: current.id.clone(),
                from: current.name.clone(),
                to: profile.name.clone(),
            });
        }
        // Rule 4: the integration user must keep account management, so its own profile
        // never loses it; the YAML's wish is reported instead.
        let holds_integration_user = integration_user
            .and_then(|email| live.users.get(&EmailKey::new(email)))
            .is_some_and(|user| {
                NameKey::new(&user.permission_profile) == NameKey::new(&current.name)
            });
        let demotes = |key: &str, value: &str| {
            holds_integration_user
                && key == "allowAccountManagement"
                && value != "true"
                && current.settings.get(key).is_some_and(|old| old == "true")
        };
        if let (Some(email), Some(value)) = (
            integration_user,
            profile.settings.get("allowAccountManagement"),
        ) && demotes("allowAccountManagement", value)
        {
            out.reports.push(Report {
                email: email.to_owned(),
                note: format!(
                    "`allowAccountManagement: {value}` on `{}` is not applied: the integration user holds that profile and must keep account management",
                    profile.name
                ),
            });
        }
        let changes: Vec<Change> = profile
            .settings
            .iter()
            .filter(|(key, value)| current.settings.get(*key) != Some(value))
            .filter(|(key, value)| !demotes(key, value))
            .map(|(key, value)| Change {
                field: key.clone(),
                from: current.settings.get(key).cloned(),
                to: Some(value.clone()),
            })
            .collect();
        if !changes.is_empty() {
            out.operations.push(Operation::UpdateProfileSettings {
                profile: profile.name.clone(),
                id: current.id.clone(),
                changes,
            });
        }
    }
    renames
}

fn same_name(a: Option<&String>, b: Option<&String>) -> bool {
    a.map(|name| NameKey::new(name)) == b.map(|name| NameKey::new(name))
}

/// Groups to create, rename and re-profile; returns the renames for memberships.
fn groups(desired: &Desired, live: &Account, profile_renames: &Renames, out: &mut Diff) -> Renames {
    let mut renames = Renames::new();
    for group in desired.state.groups.values() {
        let Some((key, current)) = find(&live.groups, &group.name, &group.previously) else {
            out.operations.push(Operation::CreateGroup {
                name: group.name.clone(),
                permission_profile: group.permission_profile.clone(),
            });
            continue;
        };
        if current.name != group.name {
            renames.insert(key.clone(), group.name.clone());
            out.operations.push(Operation::RenameGroup {
                id: current.id.clone(),
                from: current.name.clone(),
                to: group.name.clone(),
            });
        }
        let current_profile = current
            .permission_profile
            .as_deref()
            .map(|name| after_renames(name, profile_renames));
        if !same_name(current_profile.as_ref(), group.permission_profile.as_ref()) {
            out.operations.push(Operation::SetGroupProfile {
                group: group.name.clone(),
                id: current.id.clone(),
                from: current.permission_profile.clone(),
                to: group.permission_profile.clone(),
            });
        }
    }
    renames
}

fn signing_groups(desired: &Desired, live: &Account, out: &mut Diff) {
    for group in desired.state.signing_groups.values() {
        let Some((_, current)) = find(&live.signing_groups, &group.name, &group.previously) else {
            out.operations.push(Operation::CreateSigningGroup {
                name: group.name.clone(),
                email: group.email.clone(),
            });
            for member in group.members.values() {
                out.operations.push(Operation::AddSigningGroupMember {
                    signing_group: group.name.clone(),
                    id: None,
                    name: member.name.clone(),
                    email: member.email.clone(),
                });
            }
            continue;
        };
        if current.name != group.name {
            out.operations.push(Operation::RenameSigningGroup {
                id: current.id.clone(),
                from: current.name.clone(),
                to: group.name.clone(),
            });
        }
        let email_key = |email: Option<&String>| email.map(|email| EmailKey::new(email));
        if email_key(current.email.as_ref()) != email_key(group.email.as_ref()) {
            out.operations.push(Operation::SetSigningGroupEmail {
                signing_group: group.name.clone(),
                id: current.id.clone(),
                from: current.email.clone(),
                to: group.email.clone(),
            });
        }
        for (key, member) in &group.members {
            if !current.members.contains_key(key) {
                out.operations.push(Operation::AddSigningGroupMember {
                    signing_group: group.name.clone(),
                    id: current.id.clone(),
                    name: member.name.clone(),
                    email: member.email.clone(),
                });
            }
        }
        for (key, member) in &current.members {
            if !group.members.contains_key(key) {
                out.operations.push(Operation::RemoveSigningGroupMember {
                    signing_group: group.name.clone(),
                    id: current.id.clone(),
                    email: member.email.clone(),
                });
            }
        }
    }
}

/// The groups whose memberships the plan manages: the declared ones and Administrators.
fn managed_groups(desired: &Desired) -> BTreeSet<NameKey> {
    let mut managed: BTreeSet<NameKey> = desired.state.groups.keys().cloned().collect();
    managed.insert(NameKey::new(BuiltinGroup::Administrators.api_name()));
    managed
}

/// Why a user must be left alone, if it must.
fn hands_off(
    user: &User,
    desired: &Desired,
    integration_user: Option<&str>,
) -> Option<&'static str> {
    let key = EmailKey::new(&user.email);
    if integration_user.is_some_and(|email| EmailKey::new(email) == key) {
        Some("the integration user is never changed")
    } else if desired.policy.protected_users.contains(&key) {
        Some("protected by `policy.protected_users`")
    } else if user.managed_by_scim {
        Some("managed by an identity provider (SCIM); change it there")
    } else {
        None
    }
}

fn users(
    desired: &Desired,
    live: &Account,
    integration_user: Option<&str>,
    renamed: &Renamed,
    out: &mut Diff,
) {
    if desired.state.users.is_empty() {
        return;
    }
    let managed = managed_groups(desired);
    for (key, want) in &desired.state.users {
        let Some(have) = live.users.get(key) else {
            if want.status != UserStatus::Closed {
                create_user(want, out);
            }
            continue;
        };
        if let Some(reason) = hands_off(have, desired, integration_user) {
            if !user_matches(want, have, &managed, renamed) {
                out.reports.push(Report {
                    email: have.email.clone(),
                    note: format!("differs from the YAML but is left alone: {reason}"),
                });
            }
            continue;
        }
        update_user(want, have, &managed, renamed, out);
    }
    for (key, have) in &live.users {
        if desired.state.users.contains_key(key) || have.status == UserStatus::Closed {
            continue;
        }
        if let Some(reason) = hands_off(have, desired, integration_user) {
            out.reports.push(Report {
                email: have.email.clone(),
                note: format!("not in the YAML, left alone: {reason}"),
            });
            continue;
        }
        unmanaged_user(desired, have, &managed, renamed, out);
    }
}

fn create_user(want: &User, out: &mut Diff) {
    out.operations.push(Operation::CreateUser {
        email: want.email.clone(),
        first_name: want.first_name.clone(),
        last_name: want.last_name.clone(),
        job_title: want.job_title.clone(),
        permission_profile: want.permission_profile.clone(),
    });
    for group in &want.groups {
        out.operations.push(Operation::AddMember {
            group: group.clone(),
            group_id: None,
            email: want.email.clone(),
            user_id: None,
        });
    }
}

/// A live user's group names, renamed as the YAML renames them, limited to managed groups.
fn live_groups(
    have: &User,
    managed: &BTreeSet<NameKey>,
    renames: &Renames,
) -> BTreeMap<NameKey, String> {
    have.groups
        .iter()
        .map(|name| {
            renames
                .get(&NameKey::new(name))
                .cloned()
                .unwrap_or_else(|| name.clone())
        })
        .filter(|name| managed.contains(&NameKey::new(name)))
        .map(|name| (NameKey::new(&name), name))
        .collect()
}

fn user_matches(want: &User, have: &User, managed: &BTreeSet<NameKey>, renamed: &Renamed) -> bool {
    let mut scratch = Diff::default();
    update_user(want, have, managed, renamed, &mut scratch);
    scratch.operations.is_empty()
}

fn update_user(
    want: &User,
    have: &User,
    managed: &BTreeSet<NameKey>,
    renamed: &Renamed,
    out: &mut Diff,
) {
    let (email, id) = (have.email.clone(), have.id.clone());
    if want.status == UserStatus::Closed {
        if have.status != UserStatus::Closed {
            out.operations.push(Operation::CloseUser { email, id });
        }
        return;
    }
    if have.status == UserStatus::Disabled {
        // DocuSign documents no API call that re-enables a disabled user; say so rather
        // than pretend the plan will fix it.
        out.reports.push(Report {
            email: email.clone(),
            note: "disabled in DocuSign; the API can't re-enable it, so enable it in DocuSign's admin pages".to_owned(),
        });
    }
    let reactivated = have.status == UserStatus::Closed;
    if reactivated {
        out.operations.push(Operation::ReactivateUser {
            email: email.clone(),
            id: id.clone(),
            permission_profile: want.permission_profile.clone(),
        });
    }
    let mut changes = Vec::new();
    for (field, from, to) in [
        ("first_name", Some(&have.first_name), Some(&want.first_name)),
        ("last_name", Some(&have.last_name), Some(&want.last_name)),
        (
            "job_title",
            have.job_title.as_ref(),
            want.job_title.as_ref(),
        ),
    ] {
        // An absent job title in the YAML leaves DocuSign's as it is.
        if to.is_some() && from != to {
            changes.push(Change {
                field: field.to_owned(),
                from: from.cloned(),
                to: to.cloned(),
            });
        }
    }
    if !changes.is_empty() {
        out.operations.push(Operation::UpdateUser {
            email: email.clone(),
            id: id.clone(),
            changes,
        });
    }
    // A profile the plan renames is still the same profile: its holders needn't move.
    let held = if reactivated {
        want.permission_profile.clone()
    } else {
        after_renames(&have.permission_profile, &renamed.profiles)
    };
    if NameKey::new(&held) != NameKey::new(&want.permission_profile) {
        out.operations.push(Operation::ChangeProfile {
            email: email.clone(),
            id: id.clone(),
            from: have.permission_profile.clone(),
            to: want.permission_profile.clone(),
        });
    }
    let have_groups = live_groups(have, managed, &renamed.groups);
    let want_groups: BTreeMap<NameKey, &String> = want
        .groups
        .iter()
        .map(|name| (NameKey::new(name), name))
        .collect();
    for (key, name) in &want_groups {
        if !have_groups.contains_key(key) {
            out.operations.push(Operation::AddMember {
                group: (*name).clone(),
                group_id: None,
                email: email.clone(),
                user_id: id.clone(),
            });
        }
    }
    for (key, name) in &have_groups {
        if !want_groups.contains_key(key) {
            out.operations.push(Operation::RemoveMember {
                group: name.clone(),
                group_id: None,
                email: email.clone(),
                user_id: id.clone(),
            });
        }
    }
}

fn unmanaged_user(
    desired: &Desired,
    have: &User,
    managed: &BTreeSet<NameKey>,
    renamed: &Renamed,
    out: &mut Diff,
) {
    let (email, id) = (have.email.clone(), have.id.clone());
    match desired.policy.unmanaged_users {
        UnmanagedUsers::Ignore => {}
        UnmanagedUsers::Report => out.reports.push(Report {
            email,
            note: "not in the YAML (policy: report)".to_owned(),
        }),
        UnmanagedUsers::Reset => {
            if NameKey::new(&after_renames(&have.permission_profile, &renamed.profiles))
                != NameKey::new(&desired.default_profile)
            {
                out.operations.push(Operation::ChangeProfile {
                    email: email.clone(),
                    id: id.clone(),
                    from: have.permission_profile.clone(),
                    to: desired.default_profile.clone(),
                });
            }
            for name in live_groups(have, managed, &renamed.groups).into_values() {
                out.operations.push(Operation::RemoveMember {
                    group: name,
                    group_id: None,
                    email: email.clone(),
                    user_id: id.clone(),
                });
            }
        }
        UnmanagedUsers::Close => out.operations.push(Operation::CloseUser { email, id }),
    }
}

/// Whether a profile (by name) lets its holders administer the account.
#[must_use]
pub fn admin_capable(name: &str, desired: &Desired, live: &Account) -> bool {
    if BuiltinProfile::from_name(name) == Some(BuiltinProfile::AccountAdministrator) {
        return true;
    }
    let key = NameKey::new(name);
    let grants = |settings: &BTreeMap<String, String>| {
        settings
            .get("allowAccountManagement")
            .is_some_and(|value| value == "true")
    };
    desired
        .state
        .permission_profiles
        .get(&key)
        .is_some_and(|profile| grants(&profile.settings))
        || live
            .permission_profiles
            .get(&key)
            .is_some_and(|profile| grants(&profile.settings))
}
