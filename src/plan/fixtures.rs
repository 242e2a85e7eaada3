//! Builders the unit tests share: the account's objects, and the operations the planner's tests
//! write most.

use std::collections::BTreeMap;

use crate::model::{
    EmailKey, Group, PermissionProfile, SigningGroup, SigningGroupMember, User, UserStatus,
};
use crate::plan::{FORMAT_VERSION, Operation, Origin, Plan, Reason, Step};

/// A user with ID `id-{email}`, named First Last, in `groups`.
pub fn user(email: &str, profile: &str, groups: &[&str], status: UserStatus) -> User {
    User {
        id: Some(format!("id-{email}")),
        email: email.to_owned(),
        first_name: "First".to_owned(),
        last_name: "Last".to_owned(),
        job_title: None,
        permission_profile: profile.to_owned(),
        groups: groups.iter().map(|name| (*name).to_owned()).collect(),
        status,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

/// A permission profile with ID `id` and `settings` (key, value).
pub fn profile(id: &str, name: &str, settings: &[(&str, &str)]) -> PermissionProfile {
    PermissionProfile {
        id: Some(id.to_owned()),
        name: name.to_owned(),
        settings: settings
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
        previously: Vec::new(),
    }
}

/// A group with ID `id`, carrying `profile`.
pub fn group(id: &str, name: &str, profile: Option<&str>) -> Group {
    Group {
        id: Some(id.to_owned()),
        name: name.to_owned(),
        permission_profile: profile.map(str::to_owned),
        previously: Vec::new(),
    }
}

/// A signing group with ID `id`, its `members` given as (email, name).
pub fn signing_group(
    id: &str,
    name: &str,
    email: Option<&str>,
    members: &[(&str, &str)],
) -> SigningGroup {
    SigningGroup {
        id: Some(id.to_owned()),
        name: name.to_owned(),
        email: email.map(str::to_owned),
        members: members
            .iter()
            .map(|(email, name)| {
                (
                    EmailKey::new(email),
                    SigningGroupMember {
                        name: (*name).to_owned(),
                        email: (*email).to_owned(),
                    },
                )
            })
            .collect(),
        previously: Vec::new(),
    }
}

/// `email` joins `group`, IDs left for apply.
pub fn join(email: &str, group: &str) -> Operation {
    Operation::AddMember {
        group: group.to_owned(),
        group_id: None,
        email: email.to_owned(),
        user_id: None,
    }
}

/// `email` moves from profile `from` to `to`.
pub fn change_profile(email: &str, from: &str, to: &str) -> Operation {
    Operation::ChangeProfile {
        email: email.to_owned(),
        id: None,
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

/// A plan of `operations` as the planner shapes one: a step each for `reason`, the summary
/// counted, a call each, no account named and nothing reported, escalated or guarded. A test
/// sets what it looks at with `Plan { field, ..plan(…) }`.
pub fn plan(operations: Vec<Operation>, reason: &Reason) -> Plan {
    let mut summary = BTreeMap::new();
    for operation in &operations {
        *summary.entry(crate::plan::kind(operation)).or_insert(0) += 1;
    }
    Plan {
        format_version: FORMAT_VERSION,
        fingerprint: "0".repeat(64),
        origin: Origin::default(),
        desired_commit: None,
        recorded: None,
        summary,
        api_calls: operations.len() as u64,
        hourly_remaining: None,
        provenance: BTreeMap::new(),
        steps: operations
            .into_iter()
            .map(|operation| Step {
                phase: operation.phase(),
                operation,
                reason: reason.clone(),
            })
            .collect(),
        reports: Vec::new(),
        escalations: Vec::new(),
        guards: Vec::new(),
    }
}
