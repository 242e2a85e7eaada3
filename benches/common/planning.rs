//! The planner's inputs at scale, built as values rather than loaded from YAML
//! (`benches/validate.rs` measures that), and one measured plan of them.
//!
//! A desired state and a live account of `users` users (each in one of a few department-wide
//! groups of 10,000+ members at the large size, and in 0–4 of the other groups), 20 custom
//! permission profiles with a handful of settings each, 50 signing groups of up to 50 members,
//! DocuSign IDs on every live object. Live differs from desired as a month of HR changes would:
//! about 1% new hires, 1% leavers (`status: Closed` in the YAML), 2% movers (another profile,
//! another department, another team), 0.5% renamed people or new job titles, 1% unmanaged users
//! in live only (`policy.unmanaged_users: report`), one group renamed through `previously`, one
//! profile setting changed, a signing group member added and one removed. A fixed seed makes
//! every run plan the same accounts.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hint::black_box;

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::model::profile_settings::{SETTINGS, SettingKind};
use docusign_gitops::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};
use docusign_gitops::plan::{self, Context, GuardClass, Operation, Origin, Plan, RecordedRef};

use super::procfs::{measure, status_kb, thread_cpu_ns};

pub const SEED: u64 = 0x00d0_c051_9a40_0001;

/// How big the accounts are: managed users besides the integration user, and custom groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub users: usize,
    pub groups: usize,
}

impl Shape {
    /// `10k`, `100k`, `1.5k`: the user count, short.
    #[must_use]
    pub fn name(self) -> String {
        if self.users.is_multiple_of(1000) {
            format!("{}k", self.users / 1000)
        } else {
            self.users.to_string()
        }
    }
}

/// Custom profiles; the first can manage the account and is held by nobody but a few admins.
const PROFILE_NAMES: [&str; 20] = [
    "Ops Admins",
    "Sales Senders",
    "Sales Managers",
    "Legal Reviewers",
    "Legal Counsel",
    "Finance Approvers",
    "Finance Controllers",
    "HR Senders",
    "HR Partners",
    "Procurement",
    "Support Agents",
    "Support Leads",
    "Engineering",
    "Contractors",
    "Auditors",
    "Marketing",
    "Partner Managers",
    "Executives",
    "Facilities",
    "Read Only Plus",
];
/// The profile whose settings the YAML changes.
const CHANGED_PROFILE: usize = 3;
const CHANGED_SETTING: &str = "allowSignerAttachments";
/// Department-wide groups: every user is in exactly one.
const BIG_GROUPS: [&str; 6] = [
    "All Sales",
    "All Engineering",
    "All Operations",
    "All Support",
    "All Finance",
    "All Legal",
];
/// The group renamed through `previously`: live `Team 0007`, desired `Payments Team`.
const RENAMED_GROUP: usize = 7;
const RENAMED_TO: &str = "Payments Team";
/// Most extra groups a user is in, besides its department's.
const MAX_TEAMS: usize = 4;
/// Every this-many team carries a custom profile.
const PROFILE_GROUP_EVERY: usize = 50;
const SIGNING_GROUPS: usize = 50;
const MAX_SIGNING_GROUP_MEMBERS: usize = 50;
/// Users holding Account Administrator and in Administrators, besides the integration user.
const ADMINS: usize = 10;
const INTEGRATION_USER: &str = "docusign-integration@example.com";

const FIRST_NAMES: &[&str] = &[
    "Ann", "Bob", "Carla", "Dmitri", "Émile", "Fatima", "Günther", "Hana", "Ines", "José", "Kwame",
    "Li", "Mónica", "Noah", "Olga", "Priya", "Quentin", "Rūta", "Søren", "Zoë",
];
const LAST_NAMES: &[&str] = &[
    "Lee",
    "O'Neil",
    "García",
    "Müller",
    "Nakamura",
    "Okafor",
    "Smith",
    "Dubois",
    "Kowalski",
    "Rossi",
    "Andersson",
    "Nguyen",
    "Silva",
    "Cohen",
    "Papadopoulos",
    "Ivanova",
    "Kim",
];
const JOB_TITLES: &[&str] = &[
    "Account Executive",
    "Paralegal",
    "Engineer",
    "Controller",
    "Support Specialist",
    "Recruiter",
];

