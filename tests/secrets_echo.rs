//! A server that quotes the bearer token back — in a refusal's JSON, in a plain-text error page
//! long enough to be cut, in one item's `errorDetails` of a bulk answer, in a userinfo error —
//! never gets the token shown: every text a server sends passes through the client's redactor.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::connect::{ConnectionSettings, connect};
use docusign_gitops::docusign::discovery::discover;
use docusign_gitops::docusign::writes::{Members, NewUser};
use docusign_gitops::docusign::{Client, ClientError, ClientSettings, Secret};
use serde_json::json;

/// Long, with the characters servers escape, so every form of it is tried.
const TOKEN: &str = "canary-access-token/0123456789+abcdefghijklmnopqrstuvwxyz=";
const ACCOUNT: &str = "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36";

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Answers every API call by quoting what it was sent, in the shape the path asks for.
async fn echo(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let authorization = bearer(&headers);
    let path = uri.path();
    if path.contains("/groups/") {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({
                "errorCode": "UNSPECIFIED_ERROR",
                "message": format!("retry with {authorization}")
            })),
        )
            .into_response();
    }
    if path.ends_with("/users") && uri.query().is_some_and(|q| q.contains("plain")) {
        // A proxy's error page: not JSON, and the token sits across the 200th character.
        let page = format!(
            "{}{authorization} was refused{}",
            "x".repeat(170),
            "y".repeat(300)
        );
        return (StatusCode::BAD_REQUEST, page).into_response();
    }
    if path.ends_with("/users") && uri.query().is_some_and(|q| q.contains("escaped")) {
        // A JSON writer that escapes `/`.
        let body = format!(
            r#"{{"errorCode":"INVALID_TOKEN","message":"{}"}}"#,
            authorization.replace('/', "\\/")
        );
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .expect("response");
    }
    if path.ends_with("/users") && uri.query().is_none() {
        // A bulk create answered 201 with one failed item quoting the header.
        return (
            StatusCode::CREATED,
            axum::Json(json!({"newUsers": [{
                "email": "new@example.com",
                "errorDetails": {
                    "errorCode": "USER_NOT_CREATED",
                    "message": format!("the caller {authorization} may not create users")
                }
            }]})),
        )
            .into_response();
    }
    // Not a code that refuses the token (those renew it, and a static token's renewal fails
    // with words of its own): a refusal of the call, quoting the token.
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({
            "errorCode": "USER_LACKS_PERMISSIONS",
            "message": format!("The caller {authorization} may not do this.")
        })),
    )
        .into_response()
}

async fn userinfo(headers: HeaderMap) -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(json!({
            "error": "forbidden",
            "error_description": format!("{} may not read userinfo", bearer(&headers))
        })),
    )
        .into_response()
}

async fn serve() -> String {
    let app = Router::new()
        .route("/oauth/userinfo", get(userinfo))
        .route("/restapi/{*rest}", any(echo));
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn client(url: &str) -> std::sync::Arc<Client> {
    let settings = ClientSettings {
        max_attempts: 2,
        min_backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(2),
        ..ClientSettings::default()
    };
    connect(ConnectionSettings {
        auth_server: url.to_owned(),
        base_url: Some(url.to_owned()),
        account_id: Some(ACCOUNT.to_owned()),
        credentials: Credentials::AccessToken(Secret::new(TOKEN)),
        client: settings,
    })
    .await
    .expect("connect")
    .client
}

/// The error as a user sees it: miette's report, and the debug form too.
fn shown(error: ClientError) -> String {
    let debug = format!("{error:?}");
    format!("{:?}\n{debug}", miette::Report::new(error))
}

fn assert_redacted(what: &str, text: &str) {
    for part in [TOKEN, &TOKEN[..20], &TOKEN[20..40], "0123456789+abcdef"] {
        assert!(!text.contains(part), "{what} shows the token:\n{text}");
    }
    assert!(text.contains("[redacted]"), "{what}: {text}");
}

#[tokio::test]
async fn refusals_quoting_the_token_show_it_redacted() {
    let url = serve().await;
    let client = client(&url).await;
    for (what, path) in [
        ("a JSON refusal", "/users?email=a%40example.com"),
        ("a refusal escaping `/`", "/users?escaped=1"),
        ("a plain-text page cut at 200 characters", "/users?plain=1"),
        ("a 5xx retried until it gave up", "/groups/1/users"),
    ] {
        let error = client
            .get::<serde_json::Value>(path)
            .await
            .expect_err("refused");
        assert_redacted(what, &shown(error));
    }
}

#[tokio::test]
async fn an_item_error_quoting_the_token_shows_it_redacted() {
    let url = serve().await;
    let client = client(&url).await;
    let outcomes = client
        .create_users(&[NewUser {
            user_name: "New User".to_owned(),
            email: "new@example.com".to_owned(),
            first_name: "New".to_owned(),
            last_name: "User".to_owned(),
            job_title: None,
            profile_id: "1".to_owned(),
            group_ids: Vec::new(),
        }])
        .await
        .expect("answered");
    let error = outcomes[0].clone().expect_err("the item failed");
    assert_eq!(error.code, "USER_NOT_CREATED");
    assert_redacted("an item's message", &error.message);
    let whole_call = client
        .group_members(Members::Add, "1", &["u".to_owned()])
        .await
        .expect_err("the call failed");
    assert_redacted("a failed membership call", &shown(whole_call));
}

#[tokio::test]
async fn a_userinfo_error_quoting_the_token_shows_it_redacted() {
    let url = serve().await;
    let http = reqwest::Client::new();
    let auth = Authenticator::new(
        http.clone(),
        &url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    );
    let error = discover(&http, &url, &auth, Some(ACCOUNT))
        .await
        .expect_err("refused");
    assert_redacted("a userinfo refusal", &shown(error));
}
