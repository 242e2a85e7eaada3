//! One emulated account as it stands: its users, groups, permission profiles, signing groups,
//! plan and envelopes, with DocuSign's IDs. This is also the snapshot and `--state-file` format.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::profile_settings::{SETTINGS, SettingKind};

/// The numeric IDs DocuSign gives profiles, groups and signing groups start here.
const FIRST_ID: u64 = 16_655_360;

/// An account's whole state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub account_id: String,
    pub account_name: String,
    /// The next numeric ID to hand out.
    pub next_id: u64,
    pub profiles: BTreeMap<u64, Profile>,
    pub groups: BTreeMap<u64, Group>,
    pub signing_groups: BTreeMap<u64, SigningGroup>,
    /// In creation order; users are closed, never removed.
    pub users: Vec<User>,
    /// What the account is billed by. A state file from before it was kept reads as
    /// [`Billing::default`].
    #[serde(default)]
    pub billing: Billing,
    /// The envelopes the account's users created, oldest first. The API only reads them
    /// (`GET /envelopes`); seeds make them.
    #[serde(default)]
    pub envelopes: Vec<Envelope>,
    #[serde(skip)]
    by_id: HashMap<String, usize>,
}

/// A permission profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Profile {
    pub id: u64,
    pub name: String,
    /// Set for the three profiles every account has; they can't be changed or deleted.
    pub builtin: bool,
    /// Every `accountRoleSettings` key with its value as DocuSign sends it.
    pub settings: BTreeMap<String, String>,
    pub modified: String,
    pub modified_by: String,
}

/// What kind of group: DocuSign's `groupType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupKind {
    /// `AdminGroup`: Administrators.
    Admin,
    /// `EveryoneGroup`: holds every user; its membership can't be edited.
    Everyone,
    /// `CustomGroup`: made by an administrator.
    Custom,
}

impl GroupKind {
    #[must_use]
    pub const fn wire_name(self) -> &'static str {
        match self {
            Self::Admin => "AdminGroup",
            Self::Everyone => "EveryoneGroup",
            Self::Custom => "CustomGroup",
        }
    }
}

/// A user group. Everyone's members are not stored: it holds every user who isn't closed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub kind: GroupKind,
    pub profile_id: Option<u64>,
    pub members: BTreeSet<String>,
}

/// A signing group; members are name + email, with no user ID.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigningGroup {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub members: Vec<SigningGroupMember>,
    pub created: String,
    /// The maker's user name (`createdBy`, "the name of the user who created the signing group").
    pub created_by: String,
    pub modified: String,
    /// The last modifier's user ID (`modifiedBy`: the spec says "the user ID (GUID)").
    pub modified_by: String,
}

/// One member of a signing group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningGroupMember {
    pub user_name: String,
    pub email: String,
}

/// DocuSign's `userStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    ActivationRequired,
    ActivationSent,
    Active,
    Closed,
    Disabled,
}

impl UserStatus {
    pub const ALL: [Self; 5] = [
        Self::ActivationRequired,
        Self::ActivationSent,
        Self::Active,
        Self::Closed,
        Self::Disabled,
    ];

    #[must_use]
    pub const fn wire_name(self) -> &'static str {
        match self {
            Self::ActivationRequired => "ActivationRequired",
            Self::ActivationSent => "ActivationSent",
            Self::Active => "Active",
            Self::Closed => "Closed",
            Self::Disabled => "Disabled",
        }
    }

    /// Reads a status as DocuSign spells it, in any letter case.
    #[must_use]
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.wire_name().eq_ignore_ascii_case(text.trim()))
    }
}

/// A user of the account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub user_name: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub status: UserStatus,
    pub profile_id: u64,
    /// `createdDateTime`: when the user was made (maybe in another account of the organization).
    pub created: String,
    /// `userProfileLastModifiedDate`: bumped by every change, closing included.
    pub modified: String,
    /// `userAddedToAccountDateTime`: when the user joined this account; absent in a state file
    /// from before it was kept, which reads as `created`. [`super::dates::NEVER`] when DocuSign
    /// holds none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<String>,
    /// `lastLogin`, when the user ever signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    /// `isManagedByScim`: an identity provider owns the user's lifecycle and attributes.
    #[serde(default)]
    pub managed_by_scim: bool,
    /// `isMembershipManagedByScim`: an identity provider owns the user's group memberships.
    #[serde(default)]
    pub membership_managed_by_scim: bool,
}