/// What happens to a user between the snapshot and the YAML, per mille.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// In the YAML, not yet in DocuSign (10‰).
    NewHire,
    /// Closed in the YAML, active in DocuSign (10‰).
    Leaver,
    /// Another profile, department and team in the YAML (20‰).
    Mover,
    /// Another last name, and job title where the YAML states one (5‰).
    Renamed,
    /// Closed on both sides: left in an earlier month (20‰).
    PastLeaver,
    /// Invited but not yet signed in: no change to plan (30‰).
    Pending,
    Unchanged,
}

fn fate(rng: &mut fastrand::Rng) -> Fate {
    match rng.u32(..1000) {
        0..10 => Fate::NewHire,
        10..20 => Fate::Leaver,
        20..40 => Fate::Mover,
        40..45 => Fate::Renamed,
        45..65 => Fate::PastLeaver,
        65..95 => Fate::Pending,
        _ => Fate::Unchanged,
    }
}

/// The changes the plan must hold.
#[derive(Default)]
pub struct Expected {
    new_hires: usize,
    leavers: usize,
    movers: usize,
    renamed: usize,
    unmanaged: usize,
}

pub struct Inputs {
    pub desired: Desired,
    pub live: Account,
    /// What the last apply recorded: the live objects the YAML names, with their IDs.
    pub recorded: Account,
    pub expected: Expected,
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        rng.u32(..),
        rng.u16(..),
        rng.u16(..0x1000),
        rng.u16(..0x1000),
        rng.u64(..1 << 48)
    )
}

fn numeric_id(rng: &mut fastrand::Rng) -> String {
    rng.u64(10_000_000..100_000_000).to_string()
}

fn team_name(index: usize) -> String {
    format!("Team {index:04}")
}

/// A group's name on each side: (desired, live).
fn group_names(index: usize) -> (String, String) {
    match BIG_GROUPS.get(index) {
        Some(name) => ((*name).to_owned(), (*name).to_owned()),
        None if index == RENAMED_GROUP => (RENAMED_TO.to_owned(), team_name(index)),
        None => (team_name(index), team_name(index)),
    }
}

/// A setting's value: booleans as DocuSign sends them, one-of settings as one of their words.
fn setting_value(kind: SettingKind, rng: &mut fastrand::Rng) -> Option<String> {
    match kind {
        SettingKind::Boolean => Some(rng.bool().to_string()),
        SettingKind::OneOf(words) => Some(words[rng.usize(..words.len())].to_owned()),
        SettingKind::Text => None,
    }
}

