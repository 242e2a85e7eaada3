//! Apply changes profiles through bulk `PUT /users`, and falls back to
//! `PUT /users/{id}/profile` for the users whose profile an account left as it was.

use docusign_gitops::apply::{self, Silent};
use docusign_gitops::desired;
use docusign_gitops::docusign::auth::Credentials;
use docusign_gitops::docusign::connect::{ConnectionSettings, connect};
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::docusign::{ClientSettings, Secret};
use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::config::{ProfileChangeRoutes, ProfileRoute};
use docusign_gitops::model::EmailKey;
use docusign_gitops::plan::{self, Context};

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
/// profile changes only through `routes`; answers the calls apply made.
fn apply_with(routes: ProfileChangeRoutes) -> u64 {
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
        assert!(outcome.is_complete(), "{:#?}", outcome.entries);
        let after = snapshot(&connection.client)
            .await
            .expect("snapshot")
            .account;
        for email in ["user0@example.com", "user1@example.com"] {
            assert_eq!(
                after.users[&EmailKey::new(email)].permission_profile,
                "DocuSign Viewer",
                "{email}"
            );
        }
        assert_eq!(
            after.users[&EmailKey::new("user0@example.com")]
                .job_title
                .as_deref(),
            Some("Clerk")
        );
        let again = plan::plan(&desired, &after, None, &context).expect("a plan");
        assert!(again.is_empty(), "{:#?}", again.steps);
        outcome.calls
    })
}

#[test]
fn profile_changes_go_in_one_bulk_call_where_the_account_honours_it() {
    assert_eq!(apply_with(ProfileChangeRoutes::all()), 1);
}

#[test]
fn an_account_that_ignores_bulk_profile_changes_gets_one_profile_call_per_user() {
    // One bulk call (the title takes, the profiles don't), then one `/profile` call each.
    assert_eq!(
        apply_with(ProfileChangeRoutes::only(ProfileRoute::PutProfile)),
        3
    );
}
