//! Drift: what differs between live, recorded and desired state, sorted into classes a team can
//! act on. Pure functions over values, like the planner.
//!
//! - **changed outside git**: a managed object differs from what the last apply recorded;
//! - **lifecycle**: DocuSign's own user lifecycle (an invitation accepted, a user closed or
//!   disabled in DocuSign's pages); an accepted invitation is listed but is not drift;
//! - **new unmanaged**: an object neither the YAML nor recorded state knows, that wasn't
//!   there at the last apply;
//! - **pending**: the YAML differs from recorded state (merged, not applied).
//!
//! `policy.accepted_drift` silences an object's drift until its date has passed.

pub mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::desired::Desired;
use crate::desired::checked::DriftObject;
use crate::model::named::{ById, Named};
use crate::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, User, UserStatus,
};
use crate::plan;
use crate::plan::describe;
pub use crate::plan::describe::Part;
use crate::state::{RecordedState, UnmanagedKeys};

/// The class of a difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    ChangedOutsideGit,
    Lifecycle,
    NewUnmanaged,
    Pending,
}

impl Class {
    pub const ALL: [Self; 4] = [
        Self::ChangedOutsideGit,
        Self::Lifecycle,
        Self::NewUnmanaged,
        Self::Pending,
    ];

    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::ChangedOutsideGit => "Changed outside git",
            Self::Lifecycle => "DocuSign lifecycle",
            Self::NewUnmanaged => "New unmanaged objects",
            Self::Pending => "Pending (merged, not applied)",
        }
    }
}

/// An `accepted_drift` entry that silenced a difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    pub reason: String,
    pub until: String,
}

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub class: Class,
    pub kind: Part,
    /// The object's email or name (its live name when it has one).
    pub object: String,
    /// The name recorded state knows it by, when it was renamed outside git since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_name: Option<String>,
    /// What differs, in a few words.
    pub change: String,
    /// Whether it is drift (an accepted invitation is listed, but isn't).
    pub counts: bool,
    /// The acceptance that silences it, if one does.
    pub accepted: Option<Acceptance>,
}

/// An `accepted_drift` entry whose date has passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expired {
    pub object: String,
    pub reason: String,
    pub until: String,
}

/// Everything `drift` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub account_id: String,
    /// The recorded state compared with.
    pub serial: u64,
    pub applied_at: String,
    /// Whether the recorded state is `import`'s rather than an apply's.
    pub imported: bool,
    pub differences: Vec<Difference>,
    pub expired_acceptances: Vec<Expired>,
}

impl Difference {
    /// Drift, and not accepted.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.counts && self.accepted.is_none()
    }
}

impl Report {
    /// Differences that are drift and aren't accepted.
    pub fn open(&self) -> impl Iterator<Item = &Difference> {
        self.differences
            .iter()
            .filter(|difference| difference.is_open())
    }

    /// The differences of one class.
    pub fn of_class(&self, class: Class) -> impl Iterator<Item = &Difference> {
        self.differences
            .iter()
            .filter(move |difference| difference.class == class)
    }

    #[must_use]
    pub fn drift_found(&self) -> bool {
        self.open().next().is_some()
    }
}