/// Live holds every documented setting of every profile; the YAML lists 4–6 of each custom one.
fn add_profiles(rng: &mut fastrand::Rng, desired: &mut Account, live: &mut Account) {
    let everything = |rng: &mut fastrand::Rng| -> BTreeMap<String, String> {
        SETTINGS
            .iter()
            .filter_map(|spec| setting_value(spec.kind, rng).map(|v| (spec.key.to_owned(), v)))
            .collect()
    };
    for builtin in BuiltinProfile::ALL {
        let mut settings = everything(rng);
        settings.insert(
            "allowAccountManagement".to_owned(),
            (builtin == BuiltinProfile::AccountAdministrator).to_string(),
        );
        live.permission_profiles.insert(
            NameKey::new(builtin.api_name()),
            PermissionProfile {
                id: Some(numeric_id(rng)),
                name: builtin.api_name().to_owned(),
                settings,
                previously: Vec::new(),
            },
        );
    }
    for (index, name) in PROFILE_NAMES.iter().enumerate() {
        let mut stated = BTreeMap::new();
        while stated.len() < 4 + rng.usize(..=2) {
            let spec = &SETTINGS[rng.usize(..SETTINGS.len())];
            if spec.key == "allowAccountManagement" {
                continue;
            }
            if let Some(value) = setting_value(spec.kind, rng) {
                stated.insert(spec.key.to_owned(), value);
            }
        }
        stated.insert(
            "allowAccountManagement".to_owned(),
            (index == 0).to_string(),
        );
        let mut held = everything(rng);
        held.extend(stated.clone());
        if index == CHANGED_PROFILE {
            stated.insert(CHANGED_SETTING.to_owned(), "true".to_owned());
            held.insert(CHANGED_SETTING.to_owned(), "false".to_owned());
        }
        let key = NameKey::new(name);
        desired.permission_profiles.insert(
            key.clone(),
            PermissionProfile {
                id: None,
                name: (*name).to_owned(),
                settings: stated,
                previously: Vec::new(),
            },
        );
        live.permission_profiles.insert(
            key,
            PermissionProfile {
                id: Some(numeric_id(rng)),
                name: (*name).to_owned(),
                settings: held,
                previously: Vec::new(),
            },
        );
    }
}

fn add_groups(rng: &mut fastrand::Rng, shape: Shape, desired: &mut Account, live: &mut Account) {
    for builtin in BuiltinGroup::ALL {
        live.groups.insert(
            NameKey::new(builtin.api_name()),
            Group {
                id: Some(numeric_id(rng)),
                name: builtin.api_name().to_owned(),
                permission_profile: None,
                previously: Vec::new(),
            },
        );
    }
    for index in 0..shape.groups {
        let (want, have) = group_names(index);
        // Skip the admin-capable profile: joining such a group would count as an admin grant.
        let profile = (index >= BIG_GROUPS.len() && index % PROFILE_GROUP_EVERY == 0)
            .then(|| PROFILE_NAMES[1 + index / PROFILE_GROUP_EVERY % (PROFILE_NAMES.len() - 1)])
            .map(str::to_owned);
        desired.groups.insert(
            NameKey::new(&want),
            Group {
                id: None,
                previously: if want == have {
                    Vec::new()
                } else {
                    vec![have.clone()]
                },
                name: want,
                permission_profile: profile.clone(),
            },
        );
        live.groups.insert(
            NameKey::new(&have),
            Group {
                id: Some(numeric_id(rng)),
                name: have,
                permission_profile: profile,
                previously: Vec::new(),
            },
        );
    }
}

/// A user's profile: mostly DocuSign Sender, some Viewer, a fifth a custom (non-admin) one.
fn pick_profile(rng: &mut fastrand::Rng) -> String {
    match rng.u32(..1000) {
        0..700 => BuiltinProfile::DocuSignSender.api_name().to_owned(),
        700..800 => BuiltinProfile::DocuSignViewer.api_name().to_owned(),
        _ => PROFILE_NAMES[1 + rng.usize(..PROFILE_NAMES.len() - 1)].to_owned(),
    }
}

/// A team (not a department-wide group) the user is not in.
fn other_team(rng: &mut fastrand::Rng, shape: Shape, taken: &BTreeSet<usize>) -> usize {
    loop {
        let team = rng.usize(BIG_GROUPS.len()..shape.groups);
        if !taken.contains(&team) {
            return team;
        }
    }
}

fn names(indices: &BTreeSet<usize>, side: fn((String, String)) -> String) -> BTreeSet<String> {
    indices
        .iter()
        .map(|&index| side(group_names(index)))
        .collect()
}

fn desired_side(names: (String, String)) -> String {
    names.0
}

fn live_side(names: (String, String)) -> String {
    names.1
}

