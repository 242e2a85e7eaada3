use super::*;
use crate::desired::checked::{Policy, UnmanagedUsers};
use crate::model::{EmailKey, Group, PermissionProfile, User, UserStatus};

const ANA: &str = "ana@example.com";

fn profile(name: &str) -> (NameKey, PermissionProfile) {
    let entry = crate::plan::fixtures::profile(&format!("p-{name}"), name, &[]);
    (NameKey::new(name), entry)
}

fn group(name: &str) -> (NameKey, Group) {
    let entry = crate::plan::fixtures::group(&format!("g-{name}"), name, None);
    (NameKey::new(name), entry)
}

fn ana(first_name: &str, profile: &str, groups: &[&str], status: UserStatus) -> User {
    User {
        id: Some("u-ana".to_owned()),
        first_name: first_name.to_owned(),
        last_name: "Lima".to_owned(),
        ..crate::plan::fixtures::user(ANA, profile, groups, status)
    }
}

/// DocuSign's side: Ana, Active, "Ana" on DocuSign Sender in Sales; `scim` sets her flags.
fn live(scim: impl FnOnce(&mut User), status: UserStatus) -> Account {
    let mut user = ana("Ana", "DocuSign Sender", &["Sales"], status);
    scim(&mut user);
    Account {
        permission_profiles: BTreeMap::from([
            profile("DocuSign Sender"),
            profile("DocuSign Viewer"),
            profile("Legacy"),
        ]),
        groups: BTreeMap::from([group("Sales"), group("Support")]),
        signing_groups: BTreeMap::new(),
        users: BTreeMap::from([(EmailKey::new(ANA), user)]),
    }
}

fn desired(users: &[User]) -> Desired {
    Desired {
        account: None,
        default_profile: "DocuSign Viewer".to_owned(),
        policy: Policy::default(),
        state: Account {
            permission_profiles: BTreeMap::from([
                profile("DocuSign Sender"),
                profile("DocuSign Viewer"),
            ]),
            groups: BTreeMap::from([group("Sales"), group("Support")]),
            signing_groups: BTreeMap::new(),
            users: users
                .iter()
                .map(|user| (EmailKey::new(&user.email), user.clone()))
                .collect(),
        },
        generated: BTreeMap::new(),
        leavers_left_out: false,
    }
}

/// The YAML's Ana: renamed "Anna", on DocuSign Viewer, moved from Sales to Support.
fn changed_ana() -> User {
    ana("Anna", "DocuSign Viewer", &["Support"], UserStatus::Active)
}

fn run(desired: &Desired, live: &Account, recorded: Option<&Account>) -> Diff {
    diff(Inputs {
        desired,
        live,
        recorded,
        integration_user: None,
    })
}

fn kinds(diff: &Diff) -> Vec<String> {
    let mut kinds: Vec<String> = diff
        .operations
        .iter()
        .map(|planned| crate::plan::kind(&planned.operation))
        .collect();
    kinds.sort();
    kinds
}

/// The notes about Ana.
fn notes(diff: &Diff) -> Vec<&str> {
    diff.reports
        .iter()
        .filter(|report| report.email == ANA)
        .map(|report| report.note.as_str())
        .collect()
}

/// The plan for the YAML's Ana, `yaml_ana`, against DocuSign's, `scim` setting her flags there.
fn ana_against(yaml_ana: User, scim: impl FnOnce(&mut User), status: UserStatus) -> Diff {
    run(&desired(&[yaml_ana]), &live(scim, status), None)
}

/// The one note about Ana: one per user, however many things it says.
fn only_note(diff: &Diff) -> &str {
    let notes = notes(diff);
    assert_eq!(notes.len(), 1, "one note per user: {notes:?}");
    notes[0]
}

fn owned_by_scim(user: &mut User) {
    user.managed_by_scim = true;
}

fn memberships_owned_by_scim(user: &mut User) {
    user.membership_managed_by_scim = true;
}

fn both_owned_by_scim(user: &mut User) {
    owned_by_scim(user);
    memberships_owned_by_scim(user);
}

#[test]
fn without_scim_every_difference_is_planned() {
    let diff = ana_against(changed_ana(), |_| {}, UserStatus::Active);
    assert_eq!(
        kinds(&diff),
        [
            "add_member",
            "change_profile",
            "remove_member",
            "update_user"
        ]
    );
    assert!(notes(&diff).is_empty(), "{:?}", diff.reports);
}

#[test]
fn a_user_scim_manages_keeps_its_names_but_gets_its_profile_and_groups() {
    let diff = ana_against(changed_ana(), owned_by_scim, UserStatus::Active);
    assert_eq!(
        kinds(&diff),
        ["add_member", "change_profile", "remove_member"]
    );
    assert_eq!(
        notes(&diff),
        [
            "differs from the YAML, but an identity provider manages its name and job title (SCIM), so the plan leaves that alone; change it there"
        ]
    );
}

