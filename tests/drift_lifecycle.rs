//! `drift`'s DocuSign-lifecycle class: a user's status that DocuSign moved on since the last
//! apply. As the README's table says, an accepted invitation is listed there but is not drift
//! (`drift` exits 0 for it); a user closed, disabled or enabled in DocuSign's pages is
//! lifecycle drift (exit 2); a closed user opened again is a change outside git.

use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::Policy;
use docusign_gitops::drift::{self, Class, Part};
use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::account::UserStatus as EmulatedStatus;
use docusign_gitops::model::{Account, EmailKey, User, UserStatus};
use docusign_gitops::state::RecordedState;
use serde_json::{Value, json};

use crate::emulator_support::{ACCOUNT_ID, Api, account_with, start};
use crate::harness::Fixture;

fn user(status: UserStatus) -> User {
    User {
        id: Some("u-ana".to_owned()),
        email: "ana@example.com".to_owned(),
        first_name: "Ana".to_owned(),
        last_name: "Silva".to_owned(),
        job_title: None,
        permission_profile: "DocuSign Sender".to_owned(),
        groups: std::collections::BTreeSet::new(),
        status,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

fn with(user: User) -> Account {
    Account {
        users: [(EmailKey::new(&user.email), user)].into(),
        ..Account::default()
    }
}

#[test]
fn each_status_docusign_moves_on_is_classed_and_only_an_accepted_invitation_is_not_drift() {
    use UserStatus::{Active, Closed, Disabled, Pending};
    let cases = [
        (
            Pending,
            Active,
            Class::Lifecycle,
            "accepted the invitation",
            false,
        ),
        (Active, Closed, Class::Lifecycle, "closed in DocuSign", true),
        (
            Pending,
            Closed,
            Class::Lifecycle,
            "closed in DocuSign",
            true,
        ),
        (
            Active,
            Disabled,
            Class::Lifecycle,
            "disabled in DocuSign",
            true,
        ),
        (
            Disabled,
            Active,
            Class::Lifecycle,
            "enabled in DocuSign",
            true,
        ),
        (
            Closed,
            Active,
            Class::ChangedOutsideGit,
            "reopened outside git",
            true,
        ),
    ];
    for (was, now, class, change, counts) in cases {
        // The YAML says what the last apply did, so nothing is pending: only what DocuSign
        // did shows.
        let desired = Desired {
            account: None,
            default_profile: "DocuSign Viewer".to_owned(),
            policy: Policy::default(),
            state: with(User {
                id: None,
                status: if was == Closed { Closed } else { Active },
                ..user(was)
            }),
            generated: std::collections::BTreeMap::new(),
            leavers_left_out: false,
        };
        let recorded = RecordedState {
            objects: with(user(was)),
            ..RecordedState::first(ACCOUNT_ID, "demo")
        };
        let report = drift::detect(
            &desired,
            &with(user(now)),
            &recorded,
            None,
            jiff::civil::date(2026, 6, 15),
        );
        let found: Vec<_> = report
            .differences
            .iter()
            .map(|difference| {
                (
                    difference.class,
                    difference.kind,
                    difference.change.as_str(),
                    difference.counts,
                )
            })
            .collect();
        assert_eq!(
            found,
            [(class, Part::Users, change, counts)],
            "{was:?} → {now:?}"
        );
        assert_eq!(report.drift_found(), counts, "{was:?} → {now:?}");
    }
}

const YAML: &str = "account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
defaults:
  permission_profile: DocuSign Sender
users:
  - email: admin@example.com
    first_name: Ada
    last_name: Admin
    permission_profile: Account Administrator
    groups: [Administrators]
  - email: user0@example.com
    first_name: User
    last_name: '0'
  - email: new.hire@example.com
    first_name: New
    last_name: Hire
";

/// The lifecycle differences of a JSON report, as (object, change, counts).
fn lifecycle(report: &Value) -> Vec<(String, String, bool)> {
    report["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .filter(|difference| difference["class"] == "lifecycle")
        .map(|difference| {
            (
                difference["object"].as_str().expect("object").to_owned(),
                difference["change"].as_str().expect("change").to_owned(),
                difference["counts"].as_bool().expect("counts"),
            )
        })
        .collect()
}

#[test]
fn drift_lists_an_accepted_invitation_without_failing_and_fails_on_a_user_closed_in_docusign() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), account_with(1)));
    let api = Api::new(&running);
    let dir = Fixture::new().file("account.yaml", YAML).emulator(&running);
    dir.run(&["apply", ".", "--auto-approve", "--no-commit"])
        .exits(0);
    // The apply invited the new hire: pending until they sign in.
    dir.run(&["drift", "."]).exits(0).stdout_has("No drift");

    // They accept the invitation, which DocuSign records without any API call of ours.
    {
        let mut slot = running.shared.slot(ACCOUNT_ID).expect("the account");
        let invited = slot
            .account
            .users
            .iter_mut()
            .find(|user| user.email == "new.hire@example.com")
            .expect("the apply created the new hire");
        assert_eq!(invited.status, EmulatedStatus::ActivationSent);
        invited.status = EmulatedStatus::Active;
    }
    let accepted = dir.run(&["drift", "."]);
    accepted.exits(0).stdout_has(
        "# DocuSign lifecycle\n  user new.hire@example.com: accepted the invitation (not drift)\n",
    );
    accepted.stdout_has("No drift");
    let report = dir.run(&["drift", ".", "--format", "json"]);
    report.exits(0);
    let report: Value = serde_json::from_str(&report.stdout).expect("a JSON report");
    assert_eq!(
        lifecycle(&report),
        [(
            "new.hire@example.com".to_owned(),
            "accepted the invitation".to_owned(),
            false
        )],
        "{report:#}"
    );

    // An admin closes user0 in DocuSign's pages: lifecycle drift.
    let users = runtime.block_on(api.get("/users?count=100"));
    let user0_id = users.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|user| user["email"] == "user0@example.com")
        .and_then(|user| user["userId"].as_str())
        .expect("user0")
        .to_owned();
    let closed = runtime.block_on(api.delete(
        "/users",
        Some(&json!({ "users": [{ "userId": user0_id }] })),
    ));
    assert!(closed.status.is_success(), "{closed:?}");
    let drift = dir.run(&["drift", "."]);
    drift
        .exits(2)
        .stdout_has("# DocuSign lifecycle\n  user new.hire@example.com: accepted the invitation (not drift)\n  user user0@example.com: closed in DocuSign\n");
    drift.stdout_has("Drift: 1 difference ");
    assert!(
        !drift.stdout.contains("# Changed outside git"),
        "{}",
        drift.stdout
    );
}
