//! `/signing_groups`, one signing group, and its `/users`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};

use super::bulk::{Echo, Shape};
use super::write::Write;
use super::{Caller, account_slot, flag, given, items, now, reply, required_name, text, trimmed};
use crate::desired::syntax::is_email;
use crate::emulator::Shared;
use crate::emulator::account::{Account, SigningGroup, SigningGroupMember};
use crate::emulator::error::ApiError;

/// DocuSign's limits.
const MAX_SIGNING_GROUPS: usize = 50;
const MAX_MEMBERS: usize = 50;
const MAX_MEMBER_NAME: usize = 100;
const GROUP_TYPE: &str = "sharedSigningGroup";

/// The signing-group routes, refused as a whole when the account lacks the feature.
pub fn routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/signing_groups",
            get(list).post(create).put(rename).delete(delete),
        )
        .route(
            "/signing_groups/{signingGroupId}",
            get(get_one).put(update_one),
        )
        .route(
            "/signing_groups/{signingGroupId}/users",
            get(members).put(add_members).delete(remove_members),
        )
        .route_layer(middleware::from_fn_with_state(Arc::clone(shared), feature))
}

/// Lets a call through to the signing groups only when the account has them.
async fn feature(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if shared.config.signing_groups_enabled {
        next.run(request).await
    } else {
        ApiError::bad_request(
            "ACCOUNT_LACKS_PERMISSIONS",
            "This Account lacks sufficient permissions.",
        )
        .into_response()
    }
}

fn unknown_group() -> ApiError {
    ApiError::bad_request("INVALID_SIGNING_GROUP_ID", "Invalid signing group ID.")
}

fn group_json(group: &SigningGroup, with_users: bool) -> Value {
    let mut body = json!({
        "signingGroupId": group.id.to_string(),
        "groupName": group.name,
        "groupType": GROUP_TYPE,
        "created": group.created,
        "createdBy": group.created_by,
        "modified": group.modified,
        "modifiedBy": group.modified_by,
    });
    if let Some(email) = &group.email {
        body["groupEmail"] = json!(email);
    }
    if with_users {
        body["users"] = members_json(&group.members);
    }
    body
}

fn members_json(members: &[SigningGroupMember]) -> Value {
    members
        .iter()
        .map(|member| json!({ "userName": member.user_name, "email": member.email }))
        .collect()
}

/// Reads members from `users`, matched by email; a bad one makes the whole request a 400.
fn members_of(item: &Value) -> Result<Vec<SigningGroupMember>, ApiError> {
    let mut members: Vec<SigningGroupMember> = Vec::new();
    for user in items(item, "users")? {
        let email = trimmed(user, "email").unwrap_or_default();
        if !is_email(&email) {
            return Err(invalid_email(&email));
        }
        let user_name = trimmed(user, "userName").unwrap_or_default();
        if user_name.is_empty() || user_name.chars().count() > MAX_MEMBER_NAME {
            return Err(ApiError::bad_request(
                "INVALID_USERNAME_FOR_USER",
                format!(
                    "A signing group member needs a userName of 1 to {MAX_MEMBER_NAME} characters."
                ),
            ));
        }
        match members
            .iter_mut()
            .find(|member| crate::email::same(&member.email, &email))
        {
            Some(member) => member.user_name = user_name,
            None => members.push(SigningGroupMember { user_name, email }),
        }
    }
    Ok(members)
}

fn invalid_email(email: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_EMAIL_ADDRESS_FOR_USER",
        format!("Invalid email address '{email}'."),
    )
}

fn too_many_members() -> ApiError {
    ApiError::bad_request(
        "SIGNING_GROUP_MAX_USERS_EXCEEDED",
        format!("A signing group can have at most {MAX_MEMBERS} members."),
    )
}

fn group_id(account: &Account, text_id: &str) -> Result<u64, ApiError> {
    text_id
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|id| account.signing_groups.contains_key(id))
        .ok_or_else(unknown_group)
}

