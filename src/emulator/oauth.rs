//! `POST /oauth/token` and `GET /oauth/userinfo`: DocuSign's OAuth service, as far as this tool
//! uses it. Two grants are served: `refresh_token` (an Authorization Code Grant app renewing its
//! token, with HTTP Basic client authentication) and the JWT bearer grant (a service
//! integration impersonating a user who gave consent).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

use super::config::Client;
use super::error::OAuthError;
use super::{Shared, lock};

/// `grant_type` of the refresh-token grant.
pub const REFRESH_GRANT: &str = "refresh_token";
/// `grant_type` of the JWT bearer grant.
pub const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// What a token from the JWT grant lives; its answer says `expires_in: 3600`.
const JWT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest an assertion may live (`exp` − `iat`): DocuSign allows one hour.
const MAX_ASSERTION_LIFETIME: i64 = 3600;
/// How far in the future `iat` may be, for clocks a little ahead of the emulator's.
const CLOCK_SKEW: i64 = 60;
/// The scopes an impersonation token for the eSignature API needs.
const REQUIRED_SCOPES: [&str; 2] = ["signature", "impersonation"];

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/userinfo", get(userinfo))
}

/// `POST /oauth/token`. Every answer, error or not, carries `Cache-Control: no-store` and
/// `Pragma: no-cache` (RFC 6749 §5.1).
async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let answer = match form {
        Ok(Form(pairs)) => grant(&shared, &headers, &Params(pairs)).map(Json),
        Err(rejection) => Err(invalid_request(format!(
            "The body must be application/x-www-form-urlencoded: {}",
            rejection.body_text()
        ))),
    };
    let no_store = [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")];
    match answer {
        Ok(body) => (no_store, body).into_response(),
        Err(error) => (no_store, error).into_response(),
    }
}

fn grant(shared: &Shared, headers: &HeaderMap, params: &Params) -> Result<Value, OAuthError> {
    match params.require("grant_type")? {
        REFRESH_GRANT => refresh_grant(shared, headers, params),
        JWT_GRANT => jwt_grant(shared, params),
        _ => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("The emulator serves grant_type `{REFRESH_GRANT}` and `{JWT_GRANT}`."),
        )),
    }
}

/// The form's parameters, in order.
struct Params(Vec<(String, String)>);

impl Params {
    /// A parameter's value. One sent empty counts as left out, and one sent twice is an
    /// error (RFC 6749 §3.2).
    fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self
            .0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str());
        match (values.next(), values.next()) {
            (_, Some(_)) => Err(invalid_request(format!(
                "The parameter `{name}` is repeated."
            ))),
            (value, None) => Ok(value.filter(|value| !value.is_empty())),
        }
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?
            .ok_or_else(|| invalid_request(format!("The parameter `{name}` is missing.")))
    }
}

/// `grant_type=refresh_token`: the client authenticates with HTTP Basic, and the refresh token
/// is exchanged for an access token and a new refresh token; the old one is spent.
fn refresh_grant(
    shared: &Shared,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Value, OAuthError> {
    let client = authenticate_client(shared, headers)?;
    let refresh_token = params.require("refresh_token")?;
    let redeemed = lock(&shared.tokens).redeem_refresh(refresh_token);
    let grant = redeemed
        .ok_or_else(|| invalid_grant("The refresh token is unknown, expired or already used."))?;
    // A refresh token shown by another client stays spent: it may have leaked (RFC 6749 §10.4).
    if !grant.client_id.eq_ignore_ascii_case(&client.id) {
        return Err(invalid_grant(
            "The refresh token was issued to another client.",
        ));
    }
    let lifetime = shared.config.token_lifetime;
    let mut rng = lock(&shared.rng).fork();
    let (access_token, refresh_token) = {
        let mut tokens = lock(&shared.tokens);
        (
            tokens.issue_access(&mut rng, &grant.user_id, lifetime),
            tokens.issue_refresh(&mut rng, &client.id, &grant.user_id),
        )
    };
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "refresh_token": refresh_token,
    }))
}

/// The client named by `Authorization: Basic base64(client_id:client_secret)`; 401
/// `invalid_client` when the header is missing or malformed, or the pair is not configured.
fn authenticate_client<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
) -> Result<&'a Client, OAuthError> {
    let (id, secret) = basic_credentials(headers).ok_or_else(|| {
        invalid_client(
            "Client authentication is required: HTTP Basic with the integration key and secret.",
        )
    })?;
    shared
        .config
        .credentials
        .clients
        .iter()
        .find(|client| client.id.eq_ignore_ascii_case(id.trim()) && client.secret == secret)
        .ok_or_else(|| invalid_client("The integration key or secret is wrong."))
}

/// The (ID, secret) of an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`: an RS256 assertion from a
/// configured client, impersonating a user who consented. No refresh token is issued.
fn jwt_grant(shared: &Shared, params: &Params) -> Result<Value, OAuthError> {
    let assertion = params.require("assertion")?;
    let user_id = verify_assertion(shared, assertion)?;
    let mut rng = lock(&shared.rng).fork();
    let access_token = lock(&shared.tokens).issue_access(&mut rng, &user_id, JWT_TOKEN_LIFETIME);
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": JWT_TOKEN_LIFETIME.as_secs(),
    }))
}

