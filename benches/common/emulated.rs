//! The synthetic account the emulator serves to the snapshot and scale benchmarks, and how to
//! start an emulator and a client for it.
//!
//! The administrator (the integration user, Account Administrator, in Administrators); `users`
//! more users (one in ten closed, one in ten pending, one in fifty disabled; most on DocuSign
//! Sender, some on DocuSign Viewer or a custom profile; user `n` is `user{n:05}@example.com`);
//! `groups` custom groups, the first `departments` of them department-wide (every user in
//! exactly one; no profile) and the rest teams (each user in 0–5 of them; every tenth team
//! carries a custom profile); 50 signing groups of up to 50 members; four custom permission
//! profiles. A fixed seed makes every run build the same account.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::snapshot::Snapshot;
use docusign_gitops::docusign::{Client, ClientSettings, Secret};
use docusign_gitops::emulator::account::{
    Account, Group, GroupKind, Profile, SigningGroup, SigningGroupMember, User, UserStatus,
    new_profile_settings,
};
use docusign_gitops::emulator::{self, Config, Running};
use docusign_gitops::model;

use super::calls::{Minimum, PAGE, pages, snapshot_lists};

pub const ACCOUNT_ID: &str = "9c4e1a7b-2d3f-4b5a-8c6d-7e8f9a0b1c2d";
pub const ADMIN_ID: &str = "0d9b1c2e-0000-4000-8000-00000000a001";
/// The administrator's email: the integration user, whose token the client uses.
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const TOKEN: &str = "bench-token";
pub const STAMP: &str = "2026-01-05T09:00:00.0000000Z";
/// The seed of every random draw, so every run builds the same account.
pub const SEED: u64 = 0x00d0_c051_5a95_0001;

/// The latency the benchmarks give every call, and DocuSign's limits in production, per
/// account: calls in any 30 s, and an hour.
pub const LATENCY: Duration = Duration::from_millis(50);
pub const BURST_CAP: u32 = 500;
pub const HOURLY_LIMIT: u32 = 3_000;

pub const CUSTOM_PROFILES: [&str; 4] = ["Reviewers", "Contract Managers", "Approvers", "Auditors"];
pub const MAX_GROUPS_PER_USER: usize = 5;
pub const SIGNING_GROUPS: usize = 50;
pub const MAX_SIGNING_GROUP_MEMBERS: usize = 50;
const FIRST_NAMES: &[&str] = &[
    "Ann", "Bob", "Carla", "Dmitri", "Émile", "Fatima", "Günther", "Hana", "Ines", "José", "Kwame",
    "Li", "Mónica", "Noah", "Olga", "Priya",
];
const LAST_NAMES: &[&str] = &[
    "Lee", "O'Neil", "García", "Müller", "Nakamura", "Okafor", "Smith", "Dubois", "Kowalski",
];
const JOB_TITLES: &[&str] = &["Account Executive", "Paralegal", "Engineer", "Controller"];

/// How big an account is: users besides the administrator, and custom groups, the first
/// `departments` of which are department-wide (every user in exactly one of them).
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub users: usize,
    pub groups: usize,
    pub departments: usize,
}

/// Where a snapshot finds the memberships: DocuSign's user records may or may not carry
/// `groupList` (the emulator's `Config::group_list_in_user_records`), and without it only
/// each group's member list tells who is in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memberships {
    InUserRecords,
    InMemberLists,
}

impl Memberships {
    pub const ALL: [Self; 2] = [Self::InUserRecords, Self::InMemberLists];

    /// The emulator's configuration with this reading.
    pub fn config(self, config: Config) -> Config {
        Config {
            group_list_in_user_records: self == Self::InUserRecords,
            ..config
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            Self::InUserRecords => "memberships in user records (groupList)",
            Self::InMemberLists => "no groupList: memberships from member lists",
        }
    }
}

/// The emulated account and what a snapshot of it must hold.
pub struct Built {
    pub shape: Shape,
    pub account: Account,
    /// Users, the administrator included.
    pub users: usize,
    /// Groups, Administrators and Everyone included.
    pub groups: usize,
    /// Memberships outside Everyone, which the snapshot leaves out.
    pub memberships: usize,
}

impl Built {
    /// For each group whose member list a snapshot must read: its place in the group list
    /// (which lists groups by ID), and its members. Everyone is left out: it holds every user
    /// who isn't closed by definition, and the model leaves it out.
    fn member_lists(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.account
            .groups
            .values()
            .enumerate()
            .filter(|(_, group)| group.kind != GroupKind::Everyone)
            .map(|(place, group)| (place, group.members.len()))
    }