/// One managed user on both sides (live `None` for a new hire).
fn add_user(
    rng: &mut fastrand::Rng,
    shape: Shape,
    index: usize,
    expected: &mut Expected,
) -> (User, Option<User>) {
    let email = format!("user{index:06}@example.com");
    let admin = index < ADMINS;
    let fate = if admin { Fate::Unchanged } else { fate(rng) };
    let profile = if admin {
        BuiltinProfile::AccountAdministrator.api_name().to_owned()
    } else {
        pick_profile(rng)
    };
    let department = rng.usize(..BIG_GROUPS.len());
    let mut teams = BTreeSet::from([department]);
    for _ in 0..rng.usize(..=MAX_TEAMS) {
        let team = other_team(rng, shape, &teams);
        teams.insert(team);
    }
    let mut want = User {
        id: None,
        email: email.clone(),
        first_name: FIRST_NAMES[rng.usize(..FIRST_NAMES.len())].to_owned(),
        last_name: LAST_NAMES[rng.usize(..LAST_NAMES.len())].to_owned(),
        job_title: (rng.u32(..10) < 6)
            .then(|| JOB_TITLES[rng.usize(..JOB_TITLES.len())].to_owned()),
        permission_profile: profile,
        groups: names(&teams, desired_side),
        status: UserStatus::Active,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    };
    if admin {
        want.groups
            .insert(BuiltinGroup::Administrators.api_name().to_owned());
    }
    let mut have = User {
        id: Some(uuid(rng)),
        groups: names(&teams, live_side),
        ..want.clone()
    };
    if admin {
        have.groups
            .insert(BuiltinGroup::Administrators.api_name().to_owned());
    }
    match fate {
        Fate::NewHire => {
            expected.new_hires += 1;
            return (want, None);
        }
        Fate::Leaver => {
            expected.leavers += 1;
            want.status = UserStatus::Closed;
        }
        Fate::PastLeaver => {
            want.status = UserStatus::Closed;
            have.status = UserStatus::Closed;
        }
        Fate::Pending => have.status = UserStatus::Pending,
        Fate::Mover => {
            expected.movers += 1;
            let sender = BuiltinProfile::DocuSignSender.api_name();
            have.permission_profile = if want.permission_profile == sender {
                BuiltinProfile::DocuSignViewer.api_name().to_owned()
            } else {
                sender.to_owned()
            };
            // In live: the old department, one team the YAML has left, minus one it has joined.
            let mut old = teams.clone();
            old.remove(&department);
            old.insert((department + 1) % BIG_GROUPS.len());
            if let Some(&joined) = teams.iter().find(|&&team| team >= BIG_GROUPS.len()) {
                old.remove(&joined);
            }
            let left = other_team(rng, shape, &teams);
            old.insert(left);
            have.groups = names(&old, live_side);
        }
        Fate::Renamed => {
            expected.renamed += 1;
            let other = LAST_NAMES
                .iter()
                .find(|name| **name != want.last_name)
                .expect("more than one last name");
            (*other).clone_into(&mut have.last_name);
            if want.job_title.is_some() {
                have.job_title = Some("Intern".to_owned());
            }
        }
        Fate::Unchanged => {}
    }
    (want, Some(have))
}

/// Users only DocuSign has: contractors invited by hand.
fn add_unmanaged(rng: &mut fastrand::Rng, shape: Shape, live: &mut Account) -> usize {
    let count = shape.users / 100;
    for index in 0..count {
        let email = format!("contractor{index:05}@partner.example.com");
        let teams = BTreeSet::from([rng.usize(..BIG_GROUPS.len())]);
        live.users.insert(
            EmailKey::new(&email),
            User {
                id: Some(uuid(rng)),
                email,
                first_name: FIRST_NAMES[rng.usize(..FIRST_NAMES.len())].to_owned(),
                last_name: LAST_NAMES[rng.usize(..LAST_NAMES.len())].to_owned(),
                job_title: None,
                permission_profile: BuiltinProfile::DocuSignSender.api_name().to_owned(),
                groups: names(&teams, live_side),
                status: UserStatus::Active,
                managed_by_scim: false,
                membership_managed_by_scim: false,
            },
        );
    }
    count
}

