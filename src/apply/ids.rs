//! DocuSign IDs by stable key: read from the live snapshot, added to as apply creates objects,
//! re-keyed as it renames them.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::model::{Account, EmailKey, NameKey};

/// The IDs apply knows, by the names the plan uses.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    pub profiles: HashMap<NameKey, String>,
    pub groups: HashMap<NameKey, String>,
    pub signing_groups: HashMap<NameKey, String>,
    pub users: HashMap<EmailKey, String>,
}

/// The IDs of `objects` that have one, by key.
fn by_key<K: Clone + Eq + Hash, T>(
    objects: &BTreeMap<K, T>,
    id: impl Fn(&T) -> Option<&String>,
) -> HashMap<K, String> {
    objects
        .iter()
        .filter_map(|(key, object)| id(object).map(|id| (key.clone(), id.clone())))
        .collect()
}

/// Gives each of `objects` without an ID the one `ids` knows for its key.
fn fill<K: Eq + Hash, T>(
    objects: &mut BTreeMap<K, T>,
    ids: &HashMap<K, String>,
    id: impl Fn(&mut T) -> &mut Option<String>,
) {
    for (key, object) in objects {
        let slot = id(object);
        if slot.is_none() {
            *slot = ids.get(key).cloned();
        }
    }
}

impl Ids {
    #[must_use]
    pub fn of(live: &Account) -> Self {
        Self {
            profiles: by_key(&live.permission_profiles, |profile| profile.id.as_ref()),
            groups: by_key(&live.groups, |group| group.id.as_ref()),
            signing_groups: by_key(&live.signing_groups, |group| group.id.as_ref()),
            users: by_key(&live.users, |user| user.id.as_ref()),
        }
    }

    /// Gives every object of `account` that has no ID yet the one apply has learnt for it.
    pub fn fill(&self, account: &mut Account) {
        fill(&mut account.permission_profiles, &self.profiles, |p| {
            &mut p.id
        });
        fill(&mut account.groups, &self.groups, |group| &mut group.id);
        fill(&mut account.signing_groups, &self.signing_groups, |g| {
            &mut g.id
        });
        fill(&mut account.users, &self.users, |user| &mut user.id);
    }

    #[must_use]
    pub fn profile(&self, name: &str) -> Option<&String> {
        self.profiles.get(&NameKey::new(name))
    }

    #[must_use]
    pub fn group(&self, name: &str) -> Option<&String> {
        self.groups.get(&NameKey::new(name))
    }

    #[must_use]
    pub fn signing_group(&self, name: &str) -> Option<&String> {
        self.signing_groups.get(&NameKey::new(name))
    }

    #[must_use]
    pub fn user(&self, email: &str) -> Option<&String> {
        self.users.get(&EmailKey::new(email))
    }

    /// Moves an ID from an old name to a new one: the object keeps its ID when renamed, so
    /// what follows the rename finds it under the new name whether or not the rename worked.
    pub fn rename(map: &mut HashMap<NameKey, String>, from: &str, to: &str) {
        if let Some(id) = map.remove(&NameKey::new(from)) {
            map.insert(NameKey::new(to), id);
        }
    }
}