/// Finds the drift of `live` from `recorded` and of `desired` from `recorded`, on `today`.
#[must_use]
pub fn detect(
    desired: &Desired,
    live: &Account,
    recorded: &RecordedState,
    integration_user: Option<&str>,
    today: jiff::civil::Date,
) -> Report {
    let mut found = Found::default();
    let ids = LiveIds::of(live);
    profiles(&recorded.objects, &ids, &mut found);
    let group_names = groups(&recorded.objects, &ids, &mut found);
    signing_groups(&recorded.objects, &ids, &mut found);
    users(&recorded.objects, live, &group_names, &mut found);
    new_unmanaged(desired, recorded, live, &ids, &mut found);
    pending(desired, recorded, integration_user, &mut found);
    let mut differences = found.0;
    let mut expired = Vec::new();
    for accepted in &desired.policy.accepted_drift {
        if accepted.until < today {
            expired.push(Expired {
                object: object_label(&accepted.object),
                reason: accepted.reason.clone(),
                until: accepted.until.to_string(),
            });
            continue;
        }
        for difference in &mut differences {
            if difference.accepted.is_none() && names(&accepted.object, difference) {
                difference.accepted = Some(Acceptance {
                    reason: accepted.reason.clone(),
                    until: accepted.until.to_string(),
                });
            }
        }
    }
    differences.sort_by(|a, b| {
        (a.class, a.kind, a.object.to_lowercase()).cmp(&(b.class, b.kind, b.object.to_lowercase()))
    });
    Report {
        account_id: recorded.account_id.clone(),
        serial: recorded.serial,
        applied_at: recorded.applied_at.clone(),
        imported: recorded.is_import(),
        differences,
        expired_acceptances: expired,
    }
}

fn object_label(object: &DriftObject) -> String {
    match object {
        DriftObject::User(email) => format!("user:{email}"),
        DriftObject::Group(name) => format!("group:{name}"),
        DriftObject::PermissionProfile(name) => format!("permission_profile:{name}"),
        DriftObject::SigningGroup(name) => format!("signing_group:{name}"),
    }
}

/// Whether an acceptance names the difference's object (by its live or its recorded name).
fn names(object: &DriftObject, difference: &Difference) -> bool {
    match (object, difference.kind) {
        (DriftObject::User(email), Part::Users) => *email == EmailKey::new(&difference.object),
        (DriftObject::Group(name), Part::Groups)
        | (DriftObject::PermissionProfile(name), Part::Profiles)
        | (DriftObject::SigningGroup(name), Part::SigningGroups) => {
            std::iter::once(&difference.object)
                .chain(&difference.recorded_name)
                .any(|known| *name == NameKey::new(known))
        }
        _ => false,
    }
}

#[derive(Default)]
struct Found(Vec<Difference>);

impl Found {
    fn push(&mut self, class: Class, kind: Part, object: &str, change: String) {
        self.0.push(Difference {
            class,
            kind,
            object: object.to_owned(),
            recorded_name: None,
            change,
            counts: true,
            accepted: None,
        });
    }

    /// Notes the recorded name on the differences pushed since `start` that name the object
    /// by another (its live) name.
    fn recorded_as(&mut self, start: usize, recorded: &str) {
        for difference in &mut self.0[start..] {
            if NameKey::new(&difference.object) != NameKey::new(recorded) {
                difference.recorded_name = Some(recorded.to_owned());
            }
        }
    }
}

/// Live objects, each kind also by DocuSign ID.
struct LiveIds<'a> {
    profiles: ById<'a, PermissionProfile>,
    groups: ById<'a, Group>,
    signing_groups: ById<'a, SigningGroup>,
}

impl<'a> LiveIds<'a> {
    fn of(live: &'a Account) -> Self {
        Self {
            profiles: ById::of(&live.permission_profiles),
            groups: ById::of(&live.groups),
            signing_groups: ById::of(&live.signing_groups),
        }
    }
}

/// Compares each recorded object of a kind with the live one it is ([`ById::counterpart`]: by
/// ID, else by name): gone, renamed, or changed as `changes` says (each change a few words).
/// Returns live key → recorded key of the objects found.
fn compare<'a, T: Named>(
    recorded: &BTreeMap<NameKey, T>,
    live: &ById<'a, T>,
    kind: Part,
    changes: impl Fn(&T, &T) -> Vec<String>,
    found: &mut Found,
) -> HashMap<&'a NameKey, NameKey> {
    let mut keys = HashMap::new();
    for (key, was) in recorded {
        let start = found.0.len();
        let Some((live_key, now)) = live.counterpart(key, was.id()) else {
            found.push(
                Class::ChangedOutsideGit,
                kind,
                was.name(),
                "deleted outside git".to_owned(),
            );
            continue;
        };
        keys.insert(live_key, key.clone());
        if now.name() != was.name() {
            let change = format!("renamed outside git from `{}`", was.name());
            found.push(Class::ChangedOutsideGit, kind, now.name(), change);
        }
        for change in changes(was, now) {
            found.push(Class::ChangedOutsideGit, kind, now.name(), change);
        }
        found.recorded_as(start, was.name());
    }
    keys
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |value| format!("`{value}`"))
}

