//! The answer shapes DocuSign hasn't confirmed, each behind an emulator switch: update answers
//! that don't echo the profile, bulk answers whose failed items come with a 400, per-item codes
//! other than the emulator's own. And the client against them: a 400 that lists results per
//! item is read item by item, and no code it doesn't know makes an item done.

use std::sync::Arc;

use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::writes::{ItemOutcome, Members};
use docusign_gitops::docusign::{Client, Secret};
use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::config::{ItemErrorCodes, ItemFailureStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::apply_support::{client_at, quick_settings};
use crate::emulator_support::{ADMIN_EMAIL, Answer, Api, TOKEN, api_with};

/// The user `n` of [`crate::emulator_support::account_with`].
fn user_id(n: usize) -> String {
    format!("0d9b1c2e-0000-4000-8000-{n:012}")
}

const UNKNOWN_USER: &str = "6b67a1ee-0000-4000-8000-0000deadbeef";
const UNKNOWN_ID: &str = "1";

/// A client for the emulator's account, as its administrator.
fn client(running: &docusign_gitops::emulator::Running) -> Client {
    let http = reqwest::Client::new();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &running.url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    ));
    let api_base = format!(
        "{}/restapi/v2.1/accounts/{}",
        running.url,
        running.account_id()
    );
    Client::new(http, &api_base, auth, quick_settings())
}

fn with_400() -> Config {
    Config {
        item_failure_status: ItemFailureStatus::BadRequest,
        ..Config::default()
    }
}

fn with_generic_codes() -> Config {
    Config {
        item_error_codes: ItemErrorCodes::Generic,
        ..Config::default()
    }
}

