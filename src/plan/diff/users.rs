//! Users: created, reopened, changed, closed, or left alone (and why).

use std::collections::{BTreeMap, BTreeSet};

use super::{Diff, Inputs, Renamed, after_renames};
use crate::desired::Desired;
use crate::desired::checked::UnmanagedUsers;
use crate::model::{BuiltinGroup, EmailKey, NameKey, User, UserStatus};
use crate::plan::{Change, Operation, Stated};

/// The groups whose memberships the plan manages: the declared ones and Administrators.
pub(super) fn managed_groups(desired: &Desired) -> BTreeSet<NameKey> {
    let mut managed: BTreeSet<NameKey> = desired.state.groups.keys().cloned().collect();
    managed.insert(NameKey::new(BuiltinGroup::Administrators.api_name()));
    managed
}

impl Inputs<'_> {
    /// Why a user must be left alone, if it must.
    pub(super) fn hands_off(self, user: &User) -> Option<&'static str> {
        self.hands_off_email(&user.email)
    }

    /// Why the user with this email must be left alone, if it must.
    pub(super) fn hands_off_email(self, email: &str) -> Option<&'static str> {
        let key = EmailKey::new(email);
        if self
            .integration_user
            .is_some_and(|email| EmailKey::new(email) == key)
        {
            Some("the integration user is never changed")
        } else if self.desired.policy.protected_users.contains(&key) {
            Some("protected by `policy.protected_users`")
        } else {
            None
        }
    }
}

/// What an identity provider owns of a live user through SCIM, which the plan leaves to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ScimOwns {
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
pub(super) fn listed(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// Everything the user diff needs to know about the account around one user.
pub(super) struct UserScope<'a> {
    managed: BTreeSet<NameKey>,
    renamed: &'a Renamed,
}

pub(super) fn users(
    inputs: Inputs<'_>,
    renamed: &Renamed,
    deleted_groups: &[NameKey],
    out: &mut Diff,
) {
    let Inputs { desired, live, .. } = inputs;
    let recorded_users = inputs.recorded.map(|recorded| &recorded.users);
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
        if let Some(reason) = inputs.hands_off(have) {
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
        if let Some(reason) = inputs.hands_off(have) {
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

pub(super) fn create_user(want: &User, out: &mut Diff) {
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
pub(super) fn live_groups(have: &User, scope: &UserScope<'_>) -> BTreeMap<NameKey, String> {
    have.groups
        .iter()
        .map(|name| after_renames(name, &scope.renamed.groups))
        .filter(|name| scope.managed.contains(&NameKey::new(name)))
        .map(|name| (NameKey::new(&name), name))
        .collect()
}

pub(super) fn user_matches(want: &User, have: &User, scope: &UserScope<'_>) -> bool {
    let mut scratch = Diff::default();
    update_user(want, have, scope, &mut scratch);
    scratch.operations.is_empty()
}

pub(super) fn update_user(want: &User, have: &User, scope: &UserScope<'_>, out: &mut Diff) {
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

pub(super) fn unmanaged_user(
    desired: &Desired,
    have: &User,
    scope: &UserScope<'_>,
    out: &mut Diff,
) {
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
