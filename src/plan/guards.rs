//! The guards: a plan that closes users, removes memberships, or grants admin-capable
//! profiles beyond `policy.limits` is refused unless the operator allows that class.

use serde::{Deserialize, Serialize};

use super::operation::{Operation, Phase};
use super::replay;
use crate::desired::Desired;
use crate::desired::checked::Limit;
use crate::model::{Account, BuiltinGroup, BuiltinProfile, NameKey, PermissionProfile, UserStatus};

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
}

impl GuardCheck {
    /// Over the limit and not allowed: the plan must not be applied.
    #[must_use]
    pub fn refuses(&self) -> bool {
        self.exceeded && !self.allowed_by_operator
    }
}

/// Counts each class in `operations` and compares with the limits.
#[must_use]
pub fn check(
    operations: &[Operation],
    desired: &Desired,
    live: &Account,
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
    let staged = Staged::of(operations, live);
    GuardClass::ALL
        .into_iter()
        .map(|class| {
            let count: usize = operations
                .iter()
                .map(|operation| weight(class, operation, &staged, live))
                .sum();
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
            GuardCheck {
                class,
                count,
                limit,
                base: base as u64,
                exceeded: count > limit,
                allowed_by_operator: allowed.contains(&class),
            }
        })
        .collect()
}

/// How many of a class's changes one operation makes: deleting a group or a signing group
/// removes every membership it has, so a typo that drops a big group trips the guard too.
fn weight(class: GuardClass, operation: &Operation, staged: &Staged, live: &Account) -> usize {
    if counts_as(class, operation, staged) {
        return 1;
    }
    if class != GuardClass::MembershipRemovals {
        return 0;
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

/// The operations that hand someone the power to administer the account, in plan order.
#[must_use]
pub fn admin_grants<'a>(operations: &'a [Operation], live: &Account) -> Vec<&'a Operation> {
    let staged = Staged::of(operations, live);
    operations
        .iter()
        .filter(|operation| counts_as(GuardClass::AdminGrants, operation, &staged))
        .collect()
}

/// The profiles and groups as the plan leaves them before it gives any user anything (their
/// phases come first). A grant is judged on these, not on the live account: a profile the plan
/// renames keeps its account management under the new name, and one the plan turns it off on
/// grants nothing.
struct Staged(Account);

impl Staged {
    fn of(operations: &[Operation], live: &Account) -> Self {
        let mut staged = Account {
            permission_profiles: live.permission_profiles.clone(),
            groups: live.groups.clone(),
            ..Account::default()
        };
        for operation in operations {
            if matches!(
                operation.phase(),
                Phase::Profiles | Phase::GroupsAndSigningGroups
            ) {
                replay::apply(&mut staged, operation);
            }
        }
        Self(staged)
    }

    /// Whether holding the profile lets a user administer the account.
    fn administers(&self, profile: &str) -> bool {
        BuiltinProfile::from_name(profile) == Some(BuiltinProfile::AccountAdministrator)
            || self
                .0
                .permission_profiles
                .get(&NameKey::new(profile))
                .is_some_and(manages_account)
    }

    /// Administrators, or a group whose profile can administer the account.
    fn grants_admin(&self, group: &str) -> bool {
        BuiltinGroup::from_name(group) == Some(BuiltinGroup::Administrators)
            || self
                .0
                .groups
                .get(&NameKey::new(group))
                .and_then(|group| group.permission_profile.as_deref())
                .is_some_and(|profile| self.administers(profile))
    }
}

const ACCOUNT_MANAGEMENT: &str = "allowAccountManagement";

fn manages_account(profile: &PermissionProfile) -> bool {
    profile
        .settings
        .get(ACCOUNT_MANAGEMENT)
        .is_some_and(|value| value == "true")
}

/// Whether an operation is one of the class's changes.
fn counts_as(class: GuardClass, operation: &Operation, staged: &Staged) -> bool {
    match (class, operation) {
        (GuardClass::UserClosures, Operation::CloseUser { .. })
        | (
            GuardClass::MembershipRemovals,
            Operation::RemoveMember { .. } | Operation::RemoveSigningGroupMember { .. },
        ) => true,
        (
            GuardClass::AdminGrants,
            Operation::CreateUser {
                permission_profile: to,
                ..
            }
            | Operation::ReactivateUser {
                permission_profile: to,
                ..
            }
            | Operation::ChangeProfile { to, .. },
        ) => staged.administers(to),
        (GuardClass::AdminGrants, Operation::AddMember { group, .. }) => staged.grants_admin(group),
        // Turning account management on hands it to every holder at once.
        (GuardClass::AdminGrants, Operation::UpdateProfileSettings { changes, .. }) => {
            changes.iter().any(|change| {
                change.field == ACCOUNT_MANAGEMENT && change.to.as_deref() == Some("true")
            })
        }
        _ => false,
    }
}
