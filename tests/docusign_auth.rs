//! The client's authentication and account discovery, end to end against the emulator: a
//! static token, the refresh-token grant, the JWT grant, renewal after a 401, and userinfo.
//! Every secret is a canary string, and no error may show one.

use crate::emulator_support::{KEYS, Keys, STRANGER_KEYS, named_account};
use std::sync::Arc;

use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::discovery::{AccountInfo, auth_base_for, discover};
use docusign_gitops::docusign::{ClientError, Secret};
use docusign_gitops::emulator::config::{Client, Credentials as Allowed, RefreshGrant};
use docusign_gitops::emulator::{self, Config, Running};
use reqwest::StatusCode;

const CLIENT_ID: &str = "7c1e9a42-3d5b-4f80-a6e2-9b4d0c8f1e37";
const CLIENT_SECRET: &str = "canary-client-secret-4f1d";
const REFRESH_TOKEN: &str = "canary-refresh-token-9b2e";
const STATIC_TOKEN: &str = "canary-static-token-c3a7";
const WRONG_SECRET: &str = "canary-wrong-secret-58e0";

/// In both accounts, consented to `CLIENT_ID`.
const ADA: &str = "6a2f8c14-9e3b-4d71-b5c0-2e8d7f1a4c93";
/// Only in the first account, with no consent.
const GRACE: &str = "b8d3e5f2-1c7a-4e96-8a0b-5f2c9d6e3a71";
const ACME: &str = "1e6b9d3f-8a2c-4f57-9d10-c4a7e2b8f605";
const GAMMA: &str = "f4c8a2e6-5b1d-4a93-8e7f-0d3b6c9a2e18";

/// An emulator that knows the client, its refresh token for Ada, the static token for Ada,
/// the public key, and Ada's consent. Ada is in Acme (her default) and Gamma.
async fn emulator() -> Running {
    let config = Config {
        credentials: Allowed {
            static_tokens: vec![(STATIC_TOKEN.to_owned(), ADA.to_owned())],
            clients: vec![Client {
                id: CLIENT_ID.to_owned(),
                secret: CLIENT_SECRET.to_owned(),
            }],
            refresh_tokens: vec![RefreshGrant {
                token: REFRESH_TOKEN.to_owned(),
                client_id: CLIENT_ID.to_owned(),
                user_id: ADA.to_owned(),
            }],
            jwt_public_key_pem: Some(KEYS.public_pem.clone()),
            consents: vec![(CLIENT_ID.to_owned(), ADA.to_owned())],
        },
        ..Config::default()
    };
    let accounts = vec![
        named_account(
            ACME,
            "Acme Corp",
            &[(ADA, "Ada", "Lovelace"), (GRACE, "Grace", "Hopper")],
        ),
        named_account(GAMMA, "Acme Sandbox", &[(ADA, "Ada", "Lovelace")]),
    ];
    emulator::start(config, accounts, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start the emulator")
}

fn authenticator(emulator: &Running, credentials: Credentials) -> Authenticator {
    Authenticator::new(reqwest::Client::new(), &emulator.url, credentials)
}

fn static_token() -> Credentials {
    Credentials::AccessToken(Secret::new(STATIC_TOKEN))
}

fn refresh_token(client_secret: &str, refresh_token: &str) -> Credentials {
    Credentials::RefreshToken {
        client_id: CLIENT_ID.to_owned(),
        client_secret: Secret::new(client_secret),
        refresh_token: Secret::new(refresh_token),
        keep_in: None,
    }
}

fn jwt(user_id: &str, keys: &Keys) -> Credentials {
    Credentials::Jwt {
        client_id: CLIENT_ID.to_owned(),
        user_id: user_id.to_owned(),
        private_key: Secret::new(keys.private_pem.clone()),
        key_from: "DOCUSIGN_PRIVATE_KEY_FILE".to_owned(),
    }
}

/// Discovery against the emulator, with `wanted` as the account.
async fn discover_with(
    emulator: &Running,
    auth: &Authenticator,
    wanted: Option<&str>,
) -> Result<(AccountInfo, Option<String>), ClientError> {
    discover(&reqwest::Client::new(), &emulator.url, auth, wanted).await
}

/// The status of `GET /oauth/userinfo` with `token`.
async fn userinfo_status(emulator: &Running, token: &Secret) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", emulator.url))
        .bearer_auth(token.expose())
        .send()
        .await
        .expect("GET /oauth/userinfo")
        .status()
}

