//! `/permission_profiles` and `/permission_profiles/{permissionProfileId}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::write::Write;
use super::{Caller, account_slot, given, list_param, now, reply, required_name, scalar_text};
use crate::emulator::Shared;
use crate::emulator::account::{Account, Profile, UserStatus, new_profile_settings};
use crate::emulator::error::ApiError;
use crate::model::profile_settings;

fn unknown_profile() -> ApiError {
    ApiError::bad_request(
        "INVALID_PERMISSION_PROFILE_ID",
        "Invalid permission profile ID.",
    )
}

fn builtin_refusal() -> ApiError {
    ApiError::bad_request(
        "PERMISSION_PROFILE_CANNOT_BE_MODIFIED",
        "The built-in permission profiles can't be modified or deleted.",
    )
}

/// Which extras `include` asks for.
struct Include {
    user_count: bool,
    closed_users: bool,
    metadata: bool,
}

impl Include {
    fn from_query(query: &HashMap<String, String>) -> Self {
        let parts = list_param(query, "include");
        let asks = |what: &str| parts.iter().any(|part| part == what);
        Self {
            user_count: asks("user_count"),
            closed_users: asks("closed_users"),
            metadata: asks("metadata"),
        }
    }
}

/// Each setting's `…Metadata` sibling (`settingsMetadata`): whether it can be edited (not in a
/// built-in profile) and, for a setting of a few words, which.
fn with_metadata(profile: &Profile) -> Map<String, Value> {
    let mut settings = Map::new();
    for (key, value) in &profile.settings {
        settings.insert(key.clone(), json!(value));
        let mut metadata = json!({
            "rights": if profile.builtin { "read_only" } else { "editable" },
        });
        if let Some(profile_settings::SettingKind::OneOf(options)) =
            profile_settings::setting(key).map(|spec| spec.kind)
        {
            metadata["options"] = json!(options);
        }
        settings.insert(format!("{key}Metadata"), metadata);
    }
    settings
}

fn profile_json(account: &Account, profile: &Profile, include: &Include) -> Value {
    let mut body = json!({
        "permissionProfileId": profile.id.to_string(),
        "permissionProfileName": profile.name,
        "modifiedDateTime": profile.modified,
        "modifiedByUsername": profile.modified_by,
        "settings": profile.settings,
    });
    if include.metadata {
        body["settings"] = Value::Object(with_metadata(profile));
    }
    if include.user_count {
        let count = account
            .users
            .iter()
            .filter(|user| user.profile_id == profile.id)
            .filter(|user| include.closed_users || user.status != UserStatus::Closed)
            .count();
        body["userCount"] = json!(count.to_string());
    }
    body
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let include = Include::from_query(&query);
    let slot = account_slot(&shared, &account_id)?;
    let account = &slot.account;
    let profiles: Vec<Value> = account
        .profiles
        .values()
        .map(|profile| profile_json(account, profile, &include))
        .collect();
    Ok(reply(
        StatusCode::OK,
        json!({ "permissionProfiles": profiles }),
    ))
}

fn profile_id(text_id: &str) -> Option<u64> {
    text_id.trim().parse().ok()
}

/// The ID of a profile a request names.
pub fn existing_profile(account: &Account, text_id: &str) -> Result<u64, ApiError> {
    profile_id(text_id)
        .filter(|id| account.profiles.contains_key(id))
        .ok_or_else(unknown_profile)
}

/// The ID of a profile a request may change or delete: not a built-in one.
fn editable_profile(account: &Account, text_id: &str) -> Result<u64, ApiError> {
    let id = existing_profile(account, text_id)?;
    if account.profiles[&id].builtin {
        return Err(builtin_refusal());
    }
    Ok(id)
}

