//! Access tokens: a static token, the refresh-token grant, or the JWT-bearer grant.
//! (Stub: static tokens only; the grants are being written.)

use super::error::ClientError;
use super::secret::Secret;

/// How to get access tokens.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// `DOCUSIGN_ACCESS_TOKEN`, used as it is.
    AccessToken(Secret),
    /// Authorization-code apps: client ID and secret, and a refresh token.
    RefreshToken {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
    },
    /// Service integrations: an RS256 assertion for `user_id`, signed with the app's key.
    Jwt {
        client_id: String,
        user_id: String,
        private_key: Secret,
    },
}

/// Hands out access tokens, renewing them as needed. Shared by every call.
#[derive(Debug)]
pub struct Authenticator {
    credentials: Credentials,
}

impl Authenticator {
    #[must_use]
    pub fn new(_http: reqwest::Client, _auth_base: &str, credentials: Credentials) -> Self {
        Self { credentials }
    }

    /// A token that is valid now.
    pub async fn token(&self) -> Result<Secret, ClientError> {
        match &self.credentials {
            Credentials::AccessToken(token) => Ok(token.clone()),
            _ => Err(ClientError::Settings("only static tokens are supported yet".to_owned())),
        }
    }

    /// After a 401 with `stale`: a new token, unless another call already renewed it.
    pub async fn renew(&self, _stale: &Secret) -> Result<Secret, ClientError> {
        self.token().await
    }
}