/// `what before → after`, when the two differ by `key`.
fn changed<K: PartialEq>(
    what: &str,
    was: Option<&String>,
    now: Option<&String>,
    key: impl Fn(&str) -> K,
) -> Option<String> {
    (was.map(|value| key(value)) != now.map(|value| key(value))).then(|| {
        format!(
            "{what} {} → {}",
            shown(was.map(String::as_str)),
            shown(now.map(String::as_str))
        )
    })
}

fn profiles(recorded: &Account, ids: &LiveIds<'_>, found: &mut Found) {
    let custom: BTreeMap<NameKey, PermissionProfile> = recorded
        .permission_profiles
        .iter()
        .filter(|(_, profile)| BuiltinProfile::from_name(&profile.name).is_none())
        .map(|(key, profile)| (key.clone(), profile.clone()))
        .collect();
    let settings = |was: &PermissionProfile, now: &PermissionProfile| {
        was.settings
            .iter()
            .filter(|(setting, value)| now.settings.get(*setting) != Some(value))
            .map(|(setting, value)| {
                let current = now.settings.get(setting).map(String::as_str);
                format!("`{setting}`: `{value}` → {}", shown(current))
            })
            .collect()
    };
    compare(&custom, &ids.profiles, Part::Profiles, settings, found);
}

/// Compares groups; returns live group name → recorded name, for users' memberships (a group
/// renamed outside git is still the recorded group).
fn groups(recorded: &Account, ids: &LiveIds<'_>, found: &mut Found) -> HashMap<NameKey, NameKey> {
    let profile = |was: &Group, now: &Group| {
        changed(
            "permission profile",
            was.permission_profile.as_ref(),
            now.permission_profile.as_ref(),
            NameKey::new,
        )
        .into_iter()
        .collect()
    };
    compare(&recorded.groups, &ids.groups, Part::Groups, profile, found)
        .into_iter()
        .map(|(live, recorded)| (live.clone(), recorded))
        .collect()
}

fn signing_groups(recorded: &Account, ids: &LiveIds<'_>, found: &mut Found) {
    let changes = |was: &SigningGroup, now: &SigningGroup| {
        let mut changes: Vec<String> = changed(
            "email",
            was.email.as_ref(),
            now.email.as_ref(),
            EmailKey::new,
        )
        .into_iter()
        .collect();
        for (member, entry) in &now.members {
            match was.members.get(member) {
                None => changes.push(format!("{} added outside git", entry.email)),
                Some(old) if old.name != entry.name => changes.push(format!(
                    "{}'s name `{}` → `{}`",
                    entry.email, old.name, entry.name
                )),
                Some(_) => {}
            }
        }
        for (member, entry) in &was.members {
            if !now.members.contains_key(member) {
                changes.push(format!("{} removed outside git", entry.email));
            }
        }
        changes
    };
    compare(
        &recorded.signing_groups,
        &ids.signing_groups,
        Part::SigningGroups,
        changes,
        found,
    );
}

