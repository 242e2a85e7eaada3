//! Apply changes profiles through bulk `PUT /users`, reads the account back, and sends the
//! changes an account acknowledged but ignored through the next routes — `PUT /users/{id}`,
//! then `PUT /users/{id}/profile` — whatever the answers echo.

use docusign_gitops::apply::{self, Silent, Status};
use docusign_gitops::desired;
use docusign_gitops::docusign::auth::Credentials;
use docusign_gitops::docusign::connect::{ConnectionSettings, connect};
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::docusign::{ClientSettings, Secret};
use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::config::{ProfileChangeRoutes, ProfileRoute};
use docusign_gitops::model::{Account, EmailKey};
use docusign_gitops::plan::{self, Context, Operation};

use crate::emulator_support::{ACCOUNT_ID, ADMIN_EMAIL, TOKEN, account_with, start};

const YAML: &str = "account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
users:
  - email: user0@example.com
    first_name: User
    last_name: '0'
    job_title: Clerk
    permission_profile: DocuSign Viewer
  - email: user1@example.com
    first_name: User
    last_name: '1'
    permission_profile: DocuSign Viewer
";

/// Applies the YAML's two profile changes (and one title) on an emulator whose account honours
/// profile changes only through `routes`; answers what apply made of it.
fn apply_with(routes: ProfileChangeRoutes) -> Applied {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(
        Config {
            profile_change: routes,
            ..Config::default()
        },
        account_with(2),
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("users.yaml"), YAML).expect("write YAML");
    let desired = desired::load(dir.path()).desired.expect("valid YAML");
    runtime.block_on(async {
        let connection = connect(ConnectionSettings {
            auth_server: running.url.clone(),
            base_url: None,
            account_id: Some(ACCOUNT_ID.to_owned()),
            credentials: Credentials::AccessToken(Secret::new(TOKEN)),
            client: ClientSettings::default(),
        })
        .await
        .expect("connect");
        let live = snapshot(&connection.client)
            .await
            .expect("snapshot")
            .account;
        let context = Context {
            integration_user: Some(ADMIN_EMAIL.to_owned()),
            ..Context::default()
        };
        let plan = plan::plan(&desired, &live, None, &context).expect("a plan");
        assert_eq!(
            plan.summary.get("change_profile"),
            Some(&2),
            "{:#?}",
            plan.steps
        );
        let outcome = apply::execute(&plan, &live, &connection.client, &Silent, &mut |_| {}).await;
        let after = snapshot(&connection.client)
            .await
            .expect("snapshot")
            .account;
        let again = plan::plan(&desired, &after, None, &context).expect("a plan");
        Applied {
            plan,
            outcome,
            after,
            again,
        }
    })
}

struct Applied {
    plan: plan::Plan,
    outcome: apply::Outcome,
    /// The account as the emulator has it afterwards.
    after: Account,
    /// A plan made right after.
    again: plan::Plan,
}

/// The apply converged: both profiles and the title took, and nothing is left to plan.
fn converged(applied: &Applied) {
    assert!(
        applied.outcome.is_complete(),
        "{:#?}",
        applied.outcome.entries
    );
    for email in ["user0@example.com", "user1@example.com"] {
        assert_eq!(
            applied.after.users[&EmailKey::new(email)].permission_profile,
            "DocuSign Viewer",
            "{email}"
        );
    }
    assert_eq!(
        applied.after.users[&EmailKey::new("user0@example.com")]
            .job_title
            .as_deref(),
        Some("Clerk")
    );
    assert!(applied.again.is_empty(), "{:#?}", applied.again.steps);
}

#[test]
fn profile_changes_go_in_one_bulk_call_where_the_account_honours_it() {
    let applied = apply_with(ProfileChangeRoutes::all());
    converged(&applied);
    let outcome = applied.outcome;
    assert_eq!(
        outcome.calls - outcome.verification_calls,
        1,
        "one bulk call"
    );
    assert!(outcome.read_back);
    assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
}

#[test]
fn each_route_an_account_ignores_is_found_by_reading_back_and_the_next_one_tried() {
    for (only, route) in [
        (ProfileRoute::PutUser, "PUT /users/{userId}"),
        (ProfileRoute::PutProfile, "PUT /users/{userId}/profile"),
    ] {
        let applied = apply_with(ProfileChangeRoutes::only(only));
        converged(&applied);
        let outcome = applied.outcome;
        // The plan's own call: one bulk call (the title takes, the profiles don't).
        assert_eq!(outcome.calls - outcome.verification_calls, 1, "{only:?}");
        assert_eq!(
            outcome.notes,
            [format!("2 profile change(s) took only through {route}")],
            "{only:?}"
        );
    }
}

#[test]
fn a_change_no_route_makes_is_failed_with_the_evidence_and_never_recorded_as_done() {
    let applied = apply_with(ProfileChangeRoutes {
        put_user: false,
        put_profile: false,
        bulk_put_users: false,
    });
    let outcome = &applied.outcome;
    for email in ["user0@example.com", "user1@example.com"] {
        let step = applied
            .plan
            .steps
            .iter()
            .position(|step| {
                matches!(&step.operation, Operation::ChangeProfile { email: who, .. } if who == email)
            })
            .expect("the profile change");
        match &outcome.entries[step].status {
            Status::Failed { code, message } => {
                assert_eq!(code, "NOT_APPLIED");
                assert!(
                    message.starts_with(&format!(
                        "DocuSign answered 200 but `{email}` still holds DocuSign Sender, not DocuSign Viewer"
                    )) && message.contains("PUT /users/{userId}/profile"),
                    "{message}"
                );
            }
            other => panic!("{email}: {other:?}"),
        }
        // What apply hands on to the recorded state is what it read: the old profile.
        assert_eq!(
            outcome.account.users[&EmailKey::new(email)].permission_profile,
            "DocuSign Sender"
        );
    }
    assert!(!outcome.is_complete());
    // The title took, and is done.
    let title = applied
        .plan
        .steps
        .iter()
        .position(|step| matches!(step.operation, Operation::UpdateUser { .. }))
        .expect("the title change");
    assert_eq!(outcome.entries[title].status, Status::Done);
    assert_eq!(applied.again.summary.get("change_profile"), Some(&2));
}
