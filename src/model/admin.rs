//! Who can administer the account: the one answer the diff, the replay, the guards, apply and
//! the emulator all ask for.
//!
//! A user administers the account when their permission profile does: Account Administrator,
//! or any profile whose `allowAccountManagement` is true. DocuSign's settings are strings, and
//! its answers have carried `"true"` and `"True"`; both mean yes.

use std::collections::{BTreeMap, HashSet};

use super::{Account, BuiltinGroup, BuiltinProfile, EmailKey, NameKey, PermissionProfile, User};

/// The setting that hands a profile's holders the whole account.
pub const ACCOUNT_MANAGEMENT: &str = "allowAccountManagement";

/// Whether a setting's value is DocuSign's yes: `true` in any letter case, spaces around it
/// ignored.
#[must_use]
pub fn is_yes(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// Whether settings with these values let a profile's holders administer the account.
#[must_use]
pub fn settings_manage_account(settings: &BTreeMap<String, String>) -> bool {
    settings
        .get(ACCOUNT_MANAGEMENT)
        .is_some_and(|value| is_yes(value))
}

impl PermissionProfile {
    /// Whether holding this profile lets a user administer the account.
    #[must_use]
    pub fn administers(&self) -> bool {
        BuiltinProfile::from_name(&self.name) == Some(BuiltinProfile::AccountAdministrator)
            || settings_manage_account(&self.settings)
    }
}

impl Account {
    /// Whether holding the profile named `profile` lets a user administer the account: Account
    /// Administrator always; another profile when this account's record of it allows account
    /// management.
    #[must_use]
    pub fn profile_administers(&self, profile: &str) -> bool {
        BuiltinProfile::from_name(profile) == Some(BuiltinProfile::AccountAdministrator)
            || self
                .permission_profiles
                .get(&NameKey::new(profile))
                .is_some_and(PermissionProfile::administers)
    }

    /// Whether the group named `group` makes its members administrators, or may: the
    /// Administrators group, or a group carrying a profile that administers the account
    /// (DocuSign may hand a joining member the group's profile).
    #[must_use]
    pub fn group_administers(&self, group: &str) -> bool {
        BuiltinGroup::from_name(group) == Some(BuiltinGroup::Administrators)
            || self
                .groups
                .get(&NameKey::new(group))
                .and_then(|found| found.permission_profile.as_deref())
                .is_some_and(|profile| self.profile_administers(profile))
    }

    /// Whether `user` can administer the account, or may be made to by DocuSign: by their own
    /// profile, or by a group they are in. A closed user can do nothing.
    #[must_use]
    pub fn can_administer(&self, user: &User) -> bool {
        user.status != super::UserStatus::Closed
            && (self.profile_administers(&user.permission_profile)
                || user
                    .groups
                    .iter()
                    .any(|group| self.group_administers(group)))
    }
}

/// The profiles and groups of one account that make their holders and members administrators,
/// looked up once, to ask of many users what [`Account::can_administer`] answers for one.
pub struct Administering<'a> {
    account: &'a Account,
    profiles: HashSet<NameKey>,
    groups: HashSet<NameKey>,
}

impl<'a> Administering<'a> {
    #[must_use]
    pub fn of(account: &'a Account) -> Self {
        Self {
            account,
            profiles: account
                .permission_profiles
                .iter()
                .filter(|(_, profile)| profile.administers())
                .map(|(key, _)| key.clone())
                .collect(),
            groups: account
                .groups
                .values()
                .filter(|group| account.group_administers(&group.name))
                .map(|group| NameKey::new(&group.name))
                .collect(),
        }
    }

    /// The same answer as [`Account::can_administer`].
    #[must_use]
    pub fn user(&self, user: &User) -> bool {
        user.status != super::UserStatus::Closed
            && (BuiltinProfile::from_name(&user.permission_profile)
                == Some(BuiltinProfile::AccountAdministrator)
                || self
                    .profiles
                    .contains(&NameKey::new(&user.permission_profile))
                || user.groups.iter().any(|group| {
                    self.groups.contains(&NameKey::new(group))
                        || BuiltinGroup::from_name(group) == Some(BuiltinGroup::Administrators)
                }))
    }

    /// The users who can administer this account and could not in `before` (or were not in
    /// it, or were closed): the people a change between the two makes administrators.
    #[must_use]
    pub fn gained_since(&self, before: &Administering<'_>) -> Vec<&'a EmailKey> {
        self.account
            .users
            .iter()
            .filter(|(_, user)| self.user(user))
            .filter(|(key, _)| {
                !before
                    .account
                    .users
                    .get(*key)
                    .is_some_and(|was| before.user(was))
            })
            .map(|(key, _)| key)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, management: Option<&str>) -> PermissionProfile {
        PermissionProfile {
            id: None,
            name: name.to_owned(),
            settings: management
                .map(|value| (ACCOUNT_MANAGEMENT.to_owned(), value.to_owned()))
                .into_iter()
                .collect(),
            previously: Vec::new(),
        }
    }

    #[test]
    fn docusigns_yes_in_any_spelling_administers_and_nothing_else_does() {
        for yes in ["true", "True", " TRUE "] {
            assert!(profile("Ops", Some(yes)).administers(), "{yes:?}");
        }
        for no in ["false", "False", "", "yes", "1"] {
            assert!(!profile("Ops", Some(no)).administers(), "{no:?}");
        }
        assert!(!profile("Ops", None).administers());
        assert!(profile("Account Administrator", Some("false")).administers());
        assert!(!profile("DocuSign Sender", None).administers());
    }
}
