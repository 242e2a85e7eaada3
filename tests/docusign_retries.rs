//! How the client retries, against tiny servers on loopback that answer as a test tells them:
//! rate-limit refusals that never end, a 400 that refuses the token, `Retry-After`, the hourly
//! refusal known by its message, a server that never answers, and a token endpoint that fails.
//!
//! The tests run on paused tokio time, which the servers (spawned on the same runtime) share:
//! a wait of 30 s or an hour passes in no real time, and when a server notes the clock at each
//! call, the gaps between calls are the client's waits exactly.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::connect::{ConnectionSettings, connect};
use docusign_gitops::docusign::{Client, ClientError, ClientSettings, Pacing, Retry, Secret};
use reqwest::Method;
use serde_json::json;
use tokio::time::Instant;

const ACCOUNT: &str = "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36";

/// Serves `app` on a free loopback port; its base URL.
async fn serve(app: Router) -> String {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// What a server heard: when each call came (on the runtime's clock), and its bearer token.
#[derive(Clone, Default)]
struct Heard(Arc<Mutex<Vec<(Instant, String)>>>);

impl Heard {
    /// Notes a call; its number, from 1.
    fn note(&self, headers: &HeaderMap) -> usize {
        let bearer = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .trim_start_matches("Bearer ")
            .to_owned();
        let mut heard = self.0.lock().expect("lock");
        heard.push((Instant::now(), bearer));
        heard.len()
    }

    fn calls(&self) -> usize {
        self.0.lock().expect("lock").len()
    }

    fn tokens(&self) -> Vec<String> {
        let heard = self.0.lock().expect("lock");
        heard.iter().map(|(_, token)| token.clone()).collect()
    }

    /// The time between the first call and the second.
    fn first_gap(&self) -> Duration {
        let heard = self.0.lock().expect("lock");
        assert!(heard.len() >= 2, "only {} calls", heard.len());
        heard[1].0 - heard[0].0
    }
}

/// An API at `/restapi/…` that answers call `n` (from 1) with `answer(n)`.
fn api<F>(heard: &Heard, answer: F) -> Router
where
    F: Fn(usize, &str) -> Response + Clone + Send + Sync + 'static,
{
    let heard = heard.clone();
    Router::new().route(
        "/restapi/{*rest}",
        any(move |headers: HeaderMap| {
            let heard = heard.clone();
            let answer = answer.clone();
            async move {
                let n = heard.note(&headers);
                let token = heard.tokens().pop().unwrap_or_default();
                answer(n, &token)
            }
        }),
    )
}

fn ok() -> Response {
    (StatusCode::OK, axum::Json(json!({"users": []}))).into_response()
}

fn refusal(status: StatusCode, body: serde_json::Value, headers: &[(&str, &str)]) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            value.parse().expect("a header value"),
        );
    }
    response
}

/// No idle-connection timer: under paused time a pending timer would move the clock while a
/// call is on its way.
fn quiet_http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("an HTTP client")
}

fn settings() -> ClientSettings {
    ClientSettings {
        max_attempts: 3,
        ..ClientSettings::default()
    }
}

fn client_with(url: &str, credentials: Credentials, settings: ClientSettings) -> Client {
    let http = quiet_http();
    let auth = Arc::new(Authenticator::new(http.clone(), url, credentials));
    let api_base = format!("{url}/restapi/v2.1/accounts/{ACCOUNT}");
    Client::new(http, &api_base, auth, settings)
}

fn static_token() -> Credentials {
    Credentials::AccessToken(Secret::new("static-token"))
}

/// Well past any wait these calls may take (a few minutes at most): a call still going then
/// would go on for ever. Short enough that a retry loop without end (a second a turn) hits it
/// in a few seconds of real time.
const FOREVER: Duration = Duration::from_secs(2 * 3600);

async fn within_forever<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(FOREVER, future)
        .await
        .expect("the call ends (it was still going after two hours)")
}

// ---------------------------------------------------------------------------------------------
// Rate-limit refusals that never end
// ---------------------------------------------------------------------------------------------

