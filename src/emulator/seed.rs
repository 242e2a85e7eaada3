//! Describing an account to start from (`--seed FILE`, YAML or JSON), and building the
//! emulator's account from it. The built-in sample account is written as a seed in
//! [`super::sample`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::{
    Account, Allowance, Billing, Envelope, EnvelopeStatus, SigningGroup, SigningGroupMember, User,
    UserStatus,
};
use super::dates;

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
    /// Envelopes the users created, for `GET /envelopes` and the account's usage figures.
    #[serde(default)]
    pub envelopes: Vec<SeedEnvelope>,
}

/// The account, and the figures `GET /accounts/{accountId}` reports. Dates here and elsewhere
/// in a seed are `2026-01-05`, `2026-01-05T09:00:00Z`, `now`, `N days ago` or `in N days`
/// (counted from the emulator's start). A figure left out is a developer account's.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    pub id: String,
    pub name: String,
    /// `planName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// `planClassification`: `business`, `corporate`, `enterprise`, `free`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_classification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_end: Option<String>,
    /// A number or `unlimited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_allowed: Option<SeedCount>,
    /// Per billing period: a number or `unlimited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelopes_allowed: Option<SeedCount>,
    /// The start of any one billing period (the current one is found from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_period_start: Option<String>,
    /// How long a billing period is: 1 (default) or 12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_period_months: Option<u32>,
    /// The account's `createdDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

impl Default for SeedAccount {
    fn default() -> Self {
        Self {
            id: "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36".to_owned(),
            name: "Emulated Account".to_owned(),
            plan: None,
            plan_classification: None,
            plan_start: None,
            plan_end: None,
            seats_allowed: None,
            envelopes_allowed: None,
            billing_period_start: None,
            billing_period_months: None,
            created: None,
        }
    }
}

/// A count a seed gives as a number or as `unlimited`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeedCount {
    Number(u64),
    Text(String),
}

impl SeedCount {
    fn allowance(&self) -> Result<Allowance, String> {
        match self {
            Self::Number(number) => Ok(Allowance::Limited(*number)),
            Self::Text(text) if text.trim().eq_ignore_ascii_case("unlimited") => {
                Ok(Allowance::Unlimited)
            }
            Self::Text(text) => text
                .trim()
                .parse()
                .map(Allowance::Limited)
                .map_err(|_| format!("`{text}` is not a number or `unlimited`")),
        }
    }
}

/// An envelope one of the seed's users created.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEnvelope {
    /// The email of the user who created and sent it.
    pub sender: String,
    #[serde(default = "default_subject")]
    pub subject: String,
    /// `created` (a draft), `sent`, `delivered`, `completed` (default), `declined`, `voided`, …
    #[serde(default = "completed")]
    pub status: String,
    pub created: String,
    /// When it was sent: its creation when left out, none for a draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// When its status last changed: when it was sent (or created) when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed: Option<String>,
}

fn default_subject() -> String {
    "Please DocuSign this document".to_owned()
}

fn completed() -> String {
    "completed".to_owned()
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
    /// `createdDateTime`; the emulator's start when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `userAddedToAccountDateTime`; `created` when left out, DocuSign's "never" value when
    /// `never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_to_account: Option<String>,
    /// `lastLogin`; none when left out (never signed in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
}

impl SeedUser {
    /// `createdDateTime`, `userAddedToAccountDateTime` and `lastLogin`, counted from `start`
    /// (`now` in DocuSign's format).
    fn dates(
        &self,
        start: jiff::Timestamp,
        now: &str,
    ) -> Result<(String, Option<String>, Option<String>), String> {
        let date = |text: &str| {
            dates::parse_seed(text, start)
                .map(dates::format)
                .map_err(|error| format!("user `{}`: {error}", self.email))
        };
        let created = match &self.created {
            Some(text) => date(text)?,
            None => now.to_owned(),
        };
        let added = match self.added_to_account.as_deref().map(str::trim) {
            Some(text) if text.eq_ignore_ascii_case("never") => Some(dates::NEVER.to_owned()),
            Some(text) => Some(date(text)?),
            None => None,
        };
        let last_login = self.last_login.as_deref().map(date).transpose()?;
        Ok((created, added, last_login))
    }
}

