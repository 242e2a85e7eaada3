//! `/groups` and `/groups/{groupId}/users`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::paging::Page;
use super::users::{join, user_info_json};
use super::{account_slot, bulk_reply, items, json_body, reply, text};
use crate::emulator::Shared;
use crate::emulator::account::{Account, Group, GroupKind, UserStatus};
use crate::emulator::config::ItemErrorCodes;
use crate::emulator::error::ApiError;

fn invalid_group() -> ApiError {
    ApiError::bad_request("INVALID_GROUP_ID", "Invalid group ID.")
}

fn group_json(account: &Account, group: &Group, with_count: bool) -> Value {
    let mut entry = json!({
        "groupId": group.id.to_string(),
        "groupName": group.name,
        "groupType": group.kind.wire_name(),
    });
    if let Some(profile) = group.profile_id {
        entry["permissionProfileId"] = json!(profile.to_string());
    }
    if with_count {
        entry["usersCount"] = json!(account.members_of(group).len().to_string());
    }
    entry
}

fn group_id(text_id: Option<String>) -> Option<u64> {
    text_id.and_then(|id| id.trim().parse::<u64>().ok())
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let page = Page::from_query(&query)?;
    let slot = account_slot(&shared, &account_id)?;
    let account = &slot.account;
    let kind = query
        .get("group_type")
        .map(|kind| kind.trim().to_lowercase());
    let search = query
        .get("search_text")
        .map(|text| text.trim().to_lowercase());
    let with_count = query
        .get("include_usercount")
        .is_none_or(|value| !value.trim().eq_ignore_ascii_case("false"));
    let selected: Vec<&Group> = account
        .groups
        .values()
        .filter(|group| {
            kind.as_ref()
                .is_none_or(|kind| group.kind.wire_name().to_lowercase() == *kind)
        })
        .filter(|group| {
            search
                .as_ref()
                .is_none_or(|search| group.name.to_lowercase().contains(search))
        })
        .collect();
    let shown: Vec<Value> = page
        .slice(&selected)
        .iter()
        .map(|group| group_json(account, group, with_count))
        .collect();
    let mut body = page.envelope(selected.len(), shown.len(), uri.path(), &query);
    if !shown.is_empty() {
        body.insert("groups".to_owned(), Value::Array(shown));
    }
    Ok(reply(StatusCode::OK, Value::Object(body)))
}

/// What a request says about a group's permission profile.
enum ProfileChange {
    Keep,
    /// An empty `permissionProfileId` takes the group's profile away.
    Clear,
    Set(u64),
}

fn profile_of(account: &Account, item: &Value) -> Result<ProfileChange, ApiError> {
    match text(item, "permissionProfileId") {
        None => Ok(ProfileChange::Keep),
        Some(id) if id.trim().is_empty() => Ok(ProfileChange::Clear),
        Some(id) => id
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|id| account.profiles.contains_key(id))
            .map(ProfileChange::Set)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_PERMISSION_PROFILE_ID",
                    "Invalid permission profile ID.",
                )
            }),
    }
}

fn name_taken(account: &Account, name: &str, except: Option<u64>) -> bool {
    account
        .groups
        .values()
        .any(|group| Some(group.id) != except && group.name.eq_ignore_ascii_case(name.trim()))
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    let mut slot = account_slot(&shared, &account_id)?;
    let account = &mut slot.account;
    let mut answers = Vec::new();
    for item in items(&body, "groups")? {
        let result = (|| {
            let name = text(item, "groupName")
                .map(|name| name.trim().to_owned())
                .unwrap_or_default();
            if name.is_empty() {
                return Err(ApiError::bad_request(
                    "INVALID_GROUP_NAME",
                    "A group name is required.",
                ));
            }
            if name_taken(account, &name, None) {
                return Err(ApiError::bad_request(
                    "DUPLICATE_GROUP_NAME",
                    format!("A group named '{name}' already exists."),
                ));
            }
            let profile_id = match profile_of(account, item)? {
                ProfileChange::Set(id) => Some(id),
                ProfileChange::Keep | ProfileChange::Clear => None,
            };
            let id = account.take_id();
            account.groups.insert(
                id,
                Group {
                    id,
                    name,
                    kind: GroupKind::Custom,
                    profile_id,
                    members: std::collections::BTreeSet::new(),
                },
            );
            Ok(id)
        })();
        answers.push(match result {
            Ok(id) => group_json(account, &account.groups[&id], true),
            Err(error) => {
                let mut answer = json!({ "errorDetails": error.details() });
                if let Some(name) = text(item, "groupName") {
                    answer["groupName"] = json!(name);
                }
                answer
            }
        });
    }
    Ok(bulk_reply(&shared, StatusCode::CREATED, "groups", answers))
}

fn builtin_refusal() -> ApiError {
    ApiError::bad_request(
        "INVALID_GROUP_ID",
        "The built-in groups Everyone and Administrators can't be edited or deleted.",
    )
}

