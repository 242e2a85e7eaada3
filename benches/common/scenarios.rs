//! The changes the scale benchmark applies to an emulated account (onboarding, offboarding, a
//! reorganisation), each with the fewest calls DocuSign's documented limits allow for it,
//! worked out from the change itself; and the checks every apply must pass: the plan holds
//! exactly the change, every step is done, the emulator served only apply's calls and refused
//! none, a fresh read shows every touched user as the YAML has it and a new plan is empty.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use docusign_gitops::apply::{self, Outcome};
use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::docusign::snapshot::{Snapshot, snapshot};
use docusign_gitops::docusign::{Client, ClientSettings};
use docusign_gitops::emulator::Running;
use docusign_gitops::model::{Account, BuiltinGroup, BuiltinProfile, EmailKey, User, UserStatus};
use docusign_gitops::plan::{self, Context, GuardClass, Plan};

use super::calls::{Minimum, Tally, USERS_PER_CLOSE, USERS_PER_CREATE, batches};
use super::emulated::{self, ADMIN_EMAIL, Built, Memberships, Shape, department_name};
use super::floor::wide;
use super::thousands;

/// A small account and its changes, for `tests/bench_checks.rs` and the scale benchmark's
/// `--quick` run. Each minimum still turns on what it does at full size: onboarding takes two
/// create calls, offboarding fills one close call, and every department gains and loses users.
pub const SMALL_SHAPE: Shape = Shape {
    users: 1_000,
    groups: 50,
    departments: 20,
};
pub const SMALL_SCENARIOS: [Scenario; 3] = [
    Scenario::Onboard {
        users: 1_000,
        groups: 10,
    },
    Scenario::Offboard { users: 500 },
    Scenario::Reorganise { users: 250 },
];

/// A change to the account, and how big it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `users` new users, each joining one of `groups` plain groups (no permission profile).
    Onboard { users: usize, groups: usize },
    /// `users` active users closed in the YAML.
    Offboard { users: usize },
    /// `users` open users move from their department-wide group to the next one.
    Reorganise { users: usize },
}

/// A scenario made concrete on one account.
pub struct Change {
    /// The YAML after the change, and the users it touches.
    pub desired: Desired,
    pub touched: Vec<EmailKey>,
    /// The plan's summary for it: (operation, steps), as `plan.summary` lists them.
    pub summary: Vec<(&'static str, usize)>,
    pub minimum: Minimum,
}

impl Scenario {
    pub fn title(self) -> String {
        match self {
            Self::Onboard { users, groups } => {
                format!(
                    "onboard {} users into {groups} plain groups",
                    thousands(wide(users))
                )
            }
            Self::Offboard { users } => format!("offboard {} users", thousands(wide(users))),
            Self::Reorganise { users } => format!(
                "reorganise: move {} memberships ({} users change department)",
                thousands(wide(2 * users)),
                thousands(wide(users))
            ),
        }
    }

