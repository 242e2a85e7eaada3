//! Permission profiles, groups and signing groups are named objects with DocuSign IDs. A
//! recorded or desired one stands for a live one, found by ID, then by name (then, for the
//! planner, by an earlier name): the one way `plan` and `drift` find it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// Every earlier name (`previously`) of `objects`: the names they were renamed from.
#[must_use]
pub fn earlier_names<T: Named>(objects: &BTreeMap<NameKey, T>) -> BTreeSet<NameKey> {
    objects
        .values()
        .flat_map(|object| object.previously().iter().map(|old| NameKey::new(old)))
        .collect()
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

/// Finds the live object each desired (or recorded) one stands for: by name, then by the ID
/// recorded state pinned, then by an earlier name (`previously`), one to one.
pub struct Matcher<'a, T> {
    live: ById<'a, T>,
    recorded: Option<&'a BTreeMap<NameKey, T>>,
}

impl<'a, T: Named> Matcher<'a, T> {
    #[must_use]
    pub fn new(live: &'a BTreeMap<NameKey, T>, recorded: Option<&'a BTreeMap<NameKey, T>>) -> Self {
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
    #[must_use]
    pub fn assign<'d>(&self, desired: &'d BTreeMap<NameKey, T>) -> Assigned<'d, 'a, T> {
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
    #[must_use]
    pub fn orphans(
        &self,
        desired: &BTreeMap<NameKey, T>,
        found: &Assigned<'_, 'a, T>,
    ) -> Vec<&'a T> {
        let Some(recorded) = self.recorded else {
            return Vec::new();
        };
        let claimed: BTreeSet<&NameKey> = found.values().map(|(key, _)| *key).collect();
        let renamed_from = earlier_names(desired);
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
pub type Assigned<'d, 'a, T> = HashMap<&'d NameKey, (&'a NameKey, &'a T)>;
