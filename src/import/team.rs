//! Which file under `users/` each person is written to: the one named after their team.
//!
//! The rule (the README's import section states it too): of the custom groups a person is in,
//! the one that carries the permission profile they hold; failing that, the one that is the
//! only group of the most people; a tie goes to the name first in alphabetical order. Someone
//! none of whose groups is either goes to `users/no-group.yaml`.
//!
//! Why this rule: an administrator looks for a person in their team's file, so a person
//! should be filed by their department, never by a group they are in on top of it.
//! - A group's profile is what DocuSign says "sets the permissions for users in that group",
//!   which is what a department's group is for; the one whose profile the person holds is the
//!   team whose work they do. A mover still in their old team's group is filed with the new
//!   team, whose profile they now hold.
//! - Where no group's profile is theirs, the department is the group people belong to and
//!   nothing else. A cross-functional group (approvers, a committee, a project) is made of
//!   people who each belong to a team as well, so it is nobody's only group and files no one.
//! - Signing groups are not user groups: they never file anyone.
//!
//! The first group in alphabetical order, the rule this replaces, filed the CFO under
//! "Contract Approvers" rather than Finance.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::select::{SelectedUser, Selection};
use crate::model::NameKey;

/// What the rule needs to know of the declared groups.
pub struct Teams {
    /// Each declared group, by key, with the profile it carries.
    profiles: HashMap<NameKey, Option<NameKey>>,
    /// How many people have each declared group as their only one.
    only_group_of: HashMap<NameKey, usize>,
}

/// A group a person is in, as the rule weighs it.
struct Candidate<'a> {
    name: &'a str,
    key: NameKey,
    carries_their_profile: bool,
    only_group_of: usize,
}

impl Candidate<'_> {
    /// The better team of two: their profile first, then more people's only group, then the
    /// name first in alphabetical order (so the same account always files alike).
    fn rank(&self, other: &Self) -> Ordering {
        (self.carries_their_profile, self.only_group_of)
            .cmp(&(other.carries_their_profile, other.only_group_of))
            .then_with(|| other.key.cmp(&self.key))
    }
}

impl Teams {
    #[must_use]
    pub fn of(selection: &Selection<'_>) -> Self {
        let profiles: HashMap<NameKey, Option<NameKey>> = selection
            .groups
            .iter()
            .map(|group| {
                (
                    NameKey::new(&group.name),
                    group.permission_profile.as_deref().map(NameKey::new),
                )
            })
            .collect();
        let mut only_group_of = HashMap::new();
        for selected in &selection.users {
            let mut declared = selected
                .groups
                .iter()
                .map(|name| NameKey::new(name))
                .filter(|key| profiles.contains_key(key));
            if let (Some(only), None) = (declared.next(), declared.next()) {
                *only_group_of.entry(only).or_insert(0) += 1;
            }
        }
        Self {
            profiles,
            only_group_of,
        }
    }

    /// The group whose file `selected` goes in; `None` for the file of people with no team.
    #[must_use]
    pub fn team_of<'a>(&self, selected: &SelectedUser<'a>) -> Option<&'a str> {
        let held = NameKey::new(&selected.user.permission_profile);
        selected
            .groups
            .iter()
            .filter_map(|&name| {
                let key = NameKey::new(name);
                // Administrators is built in and never declared, so it names no file.
                let carried = self.profiles.get(&key)?;
                Some(Candidate {
                    name,
                    carries_their_profile: carried.as_ref() == Some(&held),
                    only_group_of: self.only_group_of.get(&key).copied().unwrap_or(0),
                    key,
                })
            })
            .filter(|candidate| candidate.carries_their_profile || candidate.only_group_of > 0)
            .max_by(Candidate::rank)
            .map(|candidate| candidate.name)
    }
}
