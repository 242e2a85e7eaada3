//! How much CPU time and memory the planner takes on a big account, and rendering its plan.
//!
//! Run with `cargo bench --bench plan` (a minute or two). The target: planning 100,000
//! users and 2,000 groups in under 1 s of CPU and under 500 MB of peak memory.
//!
//! The inputs are built as values, not loaded from YAML (`benches/validate.rs` measures that):
//! a desired state and a live account of `users` users (each in one of a few department-wide
//! groups of 10,000+ members at the large size, and in 0–4 of the other groups), 20 custom
//! permission profiles with a handful of settings each, 50 signing groups of up to 50 members,
//! DocuSign IDs on every live object. Live differs from desired as a month of HR changes would:
//! about 1% new hires, 1% leavers (`status: Closed` in the YAML), 2% movers (another profile,
//! another department, another team), 0.5% renamed people or new job titles, 1% unmanaged users
//! in live only (`policy.unmanaged_users: report`), one group renamed through `previously`, one
//! profile setting changed, a signing group member added and one removed. A fixed seed makes
//! every run plan the same accounts.
//!
//! Every figure comes from a fresh process, so that the peak memory is one run's: the benchmark
//! re-executes itself with `PLAN_BENCH_CHILD=<size>/<phase>`; the child builds the inputs,
//! plans (and for a rendering phase renders the plan once), reads its own CPU time and peak RSS
//! around the measured call, and prints one `RESULT` line; the parent runs each (size, phase)
//! several times and prints medians. The crate forbids `unsafe`, so everything is read from
//! `/proc`:
//!
//! - CPU time: the measuring thread's time on a CPU, user plus system, from
//!   `/proc/thread-self/schedstat` (nanoseconds, after a yield brings it up to date; the
//!   planner runs on one thread);
//! - peak memory: `VmHWM` of `/proc/self/status`. After building the inputs (and, for a
//!   rendering phase, after planning) the child resets it by writing `5` to
//!   `/proc/self/clear_refs`, so the peak read after the call is that call's. The whole-process
//!   peak includes the inputs themselves, which a real `plan` holds anyway (with the YAML's
//!   spans and the snapshot's wire records besides); the rise is that peak less the RSS before
//!   the call. Memory freed earlier may be reused without raising RSS, so a rise can read low.
//!
//! The parent also reads `/proc/stat` around each child and reports how busy the machine's
//! other cores were, since other builds may share it. It asserts that each plan holds the
//! expected changes and no breach (so the success path is measured), but not how long it took.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::model::profile_settings::{SETTINGS, SettingKind};
use docusign_gitops::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};
use docusign_gitops::plan::{self, Context, GuardClass, Operation, Plan, RecordedRef, render};

const CHILD_ENV: &str = "PLAN_BENCH_CHILD";
const SEED: u64 = 0x00d0_c051_9a40_0001;
/// Fresh processes per (size, phase).
const RUNS: usize = 5;
/// `getconf CLK_TCK` on Linux: the unit of `/proc/self/stat` and `/proc/stat`.
const TICKS_PER_SECOND: u64 = 100;

/// The target of the issue, for the large size.
const TARGET_CPU_MS: f64 = 1000.0;
const TARGET_PEAK_MB: f64 = 500.0;

#[derive(Clone, Copy)]
struct Shape {
    name: &'static str,
    users: usize,
    groups: usize,
}

const SHAPES: [Shape; 2] = [
    Shape {
        name: "10k",
        users: 10_000,
        groups: 200,
    },
    Shape {
        name: "100k",
        users: 100_000,
        groups: 2_000,
    },
];

/// What a child measures: the plan, or one rendering of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plan,
    Text,
    Json,
    Markdown,
}

const PHASES: [Phase; 4] = [Phase::Plan, Phase::Text, Phase::Json, Phase::Markdown];

impl Phase {
    const fn name(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Text => "text",
            Self::Json => "json",
            Self::Markdown => "markdown",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        PHASES.into_iter().find(|phase| phase.name() == name)
    }
}

// ---------------------------------------------------------------------------------------------
// The accounts
// ---------------------------------------------------------------------------------------------

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
struct Expected {
    new_hires: usize,
    leavers: usize,
    movers: usize,
    renamed: usize,
    unmanaged: usize,
}

