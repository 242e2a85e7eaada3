//! Property tests of the planner: random but valid triples of a live account, a checked desired
//! state and (most of the time) a recorded state, the managed objects as the last apply left
//! them. Without recorded state (a first apply) the managed objects are the ones the desired
//! state names and nothing is deleted. With it, recorded state pins IDs (an object renamed by
//! hand in DocuSign is still the object the YAML means, and is renamed back) and says what the
//! YAML dropped: those groups, signing groups and profiles are deleted (a dropped profile's
//! holders moved first), and those users closed. Users in neither follow
//! `policy.unmanaged_users`.
//!
//! For every triple: the planner never reports a rule breach (that would be a bug in it); its
//! steps come in rule 5's order; replaying them on the live account leaves every managed object
//! as the YAML says, deletes or closes what the YAML dropped, and leaves every other object as
//! it was (renamed, or out of a deleted group) and every other user as the policy says; and
//! planning again from the account the replay leaves, with the recorded state that apply would
//! write, finds nothing to do. The YAML's `policy.limits` (counts and percents) and the
//! operator's `--allow` are random too: each guard counts what the plan does of its class (as
//! the accounts before and after it show), takes its limit from the policy or the defaults,
//! and refuses the plan exactly when the count is over the limit and the class isn't allowed.
//! And `drift` on the same accounts, with the YAML's random `accepted_drift` entries ending
//! around the day it runs, marks accepted exactly what an entry names until its last day, and
//! hides nothing.
//!
//! The strategies draw small numbers and a builder turns them into accounts, so a failing case
//! shrinks toward few objects and the first names of each pool; proptest prints the built
//! accounts and desired state. Failing cases are not persisted (nothing is written into the
//! repo). `PROPTEST_CASES=N` overrides the number of cases.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{
    AcceptedDrift, DriftObject, Limit, Limits, Policy, UnmanagedUsers,
};
use docusign_gitops::drift::{self, Acceptance, Difference};
use docusign_gitops::model::named::Named as Object;
use docusign_gitops::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};
use docusign_gitops::plan::{self, Context, GuardClass, Plan, simulate};
use docusign_gitops::state::RecordedState;
use jiff::civil::Date;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

/// Cases per property: enough to find shallow bugs, few enough to keep debug runs short.
fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Name pools. Live and desired draw from the same pools, so desired objects sometimes take the
// name of a live object they don't rename (adopting it), in the same or another letter case.
// ---------------------------------------------------------------------------------------------

const PROFILE_NAMES: &[&str] = &[
    "Sales",
    "Legal",
    "Finance",
    "Operations",
    "Support",
    "Managers",
];
const GROUP_NAMES: &[&str] = &[
    "Sales Team",
    "Legal Team",
    "Finance",
    "Operations",
    "Support",
    "Board",
    "Contractors",
    "Partners",
];
const SIGNING_GROUP_NAMES: &[&str] = &["Contracts", "Invoices", "NDAs", "Leases"];
const SETTINGS: &[&str] = &[
    "allowAccountManagement",
    "allowBulkSending",
    "allowEnvelopeSending",
    "allowSignerAttachments",
];
const FIRST_NAMES: &[&str] = &["Ana", "Bo", "Cy", "Di"];
const LAST_NAMES: &[&str] = &["Lima", "Ng", "Ortiz", "Park"];
const TITLES: &[&str] = &["Clerk", "Lawyer", "Director"];
const SIGNING_EMAILS: &[&str] = &["contracts@example.com", "legal@example.com"];
/// Live and new users are `user<n>@example.com` with `n` below this.
const EMAILS: u8 = 48;
const INTEGRATION: &str = "integration@example.com";
const VIEWER: &str = "DocuSign Viewer";
const ADMINISTRATORS: &str = "Administrators";

fn pick<T>(pool: &[T], index: u8) -> &T {
    &pool[usize::from(index) % pool.len()]
}

fn email(index: u8) -> String {
    format!("user{}@example.com", index % EMAILS)
}

/// The name as written, or (one time in three) in lower case.
fn spelled(name: &str, case: u8) -> String {
    if case % 3 == 2 {
        name.to_lowercase()
    } else {
        name.to_owned()
    }
}

fn settings(raw: &[(u8, bool)]) -> BTreeMap<String, String> {
    raw.iter()
        .map(|(key, value)| ((*pick(SETTINGS, *key)).to_owned(), value.to_string()))
        .collect()
}

/// Profiles and groups every account has, which the planner never renames or deletes.
fn builtin(name: &str) -> bool {
    BuiltinProfile::from_name(name).is_some() || BuiltinGroup::from_name(name).is_some()
}

/// What profiles, groups and signing groups share (a name, earlier names and maybe an ID, as
/// `model` reads them), and the same object under another name.
trait Named: Object + Clone {
    fn renamed(&self, name: &str) -> Self;
}

macro_rules! renamed {
    ($($kind:ty),*) => {$(
        impl Named for $kind {
            fn renamed(&self, name: &str) -> Self {
                Self {
                    name: name.to_owned(),
                    ..self.clone()
                }
            }
        }
    )*};
}
renamed!(PermissionProfile, Group, SigningGroup);

// ---------------------------------------------------------------------------------------------
// The live account.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct LiveUserSpec {
    email: u8,
    first: u8,
    last: u8,
    title: Option<u8>,
    status: u8,
    profile: u8,
    groups: Vec<u8>,
    /// `isManagedByScim`, `isMembershipManagedByScim`.
    scim: (bool, bool),
}

#[derive(Clone, Debug)]
struct LiveSigningSpec {
    name: u8,
    email: Option<u8>,
    members: Vec<(u8, u8)>,
}

#[derive(Clone, Debug)]
struct LiveSpec {
    /// Spell the built-in profiles "Docusign …", as the API has since the 2024 rebrand.
    rebranded: bool,
    profiles: Vec<(u8, Vec<(u8, bool)>)>,
    groups: Vec<(u8, Option<u8>)>,
    users: Vec<LiveUserSpec>,
    signing_groups: Vec<LiveSigningSpec>,
    integration_groups: Vec<u8>,
}

fn live_user_spec() -> impl Strategy<Value = LiveUserSpec> {
    (
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            option::of(any::<u8>()),
        ),
        (
            any::<u8>(),
            any::<u8>(),
            vec(any::<u8>(), 0..=3),
            (prop::bool::weighted(0.1), prop::bool::weighted(0.1)),
        ),
    )
        .prop_map(
            |((email, first, last, title), (status, profile, groups, scim))| LiveUserSpec {
                email,
                first,
                last,
                title,
                status,
                profile,
                groups,
                scim,
            },
        )
}

fn live_spec() -> impl Strategy<Value = LiveSpec> {
    (
        any::<bool>(),
        vec(
            (any::<u8>(), vec((any::<u8>(), any::<bool>()), 0..=3)),
            0..=4,
        ),
        vec((any::<u8>(), option::of(any::<u8>())), 0..=6),
        vec(live_user_spec(), 0..=40),
        vec(
            (
                any::<u8>(),
                option::of(any::<u8>()),
                vec((any::<u8>(), any::<u8>()), 0..=4),
            )
                .prop_map(|(name, email, members)| LiveSigningSpec {
                    name,
                    email,
                    members,
                }),
            0..=3,
        ),
        vec(any::<u8>(), 0..=2),
    )
        .prop_map(
            |(rebranded, profiles, groups, users, signing_groups, integration_groups)| LiveSpec {
                rebranded,
                profiles,
                groups,
                users,
                signing_groups,
                integration_groups,
            },
        )
}

fn builtin_name(profile: BuiltinProfile, rebranded: bool) -> String {
    if rebranded {
        profile.api_name().replace("DocuSign", "Docusign")
    } else {
        profile.api_name().to_owned()
    }
}

fn profile(
    name: &str,
    settings: BTreeMap<String, String>,
    id: Option<String>,
) -> PermissionProfile {
    PermissionProfile {
        id,
        name: name.to_owned(),
        settings,
        previously: Vec::new(),
    }
}

fn group(name: &str, profile: Option<String>, id: Option<String>) -> Group {
    Group {
        id,
        name: name.to_owned(),
        permission_profile: profile,
        previously: Vec::new(),
    }
}

fn live_status(raw: u8) -> UserStatus {
    match raw % 6 {
        0..=2 => UserStatus::Active,
        3 => UserStatus::Pending,
        4 => UserStatus::Closed,
        _ => UserStatus::Disabled,
    }
}

