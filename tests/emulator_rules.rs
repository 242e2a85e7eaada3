//! The emulator keeps DocuSign's rules: paging edges, account rules, the switches for
//! unconfirmed behaviour, rate limits and injected faults.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use docusign_gitops::emulator::account::{Account, Group, GroupKind, UserStatus};
use docusign_gitops::emulator::config::{
    Clock, ProfileChangeRoutes, ProfileRoute, RateLimitStatus,
};
use docusign_gitops::emulator::{Config, Running};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::emulator_support::{
    ACCOUNT_ID, ADMIN_ID, Answer, Api, TOKEN, account_with, api_with, start,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What `nextUri` starts with: it is relative to `/restapi`.
fn uri_prefix() -> String {
    format!("/v2.1/accounts/{ACCOUNT_ID}")
}

/// The ID of the user `user{n}@example.com` made by `account_with`.
fn user_id(n: usize) -> String {
    format!("0d9b1c2e-0000-4000-8000-{n:012}")
}

/// A field that DocuSign sends as a string, read as a number.
fn number(value: &Value) -> usize {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"))
        .parse()
        .unwrap_or_else(|_| panic!("{value} is not a number"))
}

/// The `items` of a list answer: absent and empty are the same.
fn listed<'a>(body: &'a Value, key: &str) -> &'a [Value] {
    body.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Walks every page of `path` with `count=100`, following `nextUri`, checking each page's
/// paging fields, and answers the `id_key` of every item in order.
async fn walk(api: &Api, path: &str, key: &str, id_key: &str, total: usize) -> Vec<String> {
    let prefix = uri_prefix();
    let mut ids = Vec::new();
    let mut next = format!("{path}?count=100");
    let mut start = 0;
    for _ in 0..10 {
        let page = api.get(&next).await;
        assert_eq!(page.status, 200, "{next}: {:?}", page.body);
        let items = listed(&page.body, key);
        let returned = items.len();
        assert_eq!(returned, (total - start).min(100), "{next}: page size");
        assert_eq!(page.body["resultSetSize"], returned.to_string(), "{next}");
        assert_eq!(page.body["totalSetSize"], total.to_string(), "{next}");
        assert_eq!(page.body["startPosition"], start.to_string(), "{next}");
        if returned == 0 {
            assert!(
                page.body.get("endPosition").is_none(),
                "{next}: {:?}",
                page.body
            );
        } else {
            assert_eq!(
                page.body["endPosition"],
                (start + returned - 1).to_string(),
                "{next}"
            );
        }
        ids.extend(items.iter().map(|item| {
            item[id_key]
                .as_str()
                .unwrap_or_else(|| panic!("{next}: no {id_key} in {item}"))
                .to_owned()
        }));
        start += returned;
        match page.body.get("nextUri") {
            None => {
                assert_eq!(start, total, "{next}: the last page came early");
                let unique: BTreeSet<&String> = ids.iter().collect();
                assert_eq!(unique.len(), total, "{path}: every item exactly once");
                return ids;
            }
            Some(uri) => {
                assert!(
                    start < total,
                    "{next}: a nextUri after the last item: {uri}"
                );
                let uri = uri.as_str().expect("nextUri is a string");
                let rest = uri
                    .strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("nextUri `{uri}` is not relative to /restapi"));
                assert!(rest.starts_with(path), "nextUri `{uri}` leaves {path}");
                assert!(
                    rest.contains("count=100"),
                    "nextUri `{uri}` drops the count"
                );
                assert!(
                    rest.contains(&format!("start_position={start}")),
                    "nextUri `{uri}` should start at {start}"
                );
                next = rest.to_owned();
            }
        }
    }
    panic!("{path}: more than 10 pages for {total} items");
}

/// An account with `users` users in all (the administrator included) and `groups` groups in
/// all (Administrators and Everyone included).
fn account_of(users: usize, groups: usize) -> Account {
    let mut account = account_with(users - 1);
    for n in 2..groups {
        let id = account.take_id();
        account.groups.insert(
            id,
            Group {
                id,
                name: format!("Group {n}"),
                kind: GroupKind::Custom,
                profile_id: None,
                members: BTreeSet::new(),
            },
        );
    }
    account
}

/// The ID of the group named `name` (among the first 100).
async fn group_id(api: &Api, name: &str) -> String {
    let list = api.get("/groups?count=100").await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    listed(&list.body, "groups")
        .iter()
        .find(|group| group["groupName"] == name)
        .and_then(|group| group["groupId"].as_str())
        .unwrap_or_else(|| panic!("no group {name}: {:?}", list.body))
        .to_owned()
}

async fn profile_id(api: &Api, name: &str) -> String {
    let list = api.get("/permission_profiles").await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    listed(&list.body, "permissionProfiles")
        .iter()
        .find(|profile| profile["permissionProfileName"] == name)
        .and_then(|profile| profile["permissionProfileId"].as_str())
        .unwrap_or_else(|| panic!("no profile {name}: {:?}", list.body))
        .to_owned()
}

/// `GET /users/{id}` as the record.
async fn user(api: &Api, id: &str) -> Value {
    let answer = api.get(&format!("/users/{id}")).await;
    assert_eq!(answer.status, 200, "GET /users/{id}: {:?}", answer.body);
    answer.body
}

async fn total(api: &Api, path: &str) -> usize {
    let sep = if path.contains('?') { '&' } else { '?' };
    let answer = api.get(&format!("{path}{sep}count=1")).await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
    number(&answer.body["totalSetSize"])
}

/// Creates one user; answers the created item.
async fn create_user(api: &Api, item: &Value) -> Value {
    let created = api.post("/users", &json!({ "newUsers": [item] })).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let item = created.body["newUsers"][0].clone();
    assert!(item.get("errorDetails").is_none(), "{item}");
    item
}

