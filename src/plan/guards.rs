//! The guards: a plan that closes users, removes memberships, or grants admin-capable
//! profiles beyond `policy.limits` is refused unless the operator allows that class.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::describe;
use super::operation::Operation;
use crate::desired::Desired;
use crate::desired::checked::Limit;
use crate::model::admin::{ACCOUNT_MANAGEMENT, Administering, is_yes};
use crate::model::{Account, EmailKey, NameKey, UserStatus};

/// The classes of risky change, as `--allow` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardClass {
    UserClosures,
    MembershipRemovals,
    AdminGrants,
}

impl GuardClass {
    pub const ALL: [Self; 3] = [
        Self::UserClosures,
        Self::MembershipRemovals,
        Self::AdminGrants,
    ];

    /// The `--allow` value (`policy.limits` spells it with underscores).
    #[must_use]
    pub const fn flag(self) -> &'static str {
        match self {
            Self::UserClosures => "user-closures",
            Self::MembershipRemovals => "membership-removals",
            Self::AdminGrants => "admin-grants",
        }
    }

    /// The key that sets the class's limit under `policy.limits`.
    #[must_use]
    pub const fn limit_key(self) -> &'static str {
        match self {
            Self::UserClosures => "user_closures",
            Self::MembershipRemovals => "membership_removals",
            Self::AdminGrants => "admin_grants",
        }
    }

    /// When `policy.limits` says nothing: 10 or 10% of the live figure, whichever is larger;
    /// for admin grants 3 or 5%, since each one hands over the whole account.
    const fn default_floor_and_percent(self) -> (u64, f64) {
        match self {
            Self::UserClosures | Self::MembershipRemovals => (10, 10.0),
            Self::AdminGrants => (3, 5.0),
        }
    }
}

/// One class's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardCheck {
    pub class: GuardClass,
    /// How many the plan does.
    pub count: u64,
    /// The most allowed.
    pub limit: u64,
    /// The live figure a percent is taken of.
    pub base: u64,
    pub exceeded: bool,
    pub allowed_by_operator: bool,
    /// Where the YAML sets the limit (`file:line`); absent when the default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_at: Option<String>,
    /// When the limit is exceeded: whose access changes, the first [`SHOWN_PEOPLE`] of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// The most people an exceeded guard lists; the count says how many there are.
pub const SHOWN_PEOPLE: usize = 20;

impl GuardCheck {
    /// Over the limit and not allowed: the plan must not be applied.
    #[must_use]
    pub fn refuses(&self) -> bool {
        self.exceeded && !self.allowed_by_operator
    }

    /// How to raise the limit: where the YAML sets it (`quote` shows the place), or which key
    /// to set.
    #[must_use]
    pub fn how_to_raise(&self, quote: impl Fn(&str) -> String) -> String {
        self.set_at.as_ref().map_or_else(
            || format!("set `policy.limits.{}` in the YAML", self.class.limit_key()),
            |place| format!("raise the limit at {}", quote(place)),
        )
    }

    /// How many of the class's changes [`GuardCheck::changes`] leaves out.
    #[must_use]
    pub fn unlisted(&self) -> usize {
        if self.changes.is_empty() {
            return 0;
        }
        usize::try_from(self.count)
            .unwrap_or(usize::MAX)
            .saturating_sub(self.changes.len())
    }
}

/// Counts each class in `operations` and compares with the limits. Admin grants are counted by
/// people, `grants` ([`admin_grants`]): everyone the plan lets administer the account who
/// could not before, however many steps it takes or however few.
#[must_use]
pub fn check(
    operations: &[Operation],
    desired: &Desired,
    live: &Account,
    grants: &[String],
    allowed: &[GuardClass],
) -> Vec<GuardCheck> {
    let live_users = live
        .users
        .values()
        .filter(|user| user.status != UserStatus::Closed)
        .count();
    let live_memberships = live
        .users
        .values()
        .map(|user| user.groups.len())
        .sum::<usize>()
        + live
            .signing_groups
            .values()
            .map(|group| group.members.len())
            .sum::<usize>();
    GuardClass::ALL
        .into_iter()
        .map(|class| {
            let count: usize = match class {
                GuardClass::AdminGrants => grants.len(),
                GuardClass::UserClosures | GuardClass::MembershipRemovals => operations
                    .iter()
                    .map(|operation| weight(class, operation, live))
                    .sum(),
            };
            let base = match class {
                GuardClass::UserClosures | GuardClass::AdminGrants => live_users,
                GuardClass::MembershipRemovals => live_memberships,
            };
            let configured = match class {
                GuardClass::UserClosures => desired.policy.limits.user_closures,
                GuardClass::MembershipRemovals => desired.policy.limits.membership_removals,
                GuardClass::AdminGrants => desired.policy.limits.admin_grants,
            };
            let limit = limit_for(class, configured, base as u64);
            let count = count as u64;
            let exceeded = count > limit;
            let changes = if exceeded {
                match class {
                    GuardClass::AdminGrants => grants.iter().take(SHOWN_PEOPLE).cloned().collect(),
                    GuardClass::UserClosures | GuardClass::MembershipRemovals => {
                        whose_access(class, operations, live)
                    }
                }
            } else {
                Vec::new()
            };
            GuardCheck {
                class,
                count,
                limit,
                base: base as u64,
                exceeded,
                allowed_by_operator: allowed.contains(&class),
                set_at: desired
                    .policy
                    .limits
                    .written_at
                    .get(class.limit_key())
                    .cloned(),
                changes,
            }
        })
        .collect()
}

