//! Permission profiles, groups and signing groups are named objects with DocuSign IDs. A
//! recorded or desired one stands for a live one, found by ID, then by name (then, for the
//! planner, by an earlier name): the one way `plan` and `drift` find it.

use std::collections::{BTreeMap, HashMap};

use super::{Group, NameKey, PermissionProfile, SigningGroup};

/// A named object with an optional DocuSign ID and earlier names (`previously`).
pub trait Named {
    fn id(&self) -> Option<&str>;
    fn name(&self) -> &str;
    fn previously(&self) -> &[String];
}

macro_rules! named {
    ($($kind:ty),*) => {$(
        impl Named for $kind {
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn previously(&self) -> &[String] {
                &self.previously
            }
        }
    )*};
}
named!(PermissionProfile, Group, SigningGroup);

/// An object's name, then its earlier names.
pub fn names<T: Named>(object: &T) -> impl Iterator<Item = &str> {
    std::iter::once(object.name()).chain(object.previously().iter().map(String::as_str))
}

/// The objects of one kind in an account, and the same by DocuSign ID.
pub struct ById<'a, T> {
    objects: &'a BTreeMap<NameKey, T>,
    keys: HashMap<&'a str, &'a NameKey>,
}

impl<'a, T: Named> ById<'a, T> {
    #[must_use]
    pub fn of(objects: &'a BTreeMap<NameKey, T>) -> Self {
        let keys = objects
            .iter()
            .filter_map(|(key, object)| object.id().map(|id| (id, key)))
            .collect();
        Self { objects, keys }
    }

    /// Every object, by name.
    #[must_use]
    pub fn objects(&self) -> &'a BTreeMap<NameKey, T> {
        self.objects
    }

    /// The object with this DocuSign ID.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<(&'a NameKey, &'a T)> {
        let key = self.keys.get(id)?;
        self.objects.get_key_value(*key)
    }

    /// The object a recorded or desired one under `key` (with DocuSign ID `id`) stands for:
    /// the one with that ID, else the one with that name.
    #[must_use]
    pub fn counterpart(&self, key: &NameKey, id: Option<&str>) -> Option<(&'a NameKey, &'a T)> {
        id.and_then(|id| self.get(id))
            .or_else(|| self.objects.get_key_value(key))
    }
}
