//! Access tokens: a static token, the refresh-token grant, or the JWT-bearer grant (DocuSign's
//! "Authentication" guides: OAuth authorization code grant, JWT grant).
//!
//! The refresh-token grant goes through the `oauth2` crate, over a small adapter to reqwest;
//! `oauth2` has no JWT-bearer grant, so that one is an RS256 assertion signed with
//! jsonwebtoken and a form POST. Issued tokens are cached and renewed a minute before they
//! expire. One lock guards the token, so callers that find it stale at the same time wait for
//! a single renewal, and [`Authenticator::renew`] after a 401 renews only a token nobody has
//! renewed yet.
//!
//! Token requests go through a client of their own that never follows redirects (an OAuth
//! token endpoint that redirects is refused rather than followed with the credentials).

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oauth2::basic::BasicErrorResponse;
use oauth2::url::form_urlencoded;
use oauth2::{
    AuthType, ClientId, ClientSecret, RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};
use reqwest::header::ACCEPT;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::error::ClientError;
use super::redact::Redactor;
use super::secret::Secret;
use super::token_endpoint::{OAuthRefusal, RefreshClient, TokenHttp, TransportError, seconds};
use super::token_file::RefreshTokenFile;

/// `grant_type` of the JWT bearer grant.
const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The scopes an impersonation token for the eSignature API needs.
const JWT_SCOPE: &str = "signature impersonation";
/// `exp` − `iat` of an assertion: DocuSign allows an hour at most.
const ASSERTION_LIFETIME: i64 = 3600;
/// A token is renewed this long before it expires (or at half its life, when shorter).
const RENEW_MARGIN: Duration = Duration::from_secs(60);
/// Where DocuSign sends the browser after consent. It must be registered as a redirect URI
/// on the integration key; this one is DocuSign's own page, a common choice.
const CONSENT_REDIRECT_URI: &str = "https://developer.docusign.com/platform/auth/consent";
const TOKEN_PATH: &str = "/oauth/token";
/// Tries at a token request, the first included, when it failed in a way that may pass (a
/// 5xx, a 429, no answer): every call in flight waits on a renewal, so one hiccup of the token
/// endpoint at the hourly renewal would otherwise fail them all. OAuth refusals are final.
const TOKEN_ATTEMPTS: usize = 3;
/// First and largest wait between token requests.
const TOKEN_MIN_BACKOFF: Duration = Duration::from_secs(1);
const TOKEN_MAX_BACKOFF: Duration = Duration::from_secs(8);

/// How to get access tokens.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// `DOCUSIGN_ACCESS_TOKEN`, used as it is.
    AccessToken(Secret),
    /// Authorization-code apps: client ID and secret, and a refresh token; with `keep_in`,
    /// each new refresh token DocuSign issues is written there at once.
    RefreshToken {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        keep_in: Option<RefreshTokenFile>,
    },
    /// Service integrations: an RS256 assertion for `user_id`, signed with the app's key.
    Jwt {
        client_id: String,
        user_id: String,
        private_key: Secret,
        /// The variable the key came from (`DOCUSIGN_PRIVATE_KEY_FILE`,
        /// `EMEA_DOCUSIGN_PRIVATE_KEY`, …), for messages: they name it, never the key.
        key_from: String,
    },
}

/// A failed token request, and whether it may pass if sent again.
#[derive(Debug)]
struct GrantFailure {
    error: ClientError,
    passing: bool,
}

impl From<ClientError> for GrantFailure {
    fn from(error: ClientError) -> Self {
        Self {
            error,
            passing: false,
        }
    }
}

/// Hands out access tokens, renewing them as needed. Shared by every call.
#[derive(Debug)]
pub struct Authenticator {
    credentials: Credentials,
    /// `https://account-d.docusign.com`, with no trailing slash.
    auth_base: String,
    /// The client for token requests (no redirects), or why it could not be built.
    token_http: Result<TokenHttp, String>,
    state: Mutex<State>,
    /// Every secret given or issued so far, for scrubbing what servers send back.
    redactor: Redactor,
}

/// What the grants have issued so far.
#[derive(Debug, Default)]
struct State {
    current: Option<Issued>,
    /// The newest refresh token: DocuSign answers each refresh with a new one, and the one
    /// shown is spent.
    refresh_token: Option<Secret>,
}

/// An access token and when to renew it (`None`: only after a 401).
#[derive(Clone, Debug)]
struct Issued {
    token: Secret,
    renew_at: Option<Instant>,
}

impl Issued {
    fn new(token: Secret, requested: Instant, expires_in: Option<Duration>) -> Self {
        let renew_at = expires_in.map(|lifetime| {
            let margin = RENEW_MARGIN.min(lifetime / 2);
            requested + lifetime.saturating_sub(margin)
        });
        Self { token, renew_at }
    }