#[test]
fn memberships_scim_manages_are_left_alone_and_the_rest_is_planned() {
    let diff = ana_against(changed_ana(), memberships_owned_by_scim, UserStatus::Active);
    assert_eq!(kinds(&diff), ["change_profile", "update_user"]);
    assert!(only_note(&diff).contains("manages its group memberships (SCIM)"));
}

#[test]
fn with_both_flags_only_the_profile_is_planned_and_one_note_says_why() {
    let diff = ana_against(changed_ana(), both_owned_by_scim, UserStatus::Active);
    assert_eq!(kinds(&diff), ["change_profile"]);
    assert!(only_note(&diff).contains("its name and job title, and group memberships (SCIM)"));
}

#[test]
fn a_user_scim_manages_as_the_yaml_has_it_gets_no_note() {
    let same = ana("Ana", "DocuSign Sender", &["Sales"], UserStatus::Active);
    let diff = ana_against(same, both_owned_by_scim, UserStatus::Active);
    assert!(diff.operations.is_empty(), "{:?}", diff.operations);
    assert!(notes(&diff).is_empty(), "{:?}", diff.reports);
}

#[test]
fn a_user_scim_manages_is_neither_closed_nor_reopened() {
    let closed = ana("Ana", "DocuSign Sender", &["Sales"], UserStatus::Closed);
    let diff = ana_against(closed, owned_by_scim, UserStatus::Active);
    assert!(diff.operations.is_empty(), "{:?}", diff.operations);
    assert!(notes(&diff)[0].contains("manages its status (SCIM)"));

    // Closed in DocuSign: reopening is the identity provider's, and a closed user can't
    // be given a profile or groups.
    let diff = ana_against(changed_ana(), owned_by_scim, UserStatus::Closed);
    assert!(diff.operations.is_empty(), "{:?}", diff.operations);
    assert!(only_note(&diff).contains("manages its status (SCIM)"));

    // Memberships alone don't stop a reopening.
    let diff = ana_against(changed_ana(), memberships_owned_by_scim, UserStatus::Closed);
    assert_eq!(kinds(&diff), ["reactivate_user", "update_user"]);
}

#[test]
fn a_user_scim_manages_that_the_yaml_dropped_stays_open() {
    let recorded = Account {
        users: live(|_| {}, UserStatus::Active).users,
        ..Account::default()
    };
    let diff = run(
        &desired(&[]),
        &live(owned_by_scim, UserStatus::Active),
        Some(&recorded),
    );
    assert!(diff.operations.is_empty(), "{:?}", diff.operations);
    assert_eq!(
        notes(&diff),
        [
            "removed from the YAML, but an identity provider manages its status (SCIM), so the plan leaves that alone; change it there"
        ]
    );
    let diff = run(
        &desired(&[]),
        &live(memberships_owned_by_scim, UserStatus::Active),
        Some(&recorded),
    );
    assert_eq!(kinds(&diff), ["close_user"]);
}

#[test]
fn the_reset_and_close_policies_leave_what_scim_manages() {
    // The YAML names only Bo, so Ana follows `policy.unmanaged_users`.
    let bo = User {
        email: "bo@example.com".to_owned(),
        ..ana("Bo", "DocuSign Sender", &[], UserStatus::Active)
    };
    let mut desired = desired(&[bo]);
    desired.policy.unmanaged_users = UnmanagedUsers::Reset;
    let diff = run(
        &desired,
        &live(memberships_owned_by_scim, UserStatus::Active),
        None,
    );
    // Bo is created; Ana gets the default profile but stays in Sales.
    assert_eq!(kinds(&diff), ["change_profile", "create_user"]);
    assert!(
        notes(&diff)[0]
            .starts_with("not in the YAML, but an identity provider manages its group memberships"),
        "{:?}",
        diff.reports
    );

    desired.policy.unmanaged_users = UnmanagedUsers::Close;
    let diff = run(&desired, &live(owned_by_scim, UserStatus::Active), None);
    assert_eq!(kinds(&diff), ["create_user"]);
    assert!(notes(&diff)[0].contains("manages its status (SCIM)"));
}

#[test]
fn a_deleted_profile_held_by_a_user_scim_manages_is_still_deleted() {
    let mut live = live(both_owned_by_scim, UserStatus::Active);
    live.users
        .get_mut(&EmailKey::new(ANA))
        .expect("Ana")
        .permission_profile = "Legacy".to_owned();
    let mut recorded = Account::default();
    recorded.permission_profiles.extend([profile("Legacy")]);
    let same = ana("Ana", "DocuSign Viewer", &["Sales"], UserStatus::Active);
    let mut desired = desired(&[]);
    // Ana isn't in the YAML: the deleted profile moves her to the default profile.
    desired.policy.unmanaged_users = UnmanagedUsers::Ignore;
    let diff = run(&desired, &live, Some(&recorded));
    assert_eq!(kinds(&diff), ["change_profile", "delete_profile"]);
    let diff = run(&self::desired(&[same]), &live, Some(&recorded));
    assert_eq!(kinds(&diff), ["change_profile", "delete_profile"]);
}