/// A server that refuses every call for the burst or the hourly limit (with no
/// `X-RateLimit-Reset`, so the hourly wait is a second): the call is tried `max_attempts`
/// times and fails with `RetriesExhausted`, rather than retrying for as long as it is refused.
#[tokio::test(start_paused = true)]
async fn a_call_refused_for_every_attempt_gives_up_after_max_attempts() {
    for (status, code) in [
        (
            StatusCode::TOO_MANY_REQUESTS,
            "BURST_APIINVOCATION_LIMIT_EXCEEDED",
        ),
        (
            StatusCode::BAD_REQUEST,
            "BURST_APIINVOCATION_LIMIT_EXCEEDED",
        ),
        (
            StatusCode::BAD_REQUEST,
            "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
        ),
    ] {
        let heard = Heard::default();
        let url = serve(api(&heard, move |_, _| {
            refusal(status, json!({"errorCode": code, "message": "limit"}), &[])
        }))
        .await;
        let client = client_with(&url, static_token(), settings());
        let error = within_forever(client.get::<serde_json::Value>("/users"))
            .await
            .expect_err("refused every time");
        let ClientError::RetriesExhausted { attempts, last, .. } = &error else {
            panic!("{status} {code}: {error:?}");
        };
        assert_eq!(*attempts, 3, "{status} {code}");
        assert!(last.contains(code), "{last}");
        assert_eq!(heard.calls(), 3, "{status} {code}");
        assert_eq!(client.calls(), 3, "{status} {code}");
    }
}

// ---------------------------------------------------------------------------------------------
// A 400 that refuses the token
// ---------------------------------------------------------------------------------------------

/// A token endpoint for the refresh grant that issues `token-1`, `token-2`, … and counts.
fn token_endpoint(grants: &Arc<AtomicUsize>) -> Router {
    let grants = Arc::clone(grants);
    Router::new().route(
        "/oauth/token",
        post(move || {
            let n = grants.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                axum::Json(json!({
                    "access_token": format!("token-{n}"),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": format!("refresh-{n}"),
                }))
            }
        }),
    )
}

fn refresh_grant() -> Credentials {
    Credentials::RefreshToken {
        client_id: "client".to_owned(),
        client_secret: Secret::new("client-secret"),
        refresh_token: Secret::new("refresh-0"),
        keep_in: None,
    }
}

