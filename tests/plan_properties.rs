//! Property tests of the planner: random but valid pairs of a live account and a checked desired
//! state, planned as the first increment does (no recorded state: the managed objects are the
//! ones the desired state names, nothing is deleted, and users it doesn't name follow
//! `policy.unmanaged_users`).
//!
//! For every pair: the planner never reports a rule breach (that would be a bug in it); its
//! steps come in rule 5's order; replaying them on the live account leaves every managed object
//! as the YAML says and every other user as the policy says; and planning again from the
//! account the replay leaves finds nothing to do.
//!
//! The strategies draw small numbers and a builder turns them into accounts, so a failing case
//! shrinks toward few objects and the first names of each pool; proptest prints the built
//! account and desired state. Failing cases are not persisted (nothing is written into the
//! repo). `PROPTEST_CASES=N` overrides the number of cases.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};
use docusign_gitops::plan::{self, Context, Plan, replay};
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
    scim: bool,
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
            prop::bool::weighted(0.1),
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
                managed_by_scim: spec.scim,
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
    )
        .prop_map(
            |(
                profiles,
                groups,
                signing_groups,
                users,
                (integration, protected, policy, default),
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
                }
            },
        )
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

/// Live name → the desired name of the object that stands for it (by name, else by an earlier
/// name), for every live object the desired state adopts.
#[derive(Debug, Default)]
struct Adoptions {
    profiles: HashMap<NameKey, String>,
    groups: HashMap<NameKey, String>,
    signing_groups: HashMap<NameKey, String>,
}

fn adopt<'a, T>(
    live: &BTreeMap<NameKey, T>,
    desired: impl Iterator<Item = (&'a String, &'a Vec<String>)>,
) -> HashMap<NameKey, String> {
    let mut adopted = HashMap::new();
    for (name, previously) in desired {
        let found = std::iter::once(name)
            .chain(previously)
            .map(|name| NameKey::new(name))
            .find(|key| live.contains_key(key));
        if let Some(key) = found {
            adopted.insert(key, name.clone());
        }
    }
    adopted
}

impl Adoptions {
    fn of(desired: &Account, live: &Account) -> Self {
        Self {
            profiles: adopt(
                &live.permission_profiles,
                desired
                    .permission_profiles
                    .values()
                    .map(|profile| (&profile.name, &profile.previously)),
            ),
            groups: adopt(
                &live.groups,
                desired
                    .groups
                    .values()
                    .map(|group| (&group.name, &group.previously)),
            ),
            signing_groups: adopt(
                &live.signing_groups,
                desired
                    .signing_groups
                    .values()
                    .map(|group| (&group.name, &group.previously)),
            ),
        }
    }

    fn profile(&self, name: &str) -> String {
        self.profiles
            .get(&NameKey::new(name))
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }

    fn group(&self, name: &str) -> String {
        self.groups
            .get(&NameKey::new(name))
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }

    /// A live user's group keys once the plan's renames are done.
    fn group_keys(&self, user: &User) -> BTreeSet<NameKey> {
        user.groups
            .iter()
            .map(|name| NameKey::new(&self.group(name)))
            .collect()
    }
}

/// One generated case: the accounts and what the planner is told.
#[derive(Clone, Debug)]
struct Case {
    live: Account,
    desired: Desired,
    integration_user: String,
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

fn policy(spec: &DesiredSpec, live: &Account) -> Policy {
    let mut policy = Policy {
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
    let adoptions = Adoptions::of(&state, live);
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
                ..integration.clone()
            },
        );
    }
    state.users = users;
}