fn users(
    recorded: &Account,
    live: &Account,
    group_names: &HashMap<NameKey, NameKey>,
    found: &mut Found,
) {
    // Memberships compared: the recorded groups and Administrators.
    let mut managed: BTreeSet<NameKey> = recorded.groups.keys().cloned().collect();
    managed.insert(NameKey::new(BuiltinGroup::Administrators.api_name()));
    let recorded_groups = |user: &User| -> BTreeSet<NameKey> {
        user.groups
            .iter()
            .map(|name| NameKey::new(name))
            .filter(|key| managed.contains(key))
            .collect()
    };
    let live_groups = |user: &User| -> BTreeSet<NameKey> {
        user.groups
            .iter()
            .map(|name| {
                let key = NameKey::new(name);
                group_names.get(&key).cloned().unwrap_or(key)
            })
            .filter(|key| managed.contains(key))
            .collect()
    };
    for (key, was) in &recorded.users {
        let kind = Part::Users;
        let Some(now) = live.users.get(key) else {
            found.push(
                Class::ChangedOutsideGit,
                kind,
                &was.email,
                "no longer in the account".to_owned(),
            );
            continue;
        };
        lifecycle(was, now, found);
        if now.status == UserStatus::Closed {
            continue;
        }
        for (field, before, after) in [
            ("first name", Some(&was.first_name), Some(&now.first_name)),
            ("last name", Some(&was.last_name), Some(&now.last_name)),
            ("job title", was.job_title.as_ref(), now.job_title.as_ref()),
        ] {
            if before != after {
                found.push(
                    Class::ChangedOutsideGit,
                    kind,
                    &now.email,
                    format!(
                        "{field} {} → {}",
                        shown(before.map(String::as_str)),
                        shown(after.map(String::as_str))
                    ),
                );
            }
        }
        if NameKey::new(&was.permission_profile) != NameKey::new(&now.permission_profile) {
            found.push(
                Class::ChangedOutsideGit,
                kind,
                &now.email,
                format!(
                    "permission profile `{}` → `{}`",
                    was.permission_profile, now.permission_profile
                ),
            );
        }
        let (before, after) = (recorded_groups(was), live_groups(now));
        for joined in after.difference(&before) {
            found.push(
                Class::ChangedOutsideGit,
                kind,
                &now.email,
                format!(
                    "added to group `{}` outside git",
                    group_label(recorded, joined)
                ),
            );
        }
        for left in before.difference(&after) {
            found.push(
                Class::ChangedOutsideGit,
                kind,
                &now.email,
                format!(
                    "removed from group `{}` outside git",
                    group_label(recorded, left)
                ),
            );
        }
    }
}

fn group_label(recorded: &Account, key: &NameKey) -> String {
    match recorded.groups.get(key) {
        Some(group) => group.name.clone(),
        None if *key == NameKey::new(BuiltinGroup::Administrators.api_name()) => {
            BuiltinGroup::Administrators.api_name().to_owned()
        }
        None => key.to_string(),
    }
}

/// A user's status moved on in DocuSign.
fn lifecycle(was: &User, now: &User, found: &mut Found) {
    use UserStatus::{Active, Closed, Disabled, Pending};
    let (class, change, counts) = match (was.status, now.status) {
        (Pending, Active) => (Class::Lifecycle, "accepted the invitation", false),
        (Active | Pending, Closed) => (Class::Lifecycle, "closed in DocuSign", true),
        (Active | Pending, Disabled) => (Class::Lifecycle, "disabled in DocuSign", true),
        (Closed, Active | Pending) => (Class::ChangedOutsideGit, "reopened outside git", true),
        (Disabled, Active | Pending) => (Class::Lifecycle, "enabled in DocuSign", true),
        _ => return,
    };
    found.0.push(Difference {
        class,
        kind: Part::Users,
        object: now.email.clone(),
        recorded_name: None,
        change: change.to_owned(),
        counts,
        accepted: None,
    });
}

/// The live objects of one kind (`of` picks the kind from an account, `seen_of` from the
/// unmanaged keys) that nobody manages or had seen: recorded by neither key nor ID, absent from
/// the YAML, and not noted as unmanaged at the last apply.
fn unseen<'l, T: Named>(
    (live, recorded, desired): (&'l Account, &RecordedState, &Account),
    of: impl Fn(&Account) -> &BTreeMap<NameKey, T>,
    seen_of: impl Fn(&UnmanagedKeys) -> &BTreeSet<NameKey>,
    by_id: &ById<'_, T>,
) -> Vec<&'l T> {
    let recorded_ids: BTreeSet<&NameKey> = of(&recorded.objects)
        .values()
        .filter_map(|object| by_id.get(object.id()?))
        .map(|(key, _)| key)
        .collect();
    let seen = seen_of(&recorded.unmanaged);
    of(live)
        .iter()
        .filter(|(key, _)| {
            !of(&recorded.objects).contains_key(*key)
                && !recorded_ids.contains(key)
                && !of(desired).contains_key(*key)
                && !seen.contains(*key)
        })
        .map(|(_, object)| object)
        .collect()
}

