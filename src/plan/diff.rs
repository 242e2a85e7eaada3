//! What differs between desired, live and recorded state, as unordered operations (each with
//! its reason) and reports.
//!
//! Recorded state (what the last apply left) does two things here. It pins DocuSign IDs, so an
//! object renamed by hand in DocuSign is still the object the YAML means, and a rename is a
//! rename. And it says what the tool manages, so an object the YAML no longer names is deleted
//! (a user is closed) only when recorded state says it was ours; objects that desired state
//! never named and recorded state never managed are left alone, or follow
//! `policy.unmanaged_users` for users. Without recorded state (before the first apply) nothing
//! is deleted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::operation::{Change, Operation};
use super::reason::{Reason, Stated};
use crate::desired::Desired;
use crate::desired::checked::UnmanagedUsers;
use crate::model::admin::{ACCOUNT_MANAGEMENT, is_yes};
use crate::model::named::{ById, Named, names};
use crate::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, User, UserStatus,
};

/// Something the plan says but doesn't do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub email: String,
    pub note: String,
}

/// An operation and why the plan makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub operation: Operation,
    pub reason: Reason,
}

/// Operations and reports, before ordering.
#[derive(Debug, Default)]
pub struct Diff {
    pub operations: Vec<Planned>,
    pub reports: Vec<Report>,
}

impl Diff {
    fn push(&mut self, operation: Operation, reason: impl Into<Reason>) {
        self.operations.push(Planned {
            operation,
            reason: reason.into(),
        });
    }

    fn report(&mut self, email: &str, note: impl Into<String>) {
        self.reports.push(Report {
            email: email.to_owned(),
            note: note.into(),
        });
    }
}

/// The three inputs, and who holds the token.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub desired: &'a Desired,
    pub live: &'a Account,
    /// The managed objects as the last apply left them; `None` before the first apply.
    pub recorded: Option<&'a Account>,
    /// The email of the user whose token we use.
    pub integration_user: Option<&'a str>,
}

/// Live name → desired name, for objects the plan renames.
type Renames = HashMap<NameKey, String>;

/// The renames the plan makes, so that what follows them compares with the new names.
#[derive(Default)]
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

/// Compares desired with live, in the light of recorded state.
#[must_use]
pub fn diff(inputs: Inputs<'_>) -> Diff {
    let mut out = Diff::default();
    let mut renamed = Renamed::default();
    let profiles = reconcile_profiles(inputs, &mut out);
    renamed.profiles = profiles.renames;
    let groups = reconcile_groups(inputs, &renamed.profiles, &mut out);
    renamed.groups = groups.renames;
    reconcile_signing_groups(inputs, &mut out);
    users(inputs, &renamed, &groups.deleted, &mut out);
    delete_profiles(inputs, &profiles.deleted, &mut out);
    out
}

/// How a desired object finds its live one, in the order [`Matcher::assign`] tries them.
#[derive(Clone, Copy)]
enum Round {
    /// The live object with its name.
    Name,
    /// The live object recorded state pinned by ID under its name or an earlier name.
    Pinned,
    /// A live object with an earlier name.
    Earlier,
}

/// Finds the live object a desired (or recorded) one stands for.
struct Matcher<'a, T> {
    live: ById<'a, T>,
    recorded: Option<&'a BTreeMap<NameKey, T>>,
}

impl<'a, T: Named> Matcher<'a, T> {
    fn new(live: &'a BTreeMap<NameKey, T>, recorded: Option<&'a BTreeMap<NameKey, T>>) -> Self {
        Self {
            live: ById::of(live),
            recorded,
        }
    }