    fn is_fresh(&self) -> bool {
        self.renew_at.is_none_or(|at| Instant::now() < at)
    }
}

impl Authenticator {
    /// An authenticator for `credentials` against the OAuth service at `auth_base`
    /// (`https://account-d.docusign.com`, or an emulator's URL).
    ///
    /// `http` is the client for API calls. Token requests use a client of their own, built
    /// here with redirects turned off (reqwest can't turn them off on an existing client);
    /// should that fail, the first token request reports why.
    #[must_use]
    pub fn new(http: reqwest::Client, auth_base: &str, credentials: Credentials) -> Self {
        drop(http);
        let redactor = Redactor::default();
        match &credentials {
            Credentials::AccessToken(token) => redactor.know(token),
            Credentials::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
                ..
            } => {
                redactor.know(client_secret);
                redactor.know(refresh_token);
                redactor.know_basic_auth(client_id, client_secret);
            }
            Credentials::Jwt { private_key, .. } => redactor.know(private_key),
        }
        Self {
            credentials,
            auth_base: auth_base.trim().trim_end_matches('/').to_owned(),
            token_http: TokenHttp::build(),
            state: Mutex::new(State::default()),
            redactor,
        }
    }

    /// The redactor that knows every secret this authenticator was given or has issued:
    /// whatever a server sends back goes through it before anyone sees it.
    #[must_use]
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// A token that is valid now.
    pub async fn token(&self) -> Result<Secret, ClientError> {
        if let Credentials::AccessToken(token) = &self.credentials {
            return Ok(token.clone());
        }
        let mut state = self.state.lock().await;
        if let Some(issued) = state.current.as_ref().filter(|issued| issued.is_fresh()) {
            return Ok(issued.token.clone());
        }
        self.obtain(&mut state).await
    }

    /// After a 401 with `stale`: a new token, unless another call already renewed it.
    pub async fn renew(&self, stale: &Secret) -> Result<Secret, ClientError> {
        if let Credentials::AccessToken(_) = &self.credentials {
            return Err(ClientError::Auth {
                error: "invalid_token".to_owned(),
                description: "DocuSign refused the static access token (DOCUSIGN_ACCESS_TOKEN): \
                              it has expired or was revoked, and a static token can't be renewed; \
                              get a new one, or use the refresh-token or JWT grant"
                    .to_owned(),
            });
        }
        let mut held = self.state.lock().await;
        if let Some(issued) = held
            .current
            .as_ref()
            .filter(|issued| issued.token != *stale && issued.is_fresh())
        {
            return Ok(issued.token.clone());
        }
        self.obtain(&mut held).await
    }

    /// The newest refresh token of the refresh-token grant: the one given, until DocuSign
    /// answers a refresh with a new one (the old one is then spent). `None` for other grants.
    /// Whoever keeps the refresh token between runs must save this one.
    pub async fn latest_refresh_token(&self) -> Option<Secret> {
        let Credentials::RefreshToken { refresh_token, .. } = &self.credentials else {
            return None;
        };
        let state = self.state.lock().await;
        Some(
            state
                .refresh_token
                .as_ref()
                .unwrap_or(refresh_token)
                .clone(),
        )
    }

    /// The consent URL of the JWT grant for `client_id`: open it in a browser, signed in as
    /// the impersonated user (or an organization admin), and accept.
    #[must_use]
    pub fn consent_url(&self, client_id: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("scope", JWT_SCOPE)
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", CONSENT_REDIRECT_URI);
        // form encoding writes a space as `+`; `%20` reads the same to every server.
        let query = query.finish().replace('+', "%20");
        format!("{}/oauth/auth?{query}", self.auth_base)
    }

    /// Runs the grant, caches its token, and answers it. The caller holds the lock.
    async fn obtain(&self, state: &mut State) -> Result<Secret, ClientError> {
        self.run_grant(state)
            .await
            .map_err(|error| self.redactor.scrub_error(error))
    }

    async fn run_grant(&self, state: &mut State) -> Result<Secret, ClientError> {
        let http = self
            .token_http
            .as_ref()
            .map_err(|reason| ClientError::Unreachable {
                url: self.token_url(),
                reason: format!("can't set up an HTTP client for OAuth: {reason}"),
            })?;
        let issued = match &self.credentials {
            Credentials::AccessToken(token) => Issued {
                token: token.clone(),
                renew_at: None,
            },
            Credentials::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
                keep_in,
            } => {
                let spendable = state.refresh_token.as_ref().unwrap_or(refresh_token);
                // A request that got no usable answer goes again with the same refresh token:
                // the only one known. Had DocuSign spent it on an answer that was lost, the
                // retry is refused (`invalid_grant`) and the run fails, as it would have.
                let (issued, next) = self
                    .retried(|| self.refresh_grant(http, client_id, client_secret, spendable))
                    .await?;
                // Without a new one in the answer, the old refresh token stays in use.
                if let Some(next) = next {
                    self.redactor.know(&next);
                    // The old one is spent: the new one is saved before anything else happens.
                    let saved = keep_in.as_ref().map_or(Ok(()), |file| file.save(&next));
                    state.refresh_token = Some(next);
                    saved?;
                }
                issued
            }
            Credentials::Jwt {
                client_id,
                user_id,
                private_key,
                key_from,
            } => {
                self.retried(|| self.jwt_grant(http, client_id, user_id, private_key, key_from))
                    .await?
            }
        };
        let token = issued.token.clone();
        self.redactor.know(&token);
        state.current = Some(issued);
        Ok(token)
    }

    /// `grant`, sent again (after a backoff) while it fails in a way that may pass, up to
    /// [`TOKEN_ATTEMPTS`] tries; the last failure says how many there were.
    async fn retried<T, Grant, Sent>(&self, grant: Grant) -> Result<T, ClientError>
    where
        Grant: FnMut() -> Sent,
        Sent: Future<Output = Result<T, GrantFailure>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(TOKEN_MIN_BACKOFF)
            .with_max_delay(TOKEN_MAX_BACKOFF)
            .with_max_times(TOKEN_ATTEMPTS - 1)
            .with_jitter();
        let tries = std::sync::atomic::AtomicUsize::new(0);
        let mut grant = grant;
        (|| {
            tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            grant()
        })
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|failure: &GrantFailure| failure.passing)
        .await
        .map_err(|failure| {
            let tries = tries.load(std::sync::atomic::Ordering::Relaxed);
            match failure.error {
                ClientError::Unreachable { url, reason } if tries > 1 => ClientError::Unreachable {
                    url,
                    reason: format!("{reason} (tried {tries} times)"),
                },
                error => error,
            }
        })
    }

    fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.auth_base)
    }

    /// `grant_type=refresh_token` with HTTP Basic client authentication: a new access token,
    /// and the new refresh token when the answer has one.
    async fn refresh_grant(
        &self,
        http: &TokenHttp,
        client_id: &str,
        client_secret: &Secret,
        refresh_token: &Secret,
    ) -> Result<(Issued, Option<Secret>), GrantFailure> {
        let token_url = TokenUrl::new(self.token_url()).map_err(|error| {
            ClientError::Settings(format!(
                "the auth server `{}` does not make a URL: {error}",
                self.auth_base
            ))
        })?;
        let client = RefreshClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.expose().to_owned()))
            .set_auth_type(AuthType::BasicAuth)
            .set_token_uri(token_url);
        let spendable = RefreshToken::new(refresh_token.expose().to_owned());
        let requested = Instant::now();
        let answer = client
            .exchange_refresh_token(&spendable)
            .request_async(http)
            .await
            .map_err(|error| self.refresh_failure(error))?;
        let token = Secret::new(answer.access_token().secret().clone());
        let next = answer
            .refresh_token()
            .map(|next| Secret::new(next.secret().clone()));
        Ok((Issued::new(token, requested, answer.expires_in()), next))
    }

    /// A failed refresh, in words that carry no secret; it may pass when the request got no
    /// answer, or a 5xx or 429 (see [`TokenHttp::execute`]), never when refused.
    fn refresh_failure(
        &self,
        error: RequestTokenError<TransportError, BasicErrorResponse>,
    ) -> GrantFailure {
        let scrub = |text: &str| self.redactor.scrub(text);
        match error {
            RequestTokenError::ServerResponse(answer) => ClientError::Auth {
                error: scrub(answer.error().as_ref()),
                description: scrub(answer.error_description().map_or("", String::as_str)),
            }
            .into(),
            RequestTokenError::Request(error) => GrantFailure {
                passing: error.may_pass(),
                error: ClientError::Unreachable {
                    url: self.token_url(),
                    reason: scrub(&error.to_string()),
                },
            },
            RequestTokenError::Parse(error, _body) => unreadable(describe_json_error(
                &error.path().to_string(),
                error.inner(),
            ))
            .into(),
            RequestTokenError::Other(reason) => unreadable(scrub(&reason)).into(),
        }
    }

    /// The JWT bearer grant: a fresh RS256 assertion for `user_id`, exchanged for a token.
    async fn jwt_grant(
        &self,
        http: &TokenHttp,
        client_id: &str,
        user_id: &str,
        private_key: &Secret,
        key_from: &str,
    ) -> Result<Issued, GrantFailure> {
        let audience = authority(&self.auth_base).ok_or_else(|| {
            ClientError::Settings(format!(
                "the auth server `{}` is not a URL with a host, \
                 like `https://account-d.docusign.com`",
                self.auth_base
            ))
        })?;
        let assertion = sign_assertion(client_id, user_id, &audience, private_key, key_from)?;
        let request = http
            .client
            .post(self.token_url())
            .header(ACCEPT, "application/json")
            .form(&[("grant_type", JWT_GRANT), ("assertion", assertion.expose())])
            .build()
            .map_err(|error| ClientError::Unreachable {
                url: self.token_url(),
                reason: super::error::transport_reason(error),
            })?;
        self.redactor.know(&assertion);
        let requested = Instant::now();
        let response = http.execute(request).await.map_err(|error| GrantFailure {
            passing: error.may_pass(),
            error: ClientError::Unreachable {
                url: self.token_url(),
                reason: self.redactor.scrub(&error.to_string()),
            },
        })?;
        let body = response.body();
        if response.status() != http::StatusCode::OK {
            return Err(self.jwt_refusal(body, client_id).into());
        }
        let answer: Value = serde_json::from_slice(body)
            .map_err(|error| unreadable(describe_json_error("", &error)))?;
        let token = answer["access_token"]
            .as_str()
            .filter(|token| !token.is_empty())
            .ok_or_else(|| unreadable("the answer has no `access_token`".to_owned()))?;
        let expires_in = seconds(&answer["expires_in"]).map(Duration::from_secs);
        Ok(Issued::new(Secret::new(token), requested, expires_in))
    }

    /// The token endpoint's refusal of an assertion: consent required, or another OAuth error.
    fn jwt_refusal(&self, body: &[u8], client_id: &str) -> ClientError {
        let Ok(refusal) = serde_json::from_slice::<OAuthRefusal>(body) else {
            return unreadable(
                "the token endpoint refused the assertion with a body that is not an OAuth error"
                    .to_owned(),
            );
        };
        if refusal.error == "consent_required" {
            return ClientError::ConsentRequired {
                url: self.consent_url(client_id),
            };
        }
        ClientError::Auth {
            error: self.redactor.scrub(&refusal.error),
            description: self
                .redactor
                .scrub(refusal.error_description.as_deref().unwrap_or("")),
        }
    }
}