/// Refuses a name another signing group has (letter case aside); `except` is the one being
/// renamed.
fn name_free(account: &Account, name: &str, except: Option<u64>) -> Result<(), ApiError> {
    let taken = (account.signing_groups.values()).map(|group| (group.id, group.name.as_str()));
    super::name_free(
        taken,
        name,
        except,
        "SIGNING_GROUP_NAME_EXISTS",
        "signing group",
    )
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if let Some(kind) = query.get("group_type")
        && !kind.trim().eq_ignore_ascii_case(GROUP_TYPE)
    {
        return Err(ApiError::bad_request(
            "INVALID_REQUEST_PARAMETER",
            format!("Invalid group_type '{kind}'."),
        ));
    }
    let with_users = flag(&query, "include_users");
    let slot = account_slot(&shared, &account_id)?;
    let groups: Vec<Value> = slot
        .account
        .signing_groups
        .values()
        .map(|group| group_json(group, with_users))
        .collect();
    Ok(reply(StatusCode::OK, json!({ "groups": groups })))
}

const NEW_SIGNING_GROUPS: Shape = Shape::creating("groups", Echo::Sent(&["groupName"]));

const BY_SIGNING_GROUP_ID: Shape = Shape::by_id("groups", "signingGroupId");

pub async fn create(
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let stamp = now();
    write.each(NEW_SIGNING_GROUPS, |account, item| {
        let name = required_name(
            item,
            "groupName",
            "INVALID_REQUEST_PARAMETER",
            "signing group",
        )?;
        if text(item, "groupType").is_some_and(|kind| !kind.trim().eq_ignore_ascii_case(GROUP_TYPE))
        {
            return Err(ApiError::bad_request(
                "INVALID_REQUEST_PARAMETER",
                "groupType must be 'sharedSigningGroup'.",
            ));
        }
        name_free(account, &name, None)?;
        if account.signing_groups.len() >= MAX_SIGNING_GROUPS {
            return Err(ApiError::bad_request(
                "SIGNING_GROUP_MAX_EXCEEDED",
                format!("An account can have at most {MAX_SIGNING_GROUPS} signing groups."),
            ));
        }
        let email = given(item, "groupEmail");
        if let Some(email) = email.as_ref().filter(|email| !is_email(email)) {
            return Err(invalid_email(email));
        }
        let members = members_of(item)?;
        if members.len() > MAX_MEMBERS {
            return Err(too_many_members());
        }
        let id = account.take_id();
        let group = SigningGroup {
            id,
            name,
            email,
            members,
            created: stamp.clone(),
            created_by: caller.user_name.clone(),
            modified: stamp.clone(),
            modified_by: caller.user_id.clone(),
        };
        let answer = group_json(&group, true);
        account.signing_groups.insert(id, group);
        Ok(answer)
    })
}

/// Bulk `PUT`: renames only, as the spec describes it; other fields are ignored.
pub async fn rename(
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let stamp = now();
    write.each(BY_SIGNING_GROUP_ID, |account, item| {
        let group = group_id(account, &text(item, "signingGroupId").unwrap_or_default())?;
        if let Some(name) = given(item, "groupName") {
            name_free(account, &name, Some(group))?;
            let group = edited(account, group, &stamp, &caller)?;
            group.name = name;
        }
        Ok(group_json(&account.signing_groups[&group], false))
    })
}

pub async fn delete(write: Write) -> Result<Response, ApiError> {
    write.each(BY_SIGNING_GROUP_ID, |account, item| {
        let id = group_id(account, &text(item, "signingGroupId").unwrap_or_default())?;
        let removed = account.signing_groups.remove(&id);
        Ok(
            json!({ "signingGroupId": id.to_string(), "groupName": removed.map(|group| group.name).unwrap_or_default() }),
        )
    })
}

/// A signing group about to change, stamped as modified now by the caller.
fn edited<'a>(
    account: &'a mut Account,
    id: u64,
    stamp: &str,
    caller: &Caller,
) -> Result<&'a mut SigningGroup, ApiError> {
    let group = account
        .signing_groups
        .get_mut(&id)
        .ok_or_else(unknown_group)?;
    stamp.clone_into(&mut group.modified);
    group.modified_by.clone_from(&caller.user_id);
    Ok(group)
}