struct Inputs {
    desired: Desired,
    live: Account,
    /// What the last apply recorded: the live objects the YAML names, with their IDs.
    recorded: Account,
    expected: Expected,
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

fn build(shape: Shape) -> Inputs {
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
    };
    let recorded = docusign_gitops::apply::managed_objects(&live, &desired.state, None);
    Inputs {
        desired,
        live,
        recorded,
        expected,
    }
}

fn context() -> Context {
    Context {
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
    }
}

/// Fails loudly unless the plan holds the changes the inputs were built with.
fn check(plan: &Plan, expected: &Expected) {
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

// ---------------------------------------------------------------------------------------------
// Reading /proc
// ---------------------------------------------------------------------------------------------

/// The measuring thread's time on a CPU (user + system) in nanoseconds; the process's CPU
/// ticks from `/proc/self/stat` where schedstat is missing.
fn thread_cpu_ns() -> u64 {
    // The kernel brings a running thread's figure up to date only at a scheduler tick (4 ms
    // here) or a switch; yielding makes it account the time so far, to the nanosecond.
    std::thread::yield_now();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| process_cpu_ticks() * (1_000_000_000 / TICKS_PER_SECOND))
}

/// utime + stime of the whole process, in ticks.
fn process_cpu_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name may hold spaces; the fields after it start with the state (field 3).
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .expect("a stat line")
        .1
        .split_whitespace()
        .collect();
    let field = |n: usize| fields[n - 3].parse::<u64>().expect("a number");
    field(14) + field(15)
}

/// A `kB` figure of `/proc/self/status`.
fn status_kb(name: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("`{name}` in /proc/self/status"))
}

/// Resets `VmHWM` to the current RSS; false where the kernel doesn't allow it.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The machine's busy ticks (all CPUs) from `/proc/stat`.
fn machine_busy_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let numbers: Vec<u64> = text
        .lines()
        .next()
        .expect("a cpu line")
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
    numbers.iter().take(8).sum::<u64>() - numbers[3] - numbers[4]
}

// ---------------------------------------------------------------------------------------------
// The child: one measurement
// ---------------------------------------------------------------------------------------------

/// Measures `call`: its CPU time, the RSS before it and the peak during it (reset first).
fn measure<T>(call: impl FnOnce() -> T) -> (T, u64, u64, u64, bool) {
    let reset = reset_peak();
    let base_kb = status_kb("VmRSS");
    let start = thread_cpu_ns();
    let out = black_box(call());
    let cpu_ns = thread_cpu_ns() - start;
    (out, cpu_ns, base_kb, status_kb("VmHWM"), reset)
}

fn child(spec: &str) {
    let (size, phase) = spec.split_once('/').expect("<size>/<phase>");
    let shape = SHAPES
        .into_iter()
        .find(|shape| shape.name == size)
        .expect("a known size");
    let phase = Phase::from_name(phase).expect("a known phase");
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
        "RESULT live_users={} desired_users={} steps={} reports={} build_ns={build_ns} \
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
    if phase != Phase::Plan {
        let (bytes, render_ns, render_base_kb, render_peak_kb, _) = measure(|| {
            let rendered = match phase {
                Phase::Text => render::text(&plan, false),
                Phase::Json => render::json(&plan),
                Phase::Markdown => render::markdown(&plan),
                Phase::Plan => unreachable!(),
            };
            rendered.len()
        });
        let _ = write!(
            line,
            " render_ns={render_ns} render_base_kb={render_base_kb} \
             render_peak_kb={render_peak_kb} bytes={bytes}"
        );
    }
    let _ = write!(line, " process_ticks={}", process_cpu_ticks());
    println!("{line}");
}

// ---------------------------------------------------------------------------------------------
// The parent: runs, medians, tables
// ---------------------------------------------------------------------------------------------

type Figures = BTreeMap<String, u64>;

