//! Permission profiles: created, renamed, given settings, and deleted once nobody holds them.

use std::collections::{BTreeSet, HashMap};

use super::{Diff, Inputs, Reconciled};
use crate::model::admin::{ACCOUNT_MANAGEMENT, is_yes};
use crate::model::named::Named;
use crate::model::{
    Account, BuiltinProfile, EmailKey, NameKey, PermissionProfile, User, UserStatus,
};
use crate::plan::{Change, Operation, Stated};

/// Profiles to create, rename and update; returns the renames, and the profiles to delete
/// once their holders have moved.
pub(super) fn reconcile_profiles(
    inputs: Inputs<'_>,
    out: &mut Diff,
) -> Reconciled<PermissionProfile> {
    let Inputs { desired, live, .. } = inputs;
    let matcher = inputs.matcher(|account| &account.permission_profiles);
    let mut result = Reconciled::new();
    let found = matcher.assign(&desired.state.permission_profiles);
    for (want, profile) in &desired.state.permission_profiles {
        let Some(&(key, current)) = found.get(want) else {
            out.push(
                Operation::CreateProfile {
                    name: profile.name.clone(),
                    settings: profile.settings.clone(),
                },
                Stated::NewInYaml,
            );
            continue;
        };
        if current.name != profile.name {
            result.renames.insert(key.clone(), profile.name.clone());
            out.push(
                Operation::RenameProfile {
                    id: current.id.clone(),
                    from: current.name.clone(),
                    to: profile.name.clone(),
                },
                rename_reason(&current.name, &profile.name, profile.previously()),
            );
        }
        profile_settings(profile, current, live, inputs.integration_user, out);
    }
    result.deleted = matcher
        .orphans(&desired.state.permission_profiles, &found)
        .into_iter()
        .filter(|profile| BuiltinProfile::from_name(&profile.name).is_none())
        .cloned()
        .collect();
    result
}

pub(super) fn rename_reason(live_name: &str, desired_name: &str, previously: &[String]) -> Stated {
    if NameKey::new(live_name) == NameKey::new(desired_name) {
        Stated::SpelledDifferently
    } else if previously
        .iter()
        .any(|old| NameKey::new(old) == NameKey::new(live_name))
    {
        Stated::RenamedInYaml
    } else {
        Stated::RenamedOutsideGit
    }
}

/// The settings the YAML lists that differ from DocuSign's.
pub(super) fn profile_settings(
    profile: &PermissionProfile,
    current: &PermissionProfile,
    live: &Account,
    integration_user: Option<&str>,
    out: &mut Diff,
) {
    // Rule 4: the integration user must keep account management, so its own profile never
    // loses it; the YAML's wish is reported instead.
    let holds_integration_user = integration_user
        .and_then(|email| live.users.get(&EmailKey::new(email)))
        .is_some_and(|user| NameKey::new(&user.permission_profile) == NameKey::new(&current.name));
    let demotes = |key: &str, value: &str| {
        holds_integration_user
            && key == ACCOUNT_MANAGEMENT
            && !is_yes(value)
            && current.settings.get(key).is_some_and(|old| is_yes(old))
    };
    if let (Some(email), Some(value)) = (integration_user, profile.settings.get(ACCOUNT_MANAGEMENT))
        && demotes(ACCOUNT_MANAGEMENT, value)
    {
        out.report(
            email,
            format!(
                "`allowAccountManagement: {value}` on `{}` is not applied: the integration user holds that profile and must keep account management",
                profile.name
            ),
        );
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
        out.push(
            Operation::UpdateProfileSettings {
                profile: profile.name.clone(),
                id: current.id.clone(),
                changes,
            },
            Stated::SettingsDiffer,
        );
    }
}

pub(super) fn same_name(a: Option<&String>, b: Option<&String>) -> bool {
    a.map(|name| NameKey::new(name)) == b.map(|name| NameKey::new(name))
}

/// Deletes the profiles recorded state managed and the YAML dropped, after moving every
/// holder the plan doesn't already move (rule 3). A profile held by a user the plan must not
/// touch is kept, and the plan says why.
pub(super) fn delete_profiles(inputs: Inputs<'_>, deleted: &[PermissionProfile], out: &mut Diff) {
    let Inputs { desired, live, .. } = inputs;
    for profile in deleted {
        let key = NameKey::new(&profile.name);
        // The last profile change the plan makes for each user so far.
        let moved: HashMap<EmailKey, &str> = out
            .operations
            .iter()
            .filter_map(|planned| match &planned.operation {
                Operation::ChangeProfile { email, to, .. } => {
                    Some((EmailKey::new(email), to.as_str()))
                }
                _ => None,
            })
            .collect();
        let closing: BTreeSet<EmailKey> = out
            .operations
            .iter()
            .filter_map(|planned| match &planned.operation {
                Operation::CloseUser { email, .. } => Some(EmailKey::new(email)),
                _ => None,
            })
            .collect();
        let holders: Vec<&User> = live
            .users
            .values()
            .filter(|user| NameKey::new(&user.permission_profile) == key)
            // Closed users can't be changed; DocuSign moves them with `move_users_to`, and so
            // it moves the users the plan closes before it deletes the profile.
            .filter(|user| user.status != UserStatus::Closed)
            .filter(|user| !closing.contains(&EmailKey::new(&user.email)))
            .filter(|user| {
                moved
                    .get(&EmailKey::new(&user.email))
                    .is_none_or(|to| NameKey::new(to) == key)
            })
            .collect();
        let stuck: Vec<(&User, &str)> = holders
            .iter()
            .filter_map(|user| inputs.hands_off(user).map(|why| (*user, why)))
            .collect();
        if let Some((user, why)) = stuck.first() {
            out.report(
                &user.email,
                format!(
                    "holds `{}`, which the YAML removed; the profile is kept because this user is left alone: {why}",
                    profile.name
                ),
            );
            continue;
        }
        for user in holders {
            out.push(
                Operation::ChangeProfile {
                    email: user.email.clone(),
                    id: user.id.clone(),
                    from: user.permission_profile.clone(),
                    to: desired.default_profile.clone(),
                },
                format!("holds `{}`, which is deleted", profile.name),
            );
        }
        out.push(
            Operation::DeleteProfile {
                name: profile.name.clone(),
                id: profile.id.clone(),
                move_users_to: desired.default_profile.clone(),
            },
            Stated::RemovedFromYaml,
        );
    }
}