    /// The live object each desired one stands for, by the desired object's key. A live object
    /// stands for one desired object at most, so the desired objects choose in rounds: each
    /// takes the live object with its name; then the one recorded state pinned by ID under
    /// its name (or an earlier name); then one with an earlier name; each round only from what
    /// the rounds before left. So an ID match gives way when the live object it pins has the
    /// name of a desired object (it was renamed by hand to a name the YAML also declares),
    /// rather than rename it from under that one, and when another live object already has the
    /// desired name, since renaming onto it would clash.
    fn assign<'d>(&self, desired: &'d BTreeMap<NameKey, T>) -> Assigned<'d, 'a, T> {
        let mut found = HashMap::new();
        let mut taken = BTreeSet::new();
        for round in [Round::Name, Round::Pinned, Round::Earlier] {
            for (key, object) in desired {
                if found.contains_key(key) {
                    continue;
                }
                if let Some(live) = self.candidate(object, round, &taken) {
                    taken.insert(live.0);
                    found.insert(key, live);
                }
            }
        }
        found
    }

    /// The live object a desired one takes in `round`, of those not yet `taken`.
    fn candidate(
        &self,
        desired: &T,
        round: Round,
        taken: &BTreeSet<&'a NameKey>,
    ) -> Option<(&'a NameKey, &'a T)> {
        let live = match round {
            Round::Name => self
                .live
                .objects()
                .get_key_value(&NameKey::new(desired.name())),
            Round::Pinned => self.recorded.and_then(|recorded| {
                names(desired)
                    .find_map(|name| recorded.get(&NameKey::new(name))?.id())
                    .and_then(|id| self.live.get(id))
            }),
            Round::Earlier => names(desired).skip(1).find_map(|old| {
                self.live
                    .objects()
                    .get_key_value(&NameKey::new(old))
                    .filter(|(key, _)| !taken.contains(key))
            }),
        };
        live.filter(|(key, _)| !taken.contains(key))
    }

    /// Live objects that recorded state managed and desired state no longer names (neither by
    /// name, by an earlier name, nor by the live object it matched): to delete.
    fn orphans(&self, desired: &BTreeMap<NameKey, T>, found: &Assigned<'_, 'a, T>) -> Vec<&'a T> {
        let Some(recorded) = self.recorded else {
            return Vec::new();
        };
        let claimed: BTreeSet<&NameKey> = found.values().map(|(key, _)| *key).collect();
        let renamed_from: BTreeSet<NameKey> = desired
            .values()
            .flat_map(|object| object.previously().iter().map(|old| NameKey::new(old)))
            .collect();
        recorded
            .iter()
            .filter(|(key, _)| !desired.contains_key(*key) && !renamed_from.contains(*key))
            .filter_map(|(key, object)| self.live.counterpart(key, object.id()))
            .filter(|(key, _)| !claimed.contains(key))
            .map(|(_, object)| object)
            .collect()
    }
}

/// Desired key → the live object (key and value) it stands for.
type Assigned<'d, 'a, T> = HashMap<&'d NameKey, (&'a NameKey, &'a T)>;

/// What reconciling one kind left for the later kinds.
struct Reconciled<T> {
    renames: Renames,
    deleted: Vec<T>,
}

impl<T> Reconciled<T> {
    fn new() -> Self {
        Self {
            renames: Renames::new(),
            deleted: Vec::new(),
        }
    }
}

/// Profiles to create, rename and update; returns the renames, and the profiles to delete
/// once their holders have moved.
fn reconcile_profiles(inputs: Inputs<'_>, out: &mut Diff) -> Reconciled<PermissionProfile> {
    let Inputs {
        desired,
        live,
        recorded,
        integration_user,
    } = inputs;
    let matcher = Matcher::new(
        &live.permission_profiles,
        recorded.map(|recorded| &recorded.permission_profiles),
    );
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
        profile_settings(profile, current, live, integration_user, out);
    }
    result.deleted = matcher
        .orphans(&desired.state.permission_profiles, &found)
        .into_iter()
        .filter(|profile| BuiltinProfile::from_name(&profile.name).is_none())
        .cloned()
        .collect();
    result
}