async fn expire_tokens(emulator: &Running) {
    let response = reqwest::Client::new()
        .post(format!("{}/_emulator/expire-tokens", emulator.url))
        .send()
        .await
        .expect("POST /_emulator/expire-tokens");
    assert_eq!(response.status(), StatusCode::OK);
}

/// Asserts that neither `Debug` nor `Display` of `error` (nor `Debug` of `auth`) shows a
/// secret: the canaries, the private keys' lines, or a token the emulator issued.
fn assert_no_secret(label: &str, error: &ClientError, auth: &Authenticator, issued: &[&Secret]) {
    let shown = format!("{error:?}\n{error}\n{error:#?}\n{auth:?}");
    let mut secrets: Vec<String> = [CLIENT_SECRET, REFRESH_TOKEN, STATIC_TOKEN, WRONG_SECRET]
        .iter()
        .map(|secret| (*secret).to_owned())
        .collect();
    for keys in [&*KEYS, &*STRANGER_KEYS] {
        secrets.extend(
            keys.private_pem
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    secrets.extend(issued.iter().map(|token| token.expose().to_owned()));
    for secret in &secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "{label}: a secret is shown in {shown}"
        );
    }
}

#[tokio::test]
async fn a_static_token_works_for_discovery_and_cannot_be_renewed() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, static_token());
    let token = auth.token().await.expect("the static token");
    assert_eq!(token.expose(), STATIC_TOKEN);

    let (account, warning) = discover_with(&emulator, &auth, None)
        .await
        .expect("discovery with the static token");
    assert_eq!(
        account,
        AccountInfo {
            account_id: ACME.to_owned(),
            account_name: "Acme Corp".to_owned(),
            base_uri: emulator.url.clone(),
            user_id: ADA.to_owned(),
            user_name: "Ada Lovelace".to_owned(),
            user_email: "ada@example.com".to_owned(),
        }
    );
    assert!(warning.is_some(), "no account was wanted");

    let error = auth
        .renew(&token)
        .await
        .expect_err("a static token can't be renewed");
    let ClientError::Auth { description, .. } = &error else {
        panic!("renewing a static token is an Auth error: {error:?}");
    };
    assert!(description.contains("static"), "{description}");
    assert!(
        description.contains("expired or was revoked"),
        "{description}"
    );
    assert_no_secret("static renew", &error, &auth, &[]);
}

#[tokio::test]
async fn the_refresh_grant_caches_its_token_and_renews_with_the_newest_refresh_token() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, refresh_token(CLIENT_SECRET, REFRESH_TOKEN));
    let first = auth.token().await.expect("a token from the refresh grant");
    assert_eq!(userinfo_status(&emulator, &first).await, StatusCode::OK);
    assert_eq!(
        auth.token().await.unwrap(),
        first,
        "a fresh token is served from the cache"
    );
    let newest = auth.latest_refresh_token().await.expect("a refresh token");
    assert_ne!(
        newest.expose(),
        REFRESH_TOKEN,
        "the answer's new refresh token is kept"
    );

    expire_tokens(&emulator).await;
    assert_eq!(
        userinfo_status(&emulator, &first).await,
        StatusCode::UNAUTHORIZED
    );
    // The emulator spent REFRESH_TOKEN: this renewal works only with the new one.
    let second = auth.renew(&first).await.expect("a renewal after a 401");
    assert_ne!(second, first);
    assert_eq!(userinfo_status(&emulator, &second).await, StatusCode::OK);
    let newer = auth.latest_refresh_token().await.unwrap();
    assert_ne!(newer, newest, "each refresh brings a new refresh token");
    assert_eq!(
        auth.renew(&first).await.unwrap(),
        second,
        "a renewal of an already renewed token answers the current one"
    );

    // Discovery renews on a 401 by itself.
    expire_tokens(&emulator).await;
    let (account, _) = discover_with(&emulator, &auth, Some(GAMMA))
        .await
        .expect("discovery renews the expired token");
    assert_eq!(account.account_id, GAMMA);
    assert_ne!(auth.token().await.unwrap(), second);
}

