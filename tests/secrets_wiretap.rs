//! A wiretap between the tool and the emulator, for the secrets test. It relays every call and
//! keeps every credential that crosses it: what the tool sends (bearer tokens, the client
//! secret, refresh tokens, JWT assertions) and what the emulator issues (access and refresh
//! tokens), so the test can look for each one in whatever the tool printed or wrote. It can
//! also answer the way a careless server might: quote the credentials back in an OAuth refusal
//! or a redirect, or refuse API calls with 401.
//!
//! Discovery's `base_uri` is rewritten to the wiretap, so API calls pass through it too.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use docusign_gitops::emulator::ApiError;
use oauth2::url::form_urlencoded;
use serde_json::{Value, json};

/// What a credential the wiretap heard is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// A token the tool was given, or one it got from the emulator, sent as `Bearer`.
    BearerToken,
    /// An access token in a token answer.
    AccessToken,
    /// A refresh token in a token answer, or one the tool spent.
    RefreshToken,
    /// The client secret of HTTP Basic client authentication.
    ClientSecret,
    /// A signed JWT-bearer assertion: whoever holds it gets a token for an hour.
    Assertion,
}

/// How the wiretap answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything goes through.
    Relay,
    /// `/oauth/token` refuses with `invalid_grant`, its description quoting every credential
    /// the request carried.
    EchoInRefusal,
    /// `/oauth/token` redirects to a URL that carries every credential the request carried.
    EchoInRedirect,
    /// `/oauth/token` relays, then answers with the issued refresh token where `expires_in`'s
    /// number belongs: an answer that doesn't parse, and whose parse error could quote a token.
    GarbledTokenAnswer,
    /// The first API call answers 401, as when a token expires mid-run; then all goes through.
    ExpireOnce,
    /// Every API call answers 401; with `echo`, its message quotes the bearer token.
    RefuseApi { echo: bool },
    /// `/oauth/userinfo` answers 401, quoting the bearer token.
    RefuseUserinfoEchoing,
}

struct Tap {
    /// The emulator's URL.
    target: String,
    /// The wiretap's own URL.
    own: String,
    http: reqwest::Client,
    mode: Mutex<Mode>,
    heard: Mutex<BTreeMap<String, Heard>>,
}

/// A running wiretap. It serves until the runtime that started it stops.
pub struct Wiretap {
    pub url: String,
    tap: Arc<Tap>,
}

/// A wiretap's address, taken before anything listens there: the emulator must know it
/// before it starts (a JWT assertion names the auth server it is sent to).
pub struct Bound {
    pub url: String,
    listener: tokio::net::TcpListener,
}