async fn close_users(api: &Api, ids: &[&str]) {
    let users: Vec<Value> = ids.iter().map(|id| json!({ "userId": id })).collect();
    let closed = api.delete("/users", Some(&json!({ "users": users }))).await;
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    for item in listed(&closed.body, "users") {
        assert!(item.get("errorDetails").is_none(), "{item}");
    }
}

/// Whether a refusal came as a whole 400 or as the one item's `errorDetails`; answers the
/// error code.
fn refusal(answer: &Answer, key: &str) -> String {
    if answer.status == 400 {
        return answer.error_code().to_owned();
    }
    assert!(answer.status.is_success(), "{answer:?}");
    let items = listed(&answer.body, key);
    assert_eq!(items.len(), 1, "{:?}", answer.body);
    items[0]["errorDetails"]["errorCode"]
        .as_str()
        .unwrap_or_else(|| panic!("not refused: {:?}", answer.body))
        .to_owned()
}

async fn assert_no_breaches(api: &Api) {
    assert_eq!(api.stats().await["invariant_breaches"], 0);
}

async fn snapshot(running: &Running) -> Value {
    reqwest::get(format!("{}/_emulator/snapshot", running.url))
        .await
        .expect("snapshot")
        .json()
        .await
        .expect("snapshot JSON")
}

fn signing_members(count: usize, domain: &str) -> Vec<Value> {
    (0..count)
        .map(|n| json!({ "userName": format!("Member {n}"), "email": format!("m{n}@{domain}") }))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------------------

/// Walks `/users`, Everyone's members and `/groups` of an account of this size.
async fn walk_account(users: usize, groups: usize) {
    let running = start(Config::default(), account_of(users, groups)).await;
    let api = Api::new(&running);
    let everyone = group_id(&api, "Everyone").await;

    let listed_users = walk(&api, "/users", "users", "userId", users).await;
    let mut expected = vec![ADMIN_ID.to_owned()];
    expected.extend((0..users - 1).map(user_id));
    assert_eq!(
        listed_users.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect::<BTreeSet<_>>()
    );
    let members = walk(
        &api,
        &format!("/groups/{everyone}/users"),
        "users",
        "userId",
        users,
    )
    .await;
    assert_eq!(
        members.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect::<BTreeSet<_>>(),
        "Everyone holds every user"
    );
    let group_ids = walk(&api, "/groups", "groups", "groupId", groups).await;
    assert!(group_ids.contains(&everyone));
}

#[tokio::test]
async fn paging_an_empty_account() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let users = walk(&api, "/users", "users", "userId", 1).await;
    assert_eq!(users, [ADMIN_ID]);
    let everyone = group_id(&api, "Everyone").await;
    let members = walk(
        &api,
        &format!("/groups/{everyone}/users"),
        "users",
        "userId",
        1,
    )
    .await;
    assert_eq!(members, [ADMIN_ID]);
    walk(&api, "/groups", "groups", "groupId", 2).await;

    let created = api
        .post("/groups", &json!({ "groups": [{ "groupName": "Nobody" }] }))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let custom = created.body["groups"][0]["groupId"]
        .as_str()
        .expect("groupId")
        .to_owned();
    let empty = walk(
        &api,
        &format!("/groups/{custom}/users"),
        "users",
        "userId",
        0,
    )
    .await;
    assert!(empty.is_empty());
    let first = api.get(&format!("/groups/{custom}/users")).await;
    assert_eq!(first.body["resultSetSize"], "0");
    assert!(first.body.get("nextUri").is_none(), "{:?}", first.body);
}

#[tokio::test]
async fn paging_exactly_100() {
    walk_account(100, 100).await;
}

#[tokio::test]
async fn paging_101() {
    walk_account(101, 101).await;
}

#[tokio::test]
async fn paging_250() {
    walk_account(250, 250).await;
}

#[tokio::test]
async fn everyone_leaves_out_closed_users() {
    let (_running, api) = api_with(Config::default(), 4).await;
    let everyone = group_id(&api, "Everyone").await;
    close_users(&api, &[&user_id(1)]).await;
    let members = walk(
        &api,
        &format!("/groups/{everyone}/users"),
        "users",
        "userId",
        4,
    )
    .await;
    assert!(!members.contains(&user_id(1)));
    // Closed users are closed, not deleted: `/users` still lists them.
    let users = walk(&api, "/users", "users", "userId", 5).await;
    assert!(users.contains(&user_id(1)));
}

#[tokio::test]
async fn start_position_past_the_end_is_an_empty_page() {
    let running = start(Config::default(), account_of(101, 101)).await;
    let api = Api::new(&running);
    let everyone = group_id(&api, "Everyone").await;
    for path in [
        "/users".to_owned(),
        format!("/groups/{everyone}/users"),
        "/groups".to_owned(),
    ] {
        let key = if path == "/groups" { "groups" } else { "users" };
        for start in [101, 200] {
            let page = api
                .get(&format!("{path}?start_position={start}&count=100"))
                .await;
            assert_eq!(page.status, 200, "{path} at {start}: {:?}", page.body);
            assert!(
                listed(&page.body, key).is_empty(),
                "{path}: {:?}",
                page.body
            );
            assert_eq!(page.body["resultSetSize"], "0", "{path}");
            assert_eq!(page.body["totalSetSize"], "101", "{path}");
            assert_eq!(page.body["startPosition"], start.to_string(), "{path}");
            assert!(
                page.body.get("endPosition").is_none(),
                "{path}: {:?}",
                page.body
            );
            assert!(
                page.body.get("nextUri").is_none(),
                "{path}: {:?}",
                page.body
            );
        }
    }
}