/// DocuSign's operations declare only 400 as their error, and a bad or expired token comes
/// as `AUTHORIZATION_INVALID_TOKEN` or `USER_AUTHENTICATION_FAILED` (refresh and retry
/// once). Such a 400 renews the token once, as a 401 does, for a call and for
/// `exchange`; another 400 renews nothing.
#[tokio::test(start_paused = true)]
async fn a_400_refusing_the_token_renews_it_once_and_goes_again() {
    for code in ["AUTHORIZATION_INVALID_TOKEN", "USER_AUTHENTICATION_FAILED"] {
        for exchange in [false, true] {
            let heard = Heard::default();
            let grants = Arc::new(AtomicUsize::new(0));
            let app = api(&heard, move |_, token| {
                if token == "token-1" {
                    refusal(
                        StatusCode::BAD_REQUEST,
                        json!({"errorCode": code, "message": "The access token is not valid."}),
                        &[],
                    )
                } else {
                    ok()
                }
            })
            .merge(token_endpoint(&grants));
            let url = serve(app).await;
            let client = client_with(&url, refresh_grant(), settings());
            if exchange {
                let answer = client
                    .exchange(Method::GET, "/users", None, Pacing::Paced)
                    .await
                    .expect("answered");
                assert_eq!(answer.status, reqwest::StatusCode::OK, "{code}");
            } else {
                client
                    .get::<serde_json::Value>("/users")
                    .await
                    .unwrap_or_else(|error| panic!("{code}: {error:?}"));
            }
            assert_eq!(heard.tokens(), ["token-1", "token-2"], "{code}");
            assert_eq!(grants.load(Ordering::SeqCst), 2, "{code}");
        }
    }

    // Any other 400 is the call's own refusal: no renewal, and one call.
    let heard = Heard::default();
    let grants = Arc::new(AtomicUsize::new(0));
    let app = api(&heard, |_, _| {
        refusal(
            StatusCode::BAD_REQUEST,
            json!({"errorCode": "USER_LACKS_PERMISSIONS", "message": "no"}),
            &[],
        )
    })
    .merge(token_endpoint(&grants));
    let url = serve(app).await;
    let client = client_with(&url, refresh_grant(), settings());
    let error = client
        .get::<serde_json::Value>("/users")
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, ClientError::Api { status: 400, code, .. } if code == "USER_LACKS_PERMISSIONS"),
        "{error:?}"
    );
    assert_eq!(heard.calls(), 1);
    assert_eq!(grants.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// Retry-After, and the hourly refusal by its message
// ---------------------------------------------------------------------------------------------

/// A 429 or 503 that says `Retry-After: <seconds>` is tried again after that wait, not the
/// burst wait (30 s) or the backoff (from 0.5 s); a header that is not a number of seconds
/// leaves the client's own wait.
#[tokio::test(start_paused = true)]
async fn a_retry_after_in_seconds_sets_the_wait() {
    let cases: [(StatusCode, &str, Duration, Duration); 4] = [
        // (status, Retry-After, at least, less than)
        (
            StatusCode::TOO_MANY_REQUESTS,
            "7",
            Duration::from_secs(7),
            Duration::from_secs(8),
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "5",
            Duration::from_secs(5),
            Duration::from_secs(6),
        ),
        // Capped: a 503's wait at `max_backoff`, a 429's at `max_hourly_wait`.
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "86400",
            Duration::from_secs(30),
            Duration::from_secs(31),
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "soon",
            Duration::from_secs(30),
            Duration::from_secs(31),
        ),
    ];
    for (status, retry_after, at_least, less_than) in cases {
        let heard = Heard::default();
        let url = serve(api(&heard, move |n, _| {
            if n == 1 {
                refusal(
                    status,
                    json!({"errorCode": "BUSY", "message": "later"}),
                    &[("retry-after", retry_after)],
                )
            } else {
                ok()
            }
        }))
        .await;
        let client = client_with(&url, static_token(), settings());
        within_forever(client.get::<serde_json::Value>("/users"))
            .await
            .unwrap_or_else(|error| panic!("{status} {retry_after}: {error:?}"));
        let gap = heard.first_gap();
        assert!(
            gap >= at_least && gap < less_than,
            "{status} Retry-After {retry_after}: waited {gap:?}"
        );
    }
}

/// An hourly refusal whose `Retry-After` is further off than `max_hourly_wait` fails at once,
/// as one whose `X-RateLimit-Reset` is.
#[tokio::test(start_paused = true)]
async fn an_hourly_refusal_with_a_far_retry_after_fails_fast() {
    let heard = Heard::default();
    let url = serve(api(&heard, |_, _| {
        refusal(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"errorCode": "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "message": "hour"}),
            &[("retry-after", "1800")],
        )
    }))
    .await;
    let client = client_with(&url, static_token(), settings());
    let error = within_forever(client.get::<serde_json::Value>("/users"))
        .await
        .expect_err("refused");
    assert!(
        matches!(error, ClientError::HourlyBudgetSpent { wait_seconds: 1800 }),
        "{error:?}"
    );
    assert_eq!(heard.calls(), 1);
}

