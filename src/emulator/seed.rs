//! Describing an account to start from (`--seed FILE`, YAML or JSON), and the built-in sample
//! account that `--emulator` runs against.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::{
    Account, Allowance, Billing, Envelope, EnvelopeStatus, SigningGroup, SigningGroupMember, User,
    UserStatus,
};
use super::dates;
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
        self.add_signing_groups(&mut account, now);
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
            created: None,
            added_to_account: None,
            last_login: None,
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
        created: None,
        added_to_account: None,
        last_login: None,
    });
    let envelopes = sample_activity(&mut users);

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
        account: sample_account(account_id),
        integration_user: protected,
        permission_profiles,
        groups,
        signing_groups,
        users,
        envelopes,
    }
}

/// The sample account's plan: a business plan a year into its term, billed monthly.
fn sample_account(id: String) -> SeedAccount {
    SeedAccount {
        id,
        name: "Northwind Trading Co.".to_owned(),
        plan: Some("Business Pro".to_owned()),
        plan_classification: Some("business".to_owned()),
        plan_start: Some("400 days ago".to_owned()),
        plan_end: Some("in 330 days".to_owned()),
        // A few above the 26 memberships that hold one.
        seats_allowed: Some(SeedCount::Number(30)),
        envelopes_allowed: Some(SeedCount::Number(250)),
        billing_period_start: Some("400 days ago".to_owned()),
        billing_period_months: Some(1),
        created: Some("1100 days ago".to_owned()),
    }
}

/// How one sample user has used the account, in days before the emulator's start.
struct Activity {
    email: &'static str,
    created: u32,
    /// When the user joined this account, if later than `created`.
    added: Option<u32>,
    last_login: Option<u32>,
    /// An invitation not yet accepted.
    pending: bool,
    /// When each of the user's envelopes was created.
    envelopes: &'static [u32],
}

const fn used(
    email: &'static str,
    created: u32,
    last_login: u32,
    envelopes: &'static [u32],
) -> Activity {
    Activity {
        email,
        created,
        added: None,
        last_login: Some(last_login),
        pending: false,
        envelopes,
    }
}

const fn invited(email: &'static str, days: u32) -> Activity {
    Activity {
        email,
        created: days,
        added: None,
        last_login: None,
        pending: true,
        envelopes: &[],
    }
}

/// The sample's history, so `seats` has something real to say:
/// - two invitations never accepted, one 45 days old and one 5 days old;
/// - four active users with no sign of use: last login 130 to 395 days ago, no envelope in
///   the last 90 days (Marcus Hale, Grace Liu, Ben Carter, Ryan Foster);
/// - one whose last login is old but who sent an envelope 10 days ago (Tom Becker: through
///   the CRM), so envelopes show use the login date misses;
/// - one who never signed in, given the account 200 days ago, with no envelope (Chloe Dubois);
/// - everyone else signed in lately and sends envelopes, the integration user most.
const SAMPLE_ACTIVITY: [Activity; 26] = [
    used("robert.chen@northwind-example.com", 1000, 2, &[3, 17, 40]),
    used("nadia.petrova@northwind-example.com", 950, 1, &[6, 28]),
    used("kevin.obrien@northwind-example.com", 820, 9, &[12, 55]),
    used("marcus.hale@northwind-example.com", 780, 130, &[150, 210]),
    used("sofia.rossi@northwind-example.com", 400, 4, &[8, 33, 61]),
    used("eleanor.vance@northwind-example.com", 1000, 3, &[2, 20]),
    used("samuel.adeyemi@northwind-example.com", 700, 6, &[14, 45]),
    used(
        "oliver.grant@northwind-example.com",
        520,
        1,
        &[1, 5, 19, 70],
    ),
    used("grace.liu@northwind-example.com", 610, 200, &[]),
    Activity {
        // Made in another of the organization's accounts, given this one later.
        added: Some(700),
        ..used("daniel.park@northwind-example.com", 900, 11, &[22])
    },
    used("julia.novak@northwind-example.com", 1000, 1, &[30]),
    used(
        "docusign-integration@northwind-example.com",
        1000,
        0,
        &[0, 1, 2, 4, 7, 9, 13, 16, 21, 27, 35, 44, 58, 75],
    ),
    used("mei.tanaka@northwind-example.com", 480, 15, &[18, 52]),
    used("ben.carter@northwind-example.com", 860, 395, &[420]),
    used("ahmed.hassan@northwind-example.com", 300, 7, &[9, 26]),
    Activity {
        last_login: None,
        ..used("chloe.dubois@northwind-example.com", 200, 0, &[])
    },
    used("ryan.foster@northwind-example.com", 540, 310, &[]),
    used(
        "maria.gonzalez@northwind-example.com",
        990,
        1,
        &[1, 4, 11, 24],
    ),
    used(
        "james.whitfield@northwind-example.com",
        760,
        2,
        &[3, 15, 38],
    ),
    used("priya.raman@northwind-example.com", 330, 5, &[7, 29]),
    used("tom.becker@northwind-example.com", 640, 170, &[10, 160]),
    invited("aisha.okafor@northwind-example.com", 45),
    invited("lucas.moreau@northwind-example.com", 5),
    used("hannah.kim@northwind-example.com", 450, 3, &[5, 13]),
    // The leaver the YAML closes: gone a month, still active in DocuSign.
    used("derek.lindqvist@northwind-example.com", 730, 34, &[36, 64]),
    used("summer.intern@northwind-example.com", 80, 12, &[20]),
];

const SUBJECTS: [&str; 6] = [
    "Please DocuSign: Master Services Agreement",
    "Please DocuSign: Mutual NDA",
    "Please DocuSign: Purchase Order",
    "Please DocuSign: Statement of Work",
    "Please DocuSign: Renewal Quote",
    "Please DocuSign: Supplier Onboarding Form",
];

/// Gives the sample's users their dates and status, and answers their envelopes.
fn sample_activity(users: &mut [SeedUser]) -> Vec<SeedEnvelope> {
    let ago = |days: u32| format!("{days} days ago");
    let mut envelopes = Vec::new();
    for activity in &SAMPLE_ACTIVITY {
        let Some(user) = users.iter_mut().find(|user| user.email == activity.email) else {
            continue;
        };
        user.created = Some(ago(activity.created));
        user.added_to_account = activity.added.map(ago);
        user.last_login = activity.last_login.map(ago);
        if activity.pending {
            "ActivationSent".clone_into(&mut user.status);
        }
        for &days in activity.envelopes {
            let n = envelopes.len();
            // Most are completed a day after they were sent; the newest are still out, one is
            // a draft, and now and then one is declined or voided.
            let (status, changed) = match (days, n % 9) {
                (1, _) if activity.email.starts_with("oliver.") => ("created", days),
                (0..=3, _) => ("sent", days),
                (_, 4) => ("declined", days - 2),
                (_, 7) => ("voided", days - 1),
                _ => ("completed", days - 1),
            };
            envelopes.push(SeedEnvelope {
                sender: activity.email.to_owned(),
                subject: SUBJECTS[n % SUBJECTS.len()].to_owned(),
                status: status.to_owned(),
                created: ago(days),
                sent: None,
                status_changed: Some(ago(changed)),
            });
        }
    }
    envelopes
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
