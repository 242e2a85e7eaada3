//! Builders the planner's unit tests share: a user and the operations they write most.

use crate::model::{User, UserStatus};
use crate::plan::Operation;

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