    /// The change on `live` (whose YAML is `base`, and which has `departments` department-wide
    /// groups), and the fewest calls it can take.
    pub fn change(self, base: &Desired, live: &Account, departments: usize) -> Change {
        let mut desired = base.clone();
        let users = &mut desired.state.users;
        let others: Vec<&User> = live
            .users
            .values()
            .filter(|user| !user.email.eq_ignore_ascii_case(ADMIN_EMAIL))
            .collect();
        let (touched, summary, minimum) = match self {
            Self::Onboard {
                users: count,
                groups,
            } => {
                let plain: Vec<String> = live
                    .groups
                    .values()
                    .filter(|group| {
                        group.name.starts_with("Team ") && group.permission_profile.is_none()
                    })
                    .take(groups)
                    .map(|group| group.name.clone())
                    .collect();
                assert_eq!(plain.len(), groups, "enough plain teams");
                let touched = (0..count)
                    .map(|n| {
                        let user = new_hire(n, &plain[n % groups]);
                        let key = EmailKey::new(&user.email);
                        users.insert(key.clone(), user);
                        key
                    })
                    .collect();
                // `POST /users` creates at most 500 users, and each new user's `groupList`
                // names the groups it joins. Joining a group that carries no permission
                // profile can't change the user's profile, so every join rides in its user's
                // create call and costs nothing more.
                let minimum = Minimum {
                    calls: batches(count, USERS_PER_CREATE),
                    arithmetic: format!(
                        "⌈{count}/{USERS_PER_CREATE}⌉ POST /users; the joins ride in them (the \
                         groups carry no profile)"
                    ),
                };
                (
                    touched,
                    vec![("add_member", count), ("create_user", count)],
                    minimum,
                )
            }
            Self::Offboard { users: count } => {
                let active: Vec<&User> = others
                    .into_iter()
                    .filter(|user| user.status == UserStatus::Active)
                    .collect();
                let picked = spread_pick(&active, count);
                for key in &picked {
                    users.get_mut(key).expect("a desired user").status = UserStatus::Closed;
                }
                // Closing is a bulk `DELETE /users` of user IDs, capped as the calls module
                // says; the closed users' memberships go with them.
                let minimum = Minimum {
                    calls: batches(count, USERS_PER_CLOSE),
                    arithmetic: format!("⌈{count}/{USERS_PER_CLOSE}⌉ DELETE /users"),
                };
                (picked, vec![("close_user", count)], minimum)
            }
            Self::Reorganise { users: count } => {
                let open: Vec<&User> = others
                    .into_iter()
                    .filter(|user| matches!(user.status, UserStatus::Active | UserStatus::Pending))
                    .collect();
                let picked = spread_pick(&open, count);
                let names: Vec<String> = (0..departments).map(department_name).collect();
                let (mut losing, mut gaining) = (BTreeSet::new(), BTreeSet::new());
                for key in &picked {
                    let groups = &mut users.get_mut(key).expect("a desired user").groups;
                    let from = names
                        .iter()
                        .position(|name| groups.contains(name))
                        .expect("every user is in a department");
                    let to = (from + 1) % departments;
                    groups.remove(&names[from]);
                    groups.insert(names[to].clone());
                    losing.insert(from);
                    gaining.insert(to);
                }
                // A group's members are added by one `PUT /groups/{id}/users` and removed by
                // one `DELETE` of it, each taking any number of users (the API documents no
                // cap): one call per department that gains members, one per department that
                // loses some.
                let minimum = Minimum {
                    calls: wide(gaining.len() + losing.len()),
                    arithmetic: format!(
                        "{} PUT (departments gaining) + {} DELETE (departments losing) \
                         /groups/{{id}}/users",
                        gaining.len(),
                        losing.len()
                    ),
                };
                (
                    picked,
                    vec![("add_member", count), ("remove_member", count)],
                    minimum,
                )
            }
        };
        Change {
            desired,
            touched,
            summary,
            minimum,
        }
    }
}

/// Several scenarios on one account, one after another, as one change (an onboarding and a
/// reorganisation in the same pull request): the YAML after all of them, every user any of
/// them touches, their steps added up, and their minimums added up. Adding is right when no
/// call of one can carry another's work: new users' joins ride in their create calls and
/// movers change department groups the new users don't join, so onboarding and a
/// reorganisation share no call. Each scenario picks its users from `live`, so none touches a
/// user another has made.
pub fn change_all(
    scenarios: &[Scenario],
    base: &Desired,
    live: &Account,
    departments: usize,
) -> Change {
    let mut desired = base.clone();
    let mut touched = Vec::new();
    let mut summary = std::collections::BTreeMap::new();
    let mut minimums = Vec::new();
    for scenario in scenarios {
        let change = scenario.change(&desired, live, departments);
        desired = change.desired;
        touched.extend(change.touched);
        for (kind, steps) in change.summary {
            *summary.entry(kind).or_default() += steps;
        }
        minimums.push((scenario.title(), change.minimum));
    }
    Change {
        desired,
        touched,
        summary: summary.into_iter().collect(),
        minimum: Minimum::sum(
            minimums
                .iter()
                .map(|(title, minimum)| (title.as_str(), minimum)),
        ),
    }
}

/// New user `n`, on DocuSign Sender, in `group`.
fn new_hire(n: usize, group: &str) -> User {
    User {
        id: None,
        email: format!("hire{n:04}@example.com"),
        first_name: "Nina".to_owned(),
        last_name: format!("Hire {n:04}"),
        job_title: Some("Associate".to_owned()),
        permission_profile: BuiltinProfile::DocuSignSender.api_name().to_owned(),
        groups: BTreeSet::from([group.to_owned()]),
        status: UserStatus::Active,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

/// `count` of `candidates`, spread evenly over them: their emails.
fn spread_pick(candidates: &[&User], count: usize) -> Vec<EmailKey> {
    assert!(
        candidates.len() >= count,
        "{} candidates for {count} users",
        candidates.len()
    );
    let step = candidates.len() / count;
    candidates
        .iter()
        .step_by(step)
        .take(count)
        .map(|user| EmailKey::new(&user.email))
        .collect()
}

/// The YAML an administrator would keep for the account as it is: every custom profile, group
/// and signing group, every user (closed ones closed), no DocuSign IDs.
pub fn desired_from(live: &Account) -> Desired {
    let mut state = live.clone();
    state
        .permission_profiles
        .retain(|_, profile| BuiltinProfile::from_name(&profile.name).is_none());
    state
        .groups
        .retain(|_, group| BuiltinGroup::from_name(&group.name).is_none());
    for profile in state.permission_profiles.values_mut() {
        profile.id = None;
    }
    for group in state.groups.values_mut() {
        group.id = None;
    }
    for group in state.signing_groups.values_mut() {
        group.id = None;
    }
    for user in state.users.values_mut() {
        user.id = None;
        // The YAML says only active or closed.
        if user.status != UserStatus::Closed {
            user.status = UserStatus::Active;
        }
    }
    Desired {
        account: None,
        default_profile: BuiltinProfile::DocuSignViewer.api_name().to_owned(),
        policy: Policy {
            unmanaged_users: UnmanagedUsers::Report,
            ..Policy::default()
        },
        state,
        generated: std::collections::BTreeMap::new(),
        leavers_left_out: false,
    }
}

/// Every guard class allowed, the administrator as the integration user.
pub fn context(client: &Client) -> Context {
    Context {
        integration_user: Some(ADMIN_EMAIL.to_owned()),
        allowed: GuardClass::ALL.to_vec(),
        hourly_remaining: client.budget().hourly_remaining,
        ..Context::default()
    }
}

/// An apply ready to run: the account as read, what apply recorded of it, the change, the plan.
pub struct Prepared {
    pub live: Snapshot,
    pub recorded: Account,
    pub change: Change,
    pub plan: Plan,
}

/// Reads the account (which must equal the emulated one; the emulator serves `groupList`),
/// checks that its own YAML plans nothing, and plans the scenario's change, which must hold
/// exactly the change and refuse nothing.
pub async fn prepare(
    reader: &Arc<Client>,
    built: &Built,
    scenario: Scenario,
    label: &str,
) -> Prepared {
    let live = snapshot(reader).await.expect("a snapshot");
    emulated::check(&live, built, Memberships::InUserRecords, label);
    let base = desired_from(&live.account);
    let recorded = apply::managed_objects(&live.account, &base.state, None);
    let unchanged = plan::plan(&base, &live.account, Some(&recorded), &context(reader))
        .expect("no rule breach");
    assert!(
        unchanged.steps.is_empty(),
        "{label}: the YAML of the account as it is plans nothing: {:?}",
        unchanged.summary
    );
    let change = scenario.change(&base, &live.account, built.shape.departments);
    let plan = plan::plan(
        &change.desired,
        &live.account,
        Some(&recorded),
        &context(reader),
    )
    .expect("no rule breach");
    let summary: Vec<(&str, usize)> = plan
        .summary
        .iter()
        .map(|(kind, count)| (kind.as_str(), *count))
        .collect();
    assert_eq!(summary, change.summary, "{label}: the plan's changes");
    assert!(
        plan.refusals().is_empty(),
        "{label}: every guard class is allowed"
    );
    Prepared {
        live,
        recorded,
        change,
        plan,
    }
}

/// What the emulator has served so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct Served {
    pub total: u64,
    pub writes: u64,
    pub rejections: u64,
    pub breaches: u64,
}

pub fn served(running: &Running) -> Served {
    let stats = running.shared.stats();
    Served {
        total: stats.total_calls,
        writes: stats
            .calls
            .iter()
            .filter(|(endpoint, _)| !endpoint.starts_with("GET "))
            .map(|(_, count)| count)
            .sum(),
        rejections: stats.rate_limit_rejections,
        breaches: stats.invariant_breaches,
    }
}

/// Checks an apply of `prepared` that ran between the emulator counts `before` and `after`,
/// and returns its counts, to be held to the minimum: every step must be done, the emulator
/// must have served the plan's writes and the reads of reading the account back (no more
/// than one fresh snapshot costs) and refused none, every user must have kept a profile, and
/// a fresh read (with a client of `settings`) must show every touched user as the YAML has
/// it, with nothing left for a new plan to do.
pub async fn verify(
    running: &Running,
    settings: &ClientSettings,
    prepared: &Prepared,
    outcome: &Outcome,
    (before, after): (Served, Served),
    label: &str,
) -> Tally {
    assert!(
        outcome.is_complete(),
        "{label}: {} failed, {} skipped: {:?}",
        outcome.failed(),
        outcome.skipped(),
        outcome
            .entries
            .iter()
            .find(|entry| !matches!(entry.status, apply::Status::Done))
    );
    let writes = after.writes - before.writes;
    assert_eq!(
        after.total - before.total - writes,
        outcome.verification_calls,
        "{label}: apply reads only to read the account back"
    );
    assert_eq!(
        writes,
        outcome.calls - outcome.verification_calls,
        "{label}: reading back wrote nothing (DocuSign did all it acknowledged)"
    );
    assert_eq!(
        after.rejections, 0,
        "{label}: no call refused for the limits"
    );
    assert_eq!(after.breaches, 0, "{label}: every user kept a profile");

    let checker = emulated::client_for(running, settings.clone());
    let fresh = snapshot(&checker).await.expect("a snapshot after apply");
    verify_touched(&fresh.account, prepared, label);
    assert!(
        outcome.verification_calls <= fresh.calls,
        "{label}: reading back took {} calls, more than a snapshot's {}",
        outcome.verification_calls,
        fresh.calls
    );
    let desired = &prepared.change.desired;
    let recorded_after =
        apply::managed_objects(&outcome.account, &desired.state, Some(&prepared.recorded));
    let again = plan::plan(
        desired,
        &fresh.account,
        Some(&recorded_after),
        &context(&checker),
    )
    .expect("no rule breach");
    assert!(
        again.steps.is_empty(),
        "{label}: after apply the account matches the YAML, yet a plan holds {:?}",
        again.summary
    );
    Tally {
        minimum: prepared.change.minimum.clone(),
        estimate: Some(prepared.plan.api_calls),
        client: outcome.calls - outcome.verification_calls,
        served: writes,
        read_back: Some((outcome.verification_calls, fresh.calls)),
    }
}

/// The touched users must be in DocuSign as the YAML has them.
fn verify_touched(fresh: &Account, prepared: &Prepared, label: &str) {
    let desired = &prepared.change.desired.state.users;
    let mut wrong = String::new();
    for key in &prepared.change.touched {
        let want = &desired[key];
        let Some(have) = fresh.users.get(key) else {
            let _ = writeln!(wrong, "{key} is not in DocuSign");
            continue;
        };
        let as_wanted = if want.status == UserStatus::Closed {
            have.status == UserStatus::Closed
        } else {
            have.status != UserStatus::Closed
                && (
                    &have.first_name,
                    &have.last_name,
                    &have.permission_profile,
                    &have.groups,
                ) == (
                    &want.first_name,
                    &want.last_name,
                    &want.permission_profile,
                    &want.groups,
                )
        };
        if !as_wanted {
            let _ = writeln!(wrong, "{key}: wanted {want:?}, found {have:?}");
        }
    }
    assert!(
        wrong.is_empty(),
        "{label}: touched users not as the YAML has them:\n{wrong}"
    );
}
