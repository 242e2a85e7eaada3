//! Stage 1: the desired state once checked — no spans, names resolved, defaults applied.

use std::collections::BTreeSet;

use crate::model::{Account, EmailKey};

pub use super::document::{Environment, UnmanagedUsers};
pub use super::syntax::Limit;

/// Everything the planner needs from the YAML.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// The account named by `account:`, if any file names one.
    pub account: Option<AccountRef>,
    /// The profile of users that name none (already applied to every user in `state`).
    pub default_profile: String,
    pub policy: Policy,
    /// The objects to manage. A kind with no objects here is not managed at all.
    pub state: Account,
}

/// Which DocuSign account the files describe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRef {
    pub id: String,
    pub environment: Environment,
}

/// The `policy:` section with its defaults filled in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Policy {
    pub unmanaged_users: UnmanagedUsers,
    pub limits: Limits,
    pub protected_users: BTreeSet<EmailKey>,
}

/// Limits as written; `None` means the planner's default applies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    pub user_closures: Option<Limit>,
    pub membership_removals: Option<Limit>,
    pub admin_grants: Option<Limit>,
}
