//! The emulator starts, authenticates, and serves a page of users.

use docusign_gitops::emulator::Config;
use serde_json::json;

use crate::emulator_support::{Api, api_with};

#[tokio::test]
async fn serves_users_to_the_administrator_only() {
    let (running, api) = api_with(Config::default(), 3).await;
    let page = api.get("/users?count=2&additional_info=true").await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    assert_eq!(page.body["totalSetSize"], "4");
    assert_eq!(page.body["resultSetSize"], "2");
    assert_eq!(
        page.body["users"][0]["permissionProfileName"],
        "Account Administrator"
    );
    assert!(page.headers.contains_key("x-ratelimit-remaining"));

    let mut stranger = Api::new(&running);
    stranger.token = "nope".to_owned();
    let denied = stranger.get("/users?count=2").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.error_code(), "AUTHORIZATION_INVALID_TOKEN");

    let created = api
        .post(
            "/users",
            &json!({"newUsers": [{"userName": "New Person", "email": "new@example.com"}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["newUsers"][0]["userStatus"], "ActivationSent");
    assert_eq!(
        created.body["newUsers"][0]["permissionProfileName"],
        "DocuSign Sender"
    );
    assert_eq!(api.stats().await["invariant_breaches"], 0);
}