/// The claims of a JWT bearer assertion, as DocuSign's SDKs send them.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    scope: &'a str,
}

/// An RS256 assertion: `client_id` impersonating `user_id` for an hour from now, signed with
/// the key from the variable `key_from`.
fn sign_assertion(
    client_id: &str,
    user_id: &str,
    audience: &str,
    private_key: &Secret,
    key_from: &str,
) -> Result<Secret, ClientError> {
    // The key's own error could quote bytes of the key, so it is not shown.
    let key = EncodingKey::from_rsa_pem(private_key.expose().as_bytes()).map_err(|_| {
        ClientError::Settings(format!(
            "the private key ({key_from}) is not an RSA private key in PEM form \
             (`BEGIN RSA PRIVATE KEY` or `BEGIN PRIVATE KEY`)"
        ))
    })?;
    let now = jiff::Timestamp::now().as_second();
    let claims = Claims {
        iss: client_id,
        sub: user_id,
        aud: audience,
        iat: now,
        exp: now + ASSERTION_LIFETIME,
        scope: JWT_SCOPE,
    };
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map(Secret::new)
        .map_err(|_| {
            ClientError::Settings(format!(
                "can't sign the JWT assertion with the private key ({key_from}); \
                 it must be the RSA key registered on the integration key"
            ))
        })
}

/// The authority of a URL: `https://account-d.docusign.com` → `account-d.docusign.com`,
/// `http://127.0.0.1:40123` → `127.0.0.1:40123`. It is the `aud` of an assertion.
fn authority(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn unreadable(reason: String) -> ClientError {
    ClientError::unreadable("POST", TOKEN_PATH, reason)
}

/// A JSON error by where and what kind, never by the value (which could be a token).
fn describe_json_error(path: &str, error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Io => "could not be read",
        serde_json::error::Category::Syntax => "is not JSON",
        serde_json::error::Category::Eof => "ends too soon",
        serde_json::error::Category::Data => "does not have the expected fields and types",
    };
    let place = if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" (at `{path}`)")
    };
    format!(
        "the answer {what}{place}, line {} column {}",
        error.line(),
        error.column()
    )
}