    /// The fewest calls a snapshot can make, from the API's paging rules alone: the user
    /// list and the group list in pages of at most 100 (`count` is 1–100; U and G count the
    /// administrator and the built-in groups); the permission profiles and the signing groups
    /// with their members (`include_users=true`) in one unpaged call each; and, when user
    /// records carry no `groupList`, every group's member list in pages of 100 too. A group
    /// with no members needs no page (the group list's `usersCount` says so); the benchmark
    /// accounts have none.
    pub fn minimum(&self, memberships: Memberships) -> Minimum {
        if memberships == Memberships::InUserRecords {
            return Minimum::snapshot(self.users, self.groups);
        }
        let (lists, users, groups) = snapshot_lists(self.users, self.groups);
        let (lists_read, member_pages) =
            self.member_lists()
                .fold((0, 0), |(lists, total), (_, members)| {
                    (lists + usize::from(members > 0), total + pages(members))
                });
        Minimum {
            calls: users + groups + 2 + member_pages,
            arithmetic: format!(
                "{lists} + Σ⌈members/100⌉ member pages over the {lists_read} groups but \
                 Everyone = {users} + {groups} + 1 + 1 + {member_pages}"
            ),
        }
    }

    /// The rounds of a snapshot's minimum, each of which needs an answer from the round
    /// before: the first page of users and of groups, the profiles and the signing groups;
    /// then the other pages, once the first ones have told how many. Reading member lists, a
    /// group's first member page can go once a group page has named the group, and its other
    /// pages once the first has told how many.
    pub fn snapshot_rounds(&self, memberships: Memberships) -> Vec<u64> {
        let mut rounds = vec![4, pages(self.users) + pages(self.groups) - 2, 0, 0];
        if memberships == Memberships::InMemberLists {
            for (place, members) in self.member_lists() {
                // Named by the first group page (round 0) or by a later one (round 1).
                let first_member_page = if place < PAGE { 1 } else { 2 };
                if members > 0 {
                    rounds[first_member_page] += 1;
                    rounds[first_member_page + 1] += pages(members) - 1;
                }
            }
        }
        rounds
    }
}

fn user(id: String, email: String, name: (&str, &str), profile_id: u64) -> User {
    User {
        id,
        user_name: format!("{} {}", name.0, name.1),
        email,
        first_name: name.0.to_owned(),
        last_name: name.1.to_owned(),
        job_title: String::new(),
        status: UserStatus::Active,
        profile_id,
        created: STAMP.to_owned(),
        modified: STAMP.to_owned(),
        added: None,
        last_login: None,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

fn profile_id(account: &Account, name: &str) -> u64 {
    account.profile_named(name).expect("built-in").id
}

/// The custom permission profiles; returns their IDs.
fn add_profiles(account: &mut Account) -> Vec<u64> {
    CUSTOM_PROFILES
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let id = account.take_id();
            let mut settings = new_profile_settings();
            settings.insert("allowBulkSending".to_owned(), (index % 2 == 0).to_string());
            account.profiles.insert(
                id,
                Profile {
                    id,
                    name: (*name).to_owned(),
                    builtin: false,
                    settings,
                    modified: STAMP.to_owned(),
                    modified_by: "bench".to_owned(),
                },
            );
            id
        })
        .collect()
}

/// The administrator: Account Administrator, in Administrators.
fn add_admin(account: &mut Account) {
    let admin_profile = profile_id(account, "Account Administrator");
    account.push_user(user(
        ADMIN_ID.to_owned(),
        ADMIN_EMAIL.to_owned(),
        ("Ada", "Admin"),
        admin_profile,
    ));
    let admins = account.group_named("Administrators").expect("built-in").id;
    account
        .groups
        .get_mut(&admins)
        .expect("group")
        .members
        .insert(ADMIN_ID.to_owned());
}

/// The custom groups: `shape.departments` department-wide ones, which carry no profile, then
/// teams, every tenth team carrying a custom profile. Returns their IDs: (departments, teams).
fn add_groups(account: &mut Account, shape: Shape, custom: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let departments = (0..shape.departments)
        .map(|n| {
            let id = account.take_id();
            account.groups.insert(
                id,
                Group {
                    id,
                    name: department_name(n),
                    kind: GroupKind::Custom,
                    profile_id: None,
                    members: BTreeSet::new(),
                },
            );
            id
        })
        .collect();
    let teams = (0..shape.groups - shape.departments)
        .map(|n| {
            let id = account.take_id();
            account.groups.insert(
                id,
                Group {
                    id,
                    name: format!("Team {n:04}"),
                    kind: GroupKind::Custom,
                    profile_id: (n % 10 == 0).then(|| custom[n / 10 % custom.len()]),
                    members: BTreeSet::new(),
                },
            );
            id
        })
        .collect();
    (departments, teams)
}

/// The name of department-wide group `n`.
pub fn department_name(n: usize) -> String {
    format!("Department {n:02}")
}

