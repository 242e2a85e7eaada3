//! What of the live account the YAML declares, and what it leaves out and why.
//!
//! Everything is written except what `plan` could never match: built-in profiles and groups
//! (they can't be changed), closed users (the planner leaves them alone), and the rare object
//! whose DocuSign value the YAML can't hold (an empty or padded name, a malformed email, a
//! control character that `validate` refuses), which stays unmanaged and is reported instead
//! of written.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use crate::desired::syntax::is_email;
use crate::desired::validate::{MAX_SIGNING_GROUP_MEMBERS, MAX_SIGNING_GROUPS};
use crate::model::controls::{self, visible};
use crate::model::profile_settings::{self, SettingKind};
use crate::model::{
    Account, BuiltinGroup, BuiltinProfile, Group, NameKey, PermissionProfile, SigningGroup, User,
    UserStatus,
};

/// DocuSign caps a signing-group member's name at 100 characters (so does `validate`).
const MAX_MEMBER_NAME_CHARS: usize = 100;

/// An object of the live account that is not written, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOut {
    /// "permission profile", "group", "signing group" or "user".
    pub kind: &'static str,
    /// Its name or email, as DocuSign holds it.
    pub name: String,
    pub reason: String,
}

impl fmt::Display for LeftOut {
    /// With control characters shown as `<U+…>`: it is printed to a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}`: {}",
            self.kind,
            visible(&self.name),
            visible(&self.reason)
        )
    }
}

/// A profile setting as the YAML writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting<'a> {
    /// `true` or `false`, as a YAML boolean.
    Flag(bool),
    /// Anything else, as a YAML string: plain where YAML allows it (`use`), quoted only where
    /// a plain scalar would read as another type (`"10"`).
    Text(&'a str),
}

/// A custom permission profile to write.
#[derive(Debug)]
pub struct SelectedProfile<'a> {
    pub profile: &'a PermissionProfile,
    /// Settings the YAML can state so that they read back as DocuSign sent them, by key.
    pub settings: Vec<(&'a str, Setting<'a>)>,
    /// Settings it can't (key, value, why): not listed, so left as DocuSign has them.
    pub unlisted: Vec<(&'a str, &'a str, &'static str)>,
}

/// A user to write, with the groups its entry lists.
#[derive(Debug)]
pub struct SelectedUser<'a> {
    pub user: &'a User,
    /// Declared groups and Administrators, sorted like the groups file; never Everyone.
    pub groups: Vec<&'a str>,
}

/// The part of the live account the files declare, each list sorted by its key.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    pub profiles: Vec<SelectedProfile<'a>>,
    pub groups: Vec<&'a Group>,
    pub signing_groups: Vec<&'a SigningGroup>,
    pub users: Vec<SelectedUser<'a>>,
    pub left_out: Vec<LeftOut>,
    pub builtin_profiles: usize,
    pub builtin_groups: usize,
    pub closed_users: usize,
}

/// Why a value can't be written, if it can't: `validate` refuses control characters.
fn control_problem(value: &str, what: &str) -> Option<String> {
    controls::first_control(value).map(|found| {
        format!(
            "its {what} `{value}` holds {}, which the YAML doesn't accept; rename it in DocuSign and import again",
            controls::describe(found)
        )
    })
}

/// Why a name can't be written, if it can't: `validate` refuses empty and padded names, and
/// names with control characters.
fn name_problem(name: &str, what: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some(format!("its {what} is empty"))
    } else if let Some(problem) = control_problem(name, what) {
        Some(problem)
    } else if name.trim() != name {
        Some(format!(
            "its {what} `{name}` starts or ends with spaces, which the YAML doesn't accept"
        ))
    } else {
        None
    }
}

fn email_problem(email: &str, what: &str) -> Option<String> {
    if let Some(problem) = control_problem(email, what) {
        return Some(problem);
    }
    (!(is_email(email.trim()) && email.trim() == email))
        .then(|| format!("its {what} `{email}` is not an address the YAML accepts"))
}

/// Chooses what to write.
#[must_use]
pub fn select(live: &Account) -> Selection<'_> {
    let mut selection = Selection::default();
    let profiles = ProfileReferences {
        live,
        left_out: selection.pick_profiles(live),
    };
    let declared_groups = selection.pick_groups(live, &profiles);
    selection.pick_signing_groups(live);
    selection.pick_users(live, &profiles, &declared_groups);
    selection
}

/// Judges references to permission profiles.
struct ProfileReferences<'a> {
    live: &'a Account,
    /// Custom profiles not written.
    left_out: HashSet<NameKey>,
}

impl ProfileReferences<'_> {
    /// Why a reference to the profile `name` can't be written, if it can't.
    fn problem(&self, name: &str) -> Option<String> {
        let key = NameKey::new(name);
        if name.trim().is_empty() {
            Some("DocuSign names no permission profile for it".to_owned())
        } else if self.left_out.contains(&key) {
            Some(format!("its permission profile `{name}` is left out"))
        } else if BuiltinProfile::from_name(name).is_none()
            && !self.live.permission_profiles.contains_key(&key)
        {
            Some(format!(
                "its permission profile `{name}` is not in the account"
            ))
        } else {
            None
        }
    }
}

impl<'a> Selection<'a> {
    fn leave_out(&mut self, kind: &'static str, name: &str, reason: String) {
        self.left_out.push(LeftOut {
            kind,
            name: name.to_owned(),
            reason,
        });
    }