/// A number DocuSign may answer as `unlimited` (`seatsAllowed`,
/// `billingPeriodEnvelopesAllowed`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allowance {
    #[default]
    Unlimited,
    Limited(u64),
}

impl Allowance {
    /// As DocuSign sends it: `"unlimited"` or the number as a string.
    #[must_use]
    pub fn wire(self) -> String {
        match self {
            Self::Unlimited => "unlimited".to_owned(),
            Self::Limited(number) => number.to_string(),
        }
    }
}

/// The account's plan and billing, as `GET /accounts/{accountId}` reports them. The figures
/// that follow from the account (seats in use, envelopes sent, days remaining) are counted
/// when asked, not kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Billing {
    /// `currentPlanId`.
    pub plan_id: String,
    /// `planName`.
    pub plan_name: String,
    /// `planClassification`: `business`, `corporate`, `enterprise`, `free`, …
    pub plan_classification: String,
    /// `planStartDate`; the account's creation when absent.
    pub plan_start: Option<String>,
    /// `planEndDate`; left out of the answer when absent (a plan that runs until changed).
    pub plan_end: Option<String>,
    /// `seatsAllowed`.
    pub seats_allowed: Allowance,
    /// `billingPeriodEnvelopesAllowed`.
    pub envelopes_allowed: Allowance,
    /// The start of any one billing period; the others follow every `period_months`. The
    /// account's creation when absent.
    pub period_anchor: Option<String>,
    pub period_months: u32,
    /// `createdDate` of the account; the first user's creation when absent (a state file
    /// from before it was kept).
    pub created: Option<String>,
}

impl Default for Billing {
    /// What a developer (demo) account reports: DocuSign's developer plan, unlimited seats
    /// and envelopes, monthly billing.
    fn default() -> Self {
        Self {
            plan_id: "f8ea3c3e-1b1d-4c9a-9d38-0a4c5a8e2b71".to_owned(),
            plan_name: "DEVCENTER_DEMO_APRIL2013".to_owned(),
            plan_classification: "free".to_owned(),
            plan_start: None,
            plan_end: None,
            seats_allowed: Allowance::Unlimited,
            envelopes_allowed: Allowance::Unlimited,
            period_anchor: None,
            period_months: 1,
            created: None,
        }
    }
}

/// An envelope's `status`, as DocuSign spells it (lower case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvelopeStatus {
    /// A draft: created, never sent.
    Created,
    Sent,
    Delivered,
    Signed,
    Completed,
    Declined,
    Voided,
    Deleted,
    TimedOut,
    Processing,
}

impl EnvelopeStatus {
    pub const ALL: [Self; 10] = [
        Self::Created,
        Self::Sent,
        Self::Delivered,
        Self::Signed,
        Self::Completed,
        Self::Declined,
        Self::Voided,
        Self::Deleted,
        Self::TimedOut,
        Self::Processing,
    ];

    #[must_use]
    pub const fn wire_name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Signed => "signed",
            Self::Completed => "completed",
            Self::Declined => "declined",
            Self::Voided => "voided",
            Self::Deleted => "deleted",
            Self::TimedOut => "timedout",
            Self::Processing => "processing",
        }
    }

    /// Reads a status in any letter case.
    #[must_use]
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.wire_name().eq_ignore_ascii_case(text.trim()))
    }
}

/// An envelope one of the account's users created, as far as an activity report reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    /// The user who created (and sent) it.
    pub sender_id: String,
    pub status: EnvelopeStatus,
    pub subject: String,
    pub created: String,
    /// When it was sent; none for a draft.
    pub sent: Option<String>,
    /// When its status last changed (its creation, for a draft).
    pub status_changed: String,
}

/// The built-in profiles and their settings, in the order DocuSign creates them.
const BUILTIN_PROFILES: [&str; 3] = [
    "Account Administrator",
    "DocuSign Sender",
    "DocuSign Viewer",
];