fn build_live(spec: &LiveSpec) -> Account {
    let mut live = Account::default();
    for builtin in BuiltinProfile::ALL {
        let name = builtin_name(builtin, spec.rebranded);
        let id = Some(format!("p-{}", NameKey::new(&name)));
        live.permission_profiles
            .insert(NameKey::new(&name), profile(&name, BTreeMap::new(), id));
    }
    for (name, raw) in &spec.profiles {
        let name = *pick(PROFILE_NAMES, *name);
        let id = Some(format!("p-{}", NameKey::new(name)));
        live.permission_profiles
            .entry(NameKey::new(name))
            .or_insert_with(|| profile(name, settings(raw), id));
    }
    let profile_names: Vec<String> = live
        .permission_profiles
        .values()
        .map(|profile| profile.name.clone())
        .collect();
    for builtin in BuiltinGroup::ALL {
        let name = builtin.api_name();
        let id = Some(format!("g-{}", NameKey::new(name)));
        live.groups
            .insert(NameKey::new(name), group(name, None, id));
    }
    for (name, carried) in &spec.groups {
        let name = *pick(GROUP_NAMES, *name);
        let carried = carried.map(|index| pick(&profile_names, index).clone());
        let id = Some(format!("g-{}", NameKey::new(name)));
        live.groups
            .entry(NameKey::new(name))
            .or_insert_with(|| group(name, carried, id));
    }
    // Users list their groups besides Everyone.
    let group_names: Vec<String> = live
        .groups
        .values()
        .filter(|group| BuiltinGroup::from_name(&group.name) != Some(BuiltinGroup::Everyone))
        .map(|group| group.name.clone())
        .collect();
    for spec in &spec.users {
        let email = email(spec.email);
        let id = Some(format!("u-{}", spec.email % EMAILS));
        live.users
            .entry(EmailKey::new(&email))
            .or_insert_with(|| User {
                id,
                email: email.clone(),
                first_name: (*pick(FIRST_NAMES, spec.first)).to_owned(),
                last_name: (*pick(LAST_NAMES, spec.last)).to_owned(),
                job_title: spec.title.map(|title| (*pick(TITLES, title)).to_owned()),
                permission_profile: pick(&profile_names, spec.profile).clone(),
                groups: spec
                    .groups
                    .iter()
                    .map(|index| pick(&group_names, *index).clone())
                    .collect(),
                status: live_status(spec.status),
                managed_by_scim: spec.scim.0,
                membership_managed_by_scim: spec.scim.1,
            });
    }
    let mut integration_groups: BTreeSet<String> = spec
        .integration_groups
        .iter()
        .map(|index| pick(&group_names, *index).clone())
        .collect();
    integration_groups.insert(ADMINISTRATORS.to_owned());
    live.users.insert(
        EmailKey::new(INTEGRATION),
        User {
            id: Some("u-integration".to_owned()),
            email: INTEGRATION.to_owned(),
            first_name: "Integration".to_owned(),
            last_name: "Bot".to_owned(),
            job_title: None,
            permission_profile: builtin_name(BuiltinProfile::AccountAdministrator, spec.rebranded),
            groups: integration_groups,
            status: UserStatus::Active,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        },
    );
    for spec in &spec.signing_groups {
        let name = *pick(SIGNING_GROUP_NAMES, spec.name);
        let members = members(&spec.members);
        live.signing_groups
            .entry(NameKey::new(name))
            .or_insert_with(|| SigningGroup {
                id: Some(format!("s-{}", NameKey::new(name))),
                name: name.to_owned(),
                email: spec
                    .email
                    .map(|index| (*pick(SIGNING_EMAILS, index)).to_owned()),
                members,
                previously: Vec::new(),
            });
    }
    live
}

fn members(raw: &[(u8, u8)]) -> BTreeMap<EmailKey, SigningGroupMember> {
    let mut members = BTreeMap::new();
    for (address, name) in raw {
        let address = email(*address);
        members
            .entry(EmailKey::new(&address))
            .or_insert_with(|| SigningGroupMember {
                name: (*pick(FIRST_NAMES, *name)).to_owned(),
                email: address,
            });
    }
    members
}

// ---------------------------------------------------------------------------------------------
// The desired state, built as validation would leave it: no built-in profile or group declared,
// names unique whatever their case, a previous name never also a current one nor claimed twice,
// references only to declared profiles, built-in profiles (by their API names), declared
// groups and Administrators.
// ---------------------------------------------------------------------------------------------

/// A desired profile, group or signing group: a live one (kept, re-cased or renamed) or a new one.
#[derive(Clone, Debug)]
struct NamedSpec {
    live: Option<u8>,
    name: u8,
    rename: bool,
    case: u8,
    /// One more earlier name from the pool, which live may or may not have.
    also: Option<u8>,
}

#[derive(Clone, Debug)]
struct DesiredUserSpec {
    live: Option<u8>,
    email: u8,
    capitalised: bool,
    /// Bits: keep the live names, title, profile, groups.
    keep: u8,
    first: u8,
    last: u8,
    title: Option<u8>,
    profile: u8,
    groups: Vec<u8>,
    closed: bool,
}

/// A desired signing group: which, its email, and its members (email, name).
type DesiredSigningSpec = (NamedSpec, Option<u8>, Vec<(u8, u8)>);

#[derive(Clone, Debug)]
struct DesiredSpec {
    /// Each with its settings.
    profiles: Vec<(NamedSpec, Vec<(u8, bool)>)>,
    /// Each with the profile it carries.
    groups: Vec<(NamedSpec, Option<u8>)>,
    signing_groups: Vec<DesiredSigningSpec>,
    users: Vec<DesiredUserSpec>,
    /// Name the integration user (exactly as it is live); `true` leaves its job title unsaid.
    integration: Option<bool>,
    protected: Option<u8>,
    policy: u8,
    default_profile: Option<u8>,
    /// `policy.limits`: user closures, membership removals, admin grants.
    limits: [Option<LimitSpec>; 3],
    accepted: Vec<AcceptedSpec>,
}

/// A `policy.limits` entry: a count, or a percent in steps of 2.5 (`Percent(3)` is 7.5%), so
/// that the share of an account of a few dozen users is often a fraction to round down.
#[derive(Clone, Copy, Debug)]
enum LimitSpec {
    Count(u8),
    Percent(u8),
}

/// A `policy.accepted_drift` entry: which kind, which name of the kind's pool, ending how many
/// days from [`TODAY`]. (Entries name objects by key, so letter case can't matter.)
#[derive(Clone, Debug)]
struct AcceptedSpec {
    kind: u8,
    name: u8,
    days: i8,
}

fn named_spec() -> impl Strategy<Value = NamedSpec> {
    (
        option::weighted(0.7, any::<u8>()),
        any::<u8>(),
        prop::bool::weighted(0.3),
        any::<u8>(),
        option::weighted(0.15, any::<u8>()),
    )
        .prop_map(|(live, name, rename, case, also)| NamedSpec {
            live,
            name,
            rename,
            case,
            also,
        })
}

fn desired_user_spec() -> impl Strategy<Value = DesiredUserSpec> {
    (
        (
            option::weighted(0.7, any::<u8>()),
            any::<u8>(),
            prop::bool::weighted(0.2),
            any::<u8>(),
        ),
        (
            any::<u8>(),
            any::<u8>(),
            option::of(any::<u8>()),
            any::<u8>(),
        ),
        (vec(any::<u8>(), 0..=3), prop::bool::weighted(0.15)),
    )
        .prop_map(
            |(
                (live, email, capitalised, keep),
                (first, last, title, profile),
                (groups, closed),
            )| {
                DesiredUserSpec {
                    live,
                    email,
                    capitalised,
                    keep,
                    first,
                    last,
                    title,
                    profile,
                    groups,
                    closed,
                }
            },
        )
}

fn desired_spec() -> impl Strategy<Value = DesiredSpec> {
    (
        vec(
            (named_spec(), vec((any::<u8>(), any::<bool>()), 0..=3)),
            0..=4,
        ),
        vec((named_spec(), option::of(any::<u8>())), 0..=5),
        vec(
            (
                named_spec(),
                option::of(any::<u8>()),
                vec((any::<u8>(), any::<u8>()), 0..=4),
            ),
            0..=3,
        ),
        vec(desired_user_spec(), 0..=30),
        (
            option::of(any::<bool>()),
            option::of(any::<u8>()),
            any::<u8>(),
            option::of(any::<u8>()),
        ),
        [limit_spec(), limit_spec(), limit_spec()],
        vec(accepted_spec(), 0..=4),
    )
        .prop_map(
            |(
                profiles,
                groups,
                signing_groups,
                users,
                (integration, protected, policy, default),
                limits,
                accepted,
            )| {
                DesiredSpec {
                    profiles,
                    groups,
                    signing_groups,
                    users,
                    integration,
                    protected,
                    policy,
                    default_profile: default,
                    limits,
                    accepted,
                }
            },
        )
}

fn limit_spec() -> impl Strategy<Value = Option<LimitSpec>> {
    option::weighted(
        0.6,
        prop_oneof![
            (0_u8..=15).prop_map(LimitSpec::Count),
            (0_u8..=40).prop_map(LimitSpec::Percent),
        ],
    )
}

fn accepted_spec() -> impl Strategy<Value = AcceptedSpec> {
    (any::<u8>(), any::<u8>(), -2_i8..=2).prop_map(|(kind, name, days)| AcceptedSpec {
        kind,
        name,
        days,
    })
}

/// The name a desired object takes and its `previously`, before the validity filter.
fn resolve_named(spec: &NamedSpec, live_names: &[String], pool: &[&str]) -> (String, Vec<String>) {
    let new_name = *pick(pool, spec.name);
    let (name, mut previously) = match spec.live.filter(|_| !live_names.is_empty()) {
        Some(index) => {
            let old = pick(live_names, index);
            if spec.rename {
                (new_name.to_owned(), vec![old.clone()])
            } else {
                (spelled(old, spec.case), Vec::new())
            }
        }
        None => (spelled(new_name, spec.case), Vec::new()),
    };
    previously.extend(spec.also.map(|index| (*pick(pool, index)).to_owned()));
    (name, previously)
}

/// Keeps what validation accepts: the first declaration of each name, and previous names that
/// are no current name and are claimed once.
fn declare<T>(entries: Vec<(String, Vec<String>, T)>) -> Vec<(String, Vec<String>, T)> {
    let mut declared = BTreeSet::new();
    let mut kept: Vec<_> = entries
        .into_iter()
        .filter(|(name, _, _)| declared.insert(NameKey::new(name)))
        .collect();
    let mut claimed = BTreeSet::new();
    for (_, previously, _) in &mut kept {
        previously.retain(|old| {
            let key = NameKey::new(old);
            !declared.contains(&key) && claimed.insert(key)
        });
    }
    kept
}