#[tokio::test]
async fn a_refresh_with_a_wrong_secret_or_a_spent_token_is_an_auth_error() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, refresh_token(WRONG_SECRET, REFRESH_TOKEN));
    let error = auth.token().await.expect_err("a wrong client secret");
    let ClientError::Auth { error: code, .. } = &error else {
        panic!("a wrong secret is an Auth error: {error:?}");
    };
    assert_eq!(code, "invalid_client");
    assert_no_secret("wrong secret", &error, &auth, &[]);

    // The failed attempt did not spend the refresh token; a good one does.
    let good = authenticator(&emulator, refresh_token(CLIENT_SECRET, REFRESH_TOKEN));
    let issued = good.token().await.expect("the refresh token is unspent");
    let spent = authenticator(&emulator, refresh_token(CLIENT_SECRET, REFRESH_TOKEN));
    let error = spent.token().await.expect_err("a spent refresh token");
    let ClientError::Auth { error: code, .. } = &error else {
        panic!("a spent refresh token is an Auth error: {error:?}");
    };
    assert_eq!(code, "invalid_grant");
    assert_no_secret("spent refresh token", &error, &spent, &[&issued]);
}

#[tokio::test]
async fn the_jwt_grant_issues_a_token_and_signs_a_new_assertion_to_renew() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, jwt(ADA, &KEYS));
    let first = auth.token().await.expect("a token from the JWT grant");
    assert_eq!(userinfo_status(&emulator, &first).await, StatusCode::OK);
    assert_eq!(auth.token().await.unwrap(), first, "cached");
    assert!(auth.latest_refresh_token().await.is_none());

    expire_tokens(&emulator).await;
    let second = auth.renew(&first).await.expect("a new assertion");
    assert_ne!(second, first);
    assert_eq!(userinfo_status(&emulator, &second).await, StatusCode::OK);

    let (account, warning) = discover_with(&emulator, &auth, Some(&GAMMA.to_uppercase()))
        .await
        .expect("discovery with a JWT token");
    assert_eq!(account.account_id, GAMMA);
    assert_eq!(account.account_name, "Acme Sandbox");
    assert_eq!(warning, None);
    let shown = format!("{auth:?}");
    assert!(!shown.contains(second.expose()), "{shown}");
    assert!(!shown.contains(first.expose()), "{shown}");
}

#[tokio::test]
async fn the_jwt_grant_without_consent_gives_the_consent_url() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, jwt(GRACE, &KEYS));
    let error = auth.token().await.expect_err("Grace never consented");
    let ClientError::ConsentRequired { url } = &error else {
        panic!("no consent is ConsentRequired: {error:?}");
    };
    assert!(
        url.starts_with(&format!("{}/oauth/auth?", emulator.url)),
        "{url}"
    );
    assert!(url.contains(&format!("client_id={CLIENT_ID}")), "{url}");
    assert!(url.contains("response_type=code"), "{url}");
    assert!(url.contains("scope=signature%20impersonation"), "{url}");
    assert!(url.contains("redirect_uri=https%3A%2F%2F"), "{url}");
    assert_no_secret("consent required", &error, &auth, &[]);
}

#[tokio::test]
async fn the_jwt_grant_with_an_unregistered_key_is_an_auth_error() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, jwt(ADA, &STRANGER_KEYS));
    let error = auth
        .token()
        .await
        .expect_err("a key the emulator doesn't know");
    let ClientError::Auth {
        error: code,
        description,
    } = &error
    else {
        panic!("a bad signature is an Auth error: {error:?}");
    };
    assert_eq!(code, "invalid_grant");
    assert!(description.contains("signature"), "{description}");
    assert_no_secret("unregistered key", &error, &auth, &[]);

    let garbage = Credentials::Jwt {
        client_id: CLIENT_ID.to_owned(),
        user_id: ADA.to_owned(),
        private_key: Secret::new(format!("not a key {CLIENT_SECRET}")),
        key_from: "DOCUSIGN_PRIVATE_KEY".to_owned(),
    };
    let auth = authenticator(&emulator, garbage);
    let error = auth.token().await.expect_err("not a PEM key");
    assert!(
        matches!(error, ClientError::Settings(_)),
        "an unreadable key is a settings error: {error:?}"
    );
    assert_no_secret("unreadable key", &error, &auth, &[]);
}

