//! The guards when `policy.limits` says nothing: the larger of 10 and 10% of the live figure for
//! user closures and membership removals, of 3 and 5% for admin grants. Each default is pinned
//! on an account large enough that the percent, not the floor, decides (and on one small
//! enough that the floor does): a plan of exactly the limit passes, one more trips the guard.
//!
//! The large account has 509 open users, so 10% is 50.9 and 5% is 25.45: a limit rounded up,
//! or a base that counted its closed users too, would let one more through. Also here: what
//! counts as an admin grant is judged on the profiles as the plan leaves them, not as DocuSign
//! has them now.

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile, User,
    UserStatus,
};
use docusign_gitops::plan::{self, Context, GuardCheck, GuardClass, Plan};

const INTEGRATION: &str = "integration@example.com";
const SENDER: &str = "DocuSign Sender";
const STAFF: &str = "Staff";
/// Open users on the large account, the integration user among them.
const LARGE: usize = 509;
/// On the small account 10% is 4 and 5% is 2: below the floors.
const SMALL: usize = 40;
/// Closed users on either account: they count towards no base.
const CLOSED: usize = 30;

fn email(index: usize) -> String {
    format!("user{index}@example.com")
}

fn user(email: &str, profile: &str, groups: &[&str], status: UserStatus) -> User {
    User {
        id: None,
        email: email.to_owned(),
        first_name: "Pat".to_owned(),
        last_name: "Doe".to_owned(),
        job_title: None,
        permission_profile: profile.to_owned(),
        groups: groups.iter().map(|group| (*group).to_owned()).collect(),
        status,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

fn profile(name: &str, settings: &[(&str, &str)]) -> PermissionProfile {
    PermissionProfile {
        id: Some(format!("p-{}", NameKey::new(name))),
        name: name.to_owned(),
        settings: settings
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
        previously: Vec::new(),
    }
}

fn group(name: &str) -> Group {
    Group {
        id: Some(format!("g-{}", NameKey::new(name))),
        name: name.to_owned(),
        permission_profile: None,
        previously: Vec::new(),
    }
}

/// `open` open users (the integration user, an administrator, and the rest senders in Staff)
/// and [`CLOSED`] closed ones: `open` memberships in all.
fn live(open: usize) -> Account {
    let mut live = Account::default();
    for builtin in BuiltinProfile::ALL {
        let name = builtin.api_name();
        live.permission_profiles
            .insert(NameKey::new(name), profile(name, &[]));
    }
    for builtin in BuiltinGroup::ALL {
        let name = builtin.api_name();
        live.groups.insert(NameKey::new(name), group(name));
    }
    live.groups.insert(NameKey::new(STAFF), group(STAFF));
    let mut users = vec![user(
        INTEGRATION,
        BuiltinProfile::AccountAdministrator.api_name(),
        &[BuiltinGroup::Administrators.api_name()],
        UserStatus::Active,
    )];
    users.extend((1..open).map(|index| user(&email(index), SENDER, &[STAFF], UserStatus::Active)));
    users.extend(
        (open..open + CLOSED).map(|index| user(&email(index), SENDER, &[], UserStatus::Closed)),
    );
    for (index, mut user) in users.into_iter().enumerate() {
        user.id = Some(format!("u-{index}"));
        live.users.insert(EmailKey::new(&user.email), user);
    }
    live
}

/// The YAML: `users` (each as live has it but for what the test changes), Staff, and nothing
/// said about limits or about the users it leaves out.
fn desired(users: impl IntoIterator<Item = User>) -> Desired {
    let mut state = Account::default();
    state.groups.insert(
        NameKey::new(STAFF),
        Group {
            id: None,
            ..group(STAFF)
        },
    );
    state.users = users
        .into_iter()
        .map(|user| (EmailKey::new(&user.email), user))
        .collect();
    Desired {
        account: None,
        default_profile: SENDER.to_owned(),
        policy: Policy {
            unmanaged_users: UnmanagedUsers::Ignore,
            ..Policy::default()
        },
        state,
        generated: std::collections::BTreeMap::new(),
        leavers_left_out: false,
    }
}

fn plan_of(desired: &Desired, live: &Account) -> Plan {
    let context = Context {
        integration_user: Some(INTEGRATION.to_owned()),
        ..Context::default()
    };
    plan::plan(desired, live, None, &context).expect("no rule breach")
}

fn guard(plan: &Plan, class: GuardClass) -> &GuardCheck {
    plan.guards
        .iter()
        .find(|check| check.class == class)
        .expect("every class is checked")
}

/// Plans `changes` of `class` on an account of `open` users (the YAML `changed` builds), and
/// checks the guard's figures: `limit` passes, one more trips it.
fn assert_default(class: GuardClass, open: usize, limit: u64, changed: fn(usize) -> User) {
    let live = live(open);
    for (changes, tripped) in [(limit, false), (limit + 1, true)] {
        let count = usize::try_from(changes).expect("a small count");
        let plan = plan_of(&desired((1..=count).map(changed)), &live);
        let check = guard(&plan, class);
        assert_eq!(
            (check.count, check.base, check.limit),
            (changes, open as u64, limit),
            "{class:?} with {changes} changes on {open} open users: {check:?}"
        );
        assert_eq!(
            (check.exceeded, check.refuses()),
            (tripped, tripped),
            "{class:?} with {changes} changes on {open} open users: {check:?}"
        );
        let others_tripped: Vec<_> = plan
            .refusals()
            .into_iter()
            .filter(|other| other.class != class)
            .collect();
        assert!(others_tripped.is_empty(), "{others_tripped:?}");
    }
}

fn closed(index: usize) -> User {
    user(&email(index), SENDER, &[STAFF], UserStatus::Closed)
}

fn out_of_staff(index: usize) -> User {
    user(&email(index), SENDER, &[], UserStatus::Active)
}

fn made_admin(index: usize) -> User {
    user(
        &email(index),
        BuiltinProfile::AccountAdministrator.api_name(),
        &[STAFF],
        UserStatus::Active,
    )
}

#[test]
fn user_closures_default_to_ten_percent_of_open_users_on_a_large_account() {
    assert_default(GuardClass::UserClosures, LARGE, 50, closed);
}

#[test]
fn user_closures_default_to_at_least_ten() {
    assert_default(GuardClass::UserClosures, SMALL, 10, closed);
}

#[test]
fn membership_removals_default_to_ten_percent_of_memberships_on_a_large_account() {
    assert_default(GuardClass::MembershipRemovals, LARGE, 50, out_of_staff);
}

#[test]
fn membership_removals_default_to_at_least_ten() {
    assert_default(GuardClass::MembershipRemovals, SMALL, 10, out_of_staff);
}

#[test]
fn admin_grants_default_to_five_percent_of_open_users_on_a_large_account() {
    assert_default(GuardClass::AdminGrants, LARGE, 25, made_admin);
}

#[test]
fn admin_grants_default_to_at_least_three() {
    assert_default(GuardClass::AdminGrants, SMALL, 3, made_admin);
}

/// Gives `user1` the profile `to`, on an account where a custom profile `Ops` can (or can't)
/// manage the account; the YAML declares `declared` as its profiles.
fn grants_of(ops_manages: &str, declared: PermissionProfile, to: &str) -> Plan {
    let mut live = live(SMALL);
    live.permission_profiles.insert(
        NameKey::new("Ops"),
        profile("Ops", &[("allowAccountManagement", ops_manages)]),
    );
    let mut desired = desired([user(&email(1), to, &[STAFF], UserStatus::Active)]);
    desired
        .state
        .permission_profiles
        .insert(NameKey::new(&declared.name), declared);
    plan_of(&desired, &live)
}

/// Found by the plan properties: the guard looked the profile up by its new name in DocuSign,
/// where a profile the plan renames isn't yet, and so missed that it manages the account.
#[test]
fn moving_a_user_to_a_profile_the_plan_renames_counts_its_account_management() {
    let renamed = PermissionProfile {
        id: None,
        previously: vec!["Ops".to_owned()],
        ..profile("Operations", &[])
    };
    let plan = grants_of("true", renamed, "Operations");
    let check = guard(&plan, GuardClass::AdminGrants);
    assert_eq!(check.count, 1, "{plan:#?}");
    assert_eq!(plan.escalations.len(), 1, "{plan:#?}");
}

/// Found by the plan properties: the guard counted account management DocuSign's profile has
/// though the plan turns it off before anyone is given the profile.
#[test]
fn moving_a_user_to_a_profile_the_plan_turns_account_management_off_on_grants_nothing() {
    let turned_off = PermissionProfile {
        id: None,
        ..profile("Ops", &[("allowAccountManagement", "false")])
    };
    let plan = grants_of("true", turned_off, "Ops");
    let check = guard(&plan, GuardClass::AdminGrants);
    assert_eq!(check.count, 0, "{plan:#?}");
    assert!(plan.escalations.is_empty(), "{plan:#?}");
    // Turning it on while giving the profile to someone: one person gains account management,
    // one grant, however many steps it takes.
    let turned_on = PermissionProfile {
        id: None,
        ..profile("Ops", &[("allowAccountManagement", "true")])
    };
    let plan = grants_of("false", turned_on, "Ops");
    assert_eq!(guard(&plan, GuardClass::AdminGrants).count, 1, "{plan:#?}");
    assert_eq!(
        plan.escalations,
        vec![format!("{}: profile: `{SENDER}` → `Ops`", email(1))],
        "{plan:#?}"
    );
}

/// The small account with a custom profile `Ops` (account management as `manages`) held by
/// users 1 to `holders`, and a group `Board` (no profile) whose members are users 1 and 2.
fn account_with_ops(manages: &str, holders: usize) -> Account {
    let mut live = live(SMALL);
    live.permission_profiles.insert(
        NameKey::new("Ops"),
        profile("Ops", &[("allowAccountManagement", manages)]),
    );
    live.groups.insert(NameKey::new("Board"), group("Board"));
    for index in 1..=holders {
        let user = live
            .users
            .get_mut(&EmailKey::new(&email(index)))
            .expect("a user");
        "Ops".clone_into(&mut user.permission_profile);
    }
    for index in 1..=2 {
        let user = live
            .users
            .get_mut(&EmailKey::new(&email(index)))
            .expect("a user");
        user.groups.insert("Board".to_owned());
    }
    live
}

/// The YAML of `live` as it is for users 1 to 8, with `Ops` and `Board` as given.
fn yaml_of(live: &Account, ops: PermissionProfile, board: Group) -> Desired {
    let mut desired = desired((1..=8).map(|index| {
        let mut user = live.users[&EmailKey::new(&email(index))].clone();
        user.id = None;
        user
    }));
    desired
        .state
        .permission_profiles
        .insert(NameKey::new("Ops"), PermissionProfile { id: None, ..ops });
    desired
        .state
        .groups
        .insert(NameKey::new("Board"), Group { id: None, ..board });
    desired
}

#[test]
fn turning_account_management_on_counts_one_grant_per_holder_however_docusign_spells_yes() {
    for yes in ["true", "True"] {
        let live = account_with_ops("false", 6);
        let desired = yaml_of(
            &live,
            profile("Ops", &[("allowAccountManagement", yes)]),
            group("Board"),
        );
        let plan = plan_of(&desired, &live);
        assert_eq!(
            guard(&plan, GuardClass::AdminGrants).count,
            6,
            "{yes}: {plan:#?}"
        );
        assert_eq!(plan.escalations.len(), 6, "{yes}: {plan:#?}");
        assert!(
            plan.escalations.contains(&format!(
                "{}: holds `Ops`, which gains account management",
                email(6)
            )),
            "{:#?}",
            plan.escalations
        );
    }
    // A profile no one holds hands nothing to anyone.
    let live = account_with_ops("false", 0);
    let desired = yaml_of(
        &live,
        profile("Ops", &[("allowAccountManagement", "true")]),
        group("Board"),
    );
    assert_eq!(
        guard(&plan_of(&desired, &live), GuardClass::AdminGrants).count,
        0
    );
}

#[test]
fn giving_a_group_an_admin_capable_profile_counts_one_grant_per_member() {
    let live = account_with_ops("true", 0);
    let desired = yaml_of(
        &live,
        profile("Ops", &[("allowAccountManagement", "true")]),
        Group {
            permission_profile: Some("Ops".to_owned()),
            ..group("Board")
        },
    );
    let plan = plan_of(&desired, &live);
    let check = guard(&plan, GuardClass::AdminGrants);
    assert_eq!(check.count, 2, "{plan:#?}");
    assert!(
        plan.escalations[0].contains("is in `Board`, which now carries `Ops`"),
        "{:#?}",
        plan.escalations
    );
    // With `admin_grants: 1` the plan is refused.
    let mut limited = desired;
    limited.policy.limits.admin_grants = Some(docusign_gitops::desired::checked::Limit::Count(1));
    let plan = plan_of(&limited, &live);
    assert!(guard(&plan, GuardClass::AdminGrants).refuses(), "{plan:#?}");
}

#[test]
fn one_person_made_an_administrator_by_two_steps_is_one_grant() {
    let live = live(SMALL);
    let mut made = made_admin(1);
    made.groups
        .insert(BuiltinGroup::Administrators.api_name().to_owned());
    let plan = plan_of(&desired([made]), &live);
    assert!(plan.steps.len() >= 2, "{plan:#?}");
    assert_eq!(guard(&plan, GuardClass::AdminGrants).count, 1, "{plan:#?}");
    assert_eq!(plan.escalations.len(), 1, "{plan:#?}");
}
