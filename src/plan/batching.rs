//! How a plan's operations become API calls: the one place that decides batching, so the
//! plan's call estimate and what apply sends can't disagree.
//!
//! - Users are created (and reopened) by `POST /users`, up to 500 a call. A new user's group
//!   memberships ride along in the same call (`groupList`) when the group carries no
//!   permission profile or the user's own: joining then can't change the user's profile,
//!   whichever way DocuSign treats a group's profile on join.
//! - Attribute and profile changes of a user are one item of a bulk `PUT /users`, up to 500 a
//!   call; closes are bulk `DELETE /users`, up to 500 a call.
//! - Memberships are one `PUT` (add) and one `DELETE` (remove) per group and per signing group.
//! - Group creates, group updates (renames and profiles), signing-group creates, renames and
//!   deletes, and group deletes are one bulk call each.
//! - A profile is one call to create, one to rename and/or update its settings, one to delete;
//!   a signing group's email is one call.

use std::collections::{BTreeMap, HashMap};

use super::operation::{Operation, Phase};
use crate::model::{Account, EmailKey, NameKey};

/// DocuSign's cap on users per `POST /users`.
pub const USERS_PER_CREATE: usize = 500;
/// Users per bulk `PUT`/`DELETE /users`: the API documents no cap, so the create cap is used.
pub const USERS_PER_BULK: usize = 500;

/// For each operation, whether it is an `AddMember` that rides along with its user's creation.
#[must_use]
pub fn joins_at_creation<'a>(
    operations: impl Iterator<Item = &'a Operation> + Clone,
    live: &Account,
) -> Vec<bool> {
    let created: HashMap<EmailKey, NameKey> = operations
        .clone()
        .filter_map(|operation| match operation {
            Operation::CreateUser {
                email,
                permission_profile,
                ..
            } => Some((EmailKey::new(email), NameKey::new(permission_profile))),
            _ => None,
        })
        .collect();
    if created.is_empty() {
        return operations.map(|_| false).collect();
    }
    let profiles = group_profiles_before_users(operations.clone(), live);
    operations
        .map(|operation| {
            let Operation::AddMember { group, email, .. } = operation else {
                return false;
            };
            let Some(user_profile) = created.get(&EmailKey::new(email)) else {
                return false;
            };
            match profiles.get(&NameKey::new(group)) {
                Some(None) => true,
                Some(Some(group_profile)) => group_profile == user_profile,
                // A group the plan doesn't know: leave the join to its own call.
                None => false,
            }
        })
        .collect()
}

/// Each group's permission profile once the plan's group steps (which come before user
/// creation) are done.
fn group_profiles_before_users<'a>(
    operations: impl Iterator<Item = &'a Operation>,
    live: &Account,
) -> HashMap<NameKey, Option<NameKey>> {
    let mut profiles: HashMap<NameKey, Option<NameKey>> = live
        .groups
        .iter()
        .map(|(key, group)| {
            (
                key.clone(),
                group.permission_profile.as_deref().map(NameKey::new),
            )
        })
        .collect();
    for operation in operations {
        match operation {
            Operation::CreateGroup {
                name,
                permission_profile,
            } => {
                profiles.insert(
                    NameKey::new(name),
                    permission_profile.as_deref().map(NameKey::new),
                );
            }
            Operation::RenameGroup { from, to, .. } => {
                if let Some(profile) = profiles.remove(&NameKey::new(from)) {
                    profiles.insert(NameKey::new(to), profile);
                }
            }
            Operation::SetGroupProfile { group, to, .. } => {
                profiles.insert(NameKey::new(group), to.as_deref().map(NameKey::new));
            }
            _ => {}
        }
    }
    profiles
}

/// What one call does; the items it carries come with it in [`CallShape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallKind {
    CreateProfile,
    /// A profile's rename and settings together.
    UpdateProfile,
    CreateGroups,
    /// Renames and profile changes of groups, an item per group.
    UpdateGroups,
    CreateSigningGroups,
    RenameSigningGroups,
    SigningGroupEmail,
    /// New and reopened users, each item a user and the joins that ride with it.
    CreateUsers,
    /// Attribute and profile changes, an item per user.
    UpdateUsers,
    /// Adds to or removes from one group.
    GroupMembers,
    /// Adds to or removes from one signing group.
    SigningGroupMembers,
    CloseUsers,
    DeleteGroups,
    DeleteSigningGroups,
    DeleteProfile,
}

