//! The two error shapes the emulator answers with: the eSignature API's
//! `{"errorCode", "message"}` and OAuth's `{"error", "error_description"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An eSignature API error: an HTTP status with DocuSign's `errorDetails` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The user a refused new user ran into: DocuSign names it in the item's answer.
    pub existing_user: Option<String>,
}

impl ApiError {
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            existing_user: None,
        }
    }

    /// The same refusal, naming the user already in the account that the item ran into.
    #[must_use]
    pub fn naming_existing_user(self, user_id: &str) -> Self {
        Self {
            existing_user: Some(user_id.to_owned()),
            ..self
        }
    }

    /// A 400, the status the spec declares for every error.
    #[must_use]
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A 401 for a missing, unknown or expired token.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_INVALID_TOKEN",
            "The access token provided is expired, revoked or malformed.",
        )
    }

    /// The per-item form, for bulk answers.
    #[must_use]
    pub fn details(&self) -> serde_json::Value {
        json!({ "errorCode": self.code, "message": self.message })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.details())).into_response()
    }
}

/// An OAuth error from `/oauth/token` or `/oauth/userinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    #[must_use]
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}