#[tokio::test]
async fn discovery_picks_the_wanted_account_or_the_default_with_a_warning() {
    let emulator = emulator().await;
    let auth = authenticator(&emulator, static_token());

    let (account, warning) = discover_with(&emulator, &auth, Some(GAMMA))
        .await
        .expect("Ada is in Gamma");
    assert_eq!(account.account_id, GAMMA);
    assert_eq!(account.account_name, "Acme Sandbox");
    assert_eq!(account.base_uri, emulator.url);
    assert_eq!(warning, None, "an explicit account needs no warning");

    let (account, warning) = discover_with(&emulator, &auth, None)
        .await
        .expect("the default account");
    assert_eq!(account.account_id, ACME);
    let warning = warning.expect("a warning when no account is chosen");
    assert!(warning.starts_with("no account chosen"), "{warning}");
    assert!(
        warning.contains(&format!("{ACME} (Acme Corp)")),
        "{warning}"
    );
    assert!(warning.contains("DOCUSIGN_ACCOUNT_ID"), "{warning}");

    let unknown = "00000000-0000-0000-0000-000000000000";
    let error = discover_with(&emulator, &auth, Some(unknown))
        .await
        .expect_err("Ada has no such account");
    let ClientError::Account(message) = &error else {
        panic!("an unknown account is an Account error: {error:?}");
    };
    assert!(message.contains(unknown), "{message}");
    assert!(
        message.contains(&format!("{ACME} (Acme Corp)")),
        "{message}"
    );
    assert!(
        message.contains(&format!("{GAMMA} (Acme Sandbox)")),
        "{message}"
    );
    assert_no_secret("unknown account", &error, &auth, &[]);
}

#[tokio::test]
async fn discovery_with_a_revoked_static_token_is_an_auth_error() {
    let emulator = emulator().await;
    let revoked = Credentials::AccessToken(Secret::new("canary-revoked-token-11aa"));
    let auth = authenticator(&emulator, revoked);
    let error = discover_with(&emulator, &auth, None)
        .await
        .expect_err("an unknown token");
    assert!(matches!(error, ClientError::Auth { .. }), "{error:?}");
    let shown = format!("{error:?} {error}");
    assert!(!shown.contains("canary-revoked-token-11aa"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_after_expiry_share_one_renewal() {
    for credentials in [refresh_token(CLIENT_SECRET, REFRESH_TOKEN), jwt(ADA, &KEYS)] {
        let emulator = emulator().await;
        let auth = Arc::new(authenticator(&emulator, credentials));

        // Eight first calls: one grant.
        let tokens = run_eight(&auth, None).await;
        assert!(
            tokens.iter().all(|token| *token == tokens[0]),
            "eight first callers got one token"
        );
        let stale = tokens[0].clone();

        expire_tokens(&emulator).await;
        let renewed = run_eight(&auth, Some(&stale)).await;
        // Each grant issues a different token, so eight equal tokens mean one renewal.
        assert!(
            renewed.iter().all(|token| *token == renewed[0]),
            "eight renewals of one stale token got one new token"
        );
        assert_ne!(renewed[0], stale);
        assert_eq!(
            userinfo_status(&emulator, &renewed[0]).await,
            StatusCode::OK
        );
    }
}

/// Eight tasks at once: `token()`, or `renew(stale)` when a stale token is given.
async fn run_eight(auth: &Arc<Authenticator>, stale: Option<&Secret>) -> Vec<Secret> {
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let auth = Arc::clone(auth);
            let start = Arc::clone(&start);
            let stale = stale.cloned();
            tokio::spawn(async move {
                start.wait().await;
                match stale {
                    Some(stale) => auth.renew(&stale).await,
                    None => auth.token().await,
                }
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.expect("the task ran").expect("a token"));
    }
    tokens
}

#[test]
fn auth_base_for_a_host_or_a_url() {
    assert_eq!(
        auth_base_for("account-d.docusign.com"),
        "https://account-d.docusign.com"
    );
    assert_eq!(
        auth_base_for("http://127.0.0.1:4000/"),
        "http://127.0.0.1:4000"
    );
}
