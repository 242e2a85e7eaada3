//! Access and refresh tokens the emulator has issued or was configured with.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::config::Credentials;
use super::error::ApiError;

/// Who a token speaks for, and until when.
#[derive(Clone, Debug)]
pub struct AccessGrant {
    pub user_id: String,
    /// `None` for configured static tokens, which never expire.
    pub expires_at: Option<Instant>,
}

/// What a refresh token may be exchanged for.
#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub client_id: String,
    pub user_id: String,
}

/// The token store.
#[derive(Debug, Default)]
pub struct Tokens {
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
}

impl Tokens {
    #[must_use]
    pub fn from_credentials(credentials: &Credentials) -> Self {
        let mut tokens = Self::default();
        for (token, user_id) in &credentials.static_tokens {
            tokens.access.insert(
                token.clone(),
                AccessGrant {
                    user_id: user_id.clone(),
                    expires_at: None,
                },
            );
        }
        for grant in &credentials.refresh_tokens {
            tokens.refresh.insert(
                grant.token.clone(),
                RefreshGrant {
                    client_id: grant.client_id.clone(),
                    user_id: grant.user_id.clone(),
                },
            );
        }
        tokens
    }

    /// Issues an access token for `user_id` that lives `lifetime`.
    pub fn issue_access(
        &mut self,
        rng: &mut fastrand::Rng,
        user_id: &str,
        lifetime: Duration,
    ) -> String {
        let token = random_token(rng, "eyJ0eXAiOiJNVCJ9.");
        self.access.insert(
            token.clone(),
            AccessGrant {
                user_id: user_id.to_owned(),
                expires_at: Some(Instant::now() + lifetime),
            },
        );
        token
    }

    /// Issues a refresh token for (client, user).
    pub fn issue_refresh(
        &mut self,
        rng: &mut fastrand::Rng,
        client_id: &str,
        user_id: &str,
    ) -> String {
        let token = random_token(rng, "eyJ0eXAiOiJNVCJ9.r.");
        self.refresh.insert(
            token.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
            },
        );
        token
    }

    /// Takes a refresh token out of the store: DocuSign answers a refresh with a new one,
    /// and the stricter reading is that the old one is then spent.
    pub fn redeem_refresh(&mut self, token: &str) -> Option<RefreshGrant> {
        self.refresh.remove(token)
    }

    /// The user a bearer token speaks for; 401 when missing, unknown or expired.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
        let grant = self.access.get(token).ok_or_else(ApiError::unauthorized)?;
        if grant
            .expires_at
            .is_some_and(|expiry| Instant::now() >= expiry)
        {
            return Err(ApiError::unauthorized());
        }
        Ok(grant.user_id.clone())
    }

    /// Makes every issued token expire now, so tests can exercise renewal on a 401.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for grant in self.access.values_mut() {
            if grant.expires_at.is_some() {
                grant.expires_at = Some(now);
            }
        }
    }
}

/// The token of an `Authorization: Bearer …` header.
#[must_use]
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

fn random_token(rng: &mut fastrand::Rng, prefix: &str) -> String {
    let body: String = std::iter::repeat_with(|| rng.alphanumeric())
        .take(48)
        .collect();
    format!("{prefix}{body}")
}
