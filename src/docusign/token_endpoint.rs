//! The token endpoint over HTTP: `oauth2`'s client on reqwest (never following a redirect,
//! reporting a 5xx or 429 by its status), and the answers and refusals it reads.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AccessToken, AsyncHttpClient, HttpRequest, HttpResponse, RefreshToken, Scope,
    StandardRevocableToken, TokenResponse,
};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long a token request may take, and its connection to open.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `oauth2`'s basic client, reading the refresh grant's answer as [`RefreshAnswer`].
pub(super) type RefreshClient<HasTokenUrl = oauth2::EndpointNotSet> = oauth2::Client<
    BasicErrorResponse,
    RefreshAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    HasTokenUrl,
>;

/// The refresh grant's answer: `oauth2`'s standard token response, except that `expires_in`
/// may be a number in a string, as the JWT grant's may (DocuSign's JSON has numbers as strings
/// almost throughout). Anything else there is still an answer that doesn't parse.
#[derive(Debug, Deserialize, Serialize)]
pub(super) struct RefreshAnswer {
    access_token: AccessToken,
    #[serde(deserialize_with = "oauth2::helpers::deserialize_untagged_enum_case_insensitive")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "seconds_or_text")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
}

impl TokenResponse for RefreshAnswer {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }

    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

/// A count of seconds: a number, or a number in a string.
pub(super) fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(seconds) => seconds.as_u64(),
        Value::String(seconds) => seconds.trim().parse().ok(),
        _ => None,
    }
}

/// A count of seconds, a number or a number in a string, or `null`. The error for anything
/// else never quotes the value, which could be a token in the wrong place.
pub(super) fn seconds_or_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(None);
    }
    seconds(&value)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("not a number of seconds"))
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
pub(super) struct OAuthRefusal {
    pub(super) error: String,
    #[serde(default)]
    pub(super) error_description: Option<String>,
}

/// Why a token request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub(super) enum TransportError {
    /// The request could not be sent or its answer read.
    #[error("{0}")]
    Send(String),
    /// A redirect (never followed), a 5xx or 429, or an answer that is not an OAuth answer.
    #[error("the token endpoint answered {status}{detail}")]
    Status {
        status: http::StatusCode,
        detail: String,
    },
}

impl TransportError {
    /// Whether sending the request again may succeed: it got no answer, or a 5xx or a 429.
    pub(super) fn may_pass(&self) -> bool {
        match self {
            Self::Send(_) => true,
            Self::Status { status, .. } => {
                status.is_server_error() || *status == http::StatusCode::TOO_MANY_REQUESTS
            }
        }
    }
}

/// The client for token requests: reqwest, built to never follow a redirect.
#[derive(Clone, Debug)]
pub(super) struct TokenHttp {
    pub(super) client: reqwest::Client,
}

impl TokenHttp {
    pub(super) fn build() -> Result<Self, String> {
        super::http::builder()?
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TOKEN_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map(|client| Self { client })
            .map_err(super::error::transport_reason)
    }

    /// Sends `request`; the answer as `oauth2` takes it. A redirect, a 5xx or 429, or a
    /// failure status whose body is not JSON, is an error here, so it is reported with its
    /// status.
    pub(super) async fn execute(
        &self,
        request: reqwest::Request,
    ) -> Result<HttpResponse, TransportError> {
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|error| TransportError::Send(super::error::transport_reason(error)))?;
        let status = response.status();
        let headers = response.headers();
        if status.is_redirection() {
            let location = headers
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("?");
            return Err(TransportError::Status {
                status,
                detail: format!(
                    ", a redirect to `{location}`; token requests never follow redirects: \
                     check DOCUSIGN_AUTH_SERVER"
                ),
            });
        }
        let is_json = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/json"));
        // A 5xx or 429 is the endpoint's trouble, not a refusal of the credentials, even when
        // its body is an OAuth error: it is reported (and retried) by its status.
        let passing = status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS;
        if !status.is_success() && (!is_json || passing) {
            return Err(TransportError::Status {
                status,
                detail: String::new(),
            });
        }
        let mut answer = http::Response::builder()
            .status(status)
            .version(response.version());
        for (name, value) in headers {
            answer = answer.header(name, value);
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| TransportError::Send(super::error::transport_reason(error)))?;
        answer
            .body(body.to_vec())
            .map_err(|error| TransportError::Send(error.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|error| TransportError::Send(super::error::transport_reason(error)))?;
            self.execute(request).await
        })
    }
}