/// How the planner pairs one kind of desired objects with live ones, and what it deletes.
#[derive(Debug, Default)]
struct Matching {
    /// Live key → the desired name of the object that stands for it.
    adopted: HashMap<NameKey, String>,
    /// Live keys of the objects recorded state managed and the YAML dropped.
    dropped: BTreeSet<NameKey>,
}

/// A live object stands for one desired object at most. Desired objects take, in rounds, the
/// live object with their name; then the one recorded state pinned by ID under their name (or
/// an earlier name); then one with an earlier name, each round from what is left. Recorded
/// objects that no desired object names (now or earlier), and whose live object stands for no
/// desired object, are dropped; built-in ones never.
fn matching<T: Named>(
    live: &BTreeMap<NameKey, T>,
    desired: &BTreeMap<NameKey, T>,
    recorded: Option<&BTreeMap<NameKey, T>>,
) -> Matching {
    let by_id: HashMap<&str, &NameKey> = live
        .iter()
        .filter_map(|(key, object)| object.id().map(|id| (id, key)))
        .collect();
    let names = |want: &T| -> Vec<NameKey> {
        std::iter::once(want.name())
            .chain(want.previously().iter().map(String::as_str))
            .map(NameKey::new)
            .collect()
    };
    let by_name = |want: &T| Some(NameKey::new(want.name())).filter(|key| live.contains_key(key));
    // The live object with the ID of the first of its names recorded state knows with an ID.
    let pinned = |want: &T| {
        let id = names(want)
            .iter()
            .find_map(|key| recorded?.get(key)?.id())?;
        by_id.get(id).map(|key| (*key).clone())
    };
    let mut adopted: HashMap<NameKey, String> = HashMap::new();
    let mut unmatched: Vec<&T> = desired.values().collect();
    for round in 0..3 {
        unmatched.retain(|want| {
            let found = match round {
                0 => by_name(want),
                1 => pinned(want),
                _ => names(want)[1..]
                    .iter()
                    .find(|key| live.contains_key(*key) && !adopted.contains_key(*key))
                    .cloned(),
            };
            match found.filter(|key| !adopted.contains_key(key)) {
                Some(key) => {
                    adopted.insert(key, want.name().to_owned());
                    false
                }
                None => true,
            }
        });
    }
    let mut dropped = BTreeSet::new();
    if let Some(recorded) = recorded {
        let earlier: BTreeSet<NameKey> = desired
            .values()
            .flat_map(|want| want.previously().iter().map(|old| NameKey::new(old)))
            .collect();
        for (key, object) in recorded {
            if desired.contains_key(key) || earlier.contains(key) {
                continue;
            }
            let found = object
                .id()
                .and_then(|id| by_id.get(id).copied())
                .or_else(|| Some(key).filter(|key| live.contains_key(*key)));
            if let Some(found) = found
                && !adopted.contains_key(found)
                && !builtin(live[found].name())
            {
                dropped.insert(found.clone());
            }
        }
    }
    Matching { adopted, dropped }
}

/// For every kind, the live objects the desired state adopts (renamed to its names) and the
/// ones the plan deletes.
#[derive(Debug, Default)]
struct Adoptions {
    profiles: Matching,
    groups: Matching,
    signing_groups: Matching,
}

impl Adoptions {
    fn of(desired: &Account, live: &Account, recorded: Option<&Account>) -> Self {
        Self {
            profiles: matching(
                &live.permission_profiles,
                &desired.permission_profiles,
                recorded.map(|recorded| &recorded.permission_profiles),
            ),
            groups: matching(
                &live.groups,
                &desired.groups,
                recorded.map(|recorded| &recorded.groups),
            ),
            signing_groups: matching(
                &live.signing_groups,
                &desired.signing_groups,
                recorded.map(|recorded| &recorded.signing_groups),
            ),
        }
    }

    fn profile(&self, name: &str) -> String {
        renamed(&self.profiles, name)
    }

    fn group(&self, name: &str) -> String {
        renamed(&self.groups, name)
    }

    /// A live user's group keys once the plan's renames and deletes are done.
    fn group_keys(&self, user: &User) -> BTreeSet<NameKey> {
        user.groups
            .iter()
            .filter(|name| !self.groups.dropped.contains(&NameKey::new(name)))
            .map(|name| NameKey::new(&self.group(name)))
            .collect()
    }
}