fn rename_reason(live_name: &str, desired_name: &str, previously: &[String]) -> Stated {
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
fn profile_settings(
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

fn same_name(a: Option<&String>, b: Option<&String>) -> bool {
    a.map(|name| NameKey::new(name)) == b.map(|name| NameKey::new(name))
}

/// Groups to create, rename, re-profile and delete; returns the renames for memberships.
fn reconcile_groups(
    inputs: Inputs<'_>,
    profile_renames: &Renames,
    out: &mut Diff,
) -> Reconciled<NameKey> {
    let Inputs {
        desired,
        live,
        recorded,
        integration_user,
    } = inputs;
    let matcher = Matcher::new(&live.groups, recorded.map(|recorded| &recorded.groups));
    let mut result = Reconciled::new();
    let found = matcher.assign(&desired.state.groups);
    let hints =
        (found.len() < desired.state.groups.len()).then(|| RenameHints::new(desired, live, &found));
    for (want, group) in &desired.state.groups {
        let Some(&(key, current)) = found.get(want) else {
            let old = hints.as_ref().and_then(|hints| hints.renamed_from(want));
            let reason = old.map_or(Reason::Stated(Stated::NewInYaml), |old| {
                Reason::Noted(format!(
                        "new in the YAML; if it is `{old}` renamed, add `previously: [{old}]` to it so `{old}` is renamed instead, keeping its ID and members"
                ))
            });
            out.push(
                Operation::CreateGroup {
                    name: group.name.clone(),
                    permission_profile: group.permission_profile.clone(),
                },
                reason,
            );
            continue;
        };
        if current.name != group.name {
            result.renames.insert(key.clone(), group.name.clone());
            out.push(
                Operation::RenameGroup {
                    id: current.id.clone(),
                    from: current.name.clone(),
                    to: group.name.clone(),
                },
                rename_reason(&current.name, &group.name, &group.previously),
            );
        }
        let current_profile = current
            .permission_profile
            .as_deref()
            .map(|name| after_renames(name, profile_renames));
        if !same_name(current_profile.as_ref(), group.permission_profile.as_ref()) {
            out.push(
                Operation::SetGroupProfile {
                    group: group.name.clone(),
                    id: current.id.clone(),
                    from: current.permission_profile.clone(),
                    to: group.permission_profile.clone(),
                },
                Stated::GroupGetsAnotherProfile,
            );
        }
    }
    for orphan in matcher.orphans(&desired.state.groups, &found) {
        if BuiltinGroup::from_name(&orphan.name).is_some() {
            continue;
        }
        // Deleting the group would take a user who is left alone out of it.
        let orphan_key = NameKey::new(&orphan.name);
        let stuck = live.users.values().find_map(|user| {
            let member = user
                .groups
                .iter()
                .any(|group| NameKey::new(group) == orphan_key);
            member
                .then(|| hands_off(user, desired, integration_user))
                .flatten()
                .map(|why| (user, why))
        });
        if let Some((user, why)) = stuck {
            out.report(
                &user.email,
                format!(
                    "is in `{}`, which the YAML removed; the group is kept because this user is left alone: {why}",
                    orphan.name
                ),
            );
            continue;
        }
        result.deleted.push(NameKey::new(&orphan.name));
        out.push(
            Operation::DeleteGroup {
                name: orphan.name.clone(),
                id: orphan.id.clone(),
            },
            Stated::RemovedFromYaml,
        );
    }
    result
}

/// For a group the YAML declares new: a live group no desired group stands for, whose members
/// are mostly the new group's members in the YAML, was likely renamed by someone who didn't
/// write `previously`. Every membership is read once, whatever the number of groups.
struct RenameHints<'a> {
    /// The live custom groups no desired group stands for, with their members.
    unclaimed: Vec<(&'a str, Vec<&'a EmailKey>)>,
    /// Desired group → the users the YAML puts in it.
    joining: HashMap<NameKey, BTreeSet<&'a EmailKey>>,
}

impl<'a> RenameHints<'a> {
    fn new(
        desired: &'a Desired,
        live: &'a Account,
        found: &HashMap<&NameKey, (&NameKey, &Group)>,
    ) -> Self {
        let matched: BTreeSet<&NameKey> = found.values().map(|(key, _)| *key).collect();
        let mut members: BTreeMap<&NameKey, (&str, Vec<&EmailKey>)> = live
            .groups
            .iter()
            .filter(|(key, group)| {
                !matched.contains(key) && BuiltinGroup::from_name(&group.name).is_none()
            })
            .map(|(key, group)| (key, (group.name.as_str(), Vec::new())))
            .collect();
        for (email, user) in &live.users {
            for group in &user.groups {
                if let Some((_, list)) = members.get_mut(&NameKey::new(group)) {
                    list.push(email);
                }
            }
        }
        let mut joining: HashMap<NameKey, BTreeSet<&EmailKey>> = HashMap::new();
        for (email, user) in &desired.state.users {
            for group in &user.groups {
                joining
                    .entry(NameKey::new(group))
                    .or_default()
                    .insert(email);
            }
        }
        Self {
            unclaimed: members.into_values().collect(),
            joining,
        }
    }

    /// The live group the new group `new` likely is, renamed.
    fn renamed_from(&self, new: &NameKey) -> Option<String> {
        let joining = self.joining.get(new)?;
        self.unclaimed
            .iter()
            .find(|(_, had)| {
                let kept = had.iter().filter(|email| joining.contains(*email)).count();
                // Most of its members are in the new group.
                !had.is_empty() && 2 * kept > had.len()
            })
            .map(|(name, _)| (*name).to_owned())
    }
}

fn reconcile_signing_groups(inputs: Inputs<'_>, out: &mut Diff) {
    let Inputs {
        desired,
        live,
        recorded,
        integration_user,
    } = inputs;
    let matcher = Matcher::new(
        &live.signing_groups,
        recorded.map(|recorded| &recorded.signing_groups),
    );
    let found = matcher.assign(&desired.state.signing_groups);
    for (want, group) in &desired.state.signing_groups {
        let Some(&(_, current)) = found.get(want) else {
            out.push(
                Operation::CreateSigningGroup {
                    name: group.name.clone(),
                    email: group.email.clone(),
                },
                Stated::NewInYaml,
            );
            for member in group.members.values() {
                out.push(
                    Operation::AddSigningGroupMember {
                        signing_group: group.name.clone(),
                        id: None,
                        name: member.name.clone(),
                        email: member.email.clone(),
                    },
                    Stated::MemberInYaml,
                );
            }
            continue;
        };
        if current.name != group.name {
            out.push(
                Operation::RenameSigningGroup {
                    id: current.id.clone(),
                    from: current.name.clone(),
                    to: group.name.clone(),
                },
                rename_reason(&current.name, &group.name, &group.previously),
            );
        }
        let email_key = |email: Option<&String>| email.map(|email| EmailKey::new(email));
        if email_key(current.email.as_ref()) != email_key(group.email.as_ref()) {
            out.push(
                Operation::SetSigningGroupEmail {
                    signing_group: group.name.clone(),
                    id: current.id.clone(),
                    from: current.email.clone(),
                    to: group.email.clone(),
                },
                Stated::SigningGroupGetsAnotherEmail,
            );
        }
        signing_group_members(group, current, out);
    }
    for orphan in matcher.orphans(&desired.state.signing_groups, &found) {
        // Deleting the signing group would take a user who is left alone out of it.
        let stuck = orphan.members.values().find_map(|member| {
            hands_off_email(&member.email, desired, integration_user).map(|why| (member, why))
        });
        if let Some((member, why)) = stuck {
            out.report(
                &member.email,
                format!(
                    "is in the signing group `{}`, which the YAML removed; it is kept because this user is left alone: {why}",
                    orphan.name
                ),
            );
            continue;
        }
        out.push(
            Operation::DeleteSigningGroup {
                name: orphan.name.clone(),
                id: orphan.id.clone(),
            },
            Stated::RemovedFromYaml,
        );
    }
}

/// Members to add and remove. A member whose name differs is added again under the new name:
/// DocuSign keys members by email, so the add updates the name in place.
fn signing_group_members(group: &SigningGroup, current: &SigningGroup, out: &mut Diff) {
    for (key, member) in &group.members {
        let reason = match current.members.get(key) {
            None => Stated::MemberInYaml,
            Some(have) if have.name != member.name => Stated::MemberNameDiffers,
            Some(_) => continue,
        };
        out.push(
            Operation::AddSigningGroupMember {
                signing_group: group.name.clone(),
                id: current.id.clone(),
                name: member.name.clone(),
                email: member.email.clone(),
            },
            reason,
        );
    }
    for (key, member) in &current.members {
        if !group.members.contains_key(key) {
            out.push(
                // Removals run before renames (signing groups make room first), so they name
                // the signing group as DocuSign has it now.
                Operation::RemoveSigningGroupMember {
                    signing_group: current.name.clone(),
                    id: current.id.clone(),
                    email: member.email.clone(),
                },
                Stated::NotMemberInYaml,
            );
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
    hands_off_email(&user.email, desired, integration_user)
}

/// Why the user with this email must be left alone, if it must.
fn hands_off_email(
    email: &str,
    desired: &Desired,
    integration_user: Option<&str>,
) -> Option<&'static str> {
    let key = EmailKey::new(email);
    if integration_user.is_some_and(|email| EmailKey::new(email) == key) {
        Some("the integration user is never changed")
    } else if desired.policy.protected_users.contains(&key) {
        Some("protected by `policy.protected_users`")
    } else {
        None
    }
}

/// What an identity provider owns of a live user through SCIM, which the plan leaves to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ScimOwns {
    /// `isManagedByScim`: the user's lifecycle (create, close, reopen) and attributes.
    user: bool,
    /// `isMembershipManagedByScim`: the user's group memberships.
    memberships: bool,
}

impl ScimOwns {
    fn of(user: &User) -> Self {
        Self {
            user: user.managed_by_scim,
            memberships: user.membership_managed_by_scim,
        }
    }

    /// The part of the user an operation changes, when the identity provider owns that part.
    fn owned_part(self, operation: &Operation) -> Option<&'static str> {
        match operation {
            Operation::CloseUser { .. } | Operation::ReactivateUser { .. } if self.user => {
                Some("status")
            }
            Operation::UpdateUser { .. } if self.user => Some("name and job title"),
            Operation::AddMember { .. } | Operation::RemoveMember { .. } if self.memberships => {
                Some("group memberships")
            }
            _ => None,
        }
    }

    /// Moves what `planned` holds for one user into `out`, less the operations on the parts
    /// the identity provider owns; the plan says in one note per user what it left out.
    /// `what` says how the user stands with the YAML.
    fn keep_out(self, email: &str, what: &str, planned: Diff, out: &mut Diff) {
        let mut left: Vec<&'static str> = Vec::new();
        for planned in planned.operations {
            match self.owned_part(&planned.operation) {
                Some(part) => {
                    if !left.contains(&part) {
                        left.push(part);
                    }
                }
                None => out.operations.push(planned),
            }
        }
        out.reports.extend(planned.reports);
        if !left.is_empty() {
            out.report(
                email,
                format!(
                    "{what}, but an identity provider manages its {} (SCIM), so the plan leaves that alone; change it there",
                    listed(&left)
                ),
            );
        }
    }
}