/// `count` users (one in ten closed, one in ten pending, one in fifty disabled; most on
/// DocuSign Sender, some on DocuSign Viewer or a custom profile), each in 0–5 of `teams`
/// and, when there are departments, in one of them.
fn add_users(
    account: &mut Account,
    rng: &mut fastrand::Rng,
    count: usize,
    (departments, teams): (&[u64], &[u64]),
    custom: &[u64],
) {
    let sender = profile_id(account, "DocuSign Sender");
    let viewer = profile_id(account, "DocuSign Viewer");
    for n in 0..count {
        let id = format!("0d9b1c2e-0000-4000-8000-{n:012}");
        let name = (
            FIRST_NAMES[rng.usize(..FIRST_NAMES.len())],
            LAST_NAMES[rng.usize(..LAST_NAMES.len())],
        );
        let profile = match rng.usize(..20) {
            0 => viewer,
            1 | 2 => custom[rng.usize(..custom.len())],
            _ => sender,
        };
        let mut record = user(id.clone(), format!("user{n:05}@example.com"), name, profile);
        record.status = match n % 50 {
            7 => UserStatus::Disabled,
            _ if n % 10 == 3 => UserStatus::Closed,
            _ if n % 10 == 8 => UserStatus::ActivationSent,
            _ => UserStatus::Active,
        };
        if rng.usize(..3) == 0 {
            JOB_TITLES[rng.usize(..JOB_TITLES.len())].clone_into(&mut record.job_title);
        }
        account.push_user(record);
        for _ in 0..rng.usize(..=MAX_GROUPS_PER_USER) {
            // A repeated draw leaves the user in fewer groups, which is fine: 0–5 it stays.
            let group = teams[rng.usize(..teams.len())];
            account
                .groups
                .get_mut(&group)
                .expect("group")
                .members
                .insert(id.clone());
        }
        // Drawn last, so that an account without departments is the one it always was.
        if !departments.is_empty() {
            let department = departments[rng.usize(..departments.len())];
            account
                .groups
                .get_mut(&department)
                .expect("group")
                .members
                .insert(id.clone());
        }
    }
}

/// Signing groups of up to 50 members each.
fn add_signing_groups(account: &mut Account, rng: &mut fastrand::Rng) {
    for n in 0..SIGNING_GROUPS {
        let id = account.take_id();
        let members = (0..rng.usize(..=MAX_SIGNING_GROUP_MEMBERS))
            .map(|m| SigningGroupMember {
                user_name: format!("Signer {m}"),
                email: format!("signer{m:02}.group{n:02}@example.com"),
            })
            .collect();
        account.signing_groups.insert(
            id,
            SigningGroup {
                id,
                name: format!("Signers {n:02}"),
                email: (n % 2 == 0).then(|| format!("signers{n:02}@example.com")),
                members,
                created: STAMP.to_owned(),
                created_by: "bench".to_owned(),
                modified: STAMP.to_owned(),
                modified_by: "bench".to_owned(),
            },
        );
    }
}

/// An account of the administrator, `shape.users` more users, `shape.groups` custom groups
/// (`shape.departments` of them department-wide), the custom profiles and the signing groups.
pub fn build(shape: Shape) -> Built {
    build_as(shape, ACCOUNT_ID, "Benchmark Account")
}

/// The same account under another ID and name: one of several the administrator belongs to
/// (the workspace benchmark's), the same people under the same user IDs in each.
pub fn build_as(shape: Shape, account_id: &str, name: &str) -> Built {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut account = Account::new(account_id, name, STAMP);
    let custom = add_profiles(&mut account);
    add_admin(&mut account);
    let (departments, teams) = add_groups(&mut account, shape, &custom);
    add_users(
        &mut account,
        &mut rng,
        shape.users,
        (&departments, &teams),
        &custom,
    );
    add_signing_groups(&mut account, &mut rng);
    let memberships = account
        .groups
        .values()
        .filter(|group| group.kind != GroupKind::Everyone)
        .map(|group| group.members.len())
        .sum();
    Built {
        shape,
        users: account.users.len(),
        groups: account.groups.len(),
        memberships,
        account,
    }
}

/// The emulator as the benchmarks serve DocuSign: [`LATENCY`] on every call, and the limits
/// of production.
pub fn production() -> Config {
    let config = Config {
        latency: LATENCY,
        ..Config::default()
    };
    assert_eq!(
        (config.hourly_limit, config.burst_limit),
        (HOURLY_LIMIT, BURST_CAP),
        "the default emulator has DocuSign's production limits"
    );
    config
}

pub async fn start(config: Config, account: Account) -> Running {
    start_all(config, vec![account]).await
}