impl Account {
    /// A new account holding only what DocuSign creates: the three built-in profiles and
    /// the groups Administrators and Everyone.
    #[must_use]
    pub fn new(account_id: &str, account_name: &str, now: &str) -> Self {
        let mut account = Self {
            account_id: account_id.to_owned(),
            account_name: account_name.to_owned(),
            next_id: FIRST_ID,
            profiles: BTreeMap::new(),
            groups: BTreeMap::new(),
            signing_groups: BTreeMap::new(),
            users: Vec::new(),
            billing: Billing {
                created: Some(now.to_owned()),
                ..Billing::default()
            },
            envelopes: Vec::new(),
            by_id: HashMap::new(),
        };
        for name in BUILTIN_PROFILES {
            let id = account.take_id();
            account.profiles.insert(
                id,
                Profile {
                    id,
                    name: name.to_owned(),
                    builtin: true,
                    settings: builtin_settings(name),
                    modified: now.to_owned(),
                    modified_by: "DocuSign".to_owned(),
                },
            );
        }
        for (name, kind) in [
            ("Administrators", GroupKind::Admin),
            ("Everyone", GroupKind::Everyone),
        ] {
            let id = account.take_id();
            account.groups.insert(
                id,
                Group {
                    id,
                    name: name.to_owned(),
                    kind,
                    profile_id: None,
                    members: BTreeSet::new(),
                },
            );
        }
        account
    }

    /// Rebuilds the lookup index after deserializing.
    pub fn reindex(&mut self) {
        self.by_id = self
            .users
            .iter()
            .enumerate()
            .map(|(index, user)| (user.id.to_lowercase(), index))
            .collect();
    }

    pub fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The account's external account number, which `{accountId}` takes as well as the GUID
    /// (the spec: "the external account number (int) or account ID GUID"): eight digits drawn
    /// from the GUID, the same on every run.
    #[must_use]
    pub fn external_account_id(&self) -> String {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.account_id.to_ascii_lowercase().as_bytes());
        let drawn = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        (10_000_000 + drawn % 90_000_000).to_string()
    }

    /// Whether `{accountId}` names this account: its GUID in any case, or its external number.
    #[must_use]
    pub fn is_named_by(&self, account_id: &str) -> bool {
        let given = account_id.trim();
        self.account_id.eq_ignore_ascii_case(given) || self.external_account_id() == given
    }

    /// Whether the user's profile can administer the account (`model::admin`'s rule).
    #[must_use]
    pub fn is_admin(&self, user_id: &str) -> bool {
        self.user(user_id)
            .and_then(|user| self.profiles.get(&user.profile_id))
            .is_some_and(|profile| crate::model::admin::settings_manage_account(&profile.settings))
    }

    #[must_use]
    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.by_id
            .get(&user_id.trim().to_lowercase())
            .map(|&index| &self.users[index])
    }

    pub fn user_mut(&mut self, user_id: &str) -> Option<&mut User> {
        self.by_id
            .get(&user_id.trim().to_lowercase())
            .map(|&index| &mut self.users[index])
    }

    pub fn push_user(&mut self, user: User) {
        self.by_id.insert(user.id.to_lowercase(), self.users.len());
        self.users.push(user);
    }

    /// A profile by name, in any letter case ("Docusign Viewer" finds "DocuSign Viewer").
    #[must_use]
    pub fn profile_named(&self, name: &str) -> Option<&Profile> {
        self.profiles
            .values()
            .find(|profile| profile.name.eq_ignore_ascii_case(name.trim()))
    }

    #[must_use]
    pub fn group_named(&self, name: &str) -> Option<&Group> {
        self.groups
            .values()
            .find(|group| group.name.eq_ignore_ascii_case(name.trim()))
    }

    #[must_use]
    pub fn everyone_id(&self) -> u64 {
        self.groups
            .values()
            .find(|group| group.kind == GroupKind::Everyone)
            .map_or(0, |group| group.id)
    }

    /// The members of a group, in user creation order. Everyone holds every user who isn't
    /// closed.
    #[must_use]
    pub fn members_of(&self, group: &Group) -> Vec<&User> {
        match group.kind {
            GroupKind::Everyone => self
                .users
                .iter()
                .filter(|user| user.status != UserStatus::Closed)
                .collect(),
            GroupKind::Admin | GroupKind::Custom => {
                let mut members: Vec<&User> = group
                    .members
                    .iter()
                    .filter_map(|id| self.user(id))
                    .collect();
                members.sort_by_key(|user| self.by_id.get(&user.id.to_lowercase()).copied());
                members
            }
        }
    }

    /// The groups a user is in, Everyone included unless the user is closed.
    #[must_use]
    pub fn groups_of(&self, user: &User) -> Vec<&Group> {
        self.groups
            .values()
            .filter(|group| match group.kind {
                GroupKind::Everyone => user.status != UserStatus::Closed,
                GroupKind::Admin | GroupKind::Custom => group.members.contains(&user.id),
            })
            .collect()
    }

    /// Every user's groups at once: what [`Account::groups_of`] gives one user, in one pass
    /// over the groups rather than a search of every group per user (a page of a hundred full
    /// user records would otherwise search each group a hundred times).
    #[must_use]
    pub fn memberships(&self) -> Memberships<'_> {
        let mut memberships = Memberships {
            everyone: Vec::new(),
            explicit: HashMap::new(),
        };
        for group in self.groups.values() {
            match group.kind {
                GroupKind::Everyone => memberships.everyone.push(group),
                GroupKind::Admin | GroupKind::Custom => {
                    for member in &group.members {
                        memberships
                            .explicit
                            .entry(member.as_str())
                            .or_default()
                            .push(group);
                    }
                }
            }
        }
        memberships
    }

    /// DocuSign's rule: every user holds exactly one existing permission profile. Returns how
    /// many users break it (zero, unless the emulator has a bug).
    #[must_use]
    pub fn profile_breaches(&self) -> usize {
        self.users
            .iter()
            .filter(|user| !self.profiles.contains_key(&user.profile_id))
            .count()
    }
}

