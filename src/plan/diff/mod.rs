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

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
use crate::model::named::{ById, Named, names};
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

/// How a desired object finds its live one, in the order [`Matcher::assign`] tries them.
#[derive(Clone, Copy)]
enum Round {
    /// The live object with its name.
    Name,
    /// The live object recorded state pinned by ID under its name or an earlier name.
    Pinned,
    /// A live object with an earlier name.
    Earlier,
}

/// Finds the live object a desired (or recorded) one stands for.
struct Matcher<'a, T> {
    live: ById<'a, T>,
    recorded: Option<&'a BTreeMap<NameKey, T>>,
}

impl<'a, T: Named> Matcher<'a, T> {
    fn new(live: &'a BTreeMap<NameKey, T>, recorded: Option<&'a BTreeMap<NameKey, T>>) -> Self {
        Self {
            live: ById::of(live),
            recorded,
        }
    }

    /// The live object each desired one stands for, by the desired object's key. A live object
    /// stands for one desired object at most, so the desired objects choose in rounds: each
    /// takes the live object with its name; then the one recorded state pinned by ID under
    /// its name (or an earlier name); then one with an earlier name; each round only from what
    /// the rounds before left. So an ID match gives way when the live object it pins has the
    /// name of a desired object (it was renamed by hand to a name the YAML also declares),
    /// rather than rename it from under that one, and when another live object already has the
    /// desired name, since renaming onto it would clash.
    fn assign<'d>(&self, desired: &'d BTreeMap<NameKey, T>) -> Assigned<'d, 'a, T> {
        let mut found = HashMap::new();
        let mut taken = BTreeSet::new();
        for round in [Round::Name, Round::Pinned, Round::Earlier] {
            for (key, object) in desired {
                if found.contains_key(key) {
                    continue;
                }
                if let Some(live) = self.candidate(object, round, &taken) {
                    taken.insert(live.0);
                    found.insert(key, live);
                }
            }
        }
        found
    }

    /// The live object a desired one takes in `round`, of those not yet `taken`.
    fn candidate(
        &self,
        desired: &T,
        round: Round,
        taken: &BTreeSet<&'a NameKey>,
    ) -> Option<(&'a NameKey, &'a T)> {
        let live = match round {
            Round::Name => self
                .live
                .objects()
                .get_key_value(&NameKey::new(desired.name())),
            Round::Pinned => self.recorded.and_then(|recorded| {
                names(desired)
                    .find_map(|name| recorded.get(&NameKey::new(name))?.id())
                    .and_then(|id| self.live.get(id))
            }),
            Round::Earlier => names(desired).skip(1).find_map(|old| {
                self.live
                    .objects()
                    .get_key_value(&NameKey::new(old))
                    .filter(|(key, _)| !taken.contains(key))
            }),
        };
        live.filter(|(key, _)| !taken.contains(key))
    }

    /// Live objects that recorded state managed and desired state no longer names (neither by
    /// name, by an earlier name, nor by the live object it matched): to delete.
    fn orphans(&self, desired: &BTreeMap<NameKey, T>, found: &Assigned<'_, 'a, T>) -> Vec<&'a T> {
        let Some(recorded) = self.recorded else {
            return Vec::new();
        };
        let claimed: BTreeSet<&NameKey> = found.values().map(|(key, _)| *key).collect();
        let renamed_from: BTreeSet<NameKey> = desired
            .values()
            .flat_map(|object| object.previously().iter().map(|old| NameKey::new(old)))
            .collect();
        recorded
            .iter()
            .filter(|(key, _)| !desired.contains_key(*key) && !renamed_from.contains(*key))
            .filter_map(|(key, object)| self.live.counterpart(key, object.id()))
            .filter(|(key, _)| !claimed.contains(key))
            .map(|(_, object)| object)
            .collect()
    }
}

/// Desired key → the live object (key and value) it stands for.
type Assigned<'d, 'a, T> = HashMap<&'d NameKey, (&'a NameKey, &'a T)>;

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