/// One server for several accounts, as DocuSign serves every account of an organisation; the
/// administrator's token works in each of them.
pub async fn start_all(config: Config, accounts: Vec<Account>) -> Running {
    let mut config = config;
    assert!(
        config.jitter.is_zero() && config.fault_rate == 0.0,
        "the benchmark measures the success path: no jitter, no faults"
    );
    config
        .credentials
        .static_tokens
        .push((TOKEN.to_owned(), ADMIN_ID.to_owned()));
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    emulator::start(config, accounts, addr)
        .await
        .expect("start the emulator")
}

/// A fresh client (its own pacer, its own connections) for the emulator's account.
pub fn client_for(running: &Running, settings: ClientSettings) -> Arc<Client> {
    let http = reqwest::Client::new();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &running.url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    ));
    let api_base = format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}", running.url);
    Arc::new(Client::new(http, &api_base, auth, settings))
}

/// What a snapshot of the emulated account must hold, in the model's terms, worked out from
/// the emulator's records rather than through the client: Everyone's memberships left out,
/// DocuSign's statuses as the model's four.
pub fn expected(account: &Account) -> model::Account {
    let profile_name = |id: u64| account.profiles[&id].name.clone();
    let mut expected = model::Account::default();
    for profile in account.profiles.values() {
        expected.permission_profiles.insert(
            model::NameKey::new(&profile.name),
            model::PermissionProfile {
                id: Some(profile.id.to_string()),
                name: profile.name.clone(),
                settings: profile.settings.clone(),
                previously: Vec::new(),
            },
        );
    }
    for group in account.groups.values() {
        expected.groups.insert(
            model::NameKey::new(&group.name),
            model::Group {
                id: Some(group.id.to_string()),
                name: group.name.clone(),
                permission_profile: group.profile_id.map(profile_name),
                previously: Vec::new(),
            },
        );
    }
    for user in &account.users {
        let groups = account
            .groups_of(user)
            .into_iter()
            .filter(|group| group.kind != GroupKind::Everyone)
            .map(|group| group.name.clone())
            .collect();
        expected.users.insert(
            model::EmailKey::new(&user.email),
            model::User {
                id: Some(user.id.clone()),
                email: user.email.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                job_title: (!user.job_title.is_empty()).then(|| user.job_title.clone()),
                permission_profile: profile_name(user.profile_id),
                groups,
                status: match user.status {
                    UserStatus::Active => model::UserStatus::Active,
                    UserStatus::ActivationSent | UserStatus::ActivationRequired => {
                        model::UserStatus::Pending
                    }
                    UserStatus::Closed => model::UserStatus::Closed,
                    UserStatus::Disabled => model::UserStatus::Disabled,
                },
                managed_by_scim: user.managed_by_scim,
                membership_managed_by_scim: user.membership_managed_by_scim,
            },
        );
    }
    for group in account.signing_groups.values() {
        expected.signing_groups.insert(
            model::NameKey::new(&group.name),
            model::SigningGroup {
                id: Some(group.id.to_string()),
                name: group.name.clone(),
                email: group.email.clone(),
                members: group
                    .members
                    .iter()
                    .map(|member| {
                        (
                            model::EmailKey::new(&member.email),
                            model::SigningGroupMember {
                                name: member.user_name.clone(),
                                email: member.email.clone(),
                            },
                        )
                    })
                    .collect(),
                previously: Vec::new(),
            },
        );
    }
    expected
}

/// Checks that the snapshot holds exactly the emulated account, memberships read where
/// `memberships` says they are.
pub fn check(live: &Snapshot, built: &Built, memberships: Memberships, label: &str) {
    let want = expected(&built.account);
    assert_eq!(
        (
            live.account.users.len(),
            live.account.groups.len(),
            live.account.signing_groups.len(),
            live.account.permission_profiles.len(),
        ),
        (
            built.users,
            built.groups,
            SIGNING_GROUPS,
            3 + CUSTOM_PROFILES.len()
        ),
        "{label}: the snapshot must hold every user, group, signing group and profile"
    );
    let memberships_read: usize = live
        .account
        .users
        .values()
        .map(|user| user.groups.len())
        .sum();
    assert_eq!(
        memberships_read, built.memberships,
        "{label}: the snapshot must hold every membership"
    );
    // Field by field only when it differs: a 50,000-user account's debug text is no message.
    if live.account != want {
        let user = want
            .users
            .iter()
            .find(|(key, user)| live.account.users.get(*key) != Some(*user))
            .map(|(key, user)| format!("{user:?}, read as {:?}", live.account.users.get(key)));
        panic!(
            "{label}: the snapshot differs from the emulated account; first differing user: {}",
            user.unwrap_or_else(|| "none (a group, profile or signing group differs)".to_owned())
        );
    }
    assert_eq!(
        live.memberships_from_user_records,
        memberships == Memberships::InUserRecords,
        "{label}: memberships must come from {}",
        memberships.title()
    );
}
