//! What every write takes from its request: the account it names and its JSON body.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{account_slot, json_body};
use crate::emulator::error::ApiError;
use crate::emulator::{Shared, Slot};

/// A write to `/{accountId}/…` with its body read as a JSON object. A body that isn't one is
/// refused before the handler runs, with DocuSign's complaint (axum's own refusals of a bad
/// path or an unreadable body answer as they would from its extractors).
pub struct Write {
    pub shared: Arc<Shared>,
    account_id: String,
    pub body: Value,
}

impl FromRequest<Arc<Shared>> for Write {
    type Rejection = Response;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(mut params) =
            Path::<HashMap<String, String>>::from_request_parts(&mut parts, shared)
                .await
                .map_err(IntoResponse::into_response)?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let body = json_body(&bytes).map_err(IntoResponse::into_response)?;
        Ok(Self {
            shared: Arc::clone(shared),
            account_id: params.remove("accountId").unwrap_or_default(),
            body,
        })
    }
}

impl Write {
    /// The account's slot, locked for this call.
    pub fn slot(&self) -> Result<MutexGuard<'_, Slot>, ApiError> {
        account_slot(&self.shared, &self.account_id)
    }
}