/// Signing groups of 1–50 members (users of the account); the YAML adds a member to the first
/// and drops one from the second.
fn add_signing_groups(
    rng: &mut fastrand::Rng,
    shape: Shape,
    desired: &mut Account,
    live: &mut Account,
) {
    let member = |rng: &mut fastrand::Rng| {
        let email = format!("user{:06}@example.com", rng.usize(..shape.users));
        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.usize(..FIRST_NAMES.len())],
            LAST_NAMES[rng.usize(..LAST_NAMES.len())]
        );
        (EmailKey::new(&email), SigningGroupMember { name, email })
    };
    for index in 0..SIGNING_GROUPS {
        let name = format!("Signers {index:02}");
        let email = (index % 2 == 0).then(|| format!("signers{index:02}@example.com"));
        let members: BTreeMap<EmailKey, SigningGroupMember> = (0..rng
            .usize(1..=MAX_SIGNING_GROUP_MEMBERS))
            .map(|_| member(rng))
            .collect();
        let mut wanted = members.clone();
        let mut held = members;
        let side = match index {
            0 => Some(&mut wanted),
            1 => Some(&mut held),
            _ => None,
        };
        if let Some(side) = side {
            loop {
                let (key, extra) = member(rng);
                if let Entry::Vacant(vacant) = side.entry(key) {
                    vacant.insert(extra);
                    break;
                }
            }
        }
        let key = NameKey::new(&name);
        desired.signing_groups.insert(
            key.clone(),
            SigningGroup {
                id: None,
                name: name.clone(),
                email: email.clone(),
                members: wanted,
                previously: Vec::new(),
            },
        );
        live.signing_groups.insert(
            key,
            SigningGroup {
                id: Some(uuid(rng)),
                name,
                email,
                members: held,
                previously: Vec::new(),
            },
        );
    }
}

pub fn build(shape: Shape) -> Inputs {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut state = Account::default();
    let mut live = Account::default();
    let mut expected = Expected::default();
    add_profiles(&mut rng, &mut state, &mut live);
    add_groups(&mut rng, shape, &mut state, &mut live);
    let integration = User {
        id: Some(uuid(&mut rng)),
        email: INTEGRATION_USER.to_owned(),
        first_name: "DocuSign".to_owned(),
        last_name: "Integration".to_owned(),
        job_title: None,
        permission_profile: BuiltinProfile::AccountAdministrator.api_name().to_owned(),
        groups: BTreeSet::from([BuiltinGroup::Administrators.api_name().to_owned()]),
        status: UserStatus::Active,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    };
    state
        .users
        .insert(EmailKey::new(INTEGRATION_USER), integration.clone());
    live.users
        .insert(EmailKey::new(INTEGRATION_USER), integration);
    for index in 0..shape.users {
        let (want, have) = add_user(&mut rng, shape, index, &mut expected);
        let key = EmailKey::new(&want.email);
        if let Some(have) = have {
            live.users.insert(key.clone(), have);
        }
        state.users.insert(key, want);
    }
    expected.unmanaged = add_unmanaged(&mut rng, shape, &mut live);
    add_signing_groups(&mut rng, shape, &mut state, &mut live);
    let desired = Desired {
        account: None,
        default_profile: BuiltinProfile::DocuSignViewer.api_name().to_owned(),
        policy: Policy {
            unmanaged_users: UnmanagedUsers::Report,
            protected_users: [1, 2]
                .into_iter()
                .map(|index| EmailKey::new(&format!("user{index:06}@example.com")))
                .collect(),
            ..Policy::default()
        },
        state,
        generated: std::collections::BTreeMap::new(),
        leavers_left_out: false,
    };
    let recorded = docusign_gitops::apply::managed_objects(&live, &desired.state, None);
    Inputs {
        desired,
        live,
        recorded,
        expected,
    }
}