/// Answers with what `answer` makes of the signing group the path names.
fn answer_group(
    shared: &Shared,
    (account_id, id): &(String, String),
    answer: impl FnOnce(&SigningGroup) -> Value,
) -> Result<Response, ApiError> {
    let slot = account_slot(shared, account_id)?;
    let id = group_id(&slot.account, id)?;
    Ok(reply(
        StatusCode::OK,
        answer(&slot.account.signing_groups[&id]),
    ))
}

pub async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path(path): Path<(String, String)>,
) -> Result<Response, ApiError> {
    answer_group(&shared, &path, |group| group_json(group, true))
}

/// `PUT /signing_groups/{id}`: name, email, and members merged by email (whether DocuSign
/// merges or replaces is unconfirmed; merging is what a DocuSign connector relies on).
pub async fn update_one(
    Path((_, id)): Path<(String, String)>,
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let body = &write.body;
    let added = members_of(body)?;
    let mut slot = write.slot()?;
    let account = &mut slot.account;
    let id = group_id(account, &id)?;
    let name = given(body, "groupName");
    if let Some(name) = &name {
        name_free(account, name, Some(id))?;
    }
    let email = trimmed(body, "groupEmail");
    if let Some(email) = email
        .as_ref()
        .filter(|email| !email.is_empty() && !is_email(email))
    {
        return Err(invalid_email(email));
    }
    let members = merged(&account.signing_groups[&id], added)?;
    let group = edited(account, id, &now(), &caller)?;
    group.members = members;
    if let Some(name) = name {
        group.name = name;
    }
    if let Some(email) = email {
        group.email = (!email.is_empty()).then_some(email);
    }
    Ok(reply(StatusCode::OK, group_json(group, true)))
}

/// The members after adding `added`: a known email keeps its place and takes the new name.
/// More than DocuSign's cap is refused.
fn merged(
    group: &SigningGroup,
    added: Vec<SigningGroupMember>,
) -> Result<Vec<SigningGroupMember>, ApiError> {
    let mut members = group.members.clone();
    for member in added {
        match members
            .iter_mut()
            .find(|known| crate::email::same(&known.email, &member.email))
        {
            Some(known) => known.user_name = member.user_name,
            None => members.push(member),
        }
    }
    if members.len() > MAX_MEMBERS {
        return Err(too_many_members());
    }
    Ok(members)
}

pub async fn members(
    State(shared): State<Arc<Shared>>,
    Path(path): Path<(String, String)>,
) -> Result<Response, ApiError> {
    answer_group(
        &shared,
        &path,
        |group| json!({ "users": members_json(&group.members) }),
    )
}

pub async fn add_members(
    Path((_, id)): Path<(String, String)>,
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let added = members_of(&write.body)?;
    let mut slot = write.slot()?;
    let account = &mut slot.account;
    let id = group_id(account, &id)?;
    let members = merged(&account.signing_groups[&id], added.clone())?;
    edited(account, id, &now(), &caller)?.members = members;
    Ok(reply(
        StatusCode::OK,
        json!({ "users": members_json(&added) }),
    ))
}

/// Removes members by email; an email that isn't a member is passed over (DocuSign answers
/// 200 for it, by a connector's account).
pub async fn remove_members(
    Path((_, id)): Path<(String, String)>,
    Extension(caller): Extension<Caller>,
    write: Write,
) -> Result<Response, ApiError> {
    let mut slot = write.slot()?;
    let account = &mut slot.account;
    let id = group_id(account, &id)?;
    let group = account
        .signing_groups
        .get_mut(&id)
        .ok_or_else(unknown_group)?;
    let mut removed = Vec::new();
    for user in items(&write.body, "users")? {
        let email = text(user, "email").unwrap_or_default();
        if let Some(index) = group
            .members
            .iter()
            .position(|member| crate::email::same(&member.email, email.trim()))
        {
            removed.push(group.members.remove(index));
        }
    }
    if removed.is_empty() {
        return Ok(reply(StatusCode::OK, json!({})));
    }
    edited(account, id, &now(), &caller)?;
    Ok(reply(
        StatusCode::OK,
        json!({ "users": members_json(&removed) }),
    ))
}