/// Checks an assertion's signature and claims; answers the ID of the user it impersonates.
/// Error descriptions name the claim at fault but never repeat the assertion.
fn verify_assertion(shared: &Shared, assertion: &str) -> Result<String, OAuthError> {
    let credentials = &shared.config.credentials;
    let pem = credentials
        .jwt_public_key_pem
        .as_deref()
        .ok_or_else(|| invalid_grant("No RSA public key is registered for JWT grants."))?;
    let key = DecodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|_| invalid_grant("The registered RSA public key can't be read."))?;
    // jsonwebtoken checks the header and the signature; the claims are checked below, so
    // each failure can say what is wrong.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(assertion, &key, &validation)
        .map_err(|error| invalid_grant(decode_failure(error.kind())))?
        .claims;

    let iss = string_claim(&claims, "iss")?;
    let client = credentials
        .clients
        .iter()
        .find(|client| client.id.eq_ignore_ascii_case(iss.trim()))
        .ok_or_else(|| invalid_grant("The `iss` claim is not a known integration key."))?;
    let sub = string_claim(&claims, "sub")?;
    let (user_id, _, _) = shared.find_user(sub).ok_or_else(|| {
        invalid_grant("The `sub` claim is not the user ID of a user of any account.")
    })?;
    // DocuSign's auth host, or the emulator's own authority (`127.0.0.1:40123`): a client
    // pointed at the emulator derives `aud` from the auth URL it was given.
    let host = &shared.config.auth_host;
    let own = shared
        .base_url
        .split_once("://")
        .map_or(shared.base_url.as_str(), |(_, authority)| authority);
    let aud = string_claim(&claims, "aud")?;
    if aud != host && aud != own {
        return Err(invalid_grant(format!(
            "The `aud` claim must be the bare auth host `{host}` or `{own}`, with no scheme or path."
        )));
    }
    check_times(&claims)?;
    let scope = string_claim(&claims, "scope")?;
    if let Some(missing) = REQUIRED_SCOPES.iter().find(|required| {
        !scope
            .split_whitespace()
            .any(|granted| granted == **required)
    }) {
        return Err(invalid_grant(format!(
            "The `scope` claim must include `{missing}`, as in `signature impersonation`."
        )));
    }
    let consented = credentials
        .consents
        .iter()
        .any(|(consent_client, consent_user)| {
            consent_client.eq_ignore_ascii_case(&client.id)
                && consent_user.eq_ignore_ascii_case(&user_id)
        });
    if !consented {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "consent_required",
            "The user has not granted consent to this integration key for impersonation.",
        ));
    }
    Ok(user_id)
}

/// `iat` and `exp`: integers, `iat` not in the future (allowing some clock skew), `exp` in the
/// future and after `iat`, and at most an hour between them.
fn check_times(claims: &Map<String, Value>) -> Result<(), OAuthError> {
    let now = jiff::Timestamp::now().as_second();
    let iat = time_claim(claims, "iat")?;
    let exp = time_claim(claims, "exp")?;
    if iat > now + CLOCK_SKEW {
        return Err(invalid_grant("The `iat` claim is in the future."));
    }
    if exp <= now {
        return Err(invalid_grant(
            "The assertion has expired (`exp` is in the past).",
        ));
    }
    if exp <= iat {
        return Err(invalid_grant("The `exp` claim must be after `iat`."));
    }
    if exp - iat > MAX_ASSERTION_LIFETIME {
        return Err(invalid_grant(format!(
            "The assertion lives too long: `exp` - `iat` may be {MAX_ASSERTION_LIFETIME} s at most."
        )));
    }
    Ok(())
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, OAuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(invalid_grant(format!("The `{name}` claim is missing."))),
        Some(Value::String(value)) if !value.trim().is_empty() => Ok(value),
        Some(_) => Err(invalid_grant(format!(
            "The `{name}` claim must be a non-empty string."
        ))),
    }
}

fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<i64, OAuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(invalid_grant(format!("The `{name}` claim is missing."))),
        Some(value) => value.as_i64().ok_or_else(|| {
            invalid_grant(format!(
                "The `{name}` claim must be whole seconds since the epoch."
            ))
        }),
    }
}

/// Why jsonwebtoken refused an assertion, in words that don't quote it.
fn decode_failure(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => {
            "The assertion's signature does not verify with the registered public key."
        }
        ErrorKind::InvalidAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => "The assertion must be signed with RS256.",
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            "The registered RSA public key can't be used."
        }
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Utf8(_)
        | ErrorKind::Json(_) => {
            "The assertion is not a well-formed JWT: header.payload.signature in base64url."
        }
        _ => "The assertion is not valid.",
    }
}

/// `GET /oauth/userinfo`: the token's user and every served account that user belongs to.
/// The first of those is the default.
async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let authenticated = lock(&shared.tokens).authenticate(&headers);
    let Ok(user_id) = authenticated else {
        return invalid_token("The access token is missing, unknown or expired.");
    };
    let mut user_fields = None;
    let mut accounts = Vec::new();
    for slot in &shared.accounts {
        let slot = lock(slot);
        let account = &slot.account;
        let Some(user) = account.user(&user_id) else {
            continue;
        };
        user_fields.get_or_insert_with(|| {
            json!({
                "sub": user.id,
                "name": user.user_name,
                "given_name": user.first_name,
                "family_name": user.last_name,
                "created": user.created,
                "email": user.email,
            })
        });
        accounts.push(json!({
            "account_id": account.account_id,
            "is_default": accounts.is_empty(),
            "account_name": account.account_name,
            "base_uri": shared.base_url,
        }));
    }
    let Some(Value::Object(mut body)) = user_fields else {
        return invalid_token("The access token's user is not a user of any account.");
    };
    body.insert("accounts".to_owned(), Value::Array(accounts));
    Json(Value::Object(body)).into_response()
}

/// 401 `invalid_token`, with the `WWW-Authenticate` challenge of RFC 6750 §3.
fn invalid_token(description: &str) -> Response {
    (
        [(WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)],
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_token", description),
    )
        .into_response()
}

fn invalid_request(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_client(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

fn invalid_grant(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
}
