//! Describing an account to start from (`--seed FILE`, YAML or JSON), and the built-in sample
//! account that `--emulator` runs against.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::{Account, SigningGroup, SigningGroupMember, User, UserStatus};
use crate::desired::SourceFile;
use crate::model::UserStatus as DesiredStatus;

/// An account as a person writes it: names instead of IDs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub account: SeedAccount,
    /// The email of the user the emulator issues its printed token for (an administrator).
    /// When absent: the first user holding Account Administrator.
    pub integration_user: Option<String>,
    #[serde(default)]
    pub permission_profiles: Vec<SeedProfile>,
    /// Custom groups, and the members of Administrators (Everyone holds every user).
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    #[serde(default)]
    pub signing_groups: Vec<SeedSigningGroup>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    pub id: String,
    pub name: String,
}

impl Default for SeedAccount {
    fn default() -> Self {
        Self {
            id: "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36".to_owned(),
            name: "Emulated Account".to_owned(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedProfile {
    pub name: String,
    /// `accountRoleSettings` values over a sender's defaults.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    pub name: String,
    pub permission_profile: Option<String>,
    /// Member emails.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSigningGroup {
    pub name: String,
    pub email: Option<String>,
    #[serde(default)]
    pub members: Vec<SeedMember>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub job_title: String,
    /// DocuSign's `userStatus`: `Active` (default), `ActivationSent`, `Closed`, …
    #[serde(default = "active")]
    pub status: String,
    /// By name; when absent, DocuSign Sender.
    pub permission_profile: Option<String>,
    /// `isManagedByScim`: an identity provider owns the user's lifecycle and attributes.
    #[serde(default)]
    pub managed_by_scim: bool,
    /// `isMembershipManagedByScim`: an identity provider owns the user's group memberships.
    #[serde(default)]
    pub membership_managed_by_scim: bool,
}

fn active() -> String {
    "Active".to_owned()
}

/// The account a seed describes, and the ID of its integration user.
pub struct Seeded {
    pub account: Account,
    pub integration_user_id: String,
}

impl Seed {
    /// Reads a seed file's text: JSON when `json`, else YAML.
    pub fn parse(text: &str, json: bool) -> Result<Self, String> {
        if json {
            serde_json::from_str(text).map_err(|err| err.to_string())
        } else {
            serde_saphyr::from_str(text).map_err(|err| err.to_string())
        }
    }

    /// Builds the account, with user IDs from `rng` and timestamps `now`.
    pub fn build(&self, rng: &mut fastrand::Rng, now: &str) -> Result<Seeded, String> {
        self.build_among(rng, now, &mut BTreeMap::new())
    }

    /// Builds the account as [`Seed::build`] does, one of several in one organization: a
    /// person `people` already holds (by folded email) keeps their user ID, as DocuSign gives
    /// one user one ID in every account they belong to; a new one is added to it.
    pub fn build_among(
        &self,
        rng: &mut fastrand::Rng,
        now: &str,
        people: &mut BTreeMap<String, String>,
    ) -> Result<Seeded, String> {
        let mut account = Account::new(&self.account.id, &self.account.name, now);
        self.add_profiles(&mut account, now)?;
        let sender = profile_id(&account, "DocuSign Sender")?;
        let mut here = std::collections::HashSet::new();
        for user in &self.users {
            let status = UserStatus::from_wire(&user.status).ok_or_else(|| {
                format!(
                    "user `{}` has an unknown status `{}`",
                    user.email, user.status
                )
            })?;
            let profile_id = match &user.permission_profile {
                Some(name) => profile_id(&account, name)?,
                None => sender,
            };
            // Within one account, an email seeded twice is two users, with two IDs.
            let key = crate::email::fold(&user.email);
            let id = if here.insert(key.clone()) {
                people.entry(key).or_insert_with(|| guid(rng)).clone()
            } else {
                guid(rng)
            };
            account.push_user(User {
                id,
                user_name: format!("{} {}", user.first_name, user.last_name)
                    .trim()
                    .to_owned(),
                email: user.email.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                job_title: user.job_title.clone(),
                status,
                profile_id,
                created: now.to_owned(),
                modified: now.to_owned(),
                managed_by_scim: user.managed_by_scim,
                membership_managed_by_scim: user.membership_managed_by_scim,
            });
        }
        for group in &self.groups {
            let profile = group
                .permission_profile
                .as_deref()
                .map(|name| profile_id(&account, name))
                .transpose()?;
            let id = match account.group_named(&group.name) {
                Some(existing) if existing.kind == super::account::GroupKind::Everyone => {
                    return Err(
                        "Everyone's membership can't be seeded: it holds every user".to_owned()
                    );
                }
                Some(existing) => existing.id,
                None => {
                    let id = account.take_id();
                    account.groups.insert(
                        id,
                        super::account::Group {
                            id,
                            name: group.name.clone(),
                            kind: super::account::GroupKind::Custom,
                            profile_id: None,
                            members: std::collections::BTreeSet::new(),
                        },
                    );
                    id
                }
            };
            let members: Vec<String> = group
                .members
                .iter()
                .map(|email| user_id(&account, email))
                .collect::<Result<_, _>>()?;
            let entry = account.groups.get_mut(&id).ok_or("group vanished")?;
            entry.profile_id = profile.or(entry.profile_id);
            entry.members.extend(members);
        }
        self.add_signing_groups(&mut account, now);
        let admin_profile = profile_id(&account, "Account Administrator")?;
        let integration_user_id = match &self.integration_user {
            Some(email) => user_id(&account, email)?,
            None => account
                .users
                .iter()
                .find(|user| user.profile_id == admin_profile && user.status != UserStatus::Closed)
                .map(|user| user.id.clone())
                .ok_or(
                    "the seed has no active Account Administrator to act as the integration user",
                )?,
        };
        Ok(Seeded {
            account,
            integration_user_id,
        })
    }
}

impl Seed {
    fn add_profiles(&self, account: &mut Account, now: &str) -> Result<(), String> {
        for profile in &self.permission_profiles {
            if account.profile_named(&profile.name).is_some() {
                return Err(format!(
                    "permission profile `{}` is declared twice (or is built in)",
                    profile.name
                ));
            }
            let id = account.take_id();
            let mut settings = super::account::new_profile_settings();
            settings.extend(profile.settings.clone());
            account.profiles.insert(
                id,
                super::account::Profile {
                    id,
                    name: profile.name.clone(),
                    builtin: false,
                    settings,
                    modified: now.to_owned(),
                    modified_by: "seed".to_owned(),
                },
            );
        }
        Ok(())
    }

    fn add_signing_groups(&self, account: &mut Account, now: &str) {
        for group in &self.signing_groups {
            let id = account.take_id();
            account.signing_groups.insert(
                id,
                SigningGroup {
                    id,
                    name: group.name.clone(),
                    email: group.email.clone(),
                    members: group
                        .members
                        .iter()
                        .map(|member| SigningGroupMember {
                            user_name: member.name.clone(),
                            email: member.email.clone(),
                        })
                        .collect(),
                    created: now.to_owned(),
                    created_by: "seed".to_owned(),
                    modified: now.to_owned(),
                    modified_by: "seed".to_owned(),
                },
            );
        }
    }
}

fn profile_id(account: &Account, name: &str) -> Result<u64, String> {
    account
        .profile_named(name)
        .map(|profile| profile.id)
        .ok_or_else(|| format!("unknown permission profile `{name}`"))
}

fn user_id(account: &Account, email: &str) -> Result<String, String> {
    account
        .users
        .iter()
        .find(|user| crate::email::same(&user.email, email.trim()))
        .map(|user| user.id.clone())
        .ok_or_else(|| format!("unknown user `{email}`"))
}

/// A version-4-shaped GUID from the emulator's seeded generator.
#[must_use]
pub fn guid(rng: &mut fastrand::Rng) -> String {
    let hex: String =
        std::iter::repeat_with(|| char::from_digit(rng.u32(0..16), 16).unwrap_or('0'))
            .take(32)
            .collect();
    format!(
        "{}-{}-4{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The example desired state, compiled in so `--emulator` needs no files.
const EXAMPLE_FILES: [(&str, &str); 8] = [
    (
        "account.yaml",
        include_str!("../../examples/desired-state/account.yaml"),
    ),
    (
        "groups.yaml",
        include_str!("../../examples/desired-state/groups.yaml"),
    ),
    (
        "permission-profiles.yaml",
        include_str!("../../examples/desired-state/permission-profiles.yaml"),
    ),
    (
        "signing-groups.yaml",
        include_str!("../../examples/desired-state/signing-groups.yaml"),
    ),
    (
        "users/finance.yaml",
        include_str!("../../examples/desired-state/users/finance.yaml"),
    ),
    (
        "users/legal.yaml",
        include_str!("../../examples/desired-state/users/legal.yaml"),
    ),
    (
        "users/operations.yaml",
        include_str!("../../examples/desired-state/users/operations.yaml"),
    ),
    (
        "users/sales.yaml",
        include_str!("../../examples/desired-state/users/sales.yaml"),
    ),
];

/// The sample account: `examples/desired-state` as DocuSign holds it after a few months of
/// people clicking in the web app, so a plan against it has something to say:
/// - the leaver the YAML closes is still active;
/// - a mover is still in their old group;
/// - a group someone made by hand, with an unmanaged user in it;
/// - a profile setting changed by hand;
/// - the renamed group still has its old name (`previously`).
#[must_use]
pub fn sample() -> Seed {
    let files = EXAMPLE_FILES
        .iter()
        .map(|(name, text)| SourceFile::from_text(format!("examples/desired-state/{name}"), text))
        .collect();
    let Some(desired) = crate::desired::check(files, true).desired else {
        // The examples are validated by the test suite; an invalid set leaves an empty account.
        return Seed::default();
    };
    let state = &desired.state;
    let account_id = desired
        .account
        .as_ref()
        .map_or_else(|| SeedAccount::default().id, |account| account.id.clone());
    let protected = desired
        .policy
        .protected_users
        .iter()
        .next()
        .map(|email| email.as_str().to_owned());

    let permission_profiles = state
        .permission_profiles
        .values()
        .map(|profile| {
            let mut settings = profile.settings.clone();
            if profile.name == "Sales Sender" {
                // Changed by hand: someone turned bulk sending off.
                settings.insert("allowBulkSending".to_owned(), "false".to_owned());
            }
            SeedProfile {
                name: profile.name.clone(),
                settings,
            }
        })
        .collect();

    let mut users: Vec<SeedUser> = state
        .users
        .values()
        .map(|user| SeedUser {
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            job_title: user.job_title.clone().unwrap_or_default(),
            // The leaver the YAML closes was never closed in DocuSign.
            status: match user.status {
                DesiredStatus::Active | DesiredStatus::Closed => "Active".to_owned(),
                DesiredStatus::Pending => "ActivationSent".to_owned(),
                DesiredStatus::Disabled => "Disabled".to_owned(),
            },
            managed_by_scim: false,
            membership_managed_by_scim: false,
            permission_profile: Some(user.permission_profile.clone()),
        })
        .collect();
    users.push(SeedUser {
        email: "summer.intern@northwind-example.com".to_owned(),
        first_name: "Sam".to_owned(),
        last_name: "Intern".to_owned(),
        job_title: "Summer Intern".to_owned(),
        status: "Active".to_owned(),
        managed_by_scim: false,
        membership_managed_by_scim: false,
        permission_profile: Some("DocuSign Sender".to_owned()),
    });

    let groups = sample_groups(state);

    let signing_groups = state
        .signing_groups
        .values()
        .map(|group| SeedSigningGroup {
            name: group.name.clone(),
            email: group.email.clone(),
            members: group
                .members
                .values()
                .map(|member| SeedMember {
                    name: member.name.clone(),
                    email: member.email.clone(),
                })
                .collect(),
        })
        .collect();

    Seed {
        account: SeedAccount {
            id: account_id,
            name: "Northwind Trading Co.".to_owned(),
        },
        integration_user: protected,
        permission_profiles,
        groups,
        signing_groups,
        users,
    }
}

/// The sample's groups: as declared (the renamed one under its old name), plus the mover
/// still in Sales, the built-in Administrators' members, and a hand-made group.
fn sample_groups(state: &crate::model::Account) -> Vec<SeedGroup> {
    let mover = state
        .users
        .values()
        .find(|user| user.groups.contains("Finance"))
        .map(|user| user.email.clone());
    let mut groups: Vec<SeedGroup> = state
        .groups
        .values()
        .map(|group| SeedGroup {
            // The rename in the YAML hasn't reached DocuSign yet.
            name: group
                .previously
                .first()
                .cloned()
                .unwrap_or_else(|| group.name.clone()),
            permission_profile: group.permission_profile.clone(),
            members: state
                .users
                .values()
                .filter(|user| {
                    user.groups.contains(&group.name)
                        || (group.name == "Sales" && Some(&user.email) == mover.as_ref())
                })
                .map(|user| user.email.clone())
                .collect(),
        })
        .collect();
    groups.push(SeedGroup {
        name: "Administrators".to_owned(),
        permission_profile: None,
        members: state
            .users
            .values()
            .filter(|user| user.groups.contains("Administrators"))
            .map(|user| user.email.clone())
            .collect(),
    });
    groups.push(SeedGroup {
        name: "Temp Contractors".to_owned(),
        permission_profile: None,
        members: vec!["summer.intern@northwind-example.com".to_owned()],
    });

    groups
}
