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

use std::collections::{BTreeSet, HashMap};

use super::operation::Operation;
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

/// The calls apply will make for `operations` on `live`, counted as the module doc says.
#[must_use]
pub fn api_calls(operations: &[Operation], live: &Account) -> u64 {
    let folded = joins_at_creation(operations.iter(), live);
    let count = |pred: &dyn Fn(&Operation) -> bool| {
        operations
            .iter()
            .filter(|operation| pred(operation))
            .count()
    };
    let distinct = |pred: &dyn Fn(usize, &Operation) -> Option<String>| {
        operations
            .iter()
            .enumerate()
            .filter_map(|(index, operation)| pred(index, operation))
            .collect::<BTreeSet<_>>()
            .len()
    };
    let creates = count(&|op| {
        matches!(
            op,
            Operation::CreateUser { .. } | Operation::ReactivateUser { .. }
        )
    });
    let updated_users = distinct(&|_, op| match op {
        Operation::UpdateUser { email, .. } | Operation::ChangeProfile { email, .. } => {
            Some(EmailKey::new(email).to_string())
        }
        _ => None,
    });
    let closes = count(&|op| matches!(op, Operation::CloseUser { .. }));
    let per_group = |index: usize, op: &Operation| match op {
        Operation::AddMember { group, .. } if !folded[index] => {
            Some(format!("add {}", NameKey::new(group)))
        }
        Operation::RemoveMember { group, .. } => Some(format!("remove {}", NameKey::new(group))),
        Operation::AddSigningGroupMember { signing_group, .. } => {
            Some(format!("sign-add {}", NameKey::new(signing_group)))
        }
        Operation::RemoveSigningGroupMember { signing_group, .. } => {
            Some(format!("sign-remove {}", NameKey::new(signing_group)))
        }
        _ => None,
    };
    let membership_calls = distinct(&per_group);
    let profile_updates = distinct(&|_, op| match op {
        Operation::RenameProfile { to: name, .. }
        | Operation::UpdateProfileSettings { profile: name, .. } => {
            Some(NameKey::new(name).to_string())
        }
        _ => None,
    });
    let one_each = count(&|op| {
        matches!(
            op,
            Operation::CreateProfile { .. }
                | Operation::SetSigningGroupEmail { .. }
                | Operation::DeleteProfile { .. }
        )
    });
    let bulk_kinds = [
        count(&|op| matches!(op, Operation::CreateGroup { .. })),
        count(&|op| {
            matches!(
                op,
                Operation::RenameGroup { .. } | Operation::SetGroupProfile { .. }
            )
        }),
        count(&|op| matches!(op, Operation::CreateSigningGroup { .. })),
        count(&|op| matches!(op, Operation::RenameSigningGroup { .. })),
        count(&|op| matches!(op, Operation::DeleteGroup { .. })),
        count(&|op| matches!(op, Operation::DeleteSigningGroup { .. })),
    ]
    .into_iter()
    .filter(|n| *n > 0)
    .count();
    let total = creates.div_ceil(USERS_PER_CREATE)
        + updated_users.div_ceil(USERS_PER_BULK)
        + closes.div_ceil(USERS_PER_BULK)
        + membership_calls
        + profile_updates
        + one_each
        + bulk_kinds;
    total as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Group;

    fn create(email: &str, profile: &str) -> Operation {
        Operation::CreateUser {
            email: email.to_owned(),
            first_name: "A".to_owned(),
            last_name: "B".to_owned(),
            job_title: None,
            permission_profile: profile.to_owned(),
        }
    }

    fn join(email: &str, group: &str) -> Operation {
        Operation::AddMember {
            group: group.to_owned(),
            group_id: None,
            email: email.to_owned(),
            user_id: None,
        }
    }

    fn live_with_groups(groups: &[(&str, Option<&str>)]) -> Account {
        let mut live = Account::default();
        for (name, profile) in groups {
            live.groups.insert(
                NameKey::new(name),
                Group {
                    id: Some(format!("id-{name}")),
                    name: (*name).to_owned(),
                    permission_profile: profile.map(str::to_owned),
                    previously: Vec::new(),
                },
            );
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