/// The settings of a built-in profile, as an account created today has them.
fn builtin_settings(name: &str) -> BTreeMap<String, String> {
    let admin = name == "Account Administrator";
    let sender = admin || name == "DocuSign Sender";
    SETTINGS
        .iter()
        .map(|spec| {
            let value = match (spec.key, spec.kind) {
                (
                    "allowAccountManagement"
                    | "allowApiAccessToAccount"
                    | "enableApiRequestLogging",
                    _,
                ) => admin.to_string(),
                ("allowedTemplateAccess", _) => if sender { "share" } else { "none" }.to_owned(),
                ("allowedAddressBookAccess", _) => if sender {
                    "usePersonalAndShared"
                } else {
                    "personal"
                }
                .to_owned(),
                ("powerFormRole", _) => if admin {
                    "admin"
                } else if sender {
                    "user"
                } else {
                    "none"
                }
                .to_owned(),
                ("disableDocumentUpload" | "disableOtherActions", _) => (!sender).to_string(),
                // Reserved or undocumented settings are off in every profile.
                (
                    "allowVaulting"
                    | "canCreateWorkspaces"
                    | "enableTransactionPointIntegration"
                    | "allowESealRecipients",
                    _,
                )
                | (_, SettingKind::Text) => "false".to_owned(),
                (_, SettingKind::Boolean) => sender.to_string(),
                (_, SettingKind::OneOf(values)) => values[0].to_owned(),
            };
            (spec.key.to_owned(), value)
        })
        .collect()
}

/// The settings a new custom profile starts with before its own are applied: a sender's.
#[must_use]
pub fn new_profile_settings() -> BTreeMap<String, String> {
    builtin_settings("DocuSign Sender")
}

/// Every user's groups, from [`Account::memberships`].
pub struct Memberships<'a> {
    /// The Everyone groups: every user who is not closed is in them.
    everyone: Vec<&'a Group>,
    /// Each user ID's other groups, in group order.
    explicit: HashMap<&'a str, Vec<&'a Group>>,
}

impl<'a> Memberships<'a> {
    /// The groups `user` is in, as [`Account::groups_of`] gives them: in group order.
    #[must_use]
    pub fn of(&self, user: &User) -> Vec<&'a Group> {
        let everyone = (user.status != UserStatus::Closed).then_some(&self.everyone);
        let explicit = self.explicit.get(user.id.as_str());
        let mut groups: Vec<&'a Group> = everyone
            .into_iter()
            .chain(explicit)
            .flatten()
            .copied()
            .collect();
        groups.sort_by_key(|group| group.id);
        groups
    }
}