    /// Custom profiles; returns the keys of those left out.
    fn pick_profiles(&mut self, live: &'a Account) -> HashSet<NameKey> {
        let mut left_out = HashSet::new();
        for (key, profile) in &live.permission_profiles {
            if BuiltinProfile::from_name(&profile.name).is_some() {
                self.builtin_profiles += 1;
            } else if let Some(reason) = name_problem(&profile.name, "name") {
                left_out.insert(key.clone());
                self.leave_out("permission profile", &profile.name, reason);
            } else {
                self.profiles.push(select_settings(profile));
            }
        }
        left_out
    }

    /// Custom groups; returns the keys of those written.
    fn pick_groups(
        &mut self,
        live: &'a Account,
        profiles: &ProfileReferences<'_>,
    ) -> HashSet<NameKey> {
        let mut declared = HashSet::new();
        for (key, group) in &live.groups {
            if BuiltinGroup::from_name(&group.name).is_some() {
                self.builtin_groups += 1;
                continue;
            }
            let problem = name_problem(&group.name, "name").or_else(|| {
                group
                    .permission_profile
                    .as_deref()
                    .and_then(|name| profiles.problem(name))
            });
            if let Some(reason) = problem {
                self.leave_out("group", &group.name, reason);
            } else {
                declared.insert(key.clone());
                self.groups.push(group);
            }
        }
        declared
    }

    fn pick_signing_groups(&mut self, live: &'a Account) {
        for group in live.signing_groups.values() {
            let problem = if self.signing_groups.len() == MAX_SIGNING_GROUPS {
                Some(format!(
                    "the YAML holds at most {MAX_SIGNING_GROUPS} signing groups"
                ))
            } else {
                signing_group_problem(group)
            };
            if let Some(reason) = problem {
                self.leave_out("signing group", &group.name, reason);
            } else {
                self.signing_groups.push(group);
            }
        }
    }

    /// Users that aren't closed, with the groups their entries list.
    fn pick_users(
        &mut self,
        live: &'a Account,
        profiles: &ProfileReferences<'_>,
        declared_groups: &HashSet<NameKey>,
    ) {
        let administrators = NameKey::new(BuiltinGroup::Administrators.api_name());
        for user in live.users.values() {
            if user.status == UserStatus::Closed {
                self.closed_users += 1;
                continue;
            }
            let problem = email_problem(&user.email, "email")
                .or_else(|| name_problem(&user.first_name, "first name"))
                .or_else(|| name_problem(&user.last_name, "last name"))
                .or_else(|| {
                    user.job_title
                        .as_deref()
                        .and_then(|title| control_problem(title, "job title"))
                })
                .or_else(|| profiles.problem(&user.permission_profile));
            if let Some(reason) = problem {
                self.leave_out("user", &user.email, reason);
                continue;
            }
            // Memberships of groups the files don't declare are not managed, so they are not
            // written; listing them would be a reference to an unknown group.
            let groups: BTreeSet<(NameKey, &str)> = user
                .groups
                .iter()
                .map(|name| (NameKey::new(name), name.as_str()))
                .filter(|(key, _)| *key == administrators || declared_groups.contains(key))
                .collect();
            self.users.push(SelectedUser {
                user,
                groups: groups.into_iter().map(|(_, name)| name).collect(),
            });
        }
    }
}

fn signing_group_problem(group: &SigningGroup) -> Option<String> {
    if let Some(reason) = name_problem(&group.name, "name") {
        return Some(reason);
    }
    if let Some(reason) = group
        .email
        .as_deref()
        .and_then(|email| email_problem(email, "email"))
    {
        return Some(reason);
    }
    if group.members.len() > MAX_SIGNING_GROUP_MEMBERS {
        return Some(format!(
            "it has {} members, and the YAML holds at most {MAX_SIGNING_GROUP_MEMBERS}",
            group.members.len()
        ));
    }
    group.members.values().find_map(|member| {
        let problem = name_problem(&member.name, "name")
            .or_else(|| {
                (member.name.chars().count() > MAX_MEMBER_NAME_CHARS)
                    .then(|| "its name is longer than 100 characters".to_owned())
            })
            .or_else(|| email_problem(&member.email, "email"));
        problem.map(|reason| format!("a member can't be written: {reason}"))
    })
}

/// The boolean DocuSign's text spells, exactly: `True` would not read back as `True`.
fn flag(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Splits a profile's settings into those the YAML states and those it leaves unlisted.
fn select_settings(profile: &PermissionProfile) -> SelectedProfile<'_> {
    let mut settings = Vec::new();
    let mut unlisted = Vec::new();
    for (key, value) in &profile.settings {
        let (key, value) = (key.as_str(), value.as_str());
        if controls::first_control(value).is_some() {
            unlisted.push((
                key,
                value,
                "holds a control character, which the YAML doesn't accept",
            ));
            continue;
        }
        let Some(spec) = profile_settings::setting(key) else {
            unlisted.push((key, value, "not a setting this version knows"));
            continue;
        };
        // Each form reads back, through `validate`, as exactly the text DocuSign sent.
        match spec.kind {
            SettingKind::Boolean => match flag(value) {
                Some(flag) => settings.push((key, Setting::Flag(flag))),
                None => unlisted.push((key, value, "not `true` or `false`")),
            },
            SettingKind::OneOf(allowed) => {
                if allowed.contains(&value) {
                    settings.push((key, Setting::Text(value)));
                } else {
                    unlisted.push((key, value, "not one of the documented values"));
                }
            }
            // DocuSign sends its undocumented settings as `"true"`/`"false"` too. Written as
            // booleans, every on/off setting in a profile looks alike, as in the examples,
            // rather than some `false` and some `"false"`; validate reads a boolean for a
            // free-text setting as that same text.
            SettingKind::Text => {
                settings.push((key, flag(value).map_or(Setting::Text(value), Setting::Flag)));
            }
        }
    }
    SelectedProfile {
        profile,
        settings,
        unlisted,
    }
}