pub fn context() -> Context {
    Context {
        token_user_unknown: false,
        today: None,
        integration_user: Some(INTEGRATION_USER.to_owned()),
        // plan() returns the plan whatever the guards say (they only mark it refused); the
        // operator's `--allow` is set anyway, as a run that means to apply it would be.
        allowed: GuardClass::ALL.to_vec(),
        desired_commit: Some("3f2a9c0d1e4b5a6f7081928374655647382910ab".to_owned()),
        hourly_remaining: Some(2_950),
        recorded: Some(RecordedRef {
            lineage: "5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3".to_owned(),
            serial: 41,
        }),
        origin: Origin {
            account_id: "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36".to_owned(),
            environment: "demo".to_owned(),
            desired_digest: "9d4c".repeat(16),
        },
    }
}

/// Fails loudly unless the plan holds the changes the inputs were built with.
pub fn check(plan: &Plan, expected: &Expected) {
    let count = |pred: fn(&Operation) -> bool| {
        plan.steps
            .iter()
            .filter(|step| pred(&step.operation))
            .count()
    };
    let found = [
        (
            "create_user",
            count(|op| matches!(op, Operation::CreateUser { .. })),
            expected.new_hires,
        ),
        (
            "close_user",
            count(|op| matches!(op, Operation::CloseUser { .. })),
            expected.leavers,
        ),
        (
            "change_profile",
            count(|op| matches!(op, Operation::ChangeProfile { .. })),
            expected.movers,
        ),
        (
            "update_user",
            count(|op| matches!(op, Operation::UpdateUser { .. })),
            expected.renamed,
        ),
        (
            "rename_group",
            count(|op| matches!(op, Operation::RenameGroup { .. })),
            1,
        ),
        (
            "update_profile_settings",
            count(|op| matches!(op, Operation::UpdateProfileSettings { .. })),
            1,
        ),
        (
            "add_signing_group_member",
            count(|op| matches!(op, Operation::AddSigningGroupMember { .. })),
            1,
        ),
        (
            "remove_signing_group_member",
            count(|op| matches!(op, Operation::RemoveSigningGroupMember { .. })),
            1,
        ),
        ("reports", plan.reports.len(), expected.unmanaged),
    ];
    for (what, got, want) in found {
        assert_eq!(got, want, "the plan must hold {want} {what}, not {got}");
    }
    assert!(
        plan.refusals().is_empty(),
        "every guard class is allowed, so nothing is refused"
    );
    assert!(plan.escalations.is_empty(), "the changes grant no admin");
}

/// Builds the inputs of `shape`, plans them once, measured, and checks the plan. Returns the
/// plan and the figures as `key=value` pairs: CPU nanoseconds and peak RSS of building the
/// inputs and of planning (`plan_peak_kb` is the whole process's peak while planning, the
/// inputs included; `plan_base_kb` its RSS just before).
pub fn measured_plan(shape: Shape) -> (Plan, String) {
    let context = context();

    let start = thread_cpu_ns();
    let inputs = black_box(build(shape));
    let build_ns = thread_cpu_ns() - start;
    let build_peak_kb = status_kb("VmHWM");

    let (plan, plan_ns, plan_base_kb, plan_peak_kb, reset) = measure(|| {
        plan::plan(
            &inputs.desired,
            &inputs.live,
            Some(&inputs.recorded),
            &context,
        )
    });
    let plan = plan.expect("the plan breaks no rule");
    check(&plan, &inputs.expected);
    let mut line = format!(
        "live_users={} desired_users={} steps={} reports={} build_ns={build_ns} \
         build_peak_kb={build_peak_kb} plan_ns={plan_ns} plan_base_kb={plan_base_kb} \
         plan_peak_kb={plan_peak_kb} reset={}",
        inputs.live.users.len(),
        inputs.desired.state.users.len(),
        plan.steps.len(),
        plan.reports.len(),
        u8::from(reset),
    );
    for (kind, count) in &plan.summary {
        let _ = write!(line, " kind_{kind}={count}");
    }
    (plan, line)
}