/// A record last changed when it was made, or when its user joined this account.
fn last_changed(created: &str, added: Option<&str>) -> String {
    added
        .filter(|added| *added != dates::NEVER && *added > created)
        .unwrap_or(created)
        .to_owned()
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
        let start = dates::parse(now).ok_or_else(|| format!("`{now}` is not a timestamp"))?;
        account.billing = self.billing(start)?;
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
            let (created, added, last_login) = user.dates(start, now)?;
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
                modified: last_changed(&created, added.as_deref()),
                created,
                added,
                last_login,
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
        self.add_envelopes(&mut account, start)?;
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
        self.add_signing_groups(&mut account, now, &integration_user_id);
        Ok(Seeded {
            account,
            integration_user_id,
        })
    }
}

impl Seed {
    /// The account's plan and billing, dates counted from `start`.
    fn billing(&self, start: jiff::Timestamp) -> Result<Billing, String> {
        let seed = &self.account;
        let date = |text: &Option<String>| {
            text.as_deref()
                .map(|text| dates::parse_seed(text, start).map(dates::format))
                .transpose()
                .map_err(|error| format!("account: {error}"))
        };
        let count = |count: &Option<SeedCount>| {
            count
                .as_ref()
                .map(SeedCount::allowance)
                .transpose()
                .map_err(|error| format!("account: {error}"))
        };
        let defaults = Billing::default();
        let months = seed.billing_period_months.unwrap_or(1);
        if !(1..=12).contains(&months) {
            return Err(format!(
                "account: billing_period_months is {months}; give 1 to 12"
            ));
        }
        Ok(Billing {
            plan_id: defaults.plan_id,
            plan_name: seed.plan.clone().unwrap_or(defaults.plan_name),
            // A named plan is a paid one unless said otherwise.
            plan_classification: seed.plan_classification.clone().unwrap_or_else(|| {
                if seed.plan.is_some() {
                    "business".to_owned()
                } else {
                    defaults.plan_classification
                }
            }),
            plan_start: date(&seed.plan_start)?,
            plan_end: date(&seed.plan_end)?,
            seats_allowed: count(&seed.seats_allowed)?.unwrap_or(defaults.seats_allowed),
            envelopes_allowed: count(&seed.envelopes_allowed)?
                .unwrap_or(defaults.envelopes_allowed),
            period_anchor: date(&seed.billing_period_start)?,
            period_months: months,
            created: date(&seed.created)?.or(Some(dates::format(start))),
        })
    }

    /// The seed's envelopes, oldest first, with IDs drawn from the account's ID (not from the
    /// seeded stream, whose draws make the users' IDs and the printed credentials).
    fn add_envelopes(&self, account: &mut Account, start: jiff::Timestamp) -> Result<(), String> {
        let mut envelopes = Vec::new();
        for (index, seed) in self.envelopes.iter().enumerate() {
            let fail =
                |error: String| format!("envelope {} (`{}`): {error}", index + 1, seed.subject);
            let date = |text: &str| dates::parse_seed(text, start).map_err(fail);
            let sender_id = user_id(account, &seed.sender).map_err(fail)?;
            let status = EnvelopeStatus::from_wire(&seed.status)
                .ok_or_else(|| fail(format!("unknown status `{}`", seed.status)))?;
            let created = date(&seed.created)?;
            let sent = match (&seed.sent, status) {
                (Some(text), _) => Some(date(text)?),
                (None, EnvelopeStatus::Created) => None,
                (None, _) => Some(created),
            };
            let status_changed = match &seed.status_changed {
                Some(text) => date(text)?,
                None => sent.unwrap_or(created),
            };
            envelopes.push(Envelope {
                id: envelope_id(&account.account_id, index),
                sender_id,
                status,
                subject: seed.subject.clone(),
                created: dates::format(created),
                sent: sent.map(dates::format),
                status_changed: dates::format(status_changed),
            });
        }
        envelopes.sort_by(|a, b| a.created.cmp(&b.created));
        account.envelopes = envelopes;
        Ok(())
    }

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

    /// The seed's signing groups, made by the integration user `maker` (its name in
    /// `createdBy`, its ID in `modifiedBy`, as the spec describes the two).
    fn add_signing_groups(&self, account: &mut Account, now: &str, maker: &str) {
        let maker_name = account
            .user(maker)
            .map(|user| user.user_name.clone())
            .unwrap_or_default();
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
                    created_by: maker_name.clone(),
                    modified: now.to_owned(),
                    modified_by: maker.to_owned(),
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

/// The ID of a seed's `index`th envelope in an account: the same on every start, and another
/// in every account of a workspace.
fn envelope_id(account_id: &str, index: usize) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{account_id} envelope {index}"));
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
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
