//! `/_emulator/…`: what tests and benchmarks ask the emulator about itself. Not DocuSign's.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{Shared, lock};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/snapshot", get(snapshot))
        .route("/_emulator/expire-tokens", post(expire_tokens))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Json<super::Stats> {
    Json(shared.stats())
}

/// Every account as it stands, in the `--state-file` format.
async fn snapshot(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let accounts: Vec<Value> = shared
        .accounts
        .iter()
        .map(|slot| serde_json::to_value(&lock(slot).account).unwrap_or(Value::Null))
        .collect();
    Json(json!({ "accounts": accounts }))
}

/// Makes every issued token expire, so a client's renewal on 401 can be tested.
async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Json<Value> {
    lock(&shared.tokens).expire_all();
    Json(json!({}))
}
