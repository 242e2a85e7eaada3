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

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

mod groups;
mod profiles;
#[cfg(test)]
mod tests;
mod users;

use self::groups::{reconcile_groups, reconcile_signing_groups};
use self::profiles::{delete_profiles, reconcile_profiles};
use self::users::users;
use super::operation::Operation;
use super::reason::Reason;
use crate::desired::Desired;
use crate::model::named::{Matcher, Named};
use crate::model::{Account, NameKey};

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

impl<'a> Inputs<'a> {
    /// The matcher for one kind of object, which `of` picks out of an account.
    fn matcher<T: Named>(self, of: fn(&Account) -> &BTreeMap<NameKey, T>) -> Matcher<'a, T> {
        Matcher::new(of(self.live), self.recorded.map(of))
    }
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