/// A rate limit is keyed on `errorCode` or message. The hourly refusal without its code, known by
/// its documented message, is waited out and the call goes again (once).
#[tokio::test(start_paused = true)]
async fn the_hourly_refusal_is_known_by_its_message_without_a_code() {
    for status in [StatusCode::BAD_REQUEST, StatusCode::FORBIDDEN] {
        let heard = Heard::default();
        let url = serve(api(&heard, move |n, _| {
            if n == 1 {
                refusal(
                    status,
                    json!({"message": "The maximum number of hourly API invocations has been exceeded"}),
                    &[],
                )
            } else {
                ok()
            }
        }))
        .await;
        let client = client_with(&url, static_token(), settings());
        within_forever(client.call(Method::POST, "/groups", None, Retry::OnlyIfNotSent))
            .await
            .unwrap_or_else(|error| panic!("{status}: {error:?}"));
        assert_eq!(heard.calls(), 2, "{status}");
    }
}

// ---------------------------------------------------------------------------------------------
// A server that never answers
// ---------------------------------------------------------------------------------------------

/// Accepts connections and holds them, never answering.
async fn stalled_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    url
}

/// A server that takes the connection and never answers: each call times out after the
/// settings' `request_timeout`, as a transport failure. A read goes again as often as
/// `max_attempts` allows; a create, which may have been done, is not sent again. Connecting
/// (userinfo, asked who the token belongs to) doesn't hang either.
#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out() {
    let url = stalled_server().await;
    let settings = ClientSettings {
        max_attempts: 3,
        request_timeout: Duration::from_secs(60),
        // Longer than the whole call's: that one is the timeout the test means.
        connect_timeout: Duration::from_secs(3600),
        ..ClientSettings::default()
    };
    let connection = within_forever(connect(ConnectionSettings {
        auth_server: url.clone(),
        base_url: Some(url.clone()),
        account_id: Some(ACCOUNT.to_owned()),
        credentials: static_token(),
        client: settings,
    }))
    .await
    .expect("connected, the user unknown");
    assert_eq!(connection.account.user_id, "");
    let client = connection.client;

    let error = within_forever(client.get::<serde_json::Value>("/users"))
        .await
        .expect_err("no answer");
    let ClientError::RetriesExhausted { attempts, last, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*attempts, 3);
    assert!(last.contains("timed out"), "{last}");

    let error = within_forever(client.call(
        Method::POST,
        "/users",
        Some(&json!({"newUsers": []})),
        Retry::OnlyIfNotSent,
    ))
    .await
    .expect_err("no answer");
    let ClientError::Unreachable { reason, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(reason, "timed out");
    assert_eq!(client.calls(), 4);
}

// ---------------------------------------------------------------------------------------------
// A token endpoint that fails
// ---------------------------------------------------------------------------------------------

/// A token endpoint that answers request `n` (from 1) with `answer(n)`, and counts them.
fn failing_token_endpoint<F>(requests: &Arc<AtomicUsize>, answer: F) -> Router
where
    F: Fn(usize) -> Response + Clone + Send + Sync + 'static,
{
    let requests = Arc::clone(requests);
    Router::new().route(
        "/oauth/token",
        post(move || {
            let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
            let answer = answer.clone();
            async move { answer(n) }
        }),
    )
}

fn issued(n: usize) -> Response {
    axum::Json(json!({
        "access_token": format!("token-{n}"),
        "token_type": "Bearer",
        "expires_in": 3600,
    }))
    .into_response()
}

fn jwt_grant() -> Credentials {
    Credentials::Jwt {
        client_id: "client".to_owned(),
        user_id: "user".to_owned(),
        private_key: Secret::new(crate::emulator_support::KEYS.private_pem.clone()),
        key_from: "DOCUSIGN_PRIVATE_KEY".to_owned(),
    }
}