/// One child's figures, and how many cores the rest of the machine kept busy meanwhile.
fn run_child(shape: Shape, phase: Phase) -> (Figures, f64) {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let busy_before = machine_busy_ticks();
    let start = Instant::now();
    let output = Command::new(exe)
        .env(CHILD_ENV, format!("{}/{}", shape.name, phase.name()))
        .output()
        .expect("run the benchmark's child");
    let wall = start.elapsed();
    let busy = machine_busy_ticks() - busy_before;
    assert!(
        output.status.success(),
        "the {} {} child failed: {}\n{}",
        shape.name,
        phase.name(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let figures: Figures = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .expect("a RESULT line")
        .split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("key=value");
            (key.to_owned(), value.parse().expect("a number"))
        })
        .collect();
    let others = busy.saturating_sub(figures["process_ticks"]);
    let others = as_f64(others) / as_f64(TICKS_PER_SECOND) / wall.as_secs_f64();
    (figures, others)
}

/// The counts, sizes and nanoseconds here are far below 2^53, so the conversion is exact.
#[allow(clippy::cast_precision_loss)]
fn as_f64(n: u64) -> f64 {
    n as f64
}

fn ms(ns: u64) -> f64 {
    as_f64(ns) / 1e6
}

fn mb(kb: u64) -> f64 {
    as_f64(kb) / 1024.0
}