/// `a`, `a and b`… as prose: `status, name and job title, and group memberships`.
fn listed(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// Everything the user diff needs to know about the account around one user.
struct UserScope<'a> {
    managed: BTreeSet<NameKey>,
    renamed: &'a Renamed,
}

fn users(inputs: Inputs<'_>, renamed: &Renamed, deleted_groups: &[NameKey], out: &mut Diff) {
    let Inputs {
        desired,
        live,
        recorded,
        integration_user,
    } = inputs;
    let recorded_users = recorded.map(|recorded| &recorded.users);
    if desired.state.users.is_empty() && recorded_users.is_none_or(BTreeMap::is_empty) {
        return;
    }
    let mut managed = managed_groups(desired);
    // A deleted group takes its memberships with it.
    for key in deleted_groups {
        managed.remove(key);
    }
    let scope = UserScope { managed, renamed };
    for (key, want) in &desired.state.users {
        let Some(have) = live.users.get(key) else {
            if want.status != UserStatus::Closed {
                create_user(want, out);
            }
            continue;
        };
        if let Some(reason) = hands_off(have, desired, integration_user) {
            if !user_matches(want, have, &scope) {
                out.report(
                    &have.email,
                    format!("differs from the YAML but is left alone: {reason}"),
                );
            }
            continue;
        }
        let scim = ScimOwns::of(have);
        let mut planned = Diff::default();
        if scim.user && have.status == UserStatus::Closed && want.status != UserStatus::Closed {
            // Only reopening would let the plan change a closed user, and reopening is the
            // identity provider's.
            planned.push(
                Operation::ReactivateUser {
                    email: have.email.clone(),
                    id: have.id.clone(),
                    permission_profile: want.permission_profile.clone(),
                },
                Stated::ClosedInDocuSign,
            );
        } else {
            update_user(want, have, &scope, &mut planned);
        }
        scim.keep_out(&have.email, "differs from the YAML", planned, out);
    }
    for (key, have) in &live.users {
        if desired.state.users.contains_key(key) || have.status == UserStatus::Closed {
            continue;
        }
        let was_managed = recorded_users.is_some_and(|users| users.contains_key(key));
        if let Some(reason) = hands_off(have, desired, integration_user) {
            let note = if was_managed {
                format!("removed from the YAML, but left alone: {reason}")
            } else {
                format!("not in the YAML, left alone: {reason}")
            };
            out.report(&have.email, note);
            continue;
        }
        let mut planned = Diff::default();
        let what = if was_managed {
            planned.push(
                Operation::CloseUser {
                    email: have.email.clone(),
                    id: have.id.clone(),
                },
                Stated::RemovedFromYaml,
            );
            "removed from the YAML"
        } else {
            unmanaged_user(desired, have, &scope, &mut planned);
            "not in the YAML"
        };
        ScimOwns::of(have).keep_out(&have.email, what, planned, out);
    }
}

