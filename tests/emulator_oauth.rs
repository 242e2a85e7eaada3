//! The emulator's OAuth service: the refresh-token and JWT bearer grants of `POST /oauth/token`,
//! and `GET /oauth/userinfo`.

use crate::emulator_support::{KEYS, Keys, STRANGER_KEYS, named_account};

use docusign_gitops::emulator::config::{Client, Credentials, RefreshGrant};
use docusign_gitops::emulator::{self, Config, Running};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENT_ID: &str = "8f3c2a71-5b0e-4d9a-9c61-2e7d4b1a0c55";
const CLIENT_SECRET: &str = "b1e4c9d2-7a36-4f0b-8e15-93c2d6a7f481";
const OTHER_CLIENT_ID: &str = "0a9d5e3f-2c71-4b8e-a6d4-5f1e8c2b7d90";
const OTHER_CLIENT_SECRET: &str = "6c2f8a1d-4e93-4b57-b0a8-d13e9f7c5a26";
const REFRESH_TOKEN: &str = "configured-refresh-token";
const OTHER_CLIENT_REFRESH_TOKEN: &str = "other-client-refresh-token";
const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const AUTH_HOST: &str = "account-d.docusign.com";

/// In the first and third account, and consented to `CLIENT_ID`.
const ADA: &str = "4d1c7a52-8e3b-4f6a-9b20-c5e8d1a7f364";
/// In the first two accounts, with no consent.
const GRACE: &str = "9e2b5c18-3f7d-4a61-8c94-b7d0e2f5a813";
const ACME: &str = "c0a8f3e1-6d2b-4e97-a5c1-8f4b2d7e9a06";
const BETA: &str = "5b7e2d94-1a8c-4f3e-b6d0-e9c3a7f1b258";
const GAMMA: &str = "e3f9a6c2-7b14-4d85-9e2a-1c6d8b4f0a73";

