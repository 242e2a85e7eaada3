//! Stage 1: the desired state once checked — no spans, names resolved, defaults applied.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Account, EmailKey, NameKey};

pub use super::document::{Environment, Provenance, UnmanagedUsers};
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
    /// Where `sync` got each user it generated (those a hand-written entry overrides aside).
    pub generated: BTreeMap<EmailKey, Provenance>,
    /// `sync`'s `leavers: leave_out`: a user `sync` generated who left the directory is left
    /// to `policy.unmanaged_users` rather than closed.
    pub leavers_left_out: bool,
}

impl Desired {
    /// Whether a user `sync` generated at the last apply is now released: no file holds them
    /// and the `sync` section leaves its leavers out.
    #[must_use]
    pub fn releases(&self, key: &EmailKey) -> bool {
        self.leavers_left_out && !self.state.users.contains_key(key)
    }
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
    pub accepted_drift: Vec<AcceptedDrift>,
}

/// What an accepted-drift entry names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftObject {
    User(EmailKey),
    Group(NameKey),
    PermissionProfile(NameKey),
    SigningGroup(NameKey),
}

impl DriftObject {
    /// The kinds as `accepted_drift` spells them.
    pub const KINDS: [&'static str; 4] = ["user", "group", "permission_profile", "signing_group"];

    /// Parses `kind:name`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, name) = text.split_once(':')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        Some(match kind.trim() {
            "user" => Self::User(EmailKey::new(name)),
            "group" => Self::Group(NameKey::new(name)),
            "permission_profile" => Self::PermissionProfile(NameKey::new(name)),
            "signing_group" => Self::SigningGroup(NameKey::new(name)),
            _ => return None,
        })
    }
}

/// Drift `drift` stays quiet about until `until` (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedDrift {
    pub object: DriftObject,
    pub reason: String,
    pub until: jiff::civil::Date,
}

/// Limits as written; `None` means the planner's default applies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    pub user_closures: Option<Limit>,
    pub membership_removals: Option<Limit>,
    pub admin_grants: Option<Limit>,
    /// Where each limit is written (`file:line`), by its key (`user_closures`), so a refusal
    /// can say where to raise it.
    pub written_at: std::collections::BTreeMap<String, String>,
}