impl CallKind {
    /// The most items one call carries; `None` when one call takes them all.
    const fn items_per_call(self) -> Option<usize> {
        match self {
            Self::CreateUsers => Some(USERS_PER_CREATE),
            Self::UpdateUsers | Self::CloseUsers => Some(USERS_PER_BULK),
            Self::CreateProfile
            | Self::UpdateProfile
            | Self::SigningGroupEmail
            | Self::DeleteProfile => Some(1),
            Self::CreateGroups
            | Self::UpdateGroups
            | Self::CreateSigningGroups
            | Self::RenameSigningGroups
            | Self::GroupMembers
            | Self::SigningGroupMembers
            | Self::DeleteGroups
            | Self::DeleteSigningGroups => None,
        }
    }
}

/// One API call: what it does and, for each item it sends, the plan steps (indices) the item
/// carries. Apply fills in the IDs and sends it; the plan's estimate counts these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallShape {
    pub kind: CallKind,
    pub items: Vec<Vec<usize>>,
}

/// Where a step goes: the call kind, which call of that kind (a group, a profile), and which
/// item in it (`None`: an item of its own).
fn placement(operation: &Operation) -> (CallKind, String, Option<String>) {
    let name = |name: &str| NameKey::new(name).to_string();
    let email = |email: &str| EmailKey::new(email).to_string();
    match operation {
        Operation::CreateProfile { name: profile, .. } => {
            (CallKind::CreateProfile, name(profile), None)
        }
        Operation::RenameProfile { to: profile, .. }
        | Operation::UpdateProfileSettings { profile, .. } => {
            (CallKind::UpdateProfile, name(profile), Some(String::new()))
        }
        Operation::DeleteProfile { name: profile, .. } => {
            (CallKind::DeleteProfile, name(profile), None)
        }
        Operation::CreateGroup { .. } => (CallKind::CreateGroups, String::new(), None),
        Operation::RenameGroup { to: group, .. } | Operation::SetGroupProfile { group, .. } => {
            (CallKind::UpdateGroups, String::new(), Some(name(group)))
        }
        Operation::CreateSigningGroup { .. } => {
            (CallKind::CreateSigningGroups, String::new(), None)
        }
        Operation::RenameSigningGroup { .. } => {
            (CallKind::RenameSigningGroups, String::new(), None)
        }
        Operation::SetSigningGroupEmail { signing_group, .. } => {
            (CallKind::SigningGroupEmail, name(signing_group), None)
        }
        Operation::CreateUser { email: who, .. } | Operation::ReactivateUser { email: who, .. } => {
            (CallKind::CreateUsers, String::new(), Some(email(who)))
        }
        Operation::UpdateUser { email: who, .. } | Operation::ChangeProfile { email: who, .. } => {
            (CallKind::UpdateUsers, String::new(), Some(email(who)))
        }
        Operation::AddMember { group, .. } => {
            (CallKind::GroupMembers, format!("add {}", name(group)), None)
        }
        Operation::RemoveMember { group, .. } => (
            CallKind::GroupMembers,
            format!("remove {}", name(group)),
            None,
        ),
        Operation::AddSigningGroupMember { signing_group, .. } => (
            CallKind::SigningGroupMembers,
            format!("add {}", name(signing_group)),
            None,
        ),
        Operation::RemoveSigningGroupMember { signing_group, .. } => (
            CallKind::SigningGroupMembers,
            format!("remove {}", name(signing_group)),
            None,
        ),
        Operation::CloseUser { .. } => (CallKind::CloseUsers, String::new(), None),
        Operation::DeleteGroup { .. } => (CallKind::DeleteGroups, String::new(), None),
        Operation::DeleteSigningGroup { .. } => {
            (CallKind::DeleteSigningGroups, String::new(), None)
        }
    }
}

/// An item of a call being laid out: the key its steps meet under (`None`: the step's own
/// item), and the steps.
type Item = (Option<String>, Vec<usize>);