async fn emulator() -> Running {
    let config = Config {
        credentials: Credentials {
            static_tokens: Vec::new(),
            clients: vec![
                Client {
                    id: CLIENT_ID.to_owned(),
                    secret: CLIENT_SECRET.to_owned(),
                },
                Client {
                    id: OTHER_CLIENT_ID.to_owned(),
                    secret: OTHER_CLIENT_SECRET.to_owned(),
                },
            ],
            refresh_tokens: vec![
                RefreshGrant {
                    token: REFRESH_TOKEN.to_owned(),
                    client_id: CLIENT_ID.to_owned(),
                    user_id: ADA.to_owned(),
                },
                RefreshGrant {
                    token: OTHER_CLIENT_REFRESH_TOKEN.to_owned(),
                    client_id: OTHER_CLIENT_ID.to_owned(),
                    user_id: ADA.to_owned(),
                },
            ],
            jwt_public_key_pem: Some(KEYS.public_pem.clone()),
            consents: vec![(CLIENT_ID.to_owned(), ADA.to_owned())],
        },
        ..Config::default()
    };
    assert_eq!(config.auth_host, AUTH_HOST);
    let accounts = vec![
        named_account(
            ACME,
            "Acme Corp",
            &[(ADA, "Ada", "Lovelace"), (GRACE, "Grace", "Hopper")],
        ),
        named_account(BETA, "Acme Beta", &[(GRACE, "Grace", "Hopper")]),
        named_account(GAMMA, "Acme Sandbox", &[(ADA, "Ada", "Lovelace")]),
    ];
    emulator::start(config, accounts, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start the emulator")
}

/// A form's fields, in order.
type FormFields<'a> = &'a [(&'a str, &'a str)];

/// `POST /oauth/token` with a form, and Basic auth when given; the status and JSON body.
async fn token(
    emulator: &Running,
    basic: Option<(&str, &str)>,
    form: FormFields<'_>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/oauth/token", emulator.url))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("POST /oauth/token");
    let status = response.status();
    let cache_control = response.headers().get("cache-control").cloned();
    assert_eq!(
        cache_control.as_ref().and_then(|value| value.to_str().ok()),
        Some("no-store"),
        "token answers must not be cached"
    );
    (status, response.json().await.expect("a JSON body"))
}

async fn refresh(
    emulator: &Running,
    basic: (&str, &str),
    refresh_token: &str,
) -> (StatusCode, Value) {
    token(
        emulator,
        Some(basic),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

async fn jwt(emulator: &Running, assertion: &str) -> (StatusCode, Value) {
    token(
        emulator,
        None,
        &[("grant_type", JWT_GRANT), ("assertion", assertion)],
    )
    .await
}

/// `GET /oauth/userinfo` with a bearer token (or none).
async fn userinfo(emulator: &Running, bearer: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().get(format!("{}/oauth/userinfo", emulator.url));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("GET /oauth/userinfo");
    (
        response.status(),
        response.json().await.expect("a JSON body"),
    )
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The claims the official SDK sends: Ada impersonated by `CLIENT_ID` for an hour.
fn claims() -> Value {
    let now = now();
    json!({
        "iss": CLIENT_ID,
        "sub": ADA,
        "aud": AUTH_HOST,
        "iat": now,
        "exp": now + 3600,
        "scope": "signature impersonation",
    })
}

/// `claims()` with some claims replaced, or removed when `null`.
fn claims_with(changes: &Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().expect("an object of changes") {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn sign(claims: &Value, keys: &Keys) -> String {
    let key = EncodingKey::from_rsa_pem(keys.private_pem.as_bytes()).expect("read the private key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign the assertion")
}

#[tokio::test]
async fn refresh_grant_issues_a_working_token_and_spends_the_old_refresh_token() {
    let emulator = emulator().await;
    let (status, body) = refresh(&emulator, (CLIENT_ID, CLIENT_SECRET), REFRESH_TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["expires_in"],
        json!(8 * 3600),
        "expires_in is a JSON number of seconds"
    );
    let access_token = body["access_token"].as_str().expect("an access token");
    let new_refresh = body["refresh_token"].as_str().expect("a new refresh token");
    assert_ne!(new_refresh, REFRESH_TOKEN);

    let (status, info) = userinfo(&emulator, Some(access_token)).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["sub"], ADA);

    let (status, body) = refresh(&emulator, (CLIENT_ID, CLIENT_SECRET), REFRESH_TOKEN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"], "invalid_grant",
        "a spent refresh token: {body}"
    );

    let (status, body) = refresh(&emulator, (CLIENT_ID, CLIENT_SECRET), new_refresh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new refresh token works: {body}"
    );
}

#[tokio::test]
async fn refresh_grant_refuses_a_bad_client_without_spending_the_token() {
    let emulator = emulator().await;
    for (label, basic) in [
        ("wrong secret", Some((CLIENT_ID, "not-the-secret"))),
        (
            "unknown client",
            Some(("11111111-2222-3333-4444-555555555555", CLIENT_SECRET)),
        ),
        (
            "another client's secret",
            Some((CLIENT_ID, OTHER_CLIENT_SECRET)),
        ),
        ("no client authentication", None),
    ] {
        let (status, body) = token(
            &emulator,
            basic,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", REFRESH_TOKEN),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}: {body}");
        assert_eq!(body["error"], "invalid_client", "{label}: {body}");
    }
    let (status, body) = refresh(&emulator, (CLIENT_ID, CLIENT_SECRET), REFRESH_TOKEN).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "failed client authentication spends nothing: {body}"
    );
}

#[tokio::test]
async fn refresh_grant_refuses_another_clients_or_an_unknown_refresh_token() {
    let emulator = emulator().await;
    let (status, body) = refresh(
        &emulator,
        (CLIENT_ID, CLIENT_SECRET),
        OTHER_CLIENT_REFRESH_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant", "{body}");
    // Shown by the wrong client, the token may have leaked: it is revoked (RFC 6749 §10.4).
    let (status, body) = refresh(
        &emulator,
        (OTHER_CLIENT_ID, OTHER_CLIENT_SECRET),
        OTHER_CLIENT_REFRESH_TOKEN,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant", "{body}");

    let (status, body) = refresh(&emulator, (CLIENT_ID, CLIENT_SECRET), "never-issued").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn jwt_grant_issues_an_hour_long_token_and_no_refresh_token() {
    let emulator = emulator().await;
    let (status, body) = jwt(&emulator, &sign(&claims(), &KEYS)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], json!(3600));
    assert!(
        body.get("refresh_token").is_none(),
        "the JWT grant issues no refresh token: {body}"
    );

    let access_token = body["access_token"].as_str().expect("an access token");
    let (status, info) = userinfo(&emulator, Some(access_token)).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["sub"], ADA);

    let now = now();
    let skewed = claims_with(&json!({ "iat": now + 50, "exp": now + 50 + 3600 }));
    let (status, body) = jwt(&emulator, &sign(&skewed, &KEYS)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a client clock up to 60 s ahead is allowed: {body}"
    );
}

#[tokio::test]
async fn jwt_grant_refuses_bad_signatures_and_malformed_assertions() {
    let emulator = emulator().await;
    let public_key_as_hmac_secret = {
        let key = EncodingKey::from_secret(KEYS.public_pem.as_bytes());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(), &key).unwrap()
    };
    let payload_swapped = {
        let genuine = sign(&claims(), &KEYS);
        let forged = sign(&claims_with(&json!({ "sub": GRACE })), &KEYS);
        let parts: Vec<&str> = genuine.split('.').collect();
        let forged_payload = forged.split('.').nth(1).unwrap();
        format!("{}.{forged_payload}.{}", parts[0], parts[2])
    };
    let another_key = sign(&claims(), &STRANGER_KEYS);
    assert_invalid_grant(
        &emulator,
        "signed with another key",
        &another_key,
        "signature",
    )
    .await;
    assert_invalid_grant(&emulator, "payload swapped", &payload_swapped, "signature").await;
    let label = "HS256 keyed with the public key";
    assert_invalid_grant(&emulator, label, &public_key_as_hmac_secret, "RS256").await;
    assert_invalid_grant(&emulator, "not a JWT", "not-a-jwt", "well-formed").await;
    let two_segments = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0";
    assert_invalid_grant(&emulator, "two segments", two_segments, "well-formed").await;
}

#[tokio::test]
async fn jwt_grant_refuses_bad_claims_as_invalid_grant() {
    let emulator = emulator().await;
    let now = now();
    let unknown_id = "00000000-0000-0000-0000-000000000000";
    // Each case: what is wrong, the claims it changes, and a word its description must contain.
    let cases = [
        (
            "aud with a scheme",
            json!({ "aud": "https://account-d.docusign.com" }),
            "`aud`",
        ),
        (
            "aud of production",
            json!({ "aud": "account.docusign.com" }),
            "`aud`",
        ),
        ("aud as a list", json!({ "aud": [AUTH_HOST] }), "`aud`"),
        ("aud missing", json!({ "aud": null }), "`aud`"),
        (
            "expired",
            json!({ "iat": now - 3700, "exp": now - 100 }),
            "expired",
        ),
        (
            "lives longer than an hour",
            json!({ "iat": now, "exp": now + 3601 }),
            "3600",
        ),
        (
            "issued in the future",
            json!({ "iat": now + 600, "exp": now + 1200 }),
            "`iat`",
        ),
        (
            "exp before iat",
            json!({ "iat": now + 30, "exp": now + 10 }),
            "`exp`",
        ),
        ("exp missing", json!({ "exp": null }), "`exp`"),
        ("iat missing", json!({ "iat": null }), "`iat`"),
        (
            "exp as a string",
            json!({ "exp": (now + 3600).to_string() }),
            "`exp`",
        ),
        ("scope missing", json!({ "scope": null }), "`scope`"),
        (
            "scope without impersonation",
            json!({ "scope": "signature" }),
            "impersonation",
        ),
        (
            "scope as one word",
            json!({ "scope": "signatureimpersonation" }),
            "`scope`",
        ),
        ("unknown sub", json!({ "sub": unknown_id }), "`sub`"),
        ("sub missing", json!({ "sub": null }), "`sub`"),
        ("unknown iss", json!({ "iss": unknown_id }), "`iss`"),
        ("iss missing", json!({ "iss": null }), "`iss`"),
    ];
    for (label, changes, word) in cases {
        let assertion = sign(&claims_with(&changes), &KEYS);
        assert_invalid_grant(&emulator, label, &assertion, word).await;
    }
}

/// The JWT grant refuses `assertion` with 400 `invalid_grant`, a description that contains
/// `word` and doesn't repeat the assertion.
async fn assert_invalid_grant(emulator: &Running, label: &str, assertion: &str, word: &str) {
    let (status, body) = jwt(emulator, assertion).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");
    assert_eq!(body["error"], "invalid_grant", "{label}: {body}");
    let description = body["error_description"].as_str().expect("a description");
    assert!(description.contains(word), "{label}: {body}");
    for segment in assertion.split('.').filter(|segment| segment.len() > 8) {
        assert!(
            !description.contains(segment),
            "{label}: the assertion is echoed: {body}"
        );
    }
}

#[tokio::test]
async fn jwt_grant_without_consent_is_consent_required() {
    let emulator = emulator().await;
    for (label, claims) in [
        (
            "user who never consented",
            claims_with(&json!({ "sub": GRACE })),
        ),
        (
            "consent given to another client",
            claims_with(&json!({ "iss": OTHER_CLIENT_ID })),
        ),
    ] {
        let (status, body) = jwt(&emulator, &sign(&claims, &KEYS)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");
        assert_eq!(body["error"], "consent_required", "{label}: {body}");
    }
}

#[tokio::test]
async fn token_requests_missing_or_unknown_parameters_are_refused() {
    let emulator = emulator().await;
    let cases: [(&str, FormFields, &str); 5] = [
        ("no grant_type", &[("assertion", "x")], "invalid_request"),
        (
            "unknown grant_type",
            &[("grant_type", "password"), ("username", "ada")],
            "unsupported_grant_type",
        ),
        (
            "authorization code (not served)",
            &[("grant_type", "authorization_code"), ("code", "abc")],
            "unsupported_grant_type",
        ),
        (
            "JWT grant without assertion",
            &[("grant_type", JWT_GRANT)],
            "invalid_request",
        ),
        (
            "grant_type twice",
            &[("grant_type", JWT_GRANT), ("grant_type", "refresh_token")],
            "invalid_request",
        ),
    ];
    for (label, form, error) in cases {
        let (status, body) = token(&emulator, None, form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");
        assert_eq!(body["error"], error, "{label}: {body}");
    }

    let (status, body) = token(
        &emulator,
        Some((CLIENT_ID, CLIENT_SECRET)),
        &[("grant_type", "refresh_token")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"], "invalid_request",
        "refresh grant without refresh_token: {body}"
    );

    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", emulator.url))
        .json(&json!({ "grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN }))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a JSON body is not a form"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn userinfo_refuses_a_missing_or_unknown_token() {
    let emulator = emulator().await;
    for (label, bearer) in [("unknown token", Some("not-a-token")), ("no token", None)] {
        let (status, body) = userinfo(&emulator, bearer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}: {body}");
        assert_eq!(body["error"], "invalid_token", "{label}: {body}");
    }
}

#[tokio::test]
async fn userinfo_lists_the_users_accounts_with_the_first_as_default() {
    let emulator = emulator().await;
    let (_, body) = jwt(&emulator, &sign(&claims(), &KEYS)).await;
    let access_token = body["access_token"].as_str().expect("an access token");
    let (status, info) = userinfo(&emulator, Some(access_token)).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(
        info,
        json!({
            "sub": ADA,
            "name": "Ada Lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "created": "2024-03-01T09:30:00.0000000Z",
            "email": "ada@example.com",
            "accounts": [
                {
                    "account_id": ACME,
                    "is_default": true,
                    "account_name": "Acme Corp",
                    "base_uri": emulator.url,
                },
                {
                    "account_id": GAMMA,
                    "is_default": false,
                    "account_name": "Acme Sandbox",
                    "base_uri": emulator.url,
                },
            ],
        })
    );
}