fn case() -> impl Strategy<Value = Case> {
    (live_spec(), desired_spec(), any::<bool>()).prop_map(|(live, desired, capitalised)| {
        let live = build_live(&live);
        let desired = build_desired(&desired, &live);
        // The token's user may come back from userinfo in another letter case.
        let integration_user = if capitalised {
            "Integration@Example.com".to_owned()
        } else {
            INTEGRATION.to_owned()
        };
        Case {
            live,
            desired,
            integration_user,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Planning and replaying.
// ---------------------------------------------------------------------------------------------

fn context(case: &Case) -> Context {
    Context {
        integration_user: Some(case.integration_user.clone()),
        ..Context::default()
    }
}

fn rules(case: &Case) -> replay::Rules {
    replay::Rules {
        integration_user: Some(EmailKey::new(&case.integration_user)),
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

/// Property 1: planning succeeds. A rule breach means the planner wrote a plan that breaks a
/// rule of DESIGN.md: a bug in it.
fn plan_of(case: &Case) -> Result<Plan, TestCaseError> {
    plan::plan(&case.desired, &case.live, None, &context(case))
        .map_err(|breach| TestCaseError::fail(format!("the planner broke a rule: {breach}")))
}

/// Property 2's first half: the plan replays on the live account.
fn replayed(case: &Case, plan: &Plan) -> Result<Account, TestCaseError> {
    let operations: Vec<_> = plan
        .steps
        .iter()
        .map(|step| step.operation.clone())
        .collect();
    replay::replay(&case.live, &operations, &rules(case)).map_err(|(index, breach)| {
        TestCaseError::fail(format!(
            "replaying breaks {breach} at step {}; plan:\n{}",
            index + 1,
            steps(plan)
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// What the replayed account must look like.
// ---------------------------------------------------------------------------------------------

/// Whether the planner must leave the user alone whatever the YAML says.
fn hands_off(case: &Case, user: &User) -> bool {
    let key = EmailKey::new(&user.email);
    key == EmailKey::new(&case.integration_user)
        || case.desired.policy.protected_users.contains(&key)
        || user.managed_by_scim
}

fn keys(names: &BTreeSet<String>) -> BTreeSet<NameKey> {
    names.iter().map(|name| NameKey::new(name)).collect()
}

/// The user as it was, but for the plan's renames of its profile and groups.
fn unchanged(
    before: &User,
    now: &User,
    adoptions: &Adoptions,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let email = &before.email;
    prop_assert_eq!(
        NameKey::new(&now.permission_profile),
        NameKey::new(&adoptions.profile(&before.permission_profile)),
        "{}'s profile changed; plan:\n{}",
        email,
        steps(plan)
    );
    prop_assert_eq!(
        keys(&now.groups),
        adoptions.group_keys(before),
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
        prop_assert_eq!(
            have.map(|have| have.members.keys().collect::<Vec<_>>()),
            Some(want.members.keys().collect()),
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
    // Nothing is deleted in the first increment.
    let adoptions = Adoptions::of(&case.desired.state, &case.live);
    for group in case.live.groups.values() {
        prop_assert!(
            after
                .groups
                .contains_key(&NameKey::new(&adoptions.group(&group.name))),
            "group `{}` is gone; plan:\n{}",
            group.name,
            steps(plan)
        );
    }
    for group in case.live.signing_groups.values() {
        let name = adoptions
            .signing_groups
            .get(&NameKey::new(&group.name))
            .unwrap_or(&group.name);
        prop_assert!(
            after.signing_groups.contains_key(&NameKey::new(name)),
            "signing group `{}` is gone; plan:\n{}",
            group.name,
            steps(plan)
        );
    }
    for profile in case.live.permission_profiles.values() {
        prop_assert!(
            after
                .permission_profiles
                .contains_key(&NameKey::new(&adoptions.profile(&profile.name))),
            "profile `{}` is gone; plan:\n{}",
            profile.name,
            steps(plan)
        );
    }
    Ok(())
}

/// A user the YAML names, and the planner may change.
fn check_desired_user(
    want: &User,
    before: Option<&User>,
    now: Option<&User>,
    managed: &BTreeSet<NameKey>,
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
    prop_assert_eq!(
        (&now.first_name, &now.last_name),
        (&want.first_name, &want.last_name),
        "{}'s names; plan:\n{}",
        email,
        steps(plan)
    );
    if want.job_title.is_some() {
        prop_assert_eq!(
            &now.job_title,
            &want.job_title,
            "{}'s job title; plan:\n{}",
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

/// A live user the YAML doesn't name, under `policy.unmanaged_users`.
fn check_unmanaged_user(
    case: &Case,
    before: &User,
    now: &User,
    managed: &BTreeSet<NameKey>,
    adoptions: &Adoptions,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let email = &before.email;
    match case.desired.policy.unmanaged_users {
        UnmanagedUsers::Ignore | UnmanagedUsers::Report => unchanged(before, now, adoptions, plan),
        UnmanagedUsers::Close => {
            prop_assert_eq!(
                now.status,
                UserStatus::Closed,
                "{} should be closed; plan:\n{}",
                email,
                steps(plan)
            );
            let closed = User {
                status: UserStatus::Closed,
                ..before.clone()
            };
            unchanged(&closed, now, adoptions, plan)
        }
        UnmanagedUsers::Reset => {
            prop_assert_eq!(
                NameKey::new(&now.permission_profile),
                NameKey::new(&case.desired.default_profile),
                "{} should hold the default profile; plan:\n{}",
                email,
                steps(plan)
            );
            let outside: BTreeSet<NameKey> = adoptions
                .group_keys(before)
                .into_iter()
                .filter(|key| !managed.contains(key))
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

fn check_users(case: &Case, after: &Account, plan: &Plan) -> Result<(), TestCaseError> {
    let desired = &case.desired;
    let adoptions = Adoptions::of(&desired.state, &case.live);
    let managed: BTreeSet<NameKey> = managed_group_names(&desired.state)
        .iter()
        .map(|name| NameKey::new(name))
        .collect();
    for (key, want) in &desired.state.users {
        let before = case.live.users.get(key);
        let now = after.users.get(key);
        match before {
            Some(before) if hands_off(case, before) => {
                let Some(now) = now else {
                    return Err(TestCaseError::fail(format!("{} is gone", want.email)));
                };
                unchanged(before, now, &adoptions, plan)?;
            }
            _ if want.status == UserStatus::Closed => {
                // Closing is all the plan does to a user the YAML closes; one it never had
                // stays uncreated.
                prop_assert!(
                    match before {
                        Some(_) => now.is_some_and(|now| now.status == UserStatus::Closed),
                        None => now.is_none(),
                    },
                    "{} should be closed (or never created), is {:?}; plan:\n{}",
                    want.email,
                    now,
                    steps(plan)
                );
            }
            _ => check_desired_user(want, before, now, &managed, plan)?,
        }
    }
    let users_managed = !desired.state.users.is_empty();
    for (key, before) in &case.live.users {
        if desired.state.users.contains_key(key) {
            continue;
        }
        let Some(now) = after.users.get(key) else {
            return Err(TestCaseError::fail(format!(
                "{} is gone; plan:\n{}",
                before.email,
                steps(plan)
            )));
        };
        // Users are managed only when the YAML names some; closed ones are never touched.
        if !users_managed || hands_off(case, before) || before.status == UserStatus::Closed {
            unchanged(before, now, &adoptions, plan)?;
        } else {
            check_unmanaged_user(case, before, now, &managed, &adoptions, plan)?;
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
        &case.live.users[&integration],
        &after.users[&integration],
        &adoptions,
        plan,
    )
}

proptest! {
    #![proptest_config(config(256))]

    /// Properties 1 and 4: the planner never breaks a rule, and its steps follow rule 5's order.
    #[test]
    fn plans_keep_the_rules_and_the_order(case in case()) {
        let plan = plan_of(&case)?;
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

    /// Property 2: replaying the plan leaves managed objects as desired, other users as the
    /// policy says, and the integration user as it was.
    #[test]
    fn replaying_the_plan_reaches_the_desired_state(case in case()) {
        let plan = plan_of(&case)?;
        let after = replayed(&case, &plan)?;
        check_profiles(&case, &after, &plan)?;
        check_groups(&case, &after, &plan)?;
        check_users(&case, &after, &plan)?;
    }

    /// Property 3: planning again from the replayed account finds nothing to do.
    #[test]
    fn planning_again_after_the_plan_changes_nothing(case in case()) {
        let plan = plan_of(&case)?;
        let after = replayed(&case, &plan)?;
        let again = plan::plan(&case.desired, &after, None, &context(&case))
            .map_err(|breach| TestCaseError::fail(format!("the second plan broke a rule: {breach}")))?;
        prop_assert!(
            again.is_empty(),
            "the second plan is not empty:\n{}first plan:\n{}",
            steps(&again),
            steps(&plan)
        );
    }
}
