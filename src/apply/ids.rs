//! DocuSign IDs by stable key: read from the live snapshot, added to as apply creates objects,
//! re-keyed as it renames them.

use std::collections::HashMap;

use crate::model::{Account, EmailKey, NameKey};

/// The IDs apply knows, by the names the plan uses.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    pub profiles: HashMap<NameKey, String>,
    pub groups: HashMap<NameKey, String>,
    pub signing_groups: HashMap<NameKey, String>,
    pub users: HashMap<EmailKey, String>,
}

fn by_name<T>(
    objects: &std::collections::BTreeMap<NameKey, T>,
    id: impl Fn(&T) -> Option<&String>,
) -> HashMap<NameKey, String> {
    objects
        .iter()
        .filter_map(|(key, object)| id(object).map(|id| (key.clone(), id.clone())))
        .collect()
}

impl Ids {
    #[must_use]
    pub fn of(live: &Account) -> Self {
        Self {
            profiles: by_name(&live.permission_profiles, |profile| profile.id.as_ref()),
            groups: by_name(&live.groups, |group| group.id.as_ref()),
            signing_groups: by_name(&live.signing_groups, |group| group.id.as_ref()),
            users: live
                .users
                .iter()
                .filter_map(|(key, user)| user.id.as_ref().map(|id| (key.clone(), id.clone())))
                .collect(),
        }
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