fn create_user(want: &User, out: &mut Diff) {
    out.push(
        Operation::CreateUser {
            email: want.email.clone(),
            first_name: want.first_name.clone(),
            last_name: want.last_name.clone(),
            job_title: want.job_title.clone(),
            permission_profile: want.permission_profile.clone(),
        },
        Stated::NewInYaml,
    );
    for group in &want.groups {
        out.push(
            Operation::AddMember {
                group: group.clone(),
                group_id: None,
                email: want.email.clone(),
                user_id: None,
            },
            Stated::MemberInYaml,
        );
    }
}

/// A live user's group names, renamed as the plan renames them, limited to managed groups.
fn live_groups(have: &User, scope: &UserScope<'_>) -> BTreeMap<NameKey, String> {
    have.groups
        .iter()
        .map(|name| after_renames(name, &scope.renamed.groups))
        .filter(|name| scope.managed.contains(&NameKey::new(name)))
        .map(|name| (NameKey::new(&name), name))
        .collect()
}

fn user_matches(want: &User, have: &User, scope: &UserScope<'_>) -> bool {
    let mut scratch = Diff::default();
    update_user(want, have, scope, &mut scratch);
    scratch.operations.is_empty()
}

fn update_user(want: &User, have: &User, scope: &UserScope<'_>, out: &mut Diff) {
    let (email, id) = (have.email.clone(), have.id.clone());
    if want.status == UserStatus::Closed {
        if have.status != UserStatus::Closed {
            out.push(Operation::CloseUser { email, id }, Stated::ClosedInYaml);
        }
        return;
    }
    if have.status == UserStatus::Disabled {
        // DocuSign documents no API call that re-enables a disabled user; say so rather than
        // pretend the plan will fix it.
        out.report(
            &email,
            "disabled in DocuSign; the API can't re-enable it, so enable it in DocuSign's admin pages",
        );
    }
    let reactivated = have.status == UserStatus::Closed;
    if reactivated {
        out.push(
            Operation::ReactivateUser {
                email: email.clone(),
                id: id.clone(),
                permission_profile: want.permission_profile.clone(),
            },
            Stated::Reopened,
        );
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
        out.push(
            Operation::UpdateUser {
                email: email.clone(),
                id: id.clone(),
                changes,
            },
            Stated::AttributesDiffer,
        );
    }
    // A profile the plan renames is still the same profile: its holders needn't move.
    let held = if reactivated {
        want.permission_profile.clone()
    } else {
        after_renames(&have.permission_profile, &scope.renamed.profiles)
    };
    if NameKey::new(&held) != NameKey::new(&want.permission_profile) {
        out.push(
            Operation::ChangeProfile {
                email: email.clone(),
                id: id.clone(),
                from: have.permission_profile.clone(),
                to: want.permission_profile.clone(),
            },
            Stated::AnotherProfile,
        );
    }
    let have_groups = live_groups(have, scope);
    let want_groups: BTreeMap<NameKey, &String> = want
        .groups
        .iter()
        .map(|name| (NameKey::new(name), name))
        .collect();
    for (key, name) in &want_groups {
        if !have_groups.contains_key(key) {
            out.push(
                Operation::AddMember {
                    group: (*name).clone(),
                    group_id: None,
                    email: email.clone(),
                    user_id: id.clone(),
                },
                Stated::MemberInYaml,
            );
        }
    }
    for (key, name) in &have_groups {
        if !want_groups.contains_key(key) {
            out.push(
                Operation::RemoveMember {
                    group: name.clone(),
                    group_id: None,
                    email: email.clone(),
                    user_id: id.clone(),
                },
                Stated::NotMemberInYaml,
            );
        }
    }
}