/// A 5xx (a plain page or an OAuth-shaped body), a 429 or a dropped connection at the token
/// endpoint is tried again, for both grants, up to three tries; an OAuth refusal
/// (`invalid_grant`, `consent_required`) is final at once.
#[tokio::test(start_paused = true)]
async fn the_token_request_is_retried_on_a_5xx_or_429_but_not_on_a_refusal() {
    let unavailable =
        |_: usize| (StatusCode::SERVICE_UNAVAILABLE, "down for a moment").into_response();
    let server_error = |_: usize| {
        refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "server_error"}),
            &[],
        )
    };
    let too_many = |_: usize| refusal(StatusCode::TOO_MANY_REQUESTS, json!({}), &[]);
    for grant in ["refresh", "jwt"] {
        let credentials = || match grant {
            "refresh" => refresh_grant(),
            _ => jwt_grant(),
        };
        // Two failures that may pass, then a token.
        for (what, fail) in [
            ("503", unavailable as fn(usize) -> Response),
            ("500 with an OAuth body", server_error),
            ("429", too_many),
        ] {
            let requests = Arc::new(AtomicUsize::new(0));
            let url = serve(failing_token_endpoint(&requests, move |n| {
                if n <= 2 { fail(n) } else { issued(n) }
            }))
            .await;
            let auth = Authenticator::new(quiet_http(), &url, credentials());
            let token = within_forever(auth.token())
                .await
                .unwrap_or_else(|error| panic!("{grant}, {what}: {error:?}"));
            assert_eq!(token.expose(), "token-3", "{grant}, {what}");
            assert_eq!(requests.load(Ordering::SeqCst), 3, "{grant}, {what}");
        }

        // Failing every time: three tries, and the last failure says so.
        let requests = Arc::new(AtomicUsize::new(0));
        let url = serve(failing_token_endpoint(&requests, unavailable)).await;
        let auth = Authenticator::new(quiet_http(), &url, credentials());
        let error = within_forever(auth.token())
            .await
            .expect_err("never issued");
        let ClientError::Unreachable { reason, .. } = &error else {
            panic!("{grant}: {error:?}");
        };
        assert!(
            reason.contains("503") && reason.contains("tried 3 times"),
            "{reason}"
        );
        assert_eq!(requests.load(Ordering::SeqCst), 3, "{grant}");

        // Refusals: one request.
        for refused in ["invalid_grant", "consent_required"] {
            let requests = Arc::new(AtomicUsize::new(0));
            let url = serve(failing_token_endpoint(&requests, move |_| {
                refusal(
                    StatusCode::BAD_REQUEST,
                    json!({"error": refused, "error_description": "no"}),
                    &[],
                )
            }))
            .await;
            let auth = Authenticator::new(quiet_http(), &url, credentials());
            let error = within_forever(auth.token()).await.expect_err("refused");
            assert!(
                matches!(
                    error,
                    ClientError::Auth { .. } | ClientError::ConsentRequired { .. }
                ),
                "{grant}, {refused}: {error:?}"
            );
            assert_eq!(requests.load(Ordering::SeqCst), 1, "{grant}, {refused}");
        }
    }
}

/// A token endpoint that takes the connection and drops it before answering: tried again.
#[tokio::test(start_paused = true)]
async fn a_token_request_whose_connection_drops_is_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let auth = Authenticator::new(quiet_http(), &url, refresh_grant());
    let error = within_forever(auth.token()).await.expect_err("no answer");
    let ClientError::Unreachable { reason, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(reason.contains("tried 3 times"), "{reason}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

/// DocuSign's JSON has numbers as strings almost throughout: a refresh answer's `expires_in`
/// as `"3600"` is read as the JWT grant's is, and the token is renewed a minute before then
/// rather than only after a refusal.
#[tokio::test(start_paused = true)]
async fn a_refresh_answer_with_expires_in_as_a_string_is_read() {
    let requests = Arc::new(AtomicUsize::new(0));
    let url = serve(failing_token_endpoint(&requests, |n| {
        axum::Json(json!({
            "access_token": format!("token-{n}"),
            "token_type": "Bearer",
            "expires_in": "3600",
            "refresh_token": format!("refresh-{n}"),
        }))
        .into_response()
    }))
    .await;
    let auth = Authenticator::new(quiet_http(), &url, refresh_grant());
    let token = auth
        .token()
        .await
        .unwrap_or_else(|error| panic!("{error:?}"));
    assert_eq!(token.expose(), "token-1");
    assert_eq!(auth.token().await.expect("cached").expose(), "token-1");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