/// The calls that carry `steps` (indices of the plan's steps; `operation` reads one), batched
/// as the module doc says.
/// `riding` are joins that go in their new users' create items (see [`joins_at_creation`]);
/// one whose user's creation isn't among `steps` is in no call.
#[must_use]
pub fn calls<'a>(
    operation: impl Fn(usize) -> &'a Operation,
    steps: &[usize],
    riding: &[usize],
) -> Vec<CallShape> {
    let mut grouped: BTreeMap<(CallKind, String), Vec<Item>> = BTreeMap::new();
    for &index in steps {
        let (kind, call, item) = placement(operation(index));
        let items = grouped.entry((kind, call)).or_default();
        match items
            .iter_mut()
            .find(|(key, _)| item.is_some() && *key == item)
        {
            Some((_, carried)) => carried.push(index),
            None => items.push((item, vec![index])),
        }
    }
    if let Some(creates) = grouped.get_mut(&(CallKind::CreateUsers, String::new())) {
        for &index in riding {
            let Operation::AddMember { email, .. } = operation(index) else {
                continue;
            };
            let key = Some(EmailKey::new(email).to_string());
            if let Some((_, carried)) = creates.iter_mut().find(|(item, _)| *item == key) {
                carried.push(index);
            }
        }
    }
    let mut shapes = Vec::new();
    for ((kind, _), items) in grouped {
        let items: Vec<Vec<usize>> = items.into_iter().map(|(_, steps)| steps).collect();
        let size = kind.items_per_call().unwrap_or(items.len()).max(1);
        shapes.extend(items.chunks(size).map(|chunk| CallShape {
            kind,
            items: chunk.to_vec(),
        }));
    }
    shapes
}

/// The calls apply will make for `operations` on `live`, phase by phase.
#[must_use]
pub fn plan_calls(operations: &[Operation], live: &Account) -> Vec<CallShape> {
    let riding = joins_at_creation(operations.iter(), live);
    let mut phases: BTreeMap<Phase, Vec<usize>> = BTreeMap::new();
    for (index, operation) in operations.iter().enumerate() {
        if !riding[index] {
            phases.entry(operation.phase()).or_default().push(index);
        }
    }
    let riding: Vec<usize> = (0..operations.len()).filter(|&i| riding[i]).collect();
    phases
        .into_iter()
        .flat_map(|(phase, steps)| {
            let joins: &[usize] = if phase == Phase::CreateUsers {
                &riding
            } else {
                &[]
            };
            calls(|index| &operations[index], &steps, joins)
        })
        .collect()
}

/// How many calls apply will make for `operations` on `live`.
#[must_use]
pub fn api_calls(operations: &[Operation], live: &Account) -> u64 {
    plan_calls(operations, live).len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{group, join};

    fn create(email: &str, profile: &str) -> Operation {
        Operation::CreateUser {
            email: email.to_owned(),
            first_name: "A".to_owned(),
            last_name: "B".to_owned(),
            job_title: None,
            permission_profile: profile.to_owned(),
        }
    }

    fn live_with_groups(groups: &[(&str, Option<&str>)]) -> Account {
        let mut live = Account::default();
        for (name, profile) in groups {
            live.add_group(group(&format!("id-{name}"), name, *profile));
        }
        live
    }

    #[test]
    fn onboarding_a_thousand_users_into_ten_plain_groups_is_two_calls() {
        let live = live_with_groups(
            &(0..10)
                .map(|n| {
                    (
                        ["G0", "G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9"][n],
                        None,
                    )
                })
                .collect::<Vec<_>>(),
        );
        let mut operations = Vec::new();
        for n in 0..1000 {
            let email = format!("user{n}@example.com");
            operations.push(create(&email, "DocuSign Sender"));
            operations.push(join(&email, &format!("G{}", n % 10)));
        }
        assert_eq!(api_calls(&operations, &live), 2);
    }

    #[test]
    fn a_join_that_could_change_the_new_users_profile_gets_its_own_call() {
        let live = live_with_groups(&[("Sales", Some("Sales Sender")), ("Plain", None)]);
        let operations = [
            create("a@example.com", "DocuSign Sender"),
            create("b@example.com", "Sales Sender"),
            join("a@example.com", "Sales"),
            join("b@example.com", "Sales"),
            join("a@example.com", "Plain"),
        ];
        assert_eq!(
            joins_at_creation(operations.iter(), &live),
            [false, false, false, true, true]
        );
        // One create call and one PUT for Sales.
        assert_eq!(api_calls(&operations, &live), 2);
    }

    #[test]
    fn a_group_created_or_re_profiled_by_the_plan_is_judged_as_it_will_be() {
        let live = live_with_groups(&[("Old", Some("Sales Sender"))]);
        let operations = [
            Operation::CreateGroup {
                name: "New".to_owned(),
                permission_profile: None,
            },
            Operation::SetGroupProfile {
                group: "Old".to_owned(),
                id: None,
                from: Some("Sales Sender".to_owned()),
                to: None,
            },
            create("a@example.com", "DocuSign Sender"),
            join("a@example.com", "New"),
            join("a@example.com", "Old"),
        ];
        assert_eq!(
            joins_at_creation(operations.iter(), &live),
            [false, false, false, true, true]
        );
    }
}