fn unmanaged_user(desired: &Desired, have: &User, scope: &UserScope<'_>, out: &mut Diff) {
    let (email, id) = (have.email.clone(), have.id.clone());
    match desired.policy.unmanaged_users {
        UnmanagedUsers::Ignore => {}
        UnmanagedUsers::Report => out.report(&email, "not in the YAML (policy: report)"),
        UnmanagedUsers::Reset => {
            if NameKey::new(&after_renames(
                &have.permission_profile,
                &scope.renamed.profiles,
            )) != NameKey::new(&desired.default_profile)
            {
                out.push(
                    Operation::ChangeProfile {
                        email: email.clone(),
                        id: id.clone(),
                        from: have.permission_profile.clone(),
                        to: desired.default_profile.clone(),
                    },
                    Stated::PolicyReset,
                );
            }
            for name in live_groups(have, scope).into_values() {
                out.push(
                    Operation::RemoveMember {
                        group: name,
                        group_id: None,
                        email: email.clone(),
                        user_id: id.clone(),
                    },
                    Stated::PolicyReset,
                );
            }
        }
        UnmanagedUsers::Close => out.push(Operation::CloseUser { email, id }, Stated::PolicyClose),
    }
}

/// Deletes the profiles recorded state managed and the YAML dropped, after moving every
/// holder the plan doesn't already move (rule 3). A profile held by a user the plan must not
/// touch is kept, and the plan says why.
fn delete_profiles(inputs: Inputs<'_>, deleted: &[PermissionProfile], out: &mut Diff) {
    let Inputs {
        desired,
        live,
        integration_user,
        ..
    } = inputs;
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
            .filter_map(|user| hands_off(user, desired, integration_user).map(|why| (*user, why)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::checked::Policy;

    const ANA: &str = "ana@example.com";

    fn profile(name: &str) -> (NameKey, PermissionProfile) {
        (
            NameKey::new(name),
            PermissionProfile {
                id: Some(format!("p-{name}")),
                name: name.to_owned(),
                settings: BTreeMap::new(),
                previously: Vec::new(),
            },
        )
    }

    fn group(name: &str) -> (NameKey, Group) {
        (
            NameKey::new(name),
            Group {
                id: Some(format!("g-{name}")),
                name: name.to_owned(),
                permission_profile: None,
                previously: Vec::new(),
            },
        )
    }

    fn ana(first_name: &str, profile: &str, groups: &[&str], status: UserStatus) -> User {
        User {
            id: Some("u-ana".to_owned()),
            email: ANA.to_owned(),
            first_name: first_name.to_owned(),
            last_name: "Lima".to_owned(),
            job_title: None,
            permission_profile: profile.to_owned(),
            groups: groups.iter().map(|name| (*name).to_owned()).collect(),
            status,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        }
    }

    /// DocuSign's side: Ana, Active, "Ana" on DocuSign Sender in Sales; `scim` sets her flags.
    fn live(scim: impl FnOnce(&mut User), status: UserStatus) -> Account {
        let mut user = ana("Ana", "DocuSign Sender", &["Sales"], status);
        scim(&mut user);
        Account {
            permission_profiles: BTreeMap::from([
                profile("DocuSign Sender"),
                profile("DocuSign Viewer"),
                profile("Legacy"),
            ]),
            groups: BTreeMap::from([group("Sales"), group("Support")]),
            signing_groups: BTreeMap::new(),
            users: BTreeMap::from([(EmailKey::new(ANA), user)]),
        }
    }

    fn desired(users: &[User]) -> Desired {
        Desired {
            account: None,
            default_profile: "DocuSign Viewer".to_owned(),
            policy: Policy::default(),
            state: Account {
                permission_profiles: BTreeMap::from([
                    profile("DocuSign Sender"),
                    profile("DocuSign Viewer"),
                ]),
                groups: BTreeMap::from([group("Sales"), group("Support")]),
                signing_groups: BTreeMap::new(),
                users: users
                    .iter()
                    .map(|user| (EmailKey::new(&user.email), user.clone()))
                    .collect(),
            },
        }
    }

    /// The YAML's Ana: renamed "Anna", on DocuSign Viewer, moved from Sales to Support.
    fn changed_ana() -> User {
        ana("Anna", "DocuSign Viewer", &["Support"], UserStatus::Active)
    }

    fn run(desired: &Desired, live: &Account, recorded: Option<&Account>) -> Diff {
        diff(Inputs {
            desired,
            live,
            recorded,
            integration_user: None,
        })
    }

    fn kinds(diff: &Diff) -> Vec<String> {
        let mut kinds: Vec<String> = diff
            .operations
            .iter()
            .map(|planned| crate::plan::kind(&planned.operation))
            .collect();
        kinds.sort();
        kinds
    }

    /// The notes about Ana.
    fn notes(diff: &Diff) -> Vec<&str> {
        diff.reports
            .iter()
            .filter(|report| report.email == ANA)
            .map(|report| report.note.as_str())
            .collect()
    }

    fn owned_by_scim(user: &mut User) {
        user.managed_by_scim = true;
    }

    fn memberships_owned_by_scim(user: &mut User) {
        user.membership_managed_by_scim = true;
    }

    fn both_owned_by_scim(user: &mut User) {
        owned_by_scim(user);
        memberships_owned_by_scim(user);
    }

    #[test]
    fn without_scim_every_difference_is_planned() {
        let diff = run(
            &desired(&[changed_ana()]),
            &live(|_| {}, UserStatus::Active),
            None,
        );
        assert_eq!(
            kinds(&diff),
            [
                "add_member",
                "change_profile",
                "remove_member",
                "update_user"
            ]
        );
        assert!(notes(&diff).is_empty(), "{:?}", diff.reports);
    }

    #[test]
    fn a_user_scim_manages_keeps_its_names_but_gets_its_profile_and_groups() {
        let diff = run(
            &desired(&[changed_ana()]),
            &live(owned_by_scim, UserStatus::Active),
            None,
        );
        assert_eq!(
            kinds(&diff),
            ["add_member", "change_profile", "remove_member"]
        );
        assert_eq!(
            notes(&diff),
            [
                "differs from the YAML, but an identity provider manages its name and job title (SCIM), so the plan leaves that alone; change it there"
            ]
        );
    }

    #[test]
    fn memberships_scim_manages_are_left_alone_and_the_rest_is_planned() {
        let diff = run(
            &desired(&[changed_ana()]),
            &live(memberships_owned_by_scim, UserStatus::Active),
            None,
        );
        assert_eq!(kinds(&diff), ["change_profile", "update_user"]);
        let notes = notes(&diff);
        assert_eq!(notes.len(), 1, "one note per user: {notes:?}");
        assert!(
            notes[0].contains("manages its group memberships (SCIM)"),
            "{notes:?}"
        );
    }

    #[test]
    fn with_both_flags_only_the_profile_is_planned_and_one_note_says_why() {
        let diff = run(
            &desired(&[changed_ana()]),
            &live(both_owned_by_scim, UserStatus::Active),
            None,
        );
        assert_eq!(kinds(&diff), ["change_profile"]);
        let notes = notes(&diff);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("its name and job title, and group memberships (SCIM)"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_user_scim_manages_as_the_yaml_has_it_gets_no_note() {
        let same = ana("Ana", "DocuSign Sender", &["Sales"], UserStatus::Active);
        let diff = run(
            &desired(&[same]),
            &live(both_owned_by_scim, UserStatus::Active),
            None,
        );
        assert!(diff.operations.is_empty(), "{:?}", diff.operations);
        assert!(notes(&diff).is_empty(), "{:?}", diff.reports);
    }

    #[test]
    fn a_user_scim_manages_is_neither_closed_nor_reopened() {
        let closed = ana("Ana", "DocuSign Sender", &["Sales"], UserStatus::Closed);
        let diff = run(
            &desired(&[closed]),
            &live(owned_by_scim, UserStatus::Active),
            None,
        );
        assert!(diff.operations.is_empty(), "{:?}", diff.operations);
        assert!(notes(&diff)[0].contains("manages its status (SCIM)"));

        // Closed in DocuSign: reopening is the identity provider's, and a closed user can't
        // be given a profile or groups.
        let diff = run(
            &desired(&[changed_ana()]),
            &live(owned_by_scim, UserStatus::Closed),
            None,
        );
        assert!(diff.operations.is_empty(), "{:?}", diff.operations);
        assert_eq!(notes(&diff).len(), 1, "{:?}", diff.reports);
        assert!(notes(&diff)[0].contains("manages its status (SCIM)"));

        // Memberships alone don't stop a reopening.
        let diff = run(
            &desired(&[changed_ana()]),
            &live(memberships_owned_by_scim, UserStatus::Closed),
            None,
        );
        assert_eq!(kinds(&diff), ["reactivate_user", "update_user"]);
    }

    #[test]
    fn a_user_scim_manages_that_the_yaml_dropped_stays_open() {
        let recorded = Account {
            users: live(|_| {}, UserStatus::Active).users,
            ..Account::default()
        };
        let diff = run(
            &desired(&[]),
            &live(owned_by_scim, UserStatus::Active),
            Some(&recorded),
        );
        assert!(diff.operations.is_empty(), "{:?}", diff.operations);
        assert_eq!(
            notes(&diff),
            [
                "removed from the YAML, but an identity provider manages its status (SCIM), so the plan leaves that alone; change it there"
            ]
        );
        let diff = run(
            &desired(&[]),
            &live(memberships_owned_by_scim, UserStatus::Active),
            Some(&recorded),
        );
        assert_eq!(kinds(&diff), ["close_user"]);
    }

    #[test]
    fn the_reset_and_close_policies_leave_what_scim_manages() {
        // The YAML names only Bo, so Ana follows `policy.unmanaged_users`.
        let bo = User {
            email: "bo@example.com".to_owned(),
            ..ana("Bo", "DocuSign Sender", &[], UserStatus::Active)
        };
        let mut desired = desired(&[bo]);
        desired.policy.unmanaged_users = UnmanagedUsers::Reset;
        let diff = run(
            &desired,
            &live(memberships_owned_by_scim, UserStatus::Active),
            None,
        );
        // Bo is created; Ana gets the default profile but stays in Sales.
        assert_eq!(kinds(&diff), ["change_profile", "create_user"]);
        assert!(
            notes(&diff)[0].starts_with(
                "not in the YAML, but an identity provider manages its group memberships"
            ),
            "{:?}",
            diff.reports
        );

        desired.policy.unmanaged_users = UnmanagedUsers::Close;
        let diff = run(&desired, &live(owned_by_scim, UserStatus::Active), None);
        assert_eq!(kinds(&diff), ["create_user"]);
        assert!(notes(&diff)[0].contains("manages its status (SCIM)"));
    }

    #[test]
    fn a_deleted_profile_held_by_a_user_scim_manages_is_still_deleted() {
        let mut live = live(both_owned_by_scim, UserStatus::Active);
        live.users
            .get_mut(&EmailKey::new(ANA))
            .expect("Ana")
            .permission_profile = "Legacy".to_owned();
        let mut recorded = Account::default();
        recorded.permission_profiles.extend([profile("Legacy")]);
        let same = ana("Ana", "DocuSign Viewer", &["Sales"], UserStatus::Active);
        let mut desired = desired(&[]);
        // Ana isn't in the YAML: the deleted profile moves her to the default profile.
        desired.policy.unmanaged_users = UnmanagedUsers::Ignore;
        let diff = run(&desired, &live, Some(&recorded));
        assert_eq!(kinds(&diff), ["change_profile", "delete_profile"]);
        let diff = run(&self::desired(&[same]), &live, Some(&recorded));
        assert_eq!(kinds(&diff), ["change_profile", "delete_profile"]);
    }
}