#[tokio::test]
async fn count_outside_1_to_100_is_invalid() {
    let (_running, api) = api_with(Config::default(), 3).await;
    let everyone = group_id(&api, "Everyone").await;
    for path in [
        "/users".to_owned(),
        format!("/groups/{everyone}/users"),
        "/groups".to_owned(),
    ] {
        for query in ["count=0", "count=101", "count=abc", "start_position=abc"] {
            let answer = api.get(&format!("{path}?{query}")).await;
            assert_eq!(answer.status, 400, "{path}?{query}: {:?}", answer.body);
            assert_eq!(
                answer.error_code(),
                "INVALID_REQUEST_PARAMETER",
                "{path}?{query}"
            );
        }
        for query in ["count=1", "count=100"] {
            let answer = api.get(&format!("{path}?{query}")).await;
            assert_eq!(answer.status, 200, "{path}?{query}: {:?}", answer.body);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Account rules
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_new_user_without_a_profile_is_a_sender_awaiting_activation() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let sender = profile_id(&api, "DocuSign Sender").await;
    let created = create_user(
        &api,
        &json!({ "userName": "Nel Profile", "email": "nel@x.com" }),
    )
    .await;
    assert_eq!(created["userStatus"], "ActivationSent");
    assert_eq!(created["permissionProfileId"], sender.as_str());
    let id = created["userId"].as_str().expect("userId");
    let record = user(&api, id).await;
    assert_eq!(record["userStatus"], "ActivationSent");
    assert_eq!(record["permissionProfileId"], sender.as_str());
    assert_eq!(record["permissionProfileName"], "DocuSign Sender");
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn at_most_500_users_per_create() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let batch = |size: usize, domain: &str| -> Value {
        let users: Vec<Value> = (0..size)
            .map(|n| json!({ "userName": format!("Bulk {n}"), "email": format!("bulk{n}@{domain}") }))
            .collect();
        json!({ "newUsers": users })
    };
    let refused = api.post("/users", &batch(501, "x.com")).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert!(!refused.error_code().is_empty(), "{:?}", refused.body);
    assert_eq!(
        total(&api, "/users").await,
        1,
        "nothing of a refused call is created"
    );

    let accepted = api.post("/users", &batch(500, "y.com")).await;
    assert_eq!(accepted.status, 201, "{:?}", accepted.body);
    let items = listed(&accepted.body, "newUsers");
    assert_eq!(items.len(), 500);
    assert!(items.iter().all(|item| item.get("errorDetails").is_none()));
    assert_eq!(total(&api, "/users").await, 501);
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn a_live_duplicate_email_is_refused_per_item() {
    let (_running, api) = api_with(Config::default(), 2).await;
    let created = api
        .post(
            "/users",
            &json!({ "newUsers": [
                { "userName": "User 0", "email": "user0@example.com" },
                { "userName": "Someone Else", "email": "USER1@Example.com" },
                { "userName": "Fresh Face", "email": "fresh@x.com" },
                { "userName": "Fresh Face", "email": "fresh@x.com" },
                // Only ASCII letters fold: these two are different users.
                { "userName": "Änne Lind", "email": "Änne@x.com" },
                { "userName": "Änne Lind", "email": "änne@x.com" },
            ]}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let items = listed(&created.body, "newUsers");
    assert_eq!(items.len(), 6, "{:?}", created.body);
    for index in [4, 5] {
        assert!(
            items[index].get("errorDetails").is_none(),
            "{}",
            items[index]
        );
    }
    for index in [0, 1, 3] {
        assert_eq!(
            items[index]["errorDetails"]["errorCode"], "USER_ALREADY_EXISTS_IN_ACCOUNT",
            "item {index}: {}",
            items[index]
        );
    }
    assert!(items[2].get("errorDetails").is_none(), "{}", items[2]);
    assert_eq!(total(&api, "/users").await, 6);
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn creating_a_closed_user_again_reopens_it() {
    let (_running, api) = api_with(Config::default(), 2).await;
    let everyone = group_id(&api, "Everyone").await;
    let id = user_id(0);
    close_users(&api, &[&id]).await;
    assert_eq!(user(&api, &id).await["userStatus"], "Closed");
    assert_eq!(total(&api, &format!("/groups/{everyone}/users")).await, 2);

    let again = create_user(
        &api,
        &json!({ "userName": "User 0", "email": "user0@example.com" }),
    )
    .await;
    assert_eq!(
        again["userId"],
        id.as_str(),
        "the same membership comes back"
    );
    let record = user(&api, &id).await;
    assert_ne!(record["userStatus"], "Closed");
    assert_eq!(record["userStatus"], "ActivationSent");
    assert_eq!(total(&api, "/users").await, 3, "no second record");
    assert_eq!(total(&api, &format!("/groups/{everyone}/users")).await, 3);
    let found = api.get("/users?email=user0@example.com").await;
    assert_eq!(found.status, 200, "{:?}", found.body);
    assert_eq!(listed(&found.body, "users").len(), 1, "{:?}", found.body);
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn an_unknown_email_lacks_membership() {
    let (_running, api) = api_with(Config::default(), 2).await;
    let unknown = api.get("/users?email=unknown@x.com").await;
    assert_eq!(unknown.status, 400, "{:?}", unknown.body);
    assert_eq!(unknown.error_code(), "USER_LACKS_MEMBERSHIP");
    let known = api.get("/users?email=user1@example.com").await;
    assert_eq!(known.status, 200, "{:?}", known.body);
    assert_eq!(known.body["users"][0]["userId"], user_id(1).as_str());
}

#[tokio::test]
async fn builtin_profiles_cannot_be_changed_or_deleted() {
    let (_running, api) = api_with(Config::default(), 1).await;
    let viewer = profile_id(&api, "DocuSign Viewer").await;
    for name in [
        "Account Administrator",
        "DocuSign Sender",
        "DocuSign Viewer",
    ] {
        let id = profile_id(&api, name).await;
        let before = api.get(&format!("/permission_profiles/{id}")).await.body;
        let renamed = api
            .put(
                &format!("/permission_profiles/{id}"),
                &json!({ "permissionProfileName": format!("{name} 2") }),
            )
            .await;
        assert_eq!(renamed.status, 400, "renaming {name}: {:?}", renamed.body);
        let flipped = api
            .put(
                &format!("/permission_profiles/{id}"),
                &json!({ "settings": { "allowSendOnBehalfOf": "true", "allowAccountManagement": "false" } }),
            )
            .await;
        assert_eq!(flipped.status, 400, "changing {name}: {:?}", flipped.body);
        let deleted = api
            .delete(&format!("/permission_profiles/{id}"), None)
            .await;
        assert_eq!(deleted.status, 400, "deleting {name}: {:?}", deleted.body);
        let target = if id == viewer {
            profile_id(&api, "DocuSign Sender").await
        } else {
            viewer.clone()
        };
        let moved = api
            .delete(
                &format!("/permission_profiles/{id}?move_users_to={target}"),
                None,
            )
            .await;
        assert_eq!(
            moved.status, 400,
            "deleting {name} with a target: {:?}",
            moved.body
        );
        let after = api.get(&format!("/permission_profiles/{id}")).await;
        assert_eq!(after.status, 200, "{name} is gone");
        assert_eq!(after.body, before, "{name} changed");
    }
    assert_eq!(
        user(&api, ADMIN_ID).await["permissionProfileName"],
        "Account Administrator"
    );
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn builtin_groups_cannot_be_renamed_or_deleted() {
    let (_running, api) = api_with(Config::default(), 1).await;
    for name in ["Everyone", "Administrators"] {
        let id = group_id(&api, name).await;
        let renamed = api
            .put(
                "/groups",
                &json!({ "groups": [{ "groupId": id, "groupName": format!("{name} Renamed") }] }),
            )
            .await;
        assert!(!refusal(&renamed, "groups").is_empty());
        let deleted = api
            .delete("/groups", Some(&json!({ "groups": [{ "groupId": id }] })))
            .await;
        assert!(!refusal(&deleted, "groups").is_empty());
        assert_eq!(
            group_id(&api, name).await,
            id,
            "{name} kept its name and ID"
        );
    }
    // A custom group can be renamed and deleted, so the refusals above are about the kind.
    let created = api
        .post("/groups", &json!({ "groups": [{ "groupName": "Custom" }] }))
        .await;
    let custom = created.body["groups"][0]["groupId"]
        .as_str()
        .expect("groupId")
        .to_owned();
    let renamed = api
        .put(
            "/groups",
            &json!({ "groups": [{ "groupId": custom, "groupName": "Custom 2" }] }),
        )
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(group_id(&api, "Custom 2").await, custom);
    let deleted = api
        .delete(
            "/groups",
            Some(&json!({ "groups": [{ "groupId": custom }] })),
        )
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    assert_eq!(total(&api, "/groups").await, 2);
}

#[tokio::test]
async fn everyone_membership_cannot_be_edited() {
    let (_running, api) = api_with(Config::default(), 2).await;
    let everyone = group_id(&api, "Everyone").await;
    let body = json!({ "users": [{ "userId": user_id(0) }] });
    let added = api.put(&format!("/groups/{everyone}/users"), &body).await;
    assert_eq!(added.status, 400, "{:?}", added.body);
    let removed = api
        .delete(&format!("/groups/{everyone}/users"), Some(&body))
        .await;
    assert_eq!(removed.status, 400, "{:?}", removed.body);
    let members = walk(
        &api,
        &format!("/groups/{everyone}/users"),
        "users",
        "userId",
        3,
    )
    .await;
    assert!(members.contains(&user_id(0)));
}

#[tokio::test]
async fn deleting_a_held_profile_needs_a_profile_to_move_its_users_to() {
    let (_running, api) = api_with(Config::default(), 1).await;
    let viewer = profile_id(&api, "DocuSign Viewer").await;
    let made = api
        .post(
            "/permission_profiles",
            &json!({ "permissionProfileName": "Temp" }),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let temp = made.body["permissionProfileId"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut holders = Vec::new();
    for n in 0..3 {
        let created = create_user(
            &api,
            &json!({ "userName": format!("Holder {n}"), "email": format!("holder{n}@x.com"), "permissionProfileId": temp }),
        )
        .await;
        assert_eq!(created["permissionProfileId"], temp.as_str());
        holders.push(created["userId"].as_str().expect("userId").to_owned());
    }
    close_users(&api, &[&holders[2]]).await;

    let refused = api
        .delete(&format!("/permission_profiles/{temp}"), None)
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    for target in [temp.as_str(), "999999999", "abc"] {
        let bad = api
            .delete(
                &format!("/permission_profiles/{temp}?move_users_to={target}"),
                None,
            )
            .await;
        assert_eq!(bad.status, 400, "move_users_to={target}: {:?}", bad.body);
    }
    let still = api.get(&format!("/permission_profiles/{temp}")).await;
    assert_eq!(still.status, 200, "a refused delete keeps the profile");
    for id in &holders {
        assert_eq!(user(&api, id).await["permissionProfileId"], temp.as_str());
    }

    let moved = api
        .delete(
            &format!("/permission_profiles/{temp}?move_users_to={viewer}"),
            None,
        )
        .await;
    assert!(moved.status.is_success(), "{:?}", moved.body);
    let gone = api.get(&format!("/permission_profiles/{temp}")).await;
    assert_eq!(gone.status, 400, "{:?}", gone.body);
    for id in &holders {
        let record = user(&api, id).await;
        assert_eq!(record["permissionProfileId"], viewer.as_str(), "{record}");
        assert_eq!(
            record["permissionProfileName"], "DocuSign Viewer",
            "{record}"
        );
    }
    assert_eq!(
        user(&api, &user_id(0)).await["permissionProfileName"],
        "DocuSign Sender"
    );
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn a_profile_nobody_holds_is_deleted_without_a_target() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let made = api
        .post(
            "/permission_profiles",
            &json!({ "permissionProfileName": "Unused" }),
        )
        .await;
    let id = made.body["permissionProfileId"]
        .as_str()
        .expect("id")
        .to_owned();
    let deleted = api
        .delete(&format!("/permission_profiles/{id}"), None)
        .await;
    assert!(deleted.status.is_success(), "{:?}", deleted.body);
    assert_no_breaches(&api).await;
}

#[tokio::test]
async fn at_most_50_signing_groups() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let groups: Vec<Value> = (0..51)
        .map(|n| json!({ "groupName": format!("Signers {n}"), "groupType": "sharedSigningGroup" }))
        .collect();
    let created = api
        .post("/signing_groups", &json!({ "groups": groups }))
        .await;
    assert!(created.status.is_success(), "{:?}", created.body);
    let items = listed(&created.body, "groups");
    assert_eq!(items.len(), 51, "{:?}", created.body);
    for item in &items[..50] {
        assert!(item.get("errorDetails").is_none(), "{item}");
    }
    assert!(
        items[50].get("errorDetails").is_some(),
        "the 51st: {}",
        items[50]
    );

    let another = api
        .post(
            "/signing_groups",
            &json!({ "groups": [{ "groupName": "One More" }] }),
        )
        .await;
    assert!(!refusal(&another, "groups").is_empty());
    let list = api.get("/signing_groups").await;
    assert_eq!(listed(&list.body, "groups").len(), 50, "{:?}", list.body);
}

async fn signing_group(api: &Api, name: &str, members: Vec<Value>) -> Answer {
    api.post(
        "/signing_groups",
        &json!({ "groups": [{ "groupName": name, "groupType": "sharedSigningGroup", "users": members }] }),
    )
    .await
}

async fn signing_members_of(api: &Api, id: &str) -> Vec<Value> {
    let answer = api.get(&format!("/signing_groups/{id}/users")).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    listed(&answer.body, "users").to_vec()
}

#[tokio::test]
async fn at_most_50_members_per_signing_group() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let crowded = signing_group(&api, "Crowded", signing_members(51, "x.com")).await;
    assert!(!refusal(&crowded, "groups").is_empty());
    let list = api.get("/signing_groups").await;
    assert!(listed(&list.body, "groups").is_empty(), "{:?}", list.body);

    let full = signing_group(&api, "Full", signing_members(50, "x.com")).await;
    assert_eq!(full.status, 201, "{:?}", full.body);
    let id = full.body["groups"][0]["signingGroupId"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(signing_members_of(&api, &id).await.len(), 50);

    let one_more = json!({ "users": [{ "userName": "Extra", "email": "extra@x.com" }] });
    let added = api
        .put(&format!("/signing_groups/{id}/users"), &one_more)
        .await;
    assert_eq!(added.status, 400, "{:?}", added.body);
    let updated = api.put(&format!("/signing_groups/{id}"), &one_more).await;
    assert_eq!(updated.status, 400, "{:?}", updated.body);
    assert_eq!(signing_members_of(&api, &id).await.len(), 50);

    // An email already in the group is an update, not a 51st member.
    let known = json!({ "users": [{ "userName": "Renamed", "email": "M7@X.COM" }] });
    let renamed = api
        .put(&format!("/signing_groups/{id}/users"), &known)
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(signing_members_of(&api, &id).await.len(), 50);

    let nearly = signing_group(&api, "Nearly", signing_members(49, "y.com")).await;
    let nearly = nearly.body["groups"][0]["signingGroupId"]
        .as_str()
        .expect("id")
        .to_owned();
    let two = json!({ "users": signing_members(2, "z.com") });
    let added = api
        .put(&format!("/signing_groups/{nearly}/users"), &two)
        .await;
    assert_eq!(added.status, 400, "{:?}", added.body);
    assert_eq!(signing_members_of(&api, &nearly).await.len(), 49);
}

#[tokio::test]
async fn signing_group_members_are_matched_by_email_in_any_case() {
    let (_running, api) = api_with(Config::default(), 0).await;
    let created = signing_group(
        &api,
        "Pair",
        vec![json!({ "userName": "Alpha", "email": "a@x.com" })],
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["groups"][0]["signingGroupId"]
        .as_str()
        .expect("id")
        .to_owned();

    let added = api
        .put(
            &format!("/signing_groups/{id}/users"),
            &json!({ "users": [{ "userName": "Alpha Two", "email": "A@x.com" }] }),
        )
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    let members = signing_members_of(&api, &id).await;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["userName"], "Alpha Two");
    assert!(
        members[0]["email"]
            .as_str()
            .expect("email")
            .eq_ignore_ascii_case("a@x.com")
    );

    let updated = api
        .put(
            &format!("/signing_groups/{id}"),
            &json!({ "users": [{ "userName": "Alpha Three", "email": "A@X.COM" }] }),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    let members = signing_members_of(&api, &id).await;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["userName"], "Alpha Three");

    let removed = api
        .delete(
            &format!("/signing_groups/{id}/users"),
            Some(&json!({ "users": [{ "userName": "Alpha Three", "email": "a@X.com" }] })),
        )
        .await;
    assert_eq!(removed.status, 200, "{:?}", removed.body);
    assert!(signing_members_of(&api, &id).await.is_empty());

    let twice = signing_group(
        &api,
        "Twice",
        vec![
            json!({ "userName": "Bee", "email": "b@x.com" }),
            json!({ "userName": "Bee Again", "email": "B@x.com" }),
        ],
    )
    .await;
    assert_eq!(twice.status, 201, "{:?}", twice.body);
    let twice = twice.body["groups"][0]["signingGroupId"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(signing_members_of(&api, &twice).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Switches
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn group_list_in_user_records_follows_its_switch() {
    for on in [true, false] {
        let config = Config {
            group_list_in_user_records: on,
            ..Config::default()
        };
        let (_running, api) = api_with(config, 2).await;
        let record = user(&api, ADMIN_ID).await;
        let page = api.get("/users?additional_info=true&count=100").await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        let listed_users = listed(&page.body, "users");
        assert_eq!(listed_users.len(), 3);
        if on {
            let groups: Vec<&str> = listed(&record, "groupList")
                .iter()
                .filter_map(|group| group["groupName"].as_str())
                .collect();
            assert!(groups.contains(&"Everyone"), "{record}");
            assert!(groups.contains(&"Administrators"), "{record}");
            assert!(
                listed_users.iter().all(|user| user["groupList"].is_array()),
                "{:?}",
                page.body
            );
        } else {
            assert!(record.get("groupList").is_none(), "{record}");
            assert!(
                listed_users
                    .iter()
                    .all(|user| user.get("groupList").is_none()),
                "{:?}",
                page.body
            );
        }
    }
}

/// Asks for Viewer through each route, one user per route; answers which users now hold it.
async fn profile_changes(config: Config) -> BTreeMap<&'static str, bool> {
    let (_running, api) = api_with(config, 3).await;
    let viewer = profile_id(&api, "DocuSign Viewer").await;
    let put_user = api
        .put(
            &format!("/users/{}", user_id(0)),
            &json!({ "permissionProfileId": viewer }),
        )
        .await;
    assert_eq!(put_user.status, 200, "{:?}", put_user.body);
    let put_profile = api
        .put(
            &format!("/users/{}/profile", user_id(1)),
            &json!({ "userDetails": { "permissionProfileId": viewer } }),
        )
        .await;
    assert_eq!(put_profile.status, 200, "{:?}", put_profile.body);
    let bulk = api
        .put(
            "/users",
            &json!({ "users": [{ "userId": user_id(2), "permissionProfileId": viewer }] }),
        )
        .await;
    assert_eq!(bulk.status, 200, "{:?}", bulk.body);
    assert!(
        bulk.body["users"][0].get("errorDetails").is_none(),
        "{:?}",
        bulk.body
    );
    let mut changed = BTreeMap::new();
    for (route, n) in [("put_user", 0), ("put_profile", 1), ("bulk_put_users", 2)] {
        let record = user(&api, &user_id(n)).await;
        let now = record["permissionProfileId"] == viewer.as_str();
        if !now {
            assert_eq!(
                record["permissionProfileName"], "DocuSign Sender",
                "{record}"
            );
        }
        changed.insert(route, now);
    }
    assert_no_breaches(&api).await;
    changed
}

#[tokio::test]
async fn profile_changes_only_through_the_enabled_routes() {
    for (route, name) in [
        (ProfileRoute::PutUser, "put_user"),
        (ProfileRoute::PutProfile, "put_profile"),
        (ProfileRoute::BulkPutUsers, "bulk_put_users"),
    ] {
        let config = Config {
            profile_change: ProfileChangeRoutes::only(route),
            ..Config::default()
        };
        let changed = profile_changes(config).await;
        for (other, now) in &changed {
            assert_eq!(
                *now,
                *other == name,
                "only {name} enabled; {other} changed: {now}"
            );
        }
    }
    let all = profile_changes(Config::default()).await;
    assert!(all.values().all(|now| *now), "{all:?}");
}

#[tokio::test]
async fn joining_a_group_with_a_profile_follows_its_switch() {
    for on in [true, false] {
        let config = Config {
            group_profile_on_join: on,
            ..Config::default()
        };
        let (_running, api) = api_with(config, 1).await;
        let viewer = profile_id(&api, "DocuSign Viewer").await;
        let created = api
            .post(
                "/groups",
                &json!({ "groups": [{ "groupName": "Viewers", "permissionProfileId": viewer }] }),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let group = created.body["groups"][0]["groupId"]
            .as_str()
            .expect("groupId")
            .to_owned();

        let joined = api
            .put(
                &format!("/groups/{group}/users"),
                &json!({ "users": [{ "userId": user_id(0) }] }),
            )
            .await;
        assert_eq!(joined.status, 200, "{:?}", joined.body);
        let expected = if on {
            "DocuSign Viewer"
        } else {
            "DocuSign Sender"
        };
        assert_eq!(
            user(&api, &user_id(0)).await["permissionProfileName"],
            expected,
            "on={on}"
        );

        let newcomer = create_user(
            &api,
            &json!({ "userName": "New Comer", "email": "newcomer@x.com", "groupList": [{ "groupId": group }] }),
        )
        .await;
        let id = newcomer["userId"].as_str().expect("userId");
        assert_eq!(
            user(&api, id).await["permissionProfileName"],
            expected,
            "on={on}"
        );
        assert_no_breaches(&api).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limits
// ---------------------------------------------------------------------------------------------

fn header(answer: &Answer, name: &str) -> u64 {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} on a {} answer", answer.status))
        .to_str()
        .expect("ASCII header")
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

#[tokio::test]
async fn the_hourly_limit_refuses_with_400_or_429() {
    for (status, expected) in [
        (RateLimitStatus::BadRequest, StatusCode::BAD_REQUEST),
        (
            RateLimitStatus::TooManyRequests,
            StatusCode::TOO_MANY_REQUESTS,
        ),
    ] {
        let config = Config {
            hourly_limit: 5,
            rate_limit_status: status,
            // Mid-hour: the hourly count can't start again under the test.
            clock: Clock::MID_HOUR,
            ..Config::default()
        };
        let (_running, api) = api_with(config, 1).await;
        for n in 0..5 {
            let answer = api.get("/users?count=1").await;
            assert_eq!(answer.status, 200, "call {n}: {:?}", answer.body);
        }
        for _ in 0..2 {
            let refused = api.get("/users?count=1").await;
            assert_eq!(refused.status, expected, "{:?}", refused.body);
            assert_eq!(refused.error_code(), "HOURLY_APIINVOCATION_LIMIT_EXCEEDED");
            assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
        }
        assert_eq!(api.stats().await["rate_limit_rejections"], 2);
    }
}

#[tokio::test]
async fn the_burst_limit_refuses_past_the_burst() {
    for (status, expected) in [
        (RateLimitStatus::BadRequest, StatusCode::BAD_REQUEST),
        (
            RateLimitStatus::TooManyRequests,
            StatusCode::TOO_MANY_REQUESTS,
        ),
    ] {
        let config = Config {
            burst_limit: 3,
            rate_limit_status: status,
            ..Config::default()
        };
        let (_running, api) = api_with(config, 1).await;
        for n in 0..3 {
            let answer = api.get("/groups").await;
            assert_eq!(answer.status, 200, "call {n}: {:?}", answer.body);
        }
        let refused = api.get("/groups").await;
        assert_eq!(refused.status, expected, "{:?}", refused.body);
        assert_eq!(refused.error_code(), "BURST_APIINVOCATION_LIMIT_EXCEEDED");
        assert_eq!(header(&refused, "x-burstlimit-remaining"), 0);
        assert_eq!(header(&refused, "x-burstlimit-limit"), 3);
        assert_eq!(api.stats().await["rate_limit_rejections"], 1);
    }
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let config = Config {
        hourly_limit: 6,
        burst_limit: 100,
        clock: Clock::MID_HOUR,
        ..Config::default()
    };
    let (_running, api) = api_with(config, 1).await;
    let answers = vec![
        api.get("/users?count=1").await,
        api.get("/users?count=0").await,
        api.get("/users/not-a-user").await,
        api.post(
            "/users",
            &json!({ "newUsers": [{ "userName": "Rate Test", "email": "rate@x.com" }] }),
        )
        .await,
        api.put(
            "/groups",
            &json!({ "groups": [{ "groupId": "1", "groupName": "x" }] }),
        )
        .await,
        api.get("/groups").await,
        api.get("/users").await,
    ];
    let statuses: Vec<u16> = answers
        .iter()
        .map(|answer| answer.status.as_u16())
        .collect();
    assert_eq!(statuses, [200, 400, 400, 201, 200, 200, 400], "{answers:?}");
    let mut remaining = Vec::new();
    let mut burst = Vec::new();
    for answer in &answers {
        assert_eq!(header(answer, "x-ratelimit-limit"), 6);
        assert_eq!(header(answer, "x-burstlimit-limit"), 100);
        // The clock started at 09:20:00 UTC: the reset is 10:00:00, and the Date says when.
        assert_eq!(header(answer, "x-ratelimit-reset"), 1_767_607_200);
        let date = answer
            .headers
            .get("date")
            .and_then(|date| date.to_str().ok())
            .unwrap_or_default();
        assert!(
            date.starts_with("Mon, 05 Jan 2026 09:2"),
            "Date {date:?} is the emulator's clock"
        );
        remaining.push(header(answer, "x-ratelimit-remaining"));
        burst.push(header(answer, "x-burstlimit-remaining"));
    }
    assert_eq!(remaining, [5, 4, 3, 2, 1, 0, 0]);
    assert_eq!(burst, [99, 98, 97, 96, 95, 94, 93]);
    assert_eq!(
        answers[6].error_code(),
        "HOURLY_APIINVOCATION_LIMIT_EXCEEDED"
    );
    assert_eq!(api.stats().await["rate_limit_rejections"], 1);
}

/// On the system clock the hourly window is the real clock hour: the reset is the next top of
/// the hour after the call (bracketed by readings taken before and after it).
#[tokio::test]
async fn on_the_system_clock_the_reset_is_the_next_top_of_the_hour() {
    let (_running, api) = api_with(Config::default(), 1).await;
    let seconds = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs()
    };
    let before = seconds();
    let answer = api.get("/users?count=1").await;
    let after = seconds();
    let reset = header(&answer, "x-ratelimit-reset");
    assert_eq!(reset % 3_600, 0, "the reset is a top of the hour: {reset}");
    assert!(
        reset > before && reset <= after + 3_600,
        "reset {reset}, called between {before} and {after}"
    );
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/// How one call ended, as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Status(u16),
    /// The connection dropped: no status, or a status without a whole body.
    Dropped,
}

/// One call made without `Api::call`, which panics on a dropped connection.
async fn attempt(
    client: &reqwest::Client,
    running: &Running,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Outcome {
    let mut request = client
        .request(
            method,
            format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}{path}", running.url),
        )
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(body);
    }
    let Ok(response) = request.send().await else {
        return Outcome::Dropped;
    };
    let status = response.status().as_u16();
    let fault = status >= 500;
    let limits = response.headers().contains_key("x-ratelimit-remaining");
    match response.bytes().await {
        Ok(bytes) => {
            if fault {
                let body: Value = serde_json::from_slice(&bytes).expect("a JSON error body");
                assert!(body["errorCode"].is_string(), "{body}");
                assert!(limits, "a {status} without rate-limit headers");
            }
            Outcome::Status(status)
        }
        Err(_) => Outcome::Dropped,
    }
}

async fn outcomes(config: Config, calls: usize) -> Vec<Outcome> {
    let running = start(config, account_with(2)).await;
    let client = reqwest::Client::new();
    let mut seen = Vec::with_capacity(calls);
    for _ in 0..calls {
        seen.push(attempt(&client, &running, Method::GET, "/users?count=5", None).await);
    }
    seen
}

fn faulty(rate: f64, seed: u64) -> Config {
    Config {
        fault_rate: rate,
        seed,
        ..Config::default()
    }
}

#[tokio::test]
async fn a_full_fault_rate_fails_every_call() {
    let seen = outcomes(faulty(1.0, 7), 40).await;
    for outcome in &seen {
        assert!(
            matches!(outcome, Outcome::Status(500 | 503 | 400) | Outcome::Dropped),
            "{outcome:?} in {seen:?}"
        );
    }
    // 400 is an injected burst-limit refusal (the default rate-limit status).
    for kind in [
        Outcome::Status(500),
        Outcome::Status(503),
        Outcome::Status(400),
        Outcome::Dropped,
    ] {
        assert!(seen.contains(&kind), "no {kind:?} in 40 faults: {seen:?}");
    }
}

#[tokio::test]
async fn a_dropped_connection_gives_no_status() {
    let running = start(faulty(1.0, 7), account_with(2)).await;
    let client = reqwest::Client::new();
    let url = format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}/users", running.url);
    let mut drops = 0;
    for _ in 0..40 {
        match client.get(&url).bearer_auth(TOKEN).send().await {
            Err(_) => drops += 1,
            Ok(response) => {
                let status = response.status();
                // Besides drops, a full fault rate answers 5xx or an injected burst refusal.
                assert!(
                    status.is_server_error() || status == 400,
                    "a dropped connection showed the client {status} before failing"
                );
            }
        }
    }
    assert!(drops > 0, "no drops in 40 faults");
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let first = outcomes(faulty(0.5, 42), 40).await;
    let second = outcomes(faulty(0.5, 42), 40).await;
    assert_eq!(first, second);
    assert!(first.contains(&Outcome::Status(200)), "{first:?}");
    assert!(
        first.iter().any(|outcome| *outcome != Outcome::Status(200)),
        "{first:?}"
    );
    let other = outcomes(faulty(0.5, 43), 40).await;
    assert_ne!(first, other, "another seed, another sequence");
}

#[tokio::test]
async fn a_zero_fault_rate_never_fails() {
    let seen = outcomes(faulty(0.0, 7), 60).await;
    assert!(
        seen.iter().all(|outcome| *outcome == Outcome::Status(200)),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_create_dropped_after_the_write_took_effect() {
    let running = start(faulty(1.0, 11), account_with(0)).await;
    let client = reqwest::Client::new();
    let mut attempts = Vec::new();
    for n in 0..40 {
        let email = format!("drop{n}@x.com");
        let body = json!({ "newUsers": [{ "userName": format!("Drop {n}"), "email": email }] });
        let outcome = attempt(&client, &running, Method::POST, "/users", Some(&body)).await;
        attempts.push((email, outcome));
    }
    let state = snapshot(&running).await;
    let existing: BTreeSet<String> = listed(&state["accounts"][0], "users")
        .iter()
        .filter_map(|user| user["email"].as_str())
        .map(str::to_lowercase)
        .collect();
    let mut took_effect = 0;
    let mut did_not = 0;
    for (email, outcome) in &attempts {
        let exists = existing.contains(email);
        match outcome {
            Outcome::Status(status) => {
                assert!(!exists, "{email} was created by a call answered {status}");
            }
            Outcome::Dropped if exists => took_effect += 1,
            Outcome::Dropped => did_not += 1,
        }
    }
    assert!(
        took_effect > 0,
        "no create took effect before its drop: {attempts:?}"
    );
    assert!(
        did_not > 0,
        "every dropped create took effect: {attempts:?}"
    );

    // The user made by a dropped call is a real, live user.
    let (email, _) = attempts
        .iter()
        .find(|(email, outcome)| *outcome == Outcome::Dropped && existing.contains(email))
        .expect("one");
    let status = listed(&state["accounts"][0], "users")
        .iter()
        .find(|user| user["email"] == email.as_str())
        .map(|user| user["status"].clone())
        .expect("in the snapshot");
    assert_eq!(status, json!(format!("{:?}", UserStatus::ActivationSent)));
}

#[tokio::test]
async fn the_invariant_check_sees_a_user_without_a_profile() {
    // The zero asserted throughout means something only if a breach is counted.
    let mut account = account_with(2);
    account.users[1].profile_id = 1;
    let running = start(Config::default(), account).await;
    let api = Api::new(&running);
    assert_eq!(
        api.stats().await["invariant_breaches"],
        0,
        "reads aren't checked"
    );
    let _ = api.get("/users").await;
    let created = create_user(
        &api,
        &json!({ "userName": "Any One", "email": "any@x.com" }),
    )
    .await;
    assert_eq!(created["permissionProfileName"], "DocuSign Sender");
    assert_eq!(api.stats().await["invariant_breaches"], 1);
}
