//! Users the plan must leave alone (the integration user, `policy.protected_users`) are never
//! changed by a delete either: a group or signing group the YAML removes while such a user is
//! in it is kept and reported, as a deleted profile they hold is. And the integration user
//! stays in Administrators whatever the YAML says.

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};
use docusign_gitops::plan::{self, Context, Operation, Plan};

const INTEGRATION: &str = "integration@example.com";
const GUARDED: &str = "guarded@example.com";
const ANA: &str = "ana@example.com";
const SENDER: &str = "DocuSign Sender";

fn user(email: &str, profile: &str, groups: &[&str]) -> User {
    User {
        id: Some(format!("u-{email}")),
        email: email.to_owned(),
        first_name: "Pat".to_owned(),
        last_name: "Doe".to_owned(),
        job_title: None,
        permission_profile: profile.to_owned(),
        groups: groups.iter().map(|group| (*group).to_owned()).collect(),
        status: UserStatus::Active,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

fn group(name: &str) -> Group {
    Group {
        id: Some(format!("g-{name}")),
        name: name.to_owned(),
        permission_profile: None,
        previously: Vec::new(),
    }
}

fn signing_group(name: &str, members: &[&str]) -> SigningGroup {
    SigningGroup {
        id: Some(format!("s-{name}")),
        name: name.to_owned(),
        email: None,
        members: members
            .iter()
            .map(|email| {
                (
                    EmailKey::new(email),
                    SigningGroupMember {
                        name: "Pat Doe".to_owned(),
                        email: (*email).to_owned(),
                    },
                )
            })
            .collect(),
        previously: Vec::new(),
    }
}

/// The integration user (an administrator), a protected user and Ana; `Board` holds the user
/// `board_member` and Ana; the signing group `Night` holds `night_member` and Ana.
fn live(board_member: &str, night_member: &str) -> Account {
    let mut live = Account::default();
    for builtin in BuiltinProfile::ALL {
        let name = builtin.api_name();
        live.permission_profiles.insert(
            NameKey::new(name),
            PermissionProfile {
                id: Some(format!("p-{name}")),
                name: name.to_owned(),
                settings: std::collections::BTreeMap::new(),
                previously: Vec::new(),
            },
        );
    }
    for builtin in BuiltinGroup::ALL {
        let name = builtin.api_name();
        live.groups.insert(NameKey::new(name), group(name));
    }
    live.groups.insert(NameKey::new("Board"), group("Board"));
    live.signing_groups.insert(
        NameKey::new("Night"),
        signing_group("Night", &[night_member, ANA]),
    );
    let administrators = BuiltinGroup::Administrators.api_name();
    for mut user in [
        user(
            INTEGRATION,
            BuiltinProfile::AccountAdministrator.api_name(),
            &[administrators],
        ),
        user(GUARDED, SENDER, &[]),
        user(ANA, SENDER, &["Board"]),
    ] {
        if user.email == board_member {
            user.groups.insert("Board".to_owned());
        }
        live.users.insert(EmailKey::new(&user.email), user);
    }
    live
}

/// The YAML: Ana and the protected user as they are, no `Board`, no `Night`.
fn desired(users: Vec<User>) -> Desired {
    let mut policy = Policy {
        unmanaged_users: UnmanagedUsers::Ignore,
        ..Policy::default()
    };
    policy.protected_users.insert(EmailKey::new(GUARDED));
    Desired {
        account: None,
        default_profile: SENDER.to_owned(),
        policy,
        state: Account {
            users: users
                .into_iter()
                .map(|mut user| {
                    user.id = None;
                    (EmailKey::new(&user.email), user)
                })
                .collect(),
            ..Account::default()
        },
        generated: std::collections::BTreeMap::new(),
        leavers_left_out: false,
    }
}

fn plan_of(desired: &Desired, live: &Account) -> Plan {
    let context = Context {
        integration_user: Some(INTEGRATION.to_owned()),
        ..Context::default()
    };
    plan::plan(desired, live, Some(live), &context).expect("no rule breach")
}

fn deletes(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|step| match &step.operation {
            Operation::DeleteGroup { name, .. } => Some(format!("group {name}")),
            Operation::DeleteSigningGroup { name, .. } => Some(format!("signing group {name}")),
            _ => None,
        })
        .collect()
}

fn notes(plan: &Plan) -> Vec<String> {
    plan.reports
        .iter()
        .map(|report| format!("{}: {}", report.email, report.note))
        .collect()
}

#[test]
fn groups_holding_no_one_left_alone_are_deleted_as_the_yaml_says() {
    let live = live(ANA, ANA);
    let plan = plan_of(&desired(vec![user(ANA, SENDER, &[])]), &live);
    assert_eq!(deletes(&plan), ["signing group Night", "group Board"]);
}

#[test]
fn a_group_or_signing_group_holding_a_protected_user_is_kept_and_reported() {
    let live = live(GUARDED, GUARDED);
    let plan = plan_of(&desired(vec![user(ANA, SENDER, &[])]), &live);
    assert_eq!(deletes(&plan), Vec::<String>::new(), "{:#?}", plan.steps);
    let notes = notes(&plan);
    for expected in [
        "guarded@example.com: is in `Board`, which the YAML removed; the group is kept because this user is left alone: protected by `policy.protected_users`",
        "guarded@example.com: is in the signing group `Night`, which the YAML removed; it is kept because this user is left alone: protected by `policy.protected_users`",
    ] {
        assert!(notes.iter().any(|note| note == expected), "{notes:#?}");
    }
}

#[test]
fn a_group_or_signing_group_holding_the_integration_user_is_kept_and_reported() {
    let live = live(INTEGRATION, INTEGRATION);
    let plan = plan_of(&desired(vec![user(ANA, SENDER, &[])]), &live);
    assert_eq!(deletes(&plan), Vec::<String>::new(), "{:#?}", plan.steps);
    let notes = notes(&plan);
    assert!(
        notes.iter().any(|note| note.starts_with(
            "integration@example.com: is in `Board`, which the YAML removed; the group is kept"
        ) && note.ends_with("the integration user is never changed")),
        "{notes:#?}"
    );
}

#[test]
fn the_integration_user_stays_in_administrators_whatever_the_yaml_says() {
    let live = live(ANA, ANA);
    // The YAML lists the integration user with no groups and a lesser profile.
    let plan = plan_of(
        &desired(vec![user(ANA, SENDER, &[]), user(INTEGRATION, SENDER, &[])]),
        &live,
    );
    let touches_integration = plan.steps.iter().any(|step| {
        matches!(
            &step.operation,
            Operation::RemoveMember { email, .. } | Operation::ChangeProfile { email, .. }
                if email == INTEGRATION
        )
    });
    assert!(!touches_integration, "{:#?}", plan.steps);
}