/// Whose access the class's changes take away, the first [`SHOWN_PEOPLE`]: each person closed,
/// each membership removed, each group deleted with how many members it had.
fn whose_access(class: GuardClass, operations: &[Operation], live: &Account) -> Vec<String> {
    operations
        .iter()
        .map(|operation| (operation, weight(class, operation, live)))
        .filter(|(_, weight)| *weight > 0)
        .filter_map(|(operation, weight)| match operation {
            Operation::CloseUser { email, .. } => Some(format!("{email} is closed")),
            Operation::RemoveMember { group, email, .. } => {
                Some(format!("{email} leaves `{group}`"))
            }
            Operation::RemoveSigningGroupMember {
                signing_group,
                email,
                ..
            } => Some(format!(
                "{email} leaves the signing group `{signing_group}`"
            )),
            Operation::DeleteGroup { name, .. } | Operation::DeleteSigningGroup { name, .. } => {
                Some(format!("`{name}` is deleted with its {weight} members"))
            }
            _ => None,
        })
        .take(SHOWN_PEOPLE)
        .collect()
}

/// How many of a class's changes one operation makes: deleting a group or a signing group
/// removes every membership it has, so a typo that drops a big group trips the guard too.
fn weight(class: GuardClass, operation: &Operation, live: &Account) -> usize {
    match (class, operation) {
        (GuardClass::UserClosures, Operation::CloseUser { .. })
        | (
            GuardClass::MembershipRemovals,
            Operation::RemoveMember { .. } | Operation::RemoveSigningGroupMember { .. },
        ) => return 1,
        (GuardClass::MembershipRemovals, _) => {}
        _ => return 0,
    }
    match operation {
        Operation::DeleteGroup { name, .. } => {
            let key = NameKey::new(name);
            live.users
                .values()
                .filter(|user| user.groups.iter().any(|group| NameKey::new(group) == key))
                .count()
        }
        Operation::DeleteSigningGroup { name, .. } => live
            .signing_groups
            .get(&NameKey::new(name))
            .map_or(0, |group| group.members.len()),
        _ => 0,
    }
}

fn limit_for(class: GuardClass, configured: Option<Limit>, base: u64) -> u64 {
    let percent_of = |percent: f64| {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let limit = (base as f64 * percent / 100.0).floor() as u64;
        limit
    };
    match configured {
        Some(Limit::Count(count)) => count,
        Some(Limit::Percent(percent)) => percent_of(percent),
        None => {
            let (floor, percent) = class.default_floor_and_percent();
            floor.max(percent_of(percent))
        }
    }
}

/// Everyone the plan makes able to administer the account (`live` → `after`), each as a line
/// saying how: the plan's admin-capable grants, as many as the guard counts.
#[must_use]
pub fn admin_grants(operations: &[Operation], live: &Account, after: &Account) -> Vec<String> {
    let gained = Administering::of(after).gained_since(&Administering::of(live));
    if gained.is_empty() {
        return Vec::new();
    }
    let grants = Grants::of(operations, after);
    gained
        .into_iter()
        .map(|key| {
            let user = &after.users[key];
            format!("{}: {}", user.email, grants.how(key, user))
        })
        .collect()
}

/// The steps that can make someone an administrator, read once: each person's own (by email),
/// account management turned on (by profile), and groups given an administering profile.
struct Grants {
    own: BTreeMap<EmailKey, Vec<String>>,
    profiles_turned_on: BTreeMap<NameKey, String>,
    groups_given: BTreeMap<NameKey, (String, String)>,
}

impl Grants {
    fn of(operations: &[Operation], after: &Account) -> Self {
        let mut grants = Self {
            own: BTreeMap::new(),
            profiles_turned_on: BTreeMap::new(),
            groups_given: BTreeMap::new(),
        };
        for operation in operations {
            let email = match operation {
                Operation::CreateUser {
                    email,
                    permission_profile,
                    ..
                }
                | Operation::ReactivateUser {
                    email,
                    permission_profile,
                    ..
                }
                | Operation::ChangeProfile {
                    email,
                    to: permission_profile,
                    ..
                } if after.profile_administers(permission_profile) => email,
                Operation::AddMember { email, group, .. } if after.group_administers(group) => {
                    email
                }
                Operation::UpdateProfileSettings {
                    profile, changes, ..
                } if changes.iter().any(|change| {
                    change.field == ACCOUNT_MANAGEMENT && change.to.as_deref().is_some_and(is_yes)
                }) =>
                {
                    grants
                        .profiles_turned_on
                        .entry(NameKey::new(profile))
                        .or_insert_with(|| profile.clone());
                    continue;
                }
                Operation::SetGroupProfile {
                    group,
                    to: Some(carried),
                    ..
                } if after.profile_administers(carried) => {
                    grants
                        .groups_given
                        .entry(NameKey::new(group))
                        .or_insert_with(|| (group.clone(), carried.clone()));
                    continue;
                }
                _ => continue,
            };
            grants
                .own
                .entry(EmailKey::new(email))
                .or_default()
                .push(describe::sentence(operation));
        }
        grants
    }

    /// How the plan makes `user` (at `key`) an administrator: their own steps that do it, else
    /// the changes to their profile or to a group they are in.
    fn how(&self, key: &EmailKey, user: &crate::model::User) -> String {
        if let Some(own) = self.own.get(key) {
            return own.join("; ");
        }
        let through: Vec<String> = self
            .profiles_turned_on
            .get(&NameKey::new(&user.permission_profile))
            .map(|profile| format!("holds `{profile}`, which gains account management"))
            .into_iter()
            .chain(user.groups.iter().filter_map(|name| {
                self.groups_given.get(&NameKey::new(name)).map(|(group, carried)| {
                    format!(
                        "is in `{group}`, which now carries `{carried}` (DocuSign may give members the group's profile)"
                    )
                })
            }))
            .collect();
        if through.is_empty() {
            "can administer the account after this plan".to_owned()
        } else {
            through.join("; ")
        }
    }
}