impl Bound {
    /// The authority (`127.0.0.1:PORT`) the tool puts in a JWT assertion's `aud`.
    pub fn authority(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Starts relaying to the emulator at `target`.
    pub fn relay_to(self, target: &str) -> Wiretap {
        let Self { url, listener } = self;
        let tap = Arc::new(Tap {
            target: target.trim_end_matches('/').to_owned(),
            own: url.clone(),
            http: reqwest::Client::new(),
            mode: Mutex::new(Mode::Relay),
            heard: Mutex::new(BTreeMap::new()),
        });
        let app = axum::Router::new()
            .fallback(relay)
            .with_state(Arc::clone(&tap));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Wiretap { url, tap }
    }
}

impl Wiretap {
    /// Takes a free loopback port for a wiretap.
    pub async fn bind() -> Bound {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the wiretap");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        Bound { url, listener }
    }

    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.tap.mode) = mode;
    }

    /// Every credential heard so far, and what it is (the first role it was heard in).
    pub fn heard(&self) -> Vec<(String, Heard)> {
        lock(&self.tap.heard)
            .iter()
            .map(|(value, role)| (value.clone(), *role))
            .collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tap {
    fn hear(&self, value: &str, role: Heard) {
        if !value.trim().is_empty() {
            lock(&self.heard).entry(value.to_owned()).or_insert(role);
        }
    }

    /// Keeps the credentials a request carries; answers them in the order found.
    fn hear_request(&self, headers: &HeaderMap, body: &[u8]) -> Vec<String> {
        let mut carried = Vec::new();
        let authorization = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if let Some((scheme, credential)) = authorization.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") {
                self.hear(credential.trim(), Heard::BearerToken);
                carried.push(credential.trim().to_owned());
            } else if scheme.eq_ignore_ascii_case("basic") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(credential.trim())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok());
                if let Some((_client_id, secret)) =
                    decoded.as_deref().and_then(|pair| pair.split_once(':'))
                {
                    self.hear(secret, Heard::ClientSecret);
                    carried.push(secret.to_owned());
                }
            }
        }
        let is_form = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            for (name, value) in form_urlencoded::parse(body) {
                let role = match name.as_ref() {
                    "refresh_token" => Heard::RefreshToken,
                    "assertion" => Heard::Assertion,
                    "client_secret" => Heard::ClientSecret,
                    _ => continue,
                };
                self.hear(&value, role);
                carried.push(value.into_owned());
            }
        }
        carried
    }

    /// Keeps the tokens of a token answer.
    fn hear_token_answer(&self, body: &[u8]) {
        let Ok(answer) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        for (field, role) in [
            ("access_token", Heard::AccessToken),
            ("refresh_token", Heard::RefreshToken),
        ] {
            if let Some(token) = answer[field].as_str() {
                self.hear(token, role);
            }
        }
    }

    /// The answer the mode makes up for this request instead of relaying it, if any.
    fn made_up(&self, path: &str, carried: &[String]) -> Option<Response> {
        let mut mode = lock(&self.mode);
        let quoted = carried.join(", ");
        let bearer = carried.first().cloned().unwrap_or_default();
        let api = path.starts_with("/restapi/");
        match *mode {
            Mode::EchoInRefusal if path == "/oauth/token" => Some(
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({
                        "error": "invalid_grant",
                        "error_description": format!("Refused the credentials {quoted}."),
                    })),
                )
                    .into_response(),
            ),
            Mode::EchoInRedirect if path == "/oauth/token" => Some(
                (
                    StatusCode::FOUND,
                    [(
                        LOCATION,
                        format!("http://127.0.0.1:9/sign-in?sent={}", carried.join(",")),
                    )],
                )
                    .into_response(),
            ),
            Mode::ExpireOnce if api => {
                *mode = Mode::Relay;
                Some(ApiError::unauthorized().into_response())
            }
            Mode::RefuseApi { echo } if api => {
                let mut refusal = ApiError::unauthorized();
                if echo {
                    refusal.message = format!("The access token {bearer} is not valid.");
                }
                Some(refusal.into_response())
            }
            Mode::RefuseUserinfoEchoing if path == "/oauth/userinfo" => Some(
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({
                        "error": "invalid_token",
                        "error_description": format!("The access token {bearer} is not valid."),
                    })),
                )
                    .into_response(),
            ),
            _ => None,
        }
    }
}

async fn relay(State(tap): State<Arc<Tap>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the request body");
    let carried = tap.hear_request(&parts.headers, &body);
    let path = parts.uri.path().to_owned();
    if let Some(answer) = tap.made_up(&path, &carried) {
        return answer;
    }
    let path_and_query = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut forwarded = tap
        .http
        .request(
            parts.method.clone(),
            format!("{}{path_and_query}", tap.target),
        )
        .body(body);
    for (name, value) in &parts.headers {
        if name != HOST && name != CONTENT_LENGTH {
            forwarded = forwarded.header(name, value);
        }
    }
    let answer = forwarded.send().await.expect("the emulator answers");
    let status = answer.status();
    let headers = answer.headers().clone();
    let mut bytes = answer.bytes().await.expect("the emulator's body").to_vec();
    if path == "/oauth/token" {
        tap.hear_token_answer(&bytes);
        if *lock(&tap.mode) == Mode::GarbledTokenAnswer {
            bytes = garble(&bytes);
        }
    }
    if path == "/oauth/userinfo" {
        // The accounts' `base_uri` is the emulator: point it here instead.
        bytes = String::from_utf8(bytes)
            .expect("userinfo is JSON")
            .replace(&tap.target, &tap.own)
            .into_bytes();
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != CONTENT_LENGTH {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(bytes)).expect("a response")
}

/// A token answer with its refresh token moved into `expires_in`.
fn garble(answer: &[u8]) -> Vec<u8> {
    let mut answer: Value = serde_json::from_slice(answer).expect("a token answer");
    answer["expires_in"] = answer["refresh_token"].clone();
    serde_json::to_vec(&answer).expect("JSON")
}