/// A live object's name once the plan's renames are done.
fn renamed(matching: &Matching, name: &str) -> String {
    matching
        .adopted
        .get(&NameKey::new(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// One generated case: the accounts and what the planner is told.
#[derive(Clone, Debug)]
struct Case {
    live: Account,
    desired: Desired,
    /// `None` before the first apply.
    recorded: Option<Account>,
    integration_user: String,
    /// `--allow`.
    allowed: Vec<GuardClass>,
}

/// The names of live objects that are not built in.
fn custom_names<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    names
        .filter(|name| {
            BuiltinProfile::from_name(name).is_none() && BuiltinGroup::from_name(name).is_none()
        })
        .cloned()
        .collect()
}

fn declare_profiles(spec: &DesiredSpec, live: &Account, state: &mut Account) {
    let live_names = custom_names(
        live.permission_profiles
            .values()
            .map(|profile| &profile.name),
    );
    let profiles = spec
        .profiles
        .iter()
        .map(|(named, raw)| {
            let (name, previously) = resolve_named(named, &live_names, PROFILE_NAMES);
            (name, previously, settings(raw))
        })
        .collect();
    for (name, previously, settings) in declare(profiles) {
        state.permission_profiles.insert(
            NameKey::new(&name),
            PermissionProfile {
                id: None,
                name,
                settings,
                previously,
            },
        );
    }
}

/// Groups, after profiles: `referable` are the profiles a group may carry.
fn declare_groups(spec: &DesiredSpec, live: &Account, referable: &[String], state: &mut Account) {
    let live_names = custom_names(live.groups.values().map(|group| &group.name));
    let groups = spec
        .groups
        .iter()
        .map(|(named, carried)| {
            let (name, previously) = resolve_named(named, &live_names, GROUP_NAMES);
            let carried = carried.map(|index| pick(referable, index).clone());
            (name, previously, carried)
        })
        .collect();
    for (name, previously, carried) in declare(groups) {
        state.groups.insert(
            NameKey::new(&name),
            Group {
                id: None,
                name,
                permission_profile: carried,
                previously,
            },
        );
    }
    let live_names = custom_names(live.signing_groups.values().map(|group| &group.name));
    let signing_groups = spec
        .signing_groups
        .iter()
        .map(|(named, address, raw)| {
            let (name, previously) = resolve_named(named, &live_names, SIGNING_GROUP_NAMES);
            (name, previously, (address, raw))
        })
        .collect();
    for (name, previously, (address, raw)) in declare(signing_groups) {
        state.signing_groups.insert(
            NameKey::new(&name),
            SigningGroup {
                id: None,
                name,
                email: address.map(|index| (*pick(SIGNING_EMAILS, index)).to_owned()),
                members: members(raw),
                previously,
            },
        );
    }
}

impl LimitSpec {
    fn limit(self) -> Limit {
        match self {
            Self::Count(count) => Limit::Count(u64::from(count)),
            Self::Percent(steps) => Limit::Percent(f64::from(steps) * 2.5),
        }
    }
}

/// The day `drift` is asked about: accepted-drift entries end around it.
const TODAY: Date = jiff::civil::date(2026, 6, 15);

impl AcceptedSpec {
    /// Names come from the pools every account draws from, so an entry often names an object
    /// that differs, sometimes by a name it had before, and sometimes nothing at all.
    fn entry(&self, index: usize) -> AcceptedDrift {
        let name = |pool: &[&str]| NameKey::new(pick::<&str>(pool, self.name));
        let object = match self.kind % 4 {
            0 => DriftObject::User(EmailKey::new(&email(self.name))),
            1 => DriftObject::Group(name(GROUP_NAMES)),
            2 => DriftObject::PermissionProfile(name(PROFILE_NAMES)),
            _ => DriftObject::SigningGroup(name(SIGNING_GROUP_NAMES)),
        };
        AcceptedDrift {
            object,
            reason: format!("accepted #{index}"),
            until: TODAY
                .checked_add(jiff::Span::new().days(i64::from(self.days)))
                .expect("a date near today"),
        }
    }
}

fn policy(spec: &DesiredSpec, live: &Account) -> Policy {
    let [user_closures, membership_removals, admin_grants] =
        spec.limits.map(|limit| limit.map(LimitSpec::limit));
    let mut policy = Policy {
        limits: Limits {
            user_closures,
            membership_removals,
            admin_grants,
            written_at: std::collections::BTreeMap::new(),
        },
        accepted_drift: spec
            .accepted
            .iter()
            .enumerate()
            .map(|(index, accepted)| accepted.entry(index))
            .collect(),
        unmanaged_users: *pick(
            &[
                UnmanagedUsers::Ignore,
                UnmanagedUsers::Report,
                UnmanagedUsers::Reset,
                UnmanagedUsers::Close,
            ],
            spec.policy,
        ),
        ..Policy::default()
    };
    let candidates = candidates(live);
    if let Some(index) = spec.protected.filter(|_| !candidates.is_empty()) {
        policy
            .protected_users
            .insert(EmailKey::new(&pick(&candidates, index).email));
    }
    policy
}

/// The live users a desired one may stand for: all but the integration user.
fn candidates(live: &Account) -> Vec<&User> {
    live.users
        .values()
        .filter(|user| EmailKey::new(&user.email) != EmailKey::new(INTEGRATION))
        .collect()
}

fn build_desired(spec: &DesiredSpec, live: &Account) -> Desired {
    let mut state = Account::default();
    declare_profiles(spec, live, &mut state);
    // Desired state refers to built-in profiles by their API names, whatever live spells.
    let declared_profiles: Vec<String> = state
        .permission_profiles
        .values()
        .map(|profile| profile.name.clone())
        .collect();
    let referable: Vec<String> = declared_profiles
        .iter()
        .cloned()
        .chain(BuiltinProfile::ALL.map(|builtin| builtin.api_name().to_owned()))
        .collect();
    declare_groups(spec, live, &referable, &mut state);
    let adoptions = Adoptions::of(&state, live, None);
    add_users(spec, live, &adoptions, &referable, &mut state);
    let default_profile = spec
        .default_profile
        .filter(|_| !declared_profiles.is_empty())
        .map_or_else(
            || VIEWER.to_owned(),
            |index| pick(&declared_profiles, index).clone(),
        );
    Desired {
        account: None,
        default_profile,
        policy: policy(spec, live),
        state,
        generated: BTreeMap::new(),
        leavers_left_out: false,
    }
}

/// The managed groups' desired names: the declared groups and Administrators.
fn managed_group_names(state: &Account) -> Vec<String> {
    state
        .groups
        .values()
        .map(|group| group.name.clone())
        .chain(std::iter::once(ADMINISTRATORS.to_owned()))
        .collect()
}

/// A live user's groups as desired state can name them: renamed, and only the managed ones.
fn kept_groups(user: &User, state: &Account, adoptions: &Adoptions) -> BTreeSet<String> {
    user.groups
        .iter()
        .filter_map(|name| {
            if BuiltinGroup::from_name(name) == Some(BuiltinGroup::Administrators) {
                return Some(ADMINISTRATORS.to_owned());
            }
            state
                .groups
                .get(&NameKey::new(&adoptions.group(name)))
                .map(|group| group.name.clone())
        })
        .collect()
}

/// A live user's profile as desired state can name it, if it can.
fn kept_profile(user: &User, state: &Account, adoptions: &Adoptions) -> Option<String> {
    if let Some(builtin) = BuiltinProfile::from_name(&user.permission_profile) {
        return Some(builtin.api_name().to_owned());
    }
    state
        .permission_profiles
        .get(&NameKey::new(&adoptions.profile(&user.permission_profile)))
        .map(|profile| profile.name.clone())
}

fn add_users(
    spec: &DesiredSpec,
    live: &Account,
    adoptions: &Adoptions,
    referable: &[String],
    state: &mut Account,
) {
    let managed = managed_group_names(state);
    let candidates = candidates(live);
    let mut users = BTreeMap::new();
    for spec in &spec.users {
        let base = spec
            .live
            .filter(|_| !candidates.is_empty())
            .map(|index| *pick(&candidates, index));
        let mut address = base.map_or_else(|| email(spec.email), |user| user.email.clone());
        if spec.capitalised {
            address = address[..1].to_uppercase() + &address[1..];
        }
        let keep = |bit: u8| base.filter(|_| spec.keep & (1 << bit) != 0);
        let (first_name, last_name) = keep(0).map_or_else(
            || {
                (
                    (*pick(FIRST_NAMES, spec.first)).to_owned(),
                    (*pick(LAST_NAMES, spec.last)).to_owned(),
                )
            },
            |user| (user.first_name.clone(), user.last_name.clone()),
        );
        let job_title = keep(1).map_or_else(
            || spec.title.map(|title| (*pick(TITLES, title)).to_owned()),
            |user| user.job_title.clone(),
        );
        let permission_profile = keep(2)
            .and_then(|user| kept_profile(user, state, adoptions))
            .unwrap_or_else(|| pick(referable, spec.profile).clone());
        let groups = keep(3).map_or_else(
            || {
                let mut seen = BTreeSet::new();
                spec.groups
                    .iter()
                    .map(|index| pick(&managed, *index).clone())
                    .filter(|name| seen.insert(NameKey::new(name)))
                    .collect()
            },
            |user| kept_groups(user, state, adoptions),
        );
        users.entry(EmailKey::new(&address)).or_insert(User {
            id: None,
            email: address,
            first_name,
            last_name,
            job_title,
            permission_profile,
            groups,
            status: if spec.closed {
                UserStatus::Closed
            } else {
                UserStatus::Active
            },
            managed_by_scim: false,
            membership_managed_by_scim: false,
        });
    }
    if let Some(title_unsaid) = spec.integration {
        let integration = &live.users[&EmailKey::new(INTEGRATION)];
        users.insert(
            EmailKey::new(INTEGRATION),
            User {
                id: None,
                job_title: if title_unsaid {
                    None
                } else {
                    integration.job_title.clone()
                },
                permission_profile: BuiltinProfile::AccountAdministrator.api_name().to_owned(),
                groups: kept_groups(integration, state, adoptions),
                managed_by_scim: false,
                membership_managed_by_scim: false,
                ..integration.clone()
            },
        );
    }
    state.users = users;
}

// ---------------------------------------------------------------------------------------------
// Recorded state: a subset of the live account's objects, as the last apply left them (copies
// of the live objects, with their IDs). Some the YAML still declares, some it has since dropped;
// some were renamed by hand in DocuSign since, so recorded state knows them by another name:
// often one the YAML declares (the planner must rename the object back, not create another),
// else one nobody declares (the object was dropped and is deleted under its live name).
// ---------------------------------------------------------------------------------------------

/// Which live object, and the name it is recorded under: one time in three another name.
type RecordedPick = (u8, u8);

#[derive(Clone, Debug)]
struct RecordedSpec {
    profiles: Vec<RecordedPick>,
    groups: Vec<RecordedPick>,
    signing_groups: Vec<RecordedPick>,
    /// Live users, the integration user among them.
    users: Vec<u8>,
    /// Record the built-in profiles and groups too, as an apply that pinned them by ID would.
    builtins: bool,
}

fn recorded_spec() -> impl Strategy<Value = RecordedSpec> {
    let picks = |most| vec((any::<u8>(), any::<u8>()), 0..=most);
    (
        picks(4),
        picks(5),
        picks(3),
        vec(any::<u8>(), 0..=16),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(profiles, groups, signing_groups, users, builtins)| RecordedSpec {
                profiles,
                groups,
                signing_groups,
                users,
                builtins,
            },
        )
}

/// Copies of the picked live objects under their recorded names.
fn record<T: Named>(
    picks: &[RecordedPick],
    builtins: bool,
    live: &BTreeMap<NameKey, T>,
    desired: &BTreeMap<NameKey, T>,
    pool: &[&str],
) -> BTreeMap<NameKey, T> {
    let custom: Vec<&T> = live
        .values()
        .filter(|object| !builtin(object.name()))
        .collect();
    // Names a hand-renamed object may be recorded under: the YAML's names live lacks first,
    // so that the rename back happens often; else the pool's names live lacks.
    let declared: Vec<&str> = desired
        .values()
        .map(Object::name)
        .filter(|name| !live.contains_key(&NameKey::new(name)))
        .collect();
    let spare: Vec<&str> = pool
        .iter()
        .copied()
        .filter(|name| !live.contains_key(&NameKey::new(name)))
        .collect();
    let mut recorded = BTreeMap::new();
    for (index, how) in picks {
        if custom.is_empty() {
            break;
        }
        let object = *pick(&custom, *index);
        let name = match (how % 3, declared.is_empty(), spare.is_empty()) {
            (0, false, _) => *pick(&declared, how / 3),
            (0, true, false) => *pick(&spare, how / 3),
            _ => object.name(),
        };
        // One entry per live object and per name.
        if recorded.values().any(|entry: &T| entry.id() == object.id()) {
            continue;
        }
        recorded
            .entry(NameKey::new(name))
            .or_insert_with(|| object.renamed(name));
    }
    if builtins {
        for object in live.values().filter(|object| builtin(object.name())) {
            recorded.insert(NameKey::new(object.name()), object.clone());
        }
    }
    recorded
}

fn build_recorded(spec: &RecordedSpec, live: &Account, desired: &Account) -> Account {
    let users: Vec<&User> = live.users.values().collect();
    Account {
        permission_profiles: record(
            &spec.profiles,
            spec.builtins,
            &live.permission_profiles,
            &desired.permission_profiles,
            PROFILE_NAMES,
        ),
        groups: record(
            &spec.groups,
            spec.builtins,
            &live.groups,
            &desired.groups,
            GROUP_NAMES,
        ),
        signing_groups: record(
            &spec.signing_groups,
            false,
            &live.signing_groups,
            &desired.signing_groups,
            SIGNING_GROUP_NAMES,
        ),
        users: spec
            .users
            .iter()
            .map(|index| {
                let user = *pick(&users, *index);
                (EmailKey::new(&user.email), user.clone())
            })
            .collect(),
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        live_spec(),
        desired_spec(),
        option::weighted(0.8, recorded_spec()),
        any::<bool>(),
        [
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.2),
        ],
    )
        .prop_map(|(live, desired, recorded, capitalised, allow)| {
            let live = build_live(&live);
            let desired = build_desired(&desired, &live);
            let recorded = recorded.map(|spec| build_recorded(&spec, &live, &desired.state));
            // The token's user may come back from userinfo in another letter case.
            let integration_user = if capitalised {
                "Integration@Example.com".to_owned()
            } else {
                INTEGRATION.to_owned()
            };
            let allowed = GuardClass::ALL
                .into_iter()
                .zip(allow)
                .filter_map(|(class, allowed)| allowed.then_some(class))
                .collect();
            Case {
                live,
                desired,
                recorded,
                integration_user,
                allowed,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// Planning and replaying.
// ---------------------------------------------------------------------------------------------

fn context(case: &Case) -> Context {
    Context {
        integration_user: Some(case.integration_user.clone()),
        allowed: case.allowed.clone(),
        ..Context::default()
    }
}

/// The plan's steps, one a line, for failure messages.
fn steps(plan: &Plan) -> String {
    plan.steps
        .iter()
        .enumerate()
        .fold(String::new(), |mut out, (index, step)| {
            let _ = writeln!(out, "  {}. {:?}", index + 1, step.operation);
            out
        })
}

/// Property 1: planning succeeds. The planner replays its plan on the live account, checking
/// rules 1–4 at every step; a breach means it wrote a plan that breaks one: a bug in it. The
/// one refusal allowed is rule 12 (a join that could hand someone a profile that administers
/// the account, which the YAML doesn't give them), and only when the YAML asks for such a
/// join: then there is no plan (`None`) to check further.
fn plan_of(case: &Case) -> Result<Option<Plan>, TestCaseError> {
    match plan::plan(
        &case.desired,
        &case.live,
        case.recorded.as_ref(),
        &context(case),
    ) {
        Ok(plan) => Ok(Some(plan)),
        Err(breach) if breach.is_refusal() && asks_for_an_admin_join(case) => Ok(None),
        Err(breach) => Err(TestCaseError::fail(format!(
            "the planner broke a rule: {breach}"
        ))),
    }
}

/// Whether the YAML puts a user in a group that carries another profile than the user's: the
/// only case where a join can hand someone a profile. (Whether that profile can administer
/// the account depends on how the planner matched it to the live one — renamed, adopted, by
/// `previously` — which is the planner's business and `replay`'s unit tests'.)
fn asks_for_an_admin_join(case: &Case) -> bool {
    let desired = &case.desired.state;
    desired.users.values().any(|user| {
        user.groups.iter().any(|group| {
            desired
                .groups
                .get(&NameKey::new(group))
                .or_else(|| case.live.groups.get(&NameKey::new(group)))
                .and_then(|found| found.permission_profile.as_deref())
                .is_some_and(|carried| {
                    NameKey::new(carried) != NameKey::new(&user.permission_profile)
                })
        })
    })
}

/// The account the plan leaves: its operations done, in order, to a copy of the live account.
/// Done with [`simulate::apply`] alone: `plan::plan` already replayed these very operations on
/// this very account under the same rules, and refuses a plan that breaks one, so once
/// [`plan_of`] succeeded a checked replay here could only agree with it.
fn replayed(case: &Case, plan: &Plan) -> Account {
    let mut account = case.live.clone();
    for step in &plan.steps {
        simulate::apply(&mut account, &step.operation);
    }
    account
}

/// The recorded state an apply of the plan writes: the objects the desired state names, as the
/// replay left them, with their IDs (`None` for the ones the plan created), and the users it
/// managed that are still open (a user the YAML dropped that the plan could not close, since
/// an identity provider owns its status, stays managed).
fn recorded_after(desired: &Account, recorded: Option<&Account>, after: &Account) -> Account {
    fn named<K: Ord + Clone, T: Clone>(
        desired: &BTreeMap<K, T>,
        after: &BTreeMap<K, T>,
    ) -> BTreeMap<K, T> {
        desired
            .keys()
            .filter_map(|key| after.get_key_value(key))
            .map(|(key, object)| (key.clone(), object.clone()))
            .collect()
    }
    Account {
        permission_profiles: named(&desired.permission_profiles, &after.permission_profiles),
        groups: named(&desired.groups, &after.groups),
        signing_groups: named(&desired.signing_groups, &after.signing_groups),
        users: after
            .users
            .iter()
            .filter(|(key, user)| {
                desired.users.contains_key(*key)
                    || (recorded.is_some_and(|recorded| recorded.users.contains_key(*key))
                        && user.status != UserStatus::Closed)
            })
            .map(|(key, user)| (key.clone(), user.clone()))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// What the replayed account must look like.
// ---------------------------------------------------------------------------------------------

/// Whether the planner must leave the user alone whatever the YAML says. (An identity
/// provider that manages a user through SCIM owns only part of it: see [`check_users`].)
fn hands_off(case: &Case, user: &User) -> bool {
    let key = EmailKey::new(&user.email);
    key == EmailKey::new(&case.integration_user)
        || case.desired.policy.protected_users.contains(&key)
}

fn keys(names: &BTreeSet<String>) -> BTreeSet<NameKey> {
    names.iter().map(|name| NameKey::new(name)).collect()
}

/// What the plan must do besides reaching the desired state.
#[derive(Debug)]
struct Expected {
    /// Renames, and the deletes of what the YAML dropped (less `kept_profiles`).
    adoptions: Adoptions,
    /// Dropped profiles that a user the plan leaves alone holds: kept, and the plan says why.
    kept_profiles: BTreeSet<NameKey>,
    /// Dropped groups and signing groups that a user the plan leaves alone is in: kept, and
    /// the plan says why.
    kept_groups: BTreeSet<NameKey>,
    kept_signing_groups: BTreeSet<NameKey>,
    /// Users the last apply managed and the YAML dropped.
    recorded_users: BTreeSet<EmailKey>,
    /// Whether users in neither desired nor recorded state follow `policy.unmanaged_users`:
    /// only once the YAML or recorded state names users.
    users_managed: bool,
}

impl Expected {
    fn of(case: &Case) -> Self {
        let desired = &case.desired.state;
        let mut adoptions = Adoptions::of(desired, &case.live, case.recorded.as_ref());
        let held_by_hands_off = |key: &NameKey| {
            case.live.users.values().any(|user| {
                user.status != UserStatus::Closed
                    && hands_off(case, user)
                    && NameKey::new(&user.permission_profile) == *key
            })
        };
        let kept_profiles: BTreeSet<NameKey> = adoptions
            .profiles
            .dropped
            .iter()
            .filter(|key| held_by_hands_off(key))
            .cloned()
            .collect();
        adoptions
            .profiles
            .dropped
            .retain(|key| !kept_profiles.contains(key));
        // Deleting a group takes every member out of it, closed ones too.
        let in_by_hands_off = |key: &NameKey| {
            case.live.users.values().any(|user| {
                hands_off(case, user) && user.groups.iter().any(|group| NameKey::new(group) == *key)
            })
        };
        let kept_groups: BTreeSet<NameKey> = adoptions
            .groups
            .dropped
            .iter()
            .filter(|key| in_by_hands_off(key))
            .cloned()
            .collect();
        adoptions
            .groups
            .dropped
            .retain(|key| !kept_groups.contains(key));
        let integration = EmailKey::new(&case.integration_user);
        let kept_signing_groups: BTreeSet<NameKey> = adoptions
            .signing_groups
            .dropped
            .iter()
            .filter(|key| {
                case.live.signing_groups[*key].members.keys().any(|member| {
                    *member == integration || case.desired.policy.protected_users.contains(member)
                })
            })
            .cloned()
            .collect();
        adoptions
            .signing_groups
            .dropped
            .retain(|key| !kept_signing_groups.contains(key));
        let recorded_users: BTreeSet<EmailKey> = case
            .recorded
            .iter()
            .flat_map(|recorded| recorded.users.keys())
            .filter(|key| !desired.users.contains_key(*key))
            .cloned()
            .collect();
        let users_managed = !desired.users.is_empty()
            || case
                .recorded
                .as_ref()
                .is_some_and(|recorded| !recorded.users.is_empty());
        Self {
            adoptions,
            kept_profiles,
            kept_groups,
            kept_signing_groups,
            recorded_users,
            users_managed,
        }
    }

    /// The profile a live user holds after a plan that gives it no other: renamed with its
    /// profile, or moved to the default when its profile is deleted (a closed user by the
    /// delete's `move_users_to`).
    fn profile(&self, case: &Case, held: &str) -> NameKey {
        if self
            .adoptions
            .profiles
            .dropped
            .contains(&NameKey::new(held))
        {
            NameKey::new(&case.desired.default_profile)
        } else {
            NameKey::new(&self.adoptions.profile(held))
        }
    }
}

/// The user as it was, but for the plan's renames and deletes of its profile and groups.
fn unchanged(
    case: &Case,
    expected: &Expected,
    before: &User,
    now: &User,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let email = &before.email;
    prop_assert_eq!(
        NameKey::new(&now.permission_profile),
        expected.profile(case, &before.permission_profile),
        "{}'s profile changed; plan:\n{}",
        email,
        steps(plan)
    );
    prop_assert_eq!(
        keys(&now.groups),
        expected.adoptions.group_keys(before),
        "{}'s groups changed; plan:\n{}",
        email,
        steps(plan)
    );
    prop_assert_eq!(
        (&now.first_name, &now.last_name, &now.job_title, now.status),
        (
            &before.first_name,
            &before.last_name,
            &before.job_title,
            before.status
        ),
        "{} changed; plan:\n{}",
        email,
        steps(plan)
    );
    Ok(())
}

/// The user closed, and otherwise as [`unchanged`] says.
fn closed(
    case: &Case,
    expected: &Expected,
    before: &User,
    now: &User,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        now.status,
        UserStatus::Closed,
        "{} should be closed; plan:\n{}",
        &before.email,
        steps(plan)
    );
    let closed = User {
        status: UserStatus::Closed,
        ..before.clone()
    };
    unchanged(case, expected, &closed, now, plan)
}

fn check_profiles(case: &Case, after: &Account, plan: &Plan) -> Result<(), TestCaseError> {
    for want in case.desired.state.permission_profiles.values() {
        let have = after.permission_profiles.get(&NameKey::new(&want.name));
        prop_assert!(
            have.is_some_and(|have| have.name == want.name),
            "profile `{}` is missing or misnamed: {:?}; plan:\n{}",
            want.name,
            have,
            steps(plan)
        );
        let have = have.map(|have| &have.settings);
        for (key, value) in &want.settings {
            prop_assert_eq!(
                have.and_then(|settings| settings.get(key)),
                Some(value),
                "profile `{}`'s `{}`; plan:\n{}",
                &want.name,
                key,
                steps(plan)
            );
        }
    }
    Ok(())
}

fn check_groups(case: &Case, after: &Account, plan: &Plan) -> Result<(), TestCaseError> {
    for want in case.desired.state.groups.values() {
        let have = after.groups.get(&NameKey::new(&want.name));
        prop_assert!(
            have.is_some_and(|have| have.name == want.name),
            "group `{}` is missing or misnamed: {:?}; plan:\n{}",
            want.name,
            have,
            steps(plan)
        );
        prop_assert_eq!(
            have.and_then(|have| have.permission_profile.as_deref().map(NameKey::new)),
            want.permission_profile.as_deref().map(NameKey::new),
            "group `{}`'s profile; plan:\n{}",
            &want.name,
            steps(plan)
        );
    }
    for want in case.desired.state.signing_groups.values() {
        let have = after.signing_groups.get(&NameKey::new(&want.name));
        prop_assert!(
            have.is_some_and(|have| have.name == want.name),
            "signing group `{}` is missing or misnamed: {:?}; plan:\n{}",
            want.name,
            have,
            steps(plan)
        );
        // Members by email, each with the name the YAML gives it.
        let members = |group: &SigningGroup| -> Vec<(EmailKey, String)> {
            group
                .members
                .iter()
                .map(|(key, member)| (key.clone(), member.name.clone()))
                .collect()
        };
        prop_assert_eq!(
            have.map(members),
            Some(members(want)),
            "signing group `{}`'s members; plan:\n{}",
            &want.name,
            steps(plan)
        );
        prop_assert_eq!(
            have.and_then(|have| have.email.as_deref().map(EmailKey::new)),
            want.email.as_deref().map(EmailKey::new),
            "signing group `{}`'s email; plan:\n{}",
            &want.name,
            steps(plan)
        );
    }
    Ok(())
}

/// One kind of object before and after the plan.
struct Kind<'a, T> {
    what: &'static str,
    live: &'a BTreeMap<NameKey, T>,
    desired: &'a BTreeMap<NameKey, T>,
    recorded: Option<&'a BTreeMap<NameKey, T>>,
    after: &'a BTreeMap<NameKey, T>,
    matching: &'a Matching,
}

/// Every live object is still there under the name the desired object that stands for it has
/// (the same object: the same ID), unless the YAML dropped it; every other object is one the
/// YAML declares and the plan created.
fn check_kind<T: Named + std::fmt::Debug>(
    kind: &Kind<'_, T>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let what = kind.what;
    let after_by_id: HashMap<&str, &T> = kind
        .after
        .values()
        .filter_map(|object| object.id().map(|id| (id, object)))
        .collect();
    let live_ids: BTreeSet<&str> = kind.live.values().filter_map(Object::id).collect();
    for (key, object) in kind.live {
        let now = object.id().and_then(|id| after_by_id.get(id));
        if kind.matching.dropped.contains(key) {
            prop_assert!(
                now.is_none(),
                "{} `{}` was dropped from the YAML, yet it is still there: {:?}; plan:\n{}",
                what,
                object.name(),
                now,
                steps(plan)
            );
        } else {
            let name = renamed(kind.matching, object.name());
            prop_assert!(
                now.is_some_and(|now| now.name() == name),
                "{} `{}` should be there as `{}`, is {:?}; plan:\n{}",
                what,
                object.name(),
                name,
                now,
                steps(plan)
            );
        }
    }
    let adopted: BTreeSet<NameKey> = kind
        .matching
        .adopted
        .values()
        .map(|name| NameKey::new(name))
        .collect();
    for (key, object) in kind.after {
        let known = object.id().is_some_and(|id| live_ids.contains(id));
        let created =
            object.id().is_none() && kind.desired.contains_key(key) && !adopted.contains(key);
        prop_assert!(
            known || created,
            "{} `{}` appeared from nowhere; plan:\n{}",
            what,
            object.name(),
            steps(plan)
        );
    }
    // Recorded state pins IDs: a desired object recorded under its name with the ID of a live
    // object that has another name is that object, renamed back; unless a live object has the
    // desired name (the desired object is that one), or the pinned object has the name of
    // another desired object (it is that one).
    let live_by_id: HashMap<&str, &NameKey> = kind
        .live
        .iter()
        .filter_map(|(key, object)| object.id().map(|id| (id, key)))
        .collect();
    for (key, want) in kind.desired {
        let Some(id) = kind
            .recorded
            .and_then(|recorded| recorded.get(key))
            .and_then(Object::id)
        else {
            continue;
        };
        let Some(pinned) = live_by_id.get(id) else {
            continue;
        };
        if kind.live.contains_key(key) || kind.desired.contains_key(*pinned) {
            continue;
        }
        prop_assert_eq!(
            kind.after.get(key).and_then(Object::id),
            Some(id),
            "{} `{}` is recorded with the ID of another live object, which should be renamed back; plan:\n{}",
            what,
            want.name(),
            steps(plan)
        );
    }
    Ok(())
}

/// What became of every live profile, group and signing group; dropped profiles a user the plan
/// leaves alone holds are kept, and the plan says so.
fn check_objects(
    case: &Case,
    expected: &Expected,
    after: &Account,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let recorded = case.recorded.as_ref();
    let (live, desired, adoptions) = (&case.live, &case.desired.state, &expected.adoptions);
    check_kind(
        &Kind {
            what: "profile",
            live: &live.permission_profiles,
            desired: &desired.permission_profiles,
            recorded: recorded.map(|recorded| &recorded.permission_profiles),
            after: &after.permission_profiles,
            matching: &adoptions.profiles,
        },
        plan,
    )?;
    check_kind(
        &Kind {
            what: "group",
            live: &live.groups,
            desired: &desired.groups,
            recorded: recorded.map(|recorded| &recorded.groups),
            after: &after.groups,
            matching: &adoptions.groups,
        },
        plan,
    )?;
    check_kind(
        &Kind {
            what: "signing group",
            live: &live.signing_groups,
            desired: &desired.signing_groups,
            recorded: recorded.map(|recorded| &recorded.signing_groups),
            after: &after.signing_groups,
            matching: &adoptions.signing_groups,
        },
        plan,
    )?;
    let kept = expected
        .kept_profiles
        .iter()
        .map(|key| &live.permission_profiles[key].name)
        .chain(
            expected
                .kept_groups
                .iter()
                .map(|key| &live.groups[key].name),
        )
        .chain(
            expected
                .kept_signing_groups
                .iter()
                .map(|key| &live.signing_groups[key].name),
        );
    for name in kept {
        prop_assert!(
            plan.reports
                .iter()
                .any(|report| report.note.contains(&format!("`{name}`"))),
            "`{}` is kept, yet no report says why: {:?}",
            name,
            plan.reports
        );
    }
    Ok(())
}

/// A user the YAML names, and the planner may change (but for what an identity provider
/// manages through SCIM).
fn check_desired_user(
    want: &User,
    (before, now): (Option<&User>, Option<&User>),
    managed: &BTreeSet<NameKey>,
    expected: &Expected,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let email = &want.email;
    let Some(now) = now else {
        return Err(TestCaseError::fail(format!(
            "{email} is missing; plan:\n{}",
            steps(plan)
        )));
    };
    prop_assert_eq!(
        NameKey::new(&now.permission_profile),
        NameKey::new(&want.permission_profile),
        "{}'s profile; plan:\n{}",
        email,
        steps(plan)
    );
    // What an identity provider owns of the user stays as DocuSign has it.
    let scim_user = before.filter(|before| before.managed_by_scim);
    let (first, last, title) = scim_user.map_or(
        (&want.first_name, &want.last_name, want.job_title.as_ref()),
        |before| {
            (
                &before.first_name,
                &before.last_name,
                before.job_title.as_ref(),
            )
        },
    );
    prop_assert_eq!(
        (&now.first_name, &now.last_name),
        (first, last),
        "{}'s names; plan:\n{}",
        email,
        steps(plan)
    );
    if title.is_some() || scim_user.is_some() {
        prop_assert_eq!(
            now.job_title.as_ref(),
            title,
            "{}'s job title; plan:\n{}",
            email,
            steps(plan)
        );
    }
    if let Some(before) = scim_user {
        prop_assert_eq!(
            now.status,
            before.status,
            "{}'s status is the identity provider's; plan:\n{}",
            email,
            steps(plan)
        );
    }
    // DocuSign disables users itself and the API offers no way back (only closed users are
    // reactivated), so the planner leaves a disabled user disabled, saying nothing.
    let disabled_before = before.is_some_and(|before| before.status == UserStatus::Disabled);
    prop_assert!(
        matches!(now.status, UserStatus::Active | UserStatus::Pending)
            || (disabled_before && now.status == UserStatus::Disabled),
        "{} should be active or pending, is {:?}; plan:\n{}",
        email,
        now.status,
        steps(plan)
    );
    if let Some(before) = before.filter(|before| before.membership_managed_by_scim) {
        prop_assert_eq!(
            keys(&now.groups),
            expected.adoptions.group_keys(before),
            "{}'s groups are the identity provider's; plan:\n{}",
            email,
            steps(plan)
        );
        return Ok(());
    }
    let in_managed: BTreeSet<NameKey> = keys(&now.groups)
        .into_iter()
        .filter(|key| managed.contains(key))
        .collect();
    prop_assert_eq!(
        in_managed,
        keys(&want.groups),
        "{}'s managed groups; plan:\n{}",
        email,
        steps(plan)
    );
    Ok(())
}

/// A live user in neither desired nor recorded state, under `policy.unmanaged_users`.
fn check_unmanaged_user(
    case: &Case,
    expected: &Expected,
    (before, now): (&User, &User),
    managed: &BTreeSet<NameKey>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let email = &before.email;
    match case.desired.policy.unmanaged_users {
        UnmanagedUsers::Ignore | UnmanagedUsers::Report => {
            unchanged(case, expected, before, now, plan)
        }
        UnmanagedUsers::Close if before.managed_by_scim => {
            unchanged(case, expected, before, now, plan)
        }
        UnmanagedUsers::Close => closed(case, expected, before, now, plan),
        UnmanagedUsers::Reset => {
            prop_assert_eq!(
                NameKey::new(&now.permission_profile),
                NameKey::new(&case.desired.default_profile),
                "{} should hold the default profile; plan:\n{}",
                email,
                steps(plan)
            );
            let outside: BTreeSet<NameKey> = expected
                .adoptions
                .group_keys(before)
                .into_iter()
                .filter(|key| before.membership_managed_by_scim || !managed.contains(key))
                .collect();
            prop_assert_eq!(
                keys(&now.groups),
                outside,
                "{} should have left every managed group, and only those; plan:\n{}",
                email,
                steps(plan)
            );
            prop_assert_eq!(now.status, before.status);
            Ok(())
        }
    }
}

fn check_users(
    case: &Case,
    expected: &Expected,
    after: &Account,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let desired = &case.desired;
    let managed: BTreeSet<NameKey> = managed_group_names(&desired.state)
        .iter()
        .map(|name| NameKey::new(name))
        .collect();
    let gone = |email: &str| {
        Err(TestCaseError::fail(format!(
            "{email} is gone; plan:\n{}",
            steps(plan)
        )))
    };
    for (key, want) in &desired.state.users {
        let before = case.live.users.get(key);
        let now = after.users.get(key);
        match (before, now) {
            (Some(before), None) => return gone(&before.email),
            (Some(before), Some(now)) if hands_off(case, before) => {
                unchanged(case, expected, before, now, plan)?;
            }
            // The identity provider owns the user's status, and a closed user can't be
            // changed: nothing is planned for it.
            (Some(before), Some(now))
                if before.managed_by_scim
                    && (before.status == UserStatus::Closed
                        || want.status == UserStatus::Closed) =>
            {
                unchanged(case, expected, before, now, plan)?;
            }
            // Closing is all the plan does to a user the YAML closes.
            (Some(before), Some(now)) if want.status == UserStatus::Closed => {
                closed(case, expected, before, now, plan)?;
            }
            // One the YAML closes and DocuSign never had stays uncreated.
            (None, _) if want.status == UserStatus::Closed => prop_assert!(
                now.is_none(),
                "{} should never be created, is {:?}; plan:\n{}",
                want.email,
                now,
                steps(plan)
            ),
            _ => check_desired_user(want, (before, now), &managed, expected, plan)?,
        }
    }
    for (key, before) in &case.live.users {
        if desired.state.users.contains_key(key) {
            continue;
        }
        let Some(now) = after.users.get(key) else {
            return gone(&before.email);
        };
        // Closed users are never touched, nor are users the plan must leave alone; users the
        // last apply managed and the YAML dropped are closed; the others follow the policy
        // once users are managed at all.
        if hands_off(case, before) || before.status == UserStatus::Closed {
            unchanged(case, expected, before, now, plan)?;
        } else if expected.recorded_users.contains(key) && before.managed_by_scim {
            // Closing is the identity provider's.
            unchanged(case, expected, before, now, plan)?;
        } else if expected.recorded_users.contains(key) {
            closed(case, expected, before, now, plan)?;
        } else if expected.users_managed {
            check_unmanaged_user(case, expected, (before, now), &managed, plan)?;
        } else {
            unchanged(case, expected, before, now, plan)?;
        }
    }
    for key in after.users.keys() {
        prop_assert!(
            case.live.users.contains_key(key) || desired.state.users.contains_key(key),
            "{} appeared from nowhere; plan:\n{}",
            key,
            steps(plan)
        );
    }
    let integration = EmailKey::new(&case.integration_user);
    prop_assert!(after.users.contains_key(&integration));
    unchanged(
        case,
        expected,
        &case.live.users[&integration],
        &after.users[&integration],
        plan,
    )
}

// ---------------------------------------------------------------------------------------------
// Guards: what the plan does of each risky class, counted from the accounts before and after it
// (not from its operations, as the guards count), and the limits `policy.limits` sets.
// ---------------------------------------------------------------------------------------------

/// An object of a kind: its ID, or (for one the plan creates) its name.
fn identity(id: Option<&String>, name: &str) -> String {
    id.map_or_else(|| format!("new `{}`", NameKey::new(name)), Clone::clone)
}

fn group_identity(account: &Account, name: &str) -> String {
    let group = account.groups.get(&NameKey::new(name));
    identity(group.and_then(|group| group.id.as_ref()), name)
}

/// Every user's groups and every signing group's members, objects known by [`identity`].
fn memberships(account: &Account) -> BTreeSet<(String, String)> {
    let groups = account.users.iter().flat_map(|(key, user)| {
        user.groups
            .iter()
            .map(move |group| (key.to_string(), group_identity(account, group)))
    });
    let signing = account.signing_groups.values().flat_map(|group| {
        let group_id = identity(group.id.as_ref(), &group.name);
        group
            .members
            .keys()
            .map(move |member| (member.to_string(), group_id.clone()))
    });
    groups.chain(signing).collect()
}

/// Whether holding the profile (as `account` has it) lets a user administer the account.
fn administers(account: &Account, profile: &str) -> bool {
    BuiltinProfile::from_name(profile) == Some(BuiltinProfile::AccountAdministrator)
        || account
            .permission_profiles
            .get(&NameKey::new(profile))
            .is_some_and(manages_account)
}

/// `allowAccountManagement` is yes: `true` in any letter case (DocuSign has sent `"True"`).
fn manages_account(profile: &PermissionProfile) -> bool {
    profile
        .settings
        .get("allowAccountManagement")
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// Whether `user` can administer `account`, or may be made to: open, and holding an
/// admin-capable profile, or in Administrators, or in a group carrying such a profile (DocuSign
/// may hand members the group's profile).
fn can_administer(account: &Account, user: &User) -> bool {
    user.status != UserStatus::Closed
        && (administers(account, &user.permission_profile)
            || user.groups.iter().any(|group| {
                BuiltinGroup::from_name(group) == Some(BuiltinGroup::Administrators)
                    || account
                        .groups
                        .get(&NameKey::new(group))
                        .and_then(|group| group.permission_profile.as_deref())
                        .is_some_and(|profile| administers(account, profile))
            }))
}

/// Grants of the power to administer the account, counted by people: everyone who can
/// administer the account after the plan and could not before it (or was not in it).
fn admin_grants(live: &Account, after: &Account) -> usize {
    after
        .users
        .iter()
        .filter(|(_, now)| can_administer(after, now))
        .filter(|(key, _)| {
            !live
                .users
                .get(*key)
                .is_some_and(|before| can_administer(live, before))
        })
        .count()
}

/// Each class's count and the live figure its percent is taken of.
fn guard_figures(live: &Account, after: &Account) -> BTreeMap<GuardClass, (u64, u64)> {
    let open_users = live
        .users
        .values()
        .filter(|user| user.status != UserStatus::Closed)
        .count();
    let closures = live
        .users
        .iter()
        .filter(|(key, before)| {
            before.status != UserStatus::Closed
                && after
                    .users
                    .get(*key)
                    .is_some_and(|now| now.status == UserStatus::Closed)
        })
        .count();
    let live_memberships = live
        .users
        .values()
        .map(|user| user.groups.len())
        .chain(
            live.signing_groups
                .values()
                .map(|group| group.members.len()),
        )
        .sum::<usize>();
    let removals = memberships(live).difference(&memberships(after)).count();
    let figure = |count: usize, base: usize| (count as u64, base as u64);
    BTreeMap::from([
        (GuardClass::UserClosures, figure(closures, open_users)),
        (
            GuardClass::MembershipRemovals,
            figure(removals, live_memberships),
        ),
        (
            GuardClass::AdminGrants,
            figure(admin_grants(live, after), open_users),
        ),
    ])
}

/// The most a class may do: the limit as written (a percent of `base` rounded down), else the
/// documented default, the larger of a floor and a percent (10 and 10%; 3 and 5% for admin
/// grants). Whole-number arithmetic, so the test doesn't share the guards' rounding.
fn limit_of(class: GuardClass, written: Option<Limit>, base: u64) -> u64 {
    match written {
        Some(Limit::Count(count)) => count,
        // Percents are drawn in steps of 2.5, so ten times one is a whole number of per mille.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(Limit::Percent(percent)) => base * (percent * 10.0) as u64 / 1000,
        None => match class {
            GuardClass::UserClosures | GuardClass::MembershipRemovals => 10.max(base * 10 / 100),
            GuardClass::AdminGrants => 3.max(base * 5 / 100),
        },
    }
}

/// Each guard counts what the plan does of its class, takes its limit from the policy, and
/// refuses the plan exactly when the count is over the limit and the operator didn't allow
/// the class.
fn check_guards(case: &Case, after: &Account, plan: &Plan) -> Result<(), TestCaseError> {
    let figures = guard_figures(&case.live, after);
    let limits = &case.desired.policy.limits;
    let written = [
        limits.user_closures,
        limits.membership_removals,
        limits.admin_grants,
    ];
    prop_assert_eq!(
        plan.guards
            .iter()
            .map(|check| check.class)
            .collect::<Vec<_>>(),
        GuardClass::ALL.to_vec()
    );
    // Every admin grant is called out at the top of the plan, one line each.
    prop_assert_eq!(
        plan.escalations.len() as u64,
        figures[&GuardClass::AdminGrants].0,
        "escalations {:?}; plan:\n{}",
        &plan.escalations,
        steps(plan)
    );
    for (check, written) in plan.guards.iter().zip(written) {
        let class = check.class;
        let (count, base) = figures[&class];
        let limit = limit_of(class, written, base);
        let allowed = case.allowed.contains(&class);
        prop_assert_eq!(
            (check.count, check.base, check.limit),
            (count, base, limit),
            "{:?} (count, base, limit) with {:?}; plan:\n{}",
            class,
            written,
            steps(plan)
        );
        prop_assert_eq!(
            (check.exceeded, check.allowed_by_operator, check.refuses()),
            (count > limit, allowed, count > limit && !allowed),
            "{:?}: {} of at most {}, allowed: {}",
            class,
            count,
            limit,
            allowed
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Drift: the same accounts, read as the live account, the YAML and the last apply's record.
// ---------------------------------------------------------------------------------------------

/// `drift` on [`TODAY`], with `accepted` as the YAML's `policy.accepted_drift`.
fn drift_of(case: &Case, accepted: Vec<AcceptedDrift>) -> drift::Report {
    let desired = Desired {
        policy: Policy {
            accepted_drift: accepted,
            ..case.desired.policy.clone()
        },
        ..case.desired.clone()
    };
    let recorded = RecordedState {
        objects: case.recorded.clone().unwrap_or_default(),
        ..RecordedState::first("account", "demo")
    };
    drift::detect(
        &desired,
        &case.live,
        &recorded,
        Some(&case.integration_user),
        TODAY,
    )
}

/// Whether an entry names the difference's object: a user by email, anything else by its live
/// name or the name recorded state knows it by.
fn entry_names(object: &DriftObject, difference: &Difference) -> bool {
    let by_name = |key: &NameKey| {
        std::iter::once(&difference.object)
            .chain(&difference.recorded_name)
            .any(|name| NameKey::new(name) == *key)
    };
    match (object, difference.kind) {
        (DriftObject::User(email), drift::Part::Users) => {
            EmailKey::new(&difference.object) == *email
        }
        (DriftObject::Group(name), drift::Part::Groups)
        | (DriftObject::PermissionProfile(name), drift::Part::Profiles)
        | (DriftObject::SigningGroup(name), drift::Part::SigningGroups) => by_name(name),
        _ => false,
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Properties 1 and 4: the planner never breaks a rule, and its steps follow rule 5's order.
    #[test]
    fn plans_keep_the_rules_and_the_order(case in case()) {
        let Some(plan) = plan_of(&case)? else {
            return Ok(());
        };
        for (index, pair) in plan.steps.windows(2).enumerate() {
            prop_assert!(
                pair[0].phase <= pair[1].phase,
                "step {} ({:?}) comes after step {} ({:?}); plan:\n{}",
                index + 2,
                pair[1].phase,
                index + 1,
                pair[0].phase,
                steps(&plan)
            );
        }
        for step in &plan.steps {
            prop_assert_eq!(step.phase, step.operation.phase());
        }
    }

    /// Property 2: replaying the plan leaves managed objects as desired, what the YAML dropped
    /// deleted or closed, other objects as they were (renamed with what stands for them), other
    /// users as the policy says, and the integration user as it was.
    #[test]
    fn replaying_the_plan_reaches_the_desired_state(case in case()) {
        let Some(plan) = plan_of(&case)? else {
            return Ok(());
        };
        let after = replayed(&case, &plan);
        let expected = Expected::of(&case);
        check_profiles(&case, &after, &plan)?;
        check_groups(&case, &after, &plan)?;
        check_objects(&case, &expected, &after, &plan)?;
        check_users(&case, &expected, &after, &plan)?;
        check_guards(&case, &after, &plan)?;
    }

    /// Property 3: planning again from the replayed account, with the recorded state the apply
    /// writes, finds nothing to do.
    #[test]
    fn planning_again_after_the_plan_changes_nothing(case in case()) {
        let Some(plan) = plan_of(&case)? else {
            return Ok(());
        };
        let after = replayed(&case, &plan);
        let recorded = recorded_after(&case.desired.state, case.recorded.as_ref(), &after);
        let again = plan::plan(&case.desired, &after, Some(&recorded), &context(&case))
            .map_err(|breach| TestCaseError::fail(format!("the second plan broke a rule: {breach}")))?;
        prop_assert!(
            again.is_empty(),
            "the second plan is not empty:\n{}first plan:\n{}",
            steps(&again),
            steps(&plan)
        );
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Property 4: `policy.accepted_drift` changes no difference `drift` finds, and hides
    /// none: it marks accepted exactly the differences an entry names whose `until` is today or
    /// later (the first such entry), and lists the entries that ended before today as expired.
    #[test]
    fn accepted_drift_marks_what_it_names_until_its_last_day(case in case()) {
        let entries = case.desired.policy.accepted_drift.clone();
        let report = drift_of(&case, entries.clone());
        let bare = drift_of(&case, Vec::new());
        let unmarked: Vec<Difference> = report
            .differences
            .iter()
            .map(|difference| Difference { accepted: None, ..difference.clone() })
            .collect();
        prop_assert_eq!(&unmarked, &bare.differences);
        for difference in &report.differences {
            let expected = entries
                .iter()
                .find(|entry| entry.until >= TODAY && entry_names(&entry.object, difference))
                .map(|entry| Acceptance {
                    reason: entry.reason.clone(),
                    until: entry.until.to_string(),
                });
            prop_assert_eq!(
                &difference.accepted,
                &expected,
                "{:?} with {:?}",
                difference,
                &entries
            );
        }
        let expired: Vec<(String, String)> = report
            .expired_acceptances
            .iter()
            .map(|expired| (expired.reason.clone(), expired.until.clone()))
            .collect();
        let ended: Vec<(String, String)> = entries
            .iter()
            .filter(|entry| entry.until < TODAY)
            .map(|entry| (entry.reason.clone(), entry.until.to_string()))
            .collect();
        prop_assert_eq!(expired, ended);
    }
}

/// Found by the properties above: an object renamed by hand to a name the YAML also declares
/// was taken by two desired objects (one by name, one by the ID recorded state pins), so the
/// plan renamed it from under the first, and then gave a user the profile it had renamed away
/// (a rule 1 breach). A live object stands for one desired object: the one with its name.
#[test]
fn an_object_renamed_by_hand_to_a_declared_name_is_that_object() {
    let mut live = build_live(&LiveSpec {
        rebranded: false,
        profiles: vec![(2, Vec::new())],
        groups: Vec::new(),
        users: Vec::new(),
        signing_groups: Vec::new(),
        integration_groups: Vec::new(),
    });
    live.permission_profiles
        .get_mut(&NameKey::new("Finance"))
        .expect("the pool's third profile")
        .settings
        .insert("allowBulkSending".to_owned(), "true".to_owned());
    let finance = live.permission_profiles[&NameKey::new("Finance")].clone();
    // The last apply created `Operations`; someone renamed it `Finance` in DocuSign since.
    let recorded = Account {
        permission_profiles: BTreeMap::from([(
            NameKey::new("Operations"),
            finance.renamed("Operations"),
        )]),
        ..Account::default()
    };
    let mut state = Account::default();
    for name in ["Finance", "Operations"] {
        state
            .permission_profiles
            .insert(NameKey::new(name), profile(name, BTreeMap::new(), None));
    }
    state.users.insert(
        EmailKey::new(&email(0)),
        User {
            id: None,
            email: email(0),
            first_name: "Ana".to_owned(),
            last_name: "Lima".to_owned(),
            job_title: None,
            permission_profile: "Finance".to_owned(),
            groups: BTreeSet::new(),
            status: UserStatus::Active,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        },
    );
    let case = Case {
        live,
        desired: Desired {
            account: None,
            default_profile: VIEWER.to_owned(),
            policy: Policy::default(),
            state,
            generated: BTreeMap::new(),
            leavers_left_out: false,
        },
        recorded: Some(recorded),
        integration_user: INTEGRATION.to_owned(),
        allowed: Vec::new(),
    };
    let plan = plan_of(&case).expect("no rule breach").expect("no refusal");
    let kinds: Vec<String> = plan
        .steps
        .iter()
        .map(|step| plan::kind(&step.operation))
        .collect();
    assert_eq!(kinds, ["create_profile", "create_user"], "{}", steps(&plan));
    let after = replayed(&case, &plan);
    assert_eq!(
        after.permission_profiles[&NameKey::new("Finance")].id,
        finance.id
    );
}