/// Median, minimum and maximum of one figure over the runs.
fn spread(runs: &[Figures], key: &str) -> (u64, u64, u64) {
    let mut values: Vec<u64> = runs.iter().map(|figures| figures[key]).collect();
    values.sort_unstable();
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

fn cpu_cell(runs: &[Figures], key: &str) -> String {
    let (median, min, max) = spread(runs, key);
    format!("{:.1} ({:.1}–{:.1})", ms(median), ms(min), ms(max))
}

/// The whole-process peak during a call and its rise over the RSS before it, both medians.
fn memory_cell(runs: &[Figures], prefix: &str) -> String {
    let (peak, ..) = spread(runs, &format!("{prefix}_peak_kb"));
    let rises: Vec<Figures> = runs
        .iter()
        .map(|figures| {
            let rise = figures[&format!("{prefix}_peak_kb")]
                .saturating_sub(figures[&format!("{prefix}_base_kb")]);
            Figures::from([("rise".to_owned(), rise)])
        })
        .collect();
    let (rise, ..) = spread(&rises, "rise");
    format!("{:.0} (+{:.0})", mb(peak), mb(rise))
}

struct Measured {
    shape: Shape,
    /// Per phase, the figures of each run.
    runs: BTreeMap<&'static str, Vec<Figures>>,
    others: Vec<f64>,
}

fn measure_shape(shape: Shape) -> Measured {
    let mut runs: BTreeMap<&'static str, Vec<Figures>> = BTreeMap::new();
    let mut others = Vec::new();
    // Run-major, so that a burst of load elsewhere spreads over the phases.
    for run in 1..=RUNS {
        for phase in PHASES {
            let (figures, busy) = run_child(shape, phase);
            others.push(busy);
            runs.entry(phase.name()).or_default().push(figures);
        }
        eprintln!("{}: run {run}/{RUNS} done", shape.name);
    }
    Measured {
        shape,
        runs,
        others,
    }
}

fn print_tables(all: &[Measured]) {
    println!();
    println!(
        "CPU time, ms: median (min–max) of {RUNS} fresh processes; user+sys of the measuring \
         thread (/proc/thread-self/schedstat)"
    );
    println!(
        "{:<5} {:>7} {:>7} {:>6} {:>6} {:>7} {:>19} {:>15} {:>15} {:>15} {:>12}",
        "size",
        "desired",
        "live",
        "groups",
        "steps",
        "reports",
        "plan",
        "render text",
        "render json",
        "render md",
        "build inputs"
    );
    for measured in all {
        let plan = &measured.runs["plan"];
        let first = &plan[0];
        println!(
            "{:<5} {:>7} {:>7} {:>6} {:>6} {:>7} {:>19} {:>15} {:>15} {:>15} {:>12}",
            measured.shape.name,
            first["desired_users"],
            first["live_users"],
            measured.shape.groups + 2,
            first["steps"],
            first["reports"],
            cpu_cell(plan, "plan_ns"),
            cpu_cell(&measured.runs["text"], "render_ns"),
            cpu_cell(&measured.runs["json"], "render_ns"),
            cpu_cell(&measured.runs["markdown"], "render_ns"),
            format!("{:.0}", ms(spread(plan, "build_ns").0)),
        );
    }
    println!(
        "users count the integration user, live ones the 1% unmanaged; groups count Everyone and \
         Administrators; reports are the unmanaged users (policy: report)"
    );
    println!();
    println!(
        "Peak RSS, MB (VmHWM, median): whole process, which INCLUDES the inputs (desired and live \
         accounts, held by any real run), and (+ the rise over the RSS just before the call)"
    );
    println!(
        "{:<5} {:>13} {:>12} {:>12} {:>12} {:>12} {:>26}",
        "size",
        "inputs built",
        "plan",
        "render text",
        "render json",
        "render md",
        "output KB text/json/md"
    );
    for measured in all {
        let plan = &measured.runs["plan"];
        let bytes = |phase: &str| {
            let (median, ..) = spread(&measured.runs[phase], "bytes");
            format!("{:.0}", as_f64(median) / 1024.0)
        };
        println!(
            "{:<5} {:>13} {:>12} {:>12} {:>12} {:>12} {:>26}",
            measured.shape.name,
            format!("{:.0}", mb(spread(plan, "build_peak_kb").0)),
            memory_cell(plan, "plan"),
            memory_cell(&measured.runs["text"], "render"),
            memory_cell(&measured.runs["json"], "render"),
            memory_cell(&measured.runs["markdown"], "render"),
            format!("{}/{}/{}", bytes("text"), bytes("json"), bytes("markdown")),
        );
    }
    println!(
        "inputs built: the peak while building them; plan: the peak while planning (the rise is \
         the plan's own working memory); render: the peak while rendering, the plan included. A \
         rendering's rise reads low (often +0): it reuses memory the planner freed, which the \
         allocator keeps; its need is of the order of its output"
    );
    for measured in all {
        let kinds: Vec<String> = measured.runs["plan"][0]
            .iter()
            .filter_map(|(key, count)| Some(format!("{} {count}", key.strip_prefix("kind_")?)))
            .collect();
        println!("{} plan: {}", measured.shape.name, kinds.join(", "));
    }
    let resets = all
        .iter()
        .flat_map(|measured| measured.runs.values().flatten())
        .all(|figures| figures["reset"] == 1);
    if !resets {
        println!(
            "note: /proc/self/clear_refs refused the reset, so a later peak may be an earlier one"
        );
    }
}

fn print_machine(all: &[Measured]) {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut others: Vec<f64> = all
        .iter()
        .flat_map(|measured| measured.others.iter().copied())
        .collect();
    others.sort_by(f64::total_cmp);
    let mean = others.iter().sum::<f64>() / as_f64(u64::try_from(others.len()).unwrap_or(1));
    println!(
        "machine: {cores} cores; besides the benchmark, the rest of the machine kept {mean:.2} \
         cores busy on average during the children (max {:.2})",
        others.last().copied().unwrap_or_default()
    );
}

fn print_verdict(all: &[Measured]) {
    let Some(large) = all.iter().find(|measured| measured.shape.users == 100_000) else {
        return;
    };
    let plan = &large.runs["plan"];
    let cpu = ms(spread(plan, "plan_ns").0);
    let peak = mb(spread(plan, "plan_peak_kb")
        .0
        .max(spread(plan, "build_peak_kb").0));
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "target (100,000 users, 2,000 groups): plan CPU < {TARGET_CPU_MS:.0} ms: {} ({cpu:.0} ms); \
         peak < {TARGET_PEAK_MB:.0} MB: {} ({peak:.0} MB, whole process with the inputs)",
        verdict(cpu < TARGET_CPU_MS),
        verdict(peak < TARGET_PEAK_MB),
    );
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    println!(
        "plan benchmark: {RUNS} fresh processes per size and phase ({}), seed {SEED:#x}",
        PHASES.map(Phase::name).join(", ")
    );
    let all: Vec<Measured> = SHAPES.into_iter().map(measure_shape).collect();
    print_tables(&all);
    print_machine(&all);
    print_verdict(&all);
}