fn new_unmanaged(
    desired: &Desired,
    recorded: &RecordedState,
    live: &Account,
    ids: &LiveIds<'_>,
    found: &mut Found,
) {
    let objects = &recorded.objects;
    let seen = &recorded.unmanaged;
    let accounts = (live, recorded, &desired.state);
    let profiles = unseen(
        accounts,
        |a| &a.permission_profiles,
        |u| &u.permission_profiles,
        &ids.profiles,
    );
    let groups = unseen(accounts, |a| &a.groups, |u| &u.groups, &ids.groups);
    let signing_groups = unseen(
        accounts,
        |a| &a.signing_groups,
        |u| &u.signing_groups,
        &ids.signing_groups,
    );
    let named = (profiles.into_iter())
        .filter(|profile| BuiltinProfile::from_name(&profile.name).is_none())
        .map(|profile| (Part::Profiles, &profile.name))
        .chain(
            (groups.into_iter())
                .filter(|group| BuiltinGroup::from_name(&group.name).is_none())
                .map(|group| (Part::Groups, &group.name)),
        )
        .chain(
            signing_groups
                .into_iter()
                .map(|group| (Part::SigningGroups, &group.name)),
        );
    for (part, name) in named {
        found.push(
            Class::NewUnmanaged,
            part,
            name,
            "created outside git".to_owned(),
        );
    }
    for (key, user) in &live.users {
        if user.status != UserStatus::Closed
            && !objects.users.contains_key(key)
            && !desired.state.users.contains_key(key)
            && !seen.users.contains(key)
        {
            found.push(
                Class::NewUnmanaged,
                Part::Users,
                &user.email,
                format!("added outside git with `{}`", user.permission_profile),
            );
        }
    }
}

/// What the YAML asks that the last apply didn't record: the plan from recorded to desired.
fn pending(
    desired: &Desired,
    recorded: &RecordedState,
    integration_user: Option<&str>,
    found: &mut Found,
) {
    let diff = plan::diff::diff(plan::diff::Inputs {
        desired,
        live: &recorded.objects,
        recorded: Some(&recorded.objects),
        integration_user,
    });
    for planned in diff.operations {
        let subject = describe::subject(&planned.operation);
        let start = found.0.len();
        found.push(
            Class::Pending,
            subject.part,
            subject.name,
            describe::sentence(&planned.operation),
        );
        if let Some(before) = subject.before {
            found.recorded_as(start, before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_change(object: &str, recorded_name: Option<&str>, change: &str) -> Difference {
        Difference {
            class: Class::ChangedOutsideGit,
            kind: Part::Groups,
            object: object.to_owned(),
            recorded_name: recorded_name.map(str::to_owned),
            change: change.to_owned(),
            counts: true,
            accepted: None,
        }
    }

    #[test]
    fn an_acceptance_names_an_object_by_its_live_or_recorded_name_only() {
        let sales = DriftObject::Group(NameKey::new("Sales"));
        // Renamed outside git: the recorded name still names it.
        assert!(names(
            &sales,
            &group_change(
                "Sales Team",
                Some("Sales"),
                "renamed outside git from `Sales`"
            )
        ));
        assert!(names(
            &sales,
            &group_change("sales", None, "permission profile (none) → `Sales Sender`")
        ));
        // Another group whose change merely mentions a `Sales` profile is not it.
        assert!(!names(
            &sales,
            &group_change("Legal", None, "permission profile `Sales` → (none)")
        ));
    }
}
