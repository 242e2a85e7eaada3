//! An account whose plan lacks signing groups: DocuSign refuses their list. Plan, apply and
//! drift work on the rest of the account when the YAML declares none, and refuse, changing
//! nothing, when it declares some.

use axum::http::StatusCode;
use axum::routing::get;
use docusign_gitops::docusign::ClientError;
use docusign_gitops::docusign::snapshot::{Snapshot, snapshot};
use docusign_gitops::emulator::Config;
use serde_json::{Value, json};

use crate::apply_cli::repo_with;
use crate::apply_support::{client_at, quick_settings, writes};
use crate::served::Served;

const LIVE: &str = "
integration_user: admin@example.com
groups:
  - name: Sales
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: sam@example.com, first_name: Sam, last_name: Send, permission_profile: DocuSign Sender }
";

const PEOPLE: &str = "
defaults:
  permission_profile: DocuSign Sender
groups:
  - name: Sales
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: sam@example.com, first_name: Sam, last_name: Send, groups: [Sales] }
";

fn without_signing_groups() -> Served {
    Served::of_seed(
        Config {
            signing_groups_enabled: false,
            ..Config::default()
        },
        LIVE,
    )
}

#[test]
fn an_account_without_signing_groups_is_managed_when_the_yaml_declares_none() {
    let hosted = without_signing_groups();
    let dir = repo_with(&[("people.yaml", PEOPLE)]);
    hosted
        .cli()
        .run(dir.path(), &["plan", "--detailed-exitcode"])
        .exits(2)
        .stdout_has("sam@example.com");
    hosted
        .cli()
        .run(dir.path(), &["apply", "--auto-approve"])
        .exits(0);
    hosted
        .cli()
        .run(dir.path(), &["plan", "--detailed-exitcode"])
        .exits(0);
    hosted.cli().run(dir.path(), &["drift"]).exits(0);
}

#[test]
fn signing_groups_in_the_yaml_of_an_account_without_them_are_refused_and_nothing_changes() {
    let hosted = without_signing_groups();
    let yaml = format!(
        "{PEOPLE}signing_groups:\n  - name: Approvers\n    members:\n      - {{ name: Sam Send, email: sam@example.com }}\n"
    );
    let dir = repo_with(&[("people.yaml", &yaml)]);
    let before = writes(&hosted.stats());
    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        hosted
            .cli()
            .run(dir.path(), command)
            .exits(1)
            .stderr_has(&["signing_groups_off", "declares 1"]);
    }
    assert_eq!(writes(&hosted.stats()), before, "nothing was written");
}

/// Snapshots an account of one user on a tiny server whose `/signing_groups` answers
/// `status` with `body`.
async fn snapshot_with_signing_groups_answering(
    status: u16,
    body: Value,
) -> Result<Snapshot, ClientError> {
    let users = json!({
        "totalSetSize": "1",
        "users": [{
            "userId": "u-1", "userName": "Ada Admin", "email": "ada@example.com",
            "userStatus": "Active", "permissionProfileId": "1",
            "permissionProfileName": "Account Administrator", "groupList": []
        }]
    });
    let profiles = json!({ "permissionProfiles": [
        { "permissionProfileId": "1", "permissionProfileName": "Account Administrator" }
    ]});
    let status = StatusCode::from_u16(status).expect("a status");
    let prefix = "/restapi/v2.1/accounts/a";
    let app = axum::Router::new()
        .route(
            &format!("{prefix}/users"),
            get(move || async move { axum::Json(users) }),
        )
        .route(
            &format!("{prefix}/groups"),
            get(|| async { axum::Json(json!({ "totalSetSize": "0" })) }),
        )
        .route(
            &format!("{prefix}/permission_profiles"),
            get(move || async move { axum::Json(profiles) }),
        )
        .route(
            &format!("{prefix}/signing_groups"),
            get(move || async move { (status, axum::Json(body)) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = client_at(&url, "a", quick_settings());
    snapshot(&client).await
}

#[tokio::test]
async fn every_answer_a_connector_takes_for_no_signing_groups_reads_as_none_and_others_fail() {
    let lacks = json!({ "errorCode": "ACCOUNT_LACKS_PERMISSIONS", "message": "No." });
    for (status, body) in [(400, lacks.clone()), (403, json!({})), (404, json!({}))] {
        let read = snapshot_with_signing_groups_answering(status, body)
            .await
            .unwrap_or_else(|error| panic!("{status}: {error}"));
        assert!(!read.signing_groups_enabled, "{status}");
        assert!(read.account.signing_groups.is_empty());
        assert_eq!(
            read.account.users.len(),
            1,
            "the rest of the account is read"
        );
    }
    let on = snapshot_with_signing_groups_answering(200, json!({ "groups": [] }))
        .await
        .expect("read");
    assert!(on.signing_groups_enabled);
    // Any other refusal is the call's failure, not a missing feature.
    let other = json!({ "errorCode": "INVALID_REQUEST_PARAMETER", "message": "No." });
    assert!(
        snapshot_with_signing_groups_answering(400, other)
            .await
            .is_err()
    );
}