pub async fn update(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    let mut slot = account_slot(&shared, &account_id)?;
    let account = &mut slot.account;
    let mut answers = Vec::new();
    for item in items(&body, "groups")? {
        let result = (|| {
            let id = group_id(text(item, "groupId"))
                .filter(|id| account.groups.contains_key(id))
                .ok_or_else(invalid_group)?;
            if account.groups[&id].kind != GroupKind::Custom {
                return Err(builtin_refusal());
            }
            let name = text(item, "groupName")
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty());
            if let Some(name) = &name
                && name_taken(account, name, Some(id))
            {
                return Err(ApiError::bad_request(
                    "DUPLICATE_GROUP_NAME",
                    format!("A group named '{name}' already exists."),
                ));
            }
            let profile = profile_of(account, item)?;
            let group = account.groups.get_mut(&id).ok_or_else(invalid_group)?;
            if let Some(name) = name {
                group.name = name;
            }
            match profile {
                ProfileChange::Keep => {}
                ProfileChange::Clear => group.profile_id = None,
                ProfileChange::Set(id) => group.profile_id = Some(id),
            }
            Ok(id)
        })();
        answers.push(match result {
            Ok(id) => group_json(account, &account.groups[&id], true),
            Err(error) => json!({ "groupId": text(item, "groupId").unwrap_or_default(), "errorDetails": error.details() }),
        });
    }
    Ok(bulk_reply(&shared, StatusCode::OK, "groups", answers))
}

pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    let mut slot = account_slot(&shared, &account_id)?;
    let account = &mut slot.account;
    let mut answers = Vec::new();
    for item in items(&body, "groups")? {
        let raw = text(item, "groupId").unwrap_or_default();
        let answer = match group_id(Some(raw.clone())).and_then(|id| account.groups.get(&id)) {
            None => json!({ "groupId": raw, "errorDetails": invalid_group().details() }),
            Some(group) if group.kind != GroupKind::Custom => {
                json!({ "groupId": raw, "errorDetails": builtin_refusal().details() })
            }
            Some(group) => {
                let id = group.id;
                let removed = account.groups.remove(&id);
                json!({ "groupId": id.to_string(), "groupName": removed.map(|group| group.name).unwrap_or_default() })
            }
        };
        answers.push(answer);
    }
    Ok(bulk_reply(&shared, StatusCode::OK, "groups", answers))
}

pub async fn members(
    State(shared): State<Arc<Shared>>,
    Path((account_id, group_id_text)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let page = Page::from_query(&query)?;
    let slot = account_slot(&shared, &account_id)?;
    let account = &slot.account;
    let group = group_id(Some(group_id_text))
        .and_then(|id| account.groups.get(&id))
        .ok_or_else(invalid_group)?;
    let members = account.members_of(group);
    let shown: Vec<Value> = page
        .slice(&members)
        .iter()
        .map(|user| user_info_json(user))
        .collect();
    let mut body = page.envelope(members.len(), shown.len(), uri.path(), &query);
    if !shown.is_empty() {
        body.insert("users".to_owned(), Value::Array(shown));
    }
    Ok(reply(StatusCode::OK, Value::Object(body)))
}

/// Adding or removing members: incremental, per user, with per-item errors.
fn change_members(
    shared: &Shared,
    account_id: &str,
    group_id_text: &str,
    body: &Bytes,
    add: bool,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let profile_on_join = shared.config.group_profile_on_join;
    let mut slot = account_slot(shared, account_id)?;
    let account = &mut slot.account;
    let id = group_id(Some(group_id_text.to_owned()))
        .filter(|id| account.groups.contains_key(id))
        .ok_or_else(invalid_group)?;
    if account.groups[&id].kind == GroupKind::Everyone {
        return Err(ApiError::bad_request(
            "INVALID_GROUP_ID",
            "The membership of the Everyone group can't be edited.",
        ));
    }
    let mut answers = Vec::new();
    for item in items(&body, "users")? {
        let user_id = text(item, "userId").unwrap_or_default();
        let Some(user) = account
            .user(&user_id)
            .filter(|user| user.status != UserStatus::Closed)
        else {
            answers.push(json!({ "userId": user_id, "errorDetails": { "errorCode": "INVALID_USERID", "message": "Invalid UserId." } }));
            continue;
        };
        let user_id = user.id.clone();
        let changed = if add {
            join(account, id, &user_id, profile_on_join)
        } else {
            account
                .groups
                .get_mut(&id)
                .is_some_and(|group| group.members.remove(&user_id))
        };
        let Some(user) = account.user(&user_id) else {
            continue;
        };
        let mut answer = user_info_json(user);
        if !changed {
            // Adding a member twice or removing a non-member: reported per item, so a client
            // must not treat every errorDetails as fatal (DocuSign's behaviour is unconfirmed).
            let (code, message) = if add {
                (
                    ItemErrorCodes::ALREADY_MEMBER,
                    "The user is already a member of this group.",
                )
            } else {
                (
                    ItemErrorCodes::NOT_MEMBER,
                    "The user is not a member of this group.",
                )
            };
            answer["errorDetails"] = json!({ "errorCode": code, "message": message });
        }
        answers.push(answer);
    }
    Ok(bulk_reply(shared, StatusCode::OK, "users", answers))
}

pub async fn add_members(
    State(shared): State<Arc<Shared>>,
    Path((account_id, group_id_text)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_members(&shared, &account_id, &group_id_text, &body, true)
}

pub async fn remove_members(
    State(shared): State<Arc<Shared>>,
    Path((account_id, group_id_text)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_members(&shared, &account_id, &group_id_text, &body, false)
}