/// The ID of the group named `name`.
async fn group_named(api: &Api, name: &str) -> String {
    let groups = api.get("/groups?count=100").await;
    groups.body["groups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|group| group["groupName"] == name))
        .and_then(|group| group["groupId"].as_str())
        .unwrap_or_else(|| panic!("no group {name}: {:?}", groups.body))
        .to_owned()
}

/// Each item's `errorCode` under `field`, `None` for an item without one.
fn item_codes(answer: &Answer, field: &str) -> Vec<Option<String>> {
    answer.body[field]
        .as_array()
        .unwrap_or_else(|| panic!("no `{field}` list: {:?}", answer.body))
        .iter()
        .map(|item| {
            item.pointer("/errorDetails/errorCode")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Switch 1: update answers without the profile.

#[tokio::test]
async fn update_answers_leave_the_profile_out_when_told() {
    for echo in [true, false] {
        let (_running, api) = api_with(
            Config {
                profile_in_user_answers: echo,
                ..Config::default()
            },
            2,
        )
        .await;
        let viewer = api.get("/permission_profiles").await.body["permissionProfiles"]
            .as_array()
            .and_then(|profiles| {
                profiles
                    .iter()
                    .find(|profile| profile["permissionProfileName"] == "DocuSign Viewer")
            })
            .and_then(|profile| profile["permissionProfileId"].as_str())
            .expect("DocuSign Viewer")
            .to_owned();
        let change = json!({ "permissionProfileId": viewer, "jobTitle": "Clerk" });
        let bulk = api
            .put(
                "/users",
                &json!({ "users": [{ "userId": user_id(0), "permissionProfileId": viewer }] }),
            )
            .await;
        let one = api.put(&format!("/users/{}", user_id(1)), &change).await;
        assert_eq!((bulk.status, one.status), (StatusCode::OK, StatusCode::OK));
        for (record, what) in [(&bulk.body["users"][0], "bulk"), (&one.body, "one")] {
            assert!(record["userId"].is_string(), "{what}: {record}");
            for key in ["permissionProfileId", "permissionProfileName"] {
                assert_eq!(
                    record.get(key).is_some(),
                    echo,
                    "{what}, echo {echo}: {key} in {record}"
                );
            }
        }
        // The change took all the same: only the answer is quieter.
        let read = api.get(&format!("/users/{}", user_id(1))).await;
        assert_eq!(read.body["permissionProfileId"], json!(viewer));
        assert_eq!(read.body["jobTitle"], "Clerk");
    }
}

// ------------------------------------------------------------------------------------------
// Switch 2: a 400 with per-item results.

/// One bulk call of every kind, each with one item that fails; answers each call's status and
/// per-item codes.
async fn one_failure_per_bulk_call(api: &Api) -> Vec<(String, StatusCode, Vec<Option<String>>)> {
    let sales = {
        let created = api
            .post("/groups", &json!({ "groups": [{ "groupName": "Sales" }] }))
            .await;
        created.body["groups"][0]["groupId"]
            .as_str()
            .expect("Sales")
            .to_owned()
    };
    let signing = api
        .post(
            "/signing_groups",
            &json!({ "groups": [{ "groupName": "Approvers", "groupType": "sharedSigningGroup" }] }),
        )
        .await;
    let signing_id = signing.body["groups"][0]["signingGroupId"]
        .as_str()
        .expect("Approvers")
        .to_owned();
    let mut answers = Vec::new();
    for (method, path, body, field) in bulk_calls(&sales, &signing_id) {
        let what = format!("{method} {path}");
        let answer = api.call(method, &path, Some(&body)).await;
        answers.push((what, answer.status, item_codes(&answer, field)));
    }
    answers
}

/// One call of each bulk kind: the first item succeeds, the second fails.
fn bulk_calls(sales: &str, signing_id: &str) -> Vec<(Method, String, Value, &'static str)> {
    let members = format!("/groups/{sales}/users");
    vec![
        (
            Method::POST,
            "/users".to_owned(),
            json!({ "newUsers": [
                { "userName": "New One", "email": "new1@example.com" },
                { "userName": "Ada Again", "email": ADMIN_EMAIL },
            ]}),
            "newUsers",
        ),
        (
            Method::PUT,
            "/users".to_owned(),
            json!({ "users": [
                { "userId": user_id(0), "jobTitle": "Clerk" },
                { "userId": UNKNOWN_USER, "jobTitle": "Clerk" },
            ]}),
            "users",
        ),
        (
            Method::PUT,
            members.clone(),
            json!({ "users": [{ "userId": user_id(0) }, { "userId": UNKNOWN_USER }] }),
            "users",
        ),
        (
            Method::DELETE,
            members,
            json!({ "users": [{ "userId": user_id(0) }, { "userId": user_id(1) }] }),
            "users",
        ),
        (
            Method::POST,
            "/groups".to_owned(),
            json!({ "groups": [{ "groupName": "Support" }, { "groupName": "sales" }] }),
            "groups",
        ),
        (
            Method::PUT,
            "/groups".to_owned(),
            json!({ "groups": [
                { "groupId": sales, "groupName": "Sales EMEA" },
                { "groupId": UNKNOWN_ID, "groupName": "Nobody" },
            ]}),
            "groups",
        ),
        (
            Method::POST,
            "/signing_groups".to_owned(),
            json!({ "groups": [
                { "groupName": "Legal", "groupType": "sharedSigningGroup" },
                { "groupName": "approvers", "groupType": "sharedSigningGroup" },
            ]}),
            "groups",
        ),
        (
            Method::PUT,
            "/signing_groups".to_owned(),
            json!({ "groups": [
                { "signingGroupId": signing_id, "groupName": "Approvers EMEA" },
                { "signingGroupId": UNKNOWN_ID, "groupName": "Nobody" },
            ]}),
            "groups",
        ),
        (
            Method::DELETE,
            "/signing_groups".to_owned(),
            json!({ "groups": [{ "signingGroupId": signing_id }, { "signingGroupId": UNKNOWN_ID }] }),
            "groups",
        ),
        (
            Method::DELETE,
            "/groups".to_owned(),
            json!({ "groups": [{ "groupId": sales }, { "groupId": UNKNOWN_ID }] }),
            "groups",
        ),
        (
            Method::DELETE,
            "/users".to_owned(),
            json!({ "users": [{ "userId": user_id(1) }, { "userId": UNKNOWN_USER }] }),
            "users",
        ),
    ]
}

#[tokio::test]
async fn bulk_answers_with_failed_items_come_with_a_400_when_told() {
    let (_default, api) = api_with(Config::default(), 2).await;
    let usual = one_failure_per_bulk_call(&api).await;
    let (_switched, api) = api_with(with_400(), 2).await;
    let switched = one_failure_per_bulk_call(&api).await;
    assert_eq!(usual.len(), switched.len());
    for ((what, usual_status, usual_codes), (_, status, codes)) in usual.iter().zip(&switched) {
        assert!(usual_status.is_success(), "{what}: {usual_status}");
        assert_eq!(*status, StatusCode::BAD_REQUEST, "{what}");
        // The same per-item body: the first item done, the second refused.
        assert_eq!(codes, usual_codes, "{what}");
        assert!(
            codes[0].is_none() && codes[1].is_some(),
            "{what}: {codes:?}"
        );
    }
}

#[tokio::test]
async fn bulk_answers_where_every_item_is_done_keep_their_success_status() {
    let (_running, api) = api_with(with_400(), 2).await;
    let created = api
        .post("/groups", &json!({ "groups": [{ "groupName": "Sales" }] }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let sales = group_named(&api, "Sales").await;
    let added = api
        .put(
            &format!("/groups/{sales}/users"),
            &json!({ "users": [{ "userId": user_id(0) }] }),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    // A call refused as a whole is an ordinary error.
    let unknown = api
        .put(
            &format!("/groups/{UNKNOWN_ID}/users"),
            &json!({ "users": [{ "userId": user_id(0) }] }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.error_code(), "INVALID_GROUP_ID");
}

// ------------------------------------------------------------------------------------------
// Switch 3: per-item codes other than the emulator's.

#[tokio::test]
async fn generic_codes_replace_the_invented_ones_and_keep_documented_ones() {
    let (_running, api) = api_with(with_generic_codes(), 2).await;
    let created = api
        .post("/groups", &json!({ "groups": [{ "groupName": "Sales" }] }))
        .await;
    let sales = created.body["groups"][0]["groupId"]
        .as_str()
        .expect("Sales")
        .to_owned();
    let members = format!("/groups/{sales}/users");
    let add = json!({ "users": [{ "userId": user_id(0) }] });
    api.put(&members, &add).await;
    let again = api
        .put(
            &members,
            &json!({ "users": [{ "userId": user_id(0) }, { "userId": UNKNOWN_USER }] }),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        item_codes(&again, "users"),
        [
            Some("INVALID_REQUEST_PARAMETER".to_owned()),
            Some("INVALID_USERID".to_owned())
        ]
    );
    assert_eq!(
        again.body["users"][0]["errorDetails"]["message"],
        "The request contained at least one invalid parameter."
    );
    let duplicate = api
        .post("/groups", &json!({ "groups": [{ "groupName": "sales" }] }))
        .await;
    assert_eq!(
        item_codes(&duplicate, "groups"),
        [Some("INVALID_REQUEST_PARAMETER".to_owned())]
    );
    let user_twice = api
        .post(
            "/users",
            &json!({ "newUsers": [{ "userName": "Ada Again", "email": ADMIN_EMAIL }] }),
        )
        .await;
    assert_eq!(
        item_codes(&user_twice, "newUsers"),
        [Some("USER_ALREADY_EXISTS_IN_ACCOUNT".to_owned())]
    );
}

// ------------------------------------------------------------------------------------------
// The client against these shapes.

fn codes(outcomes: &[ItemOutcome]) -> Vec<Result<(), String>> {
    outcomes
        .iter()
        .map(|outcome| {
            outcome
                .as_ref()
                .map(|_| ())
                .map_err(|error| error.code.clone())
        })
        .collect()
}

/// Sales' members, by user ID.
async fn members(api: &Api, group: &str) -> Vec<String> {
    let page = api.get(&format!("/groups/{group}/users?count=100")).await;
    let mut ids: Vec<String> = page.body["users"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|user| user["userId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_client_reads_a_400_with_per_item_results_item_by_item() {
    let (running, api) = api_with(with_400(), 3).await;
    api.post("/groups", &json!({ "groups": [{ "groupName": "Sales" }] }))
        .await;
    let sales = group_named(&api, "Sales").await;
    let client = client(&running);
    let sent = [user_id(0), UNKNOWN_USER.to_owned(), user_id(2)];
    let outcomes = client
        .group_members(Members::Add, &sales, &sent)
        .await
        .expect("a 400 with per-item results is not a failed call");
    assert_eq!(
        codes(&outcomes),
        [Ok(()), Err("INVALID_USERID".to_owned()), Ok(())]
    );
    assert_eq!(members(&api, &sales).await, [user_id(0), user_id(2)]);

    // Removing a member and a non-member: the non-member is what a retry meets, and the
    // emulator's code for it says the membership already is as asked.
    let outcomes = client
        .group_members(Members::Remove, &sales, &[user_id(0), user_id(1)])
        .await
        .expect("per-item results");
    assert_eq!(codes(&outcomes), [Ok(()), Ok(())]);
    assert_eq!(members(&api, &sales).await, [user_id(2)]);

    // A refusal of the whole call (no such group) still fails the call.
    let refused = client
        .group_members(Members::Add, UNKNOWN_ID, &[user_id(0)])
        .await;
    assert!(
        matches!(&refused, Err(docusign_gitops::docusign::ClientError::Api { code, .. }) if code == "INVALID_GROUP_ID"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn no_item_is_done_on_a_code_the_client_does_not_know() {
    let (running, api) = api_with(
        Config {
            item_error_codes: ItemErrorCodes::Generic,
            ..with_400()
        },
        2,
    )
    .await;
    api.post("/groups", &json!({ "groups": [{ "groupName": "Sales" }] }))
        .await;
    let sales = group_named(&api, "Sales").await;
    let client = client(&running);
    let outcomes = client
        .group_members(Members::Add, &sales, &[user_id(0)])
        .await
        .expect("added");
    assert_eq!(codes(&outcomes), [Ok(())]);
    // Added again: the answer's code is no longer the emulator's "already a member", so the
    // item is a failure for apply to check by reading back, not a success taken on trust.
    let outcomes = client
        .group_members(Members::Add, &sales, &[user_id(0), user_id(1)])
        .await
        .expect("per-item results");
    assert_eq!(
        codes(&outcomes),
        [Err("INVALID_REQUEST_PARAMETER".to_owned()), Ok(())]
    );
    let gone = client
        .delete_groups(&[sales.clone(), UNKNOWN_ID.to_owned()])
        .await
        .expect("per-item results");
    assert_eq!(
        codes(&gone),
        [Ok(()), Err("INVALID_REQUEST_PARAMETER".to_owned())]
    );
}

/// A server that answers every call `200 {}`, and a client of it holding a static token.
async fn answering_empty_objects() -> Arc<Client> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().fallback(|| async { axum::Json(json!({})) });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    client_at(&url, "1", quick_settings())
}

#[tokio::test]
async fn an_empty_answer_removes_signing_group_members_but_adds_none() {
    let client = answering_empty_objects().await;
    let members = [("Ann Example".to_owned(), "ann@example.com".to_owned())];
    // DocuSign answers a removal with `{}`: done.
    let removed = client
        .signing_group_members(Members::Remove, "7", &members)
        .await
        .expect("answered");
    assert_eq!(codes(&removed), [Ok(())]);
    // An addition answers its members; one naming none is not taken on trust.
    let added = client
        .signing_group_members(Members::Add, "7", &members)
        .await
        .expect("answered");
    assert_eq!(codes(&added), [Err(String::new())]);
}
