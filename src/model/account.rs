//! The account snapshot: what desired, live and recorded state all become, keyed the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// `new`, `as_str`, `Display` and a `Deserialize` that normalizes on the way in, for a key kept
/// in the normal form `$normalize` makes.
macro_rules! normalized_key {
    ($key:ident, $normalize:expr) => {
        impl $key {
            #[must_use]
            pub fn new(text: &str) -> Self {
                Self($normalize(text))
            }

            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Normalizes on the way in, so a hand-edited key in a state file compares like any
        /// other.
        impl<'de> Deserialize<'de> for $key {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::new(&text))
            }
        }

        impl fmt::Display for $key {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A user's key: the email address, its ASCII letters compared without case ([`crate::email`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailKey(String);

normalized_key!(EmailKey, crate::email::fold);

/// The key of a named object (permission profile, group, signing group): its name, compared
/// case-insensitively, so `Sales` and `sales` can't both exist.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NameKey(String);

normalized_key!(NameKey, |name: &str| name.trim().to_lowercase());

/// A whole account, or the part of it that one side (desired, live, recorded) describes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Account {
    pub permission_profiles: BTreeMap<NameKey, PermissionProfile>,
    pub groups: BTreeMap<NameKey, Group>,
    pub signing_groups: BTreeMap<NameKey, SigningGroup>,
    pub users: BTreeMap<EmailKey, User>,
}

impl Account {
    /// Adds `profile` under its name's key (in place of one of the same name).
    pub fn add_profile(&mut self, profile: PermissionProfile) {
        self.permission_profiles
            .insert(NameKey::new(&profile.name), profile);
    }

    /// Adds `group` under its name's key (in place of one of the same name).
    pub fn add_group(&mut self, group: Group) {
        self.groups.insert(NameKey::new(&group.name), group);
    }

    /// Adds `signing_group` under its name's key (in place of one of the same name).
    pub fn add_signing_group(&mut self, signing_group: SigningGroup) {
        self.signing_groups
            .insert(NameKey::new(&signing_group.name), signing_group);
    }

    /// Adds `user` under its email's key (in place of one with the same email).
    pub fn add_user(&mut self, user: User) {
        self.users.insert(EmailKey::new(&user.email), user);
    }

    /// A built-in profile, found by its name in any of DocuSign's spellings.
    #[must_use]
    pub fn builtin_profile(
        &self,
        which: super::BuiltinProfile,
    ) -> Option<(&NameKey, &PermissionProfile)> {
        self.permission_profiles
            .iter()
            .find(|(_, profile)| super::BuiltinProfile::from_name(&profile.name) == Some(which))
    }
}

/// A permission profile. `settings` holds only the keys that were stated: for desired state,
/// the keys the YAML lists (the others are left as DocuSign has them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionProfile {
    /// DocuSign's ID; absent in desired state.
    pub id: Option<String>,
    pub name: String,
    /// `accountRoleSettings` key → value as DocuSign sends it (`"true"`, `"share"`, …).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Earlier names, so a rename is planned as a rename.
    #[serde(default)]
    pub previously: Vec<String>,
}

/// A user group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// DocuSign's ID; absent in desired state.
    pub id: Option<String>,
    pub name: String,
    /// The name of the permission profile the group carries, if any.
    pub permission_profile: Option<String>,
    #[serde(default)]
    pub previously: Vec<String>,
}

/// A signing group: a shared recipient whose members are matched by email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningGroup {
    /// DocuSign's ID; absent in desired state.
    pub id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    #[serde(default)]
    pub members: BTreeMap<EmailKey, SigningGroupMember>,
    #[serde(default)]
    pub previously: Vec<String>,
}

/// One member of a signing group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningGroupMember {
    pub name: String,
    pub email: String,
}

/// A user of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// DocuSign's user ID; absent in desired state.
    pub id: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: Option<String>,
    /// The one permission profile the user holds (by name); never absent.
    pub permission_profile: String,
    /// Names of the groups the user is in, besides Everyone.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    pub status: UserStatus,
    /// DocuSign's `isManagedByScim`: an identity provider owns the user's lifecycle and
    /// attributes, so the tool leaves its status, names and job title alone (it still manages
    /// the user's profile, signing groups and, unless the next flag says otherwise, groups).
    #[serde(default)]
    pub managed_by_scim: bool,
    /// DocuSign's `isMembershipManagedByScim`: an identity provider owns the user's group
    /// memberships, so the tool leaves them alone. Absent from state files written before the
    /// tool knew the two flags apart, and left out when false, so an account without it
    /// serializes (and fingerprints: a saved plan stays valid) as it did before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub membership_managed_by_scim: bool,
}

impl User {
    /// The user's [`full_name`].
    #[must_use]
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }
}

/// A person's name as DocuSign's `userName` holds it: first and last name, with no space left
/// over when either is empty.
#[must_use]
pub fn full_name(first_name: &str, last_name: &str) -> String {
    format!("{first_name} {last_name}").trim().to_owned()
}

/// Where a user stands. Desired state says only `Active` or `Closed`; live state also has
/// users invited but not yet signed in, and users DocuSign disabled.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    #[default]
    Active,
    /// Invited, not yet activated (`ActivationSent`, `ActivationRequired`): not to be created again.
    Pending,
    Closed,
    Disabled,
}