pub async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path((account_id, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let include = Include::from_query(&query);
    let slot = account_slot(&shared, &account_id)?;
    let profile = profile_id(&id)
        .and_then(|id| slot.account.profiles.get(&id))
        .ok_or_else(unknown_profile)?;
    Ok(reply(
        StatusCode::OK,
        profile_json(&slot.account, profile, &include),
    ))
}

/// Reads `settings` from a request: known keys only, values as strings. DocuSign ignores keys
/// it doesn't know; a value a setting can't take is a 400.
fn settings_of(body: &Value) -> Result<Map<String, Value>, ApiError> {
    let mut settings = Map::new();
    let Some(given) = body.get("settings").and_then(Value::as_object) else {
        return Ok(settings);
    };
    for (key, value) in given {
        let Some(spec) = profile_settings::setting(key) else {
            continue;
        };
        let Some(value) = scalar_text(value) else {
            continue;
        };
        let valid = match spec.kind {
            profile_settings::SettingKind::Boolean => {
                value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
            }
            profile_settings::SettingKind::OneOf(allowed) => allowed.contains(&value.as_str()),
            profile_settings::SettingKind::Text => true,
        };
        if !valid {
            return Err(ApiError::bad_request(
                "INVALID_REQUEST_PARAMETER",
                format!("The value '{value}' is not valid for the setting '{key}'."),
            ));
        }
        let value = if spec.kind == profile_settings::SettingKind::Boolean {
            value.to_ascii_lowercase()
        } else {
            value
        };
        settings.insert(key.clone(), Value::String(value));
    }
    Ok(settings)
}

/// Refuses a name another profile has (letter case aside); `except` is the one being renamed.
fn name_free(account: &Account, name: &str, except: Option<u64>) -> Result<(), ApiError> {
    let taken = (account.profiles.values()).map(|profile| (profile.id, profile.name.as_str()));
    let code = "PERMISSION_PROFILE_NAME_ALREADY_EXISTS";
    super::name_free(taken, name, except, code, "permission profile")
}

pub async fn create(
    Query(query): Query<HashMap<String, String>>,
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let include = Include::from_query(&query);
    let name = required_name(
        &write.body,
        "permissionProfileName",
        "INVALID_REQUEST_PARAMETER",
        "permission profile",
    )?;
    let requested = settings_of(&write.body)?;
    let mut slot = write.slot()?;
    let account = &mut slot.account;
    name_free(account, &name, None)?;
    let mut settings = new_profile_settings();
    for (key, value) in requested {
        if let Value::String(value) = value {
            settings.insert(key, value);
        }
    }
    let id = account.take_id();
    account.profiles.insert(
        id,
        Profile {
            id,
            name,
            builtin: false,
            settings,
            modified: now(),
            modified_by: caller.user_name,
        },
    );
    Ok(reply(
        StatusCode::CREATED,
        profile_json(account, &account.profiles[&id], &include),
    ))
}

pub async fn update(
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let include = Include::from_query(&query);
    let requested = settings_of(&write.body)?;
    let mut slot = write.slot()?;
    let account = &mut slot.account;
    let id = editable_profile(account, &id)?;
    let name = given(&write.body, "permissionProfileName");
    if let Some(name) = &name {
        name_free(account, name, Some(id))?;
    }
    let profile = account.profiles.get_mut(&id).ok_or_else(unknown_profile)?;
    if let Some(name) = name {
        profile.name = name;
    }
    // Settings not in the request keep their values.
    for (key, value) in requested {
        if let Value::String(value) = value {
            profile.settings.insert(key, value);
        }
    }
    profile.modified = now();
    profile.modified_by = caller.user_name;
    Ok(reply(
        StatusCode::OK,
        profile_json(account, &account.profiles[&id], &include),
    ))
}

pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((account_id, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let mut slot = account_slot(&shared, &account_id)?;
    let account = &mut slot.account;
    let id = editable_profile(account, &id)?;
    let target = match query
        .get("move_users_to")
        .filter(|target| !target.trim().is_empty())
    {
        None => None,
        Some(target) => Some(
            profile_id(target)
                .filter(|target| *target != id && account.profiles.contains_key(target))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_PERMISSION_PROFILE_ID",
                        "Invalid 'move_users_to' permission profile ID.",
                    )
                })?,
        ),
    };
    // Closed users hold a profile too: they must move with the others.
    let holders = account
        .users
        .iter()
        .filter(|user| user.profile_id == id)
        .count();
    match (holders, target) {
        (0, _) => {}
        (_, None) => {
            return Err(ApiError::bad_request(
                "PERMISSION_PROFILE_HAS_USERS",
                format!(
                    "The permission profile is assigned to {holders} users; pass move_users_to to move them first."
                ),
            ));
        }
        (_, Some(target)) => {
            let stamp = now();
            for user in account
                .users
                .iter_mut()
                .filter(|user| user.profile_id == id)
            {
                user.profile_id = target;
                user.modified.clone_from(&stamp);
            }
        }
    }
    for group in account.groups.values_mut() {
        if group.profile_id == Some(id) {
            group.profile_id = None;
        }
    }
    account.profiles.remove(&id);
    Ok(StatusCode::OK.into_response())
}
