//! `/groups` and `/groups/{groupId}/users`.

use axum::extract::Path;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use super::bulk::{Echo, Shape, answer_each};
use super::paging::Listing;
use super::profiles::existing_profile;
use super::users::{BY_USER_ID, invalid_user_id, join, user_info_json};
use super::write::Write;
use super::{given, items, required_name, text};
use crate::emulator::account::{Account, Group, GroupKind, UserStatus};
use crate::emulator::config::ItemErrorCodes;
use crate::emulator::error::ApiError;

fn invalid_group() -> ApiError {
    ApiError::bad_request("INVALID_GROUP_ID", "Invalid group ID.")
}

/// A group record; `with_count` adds its `usersCount` (user records' `groupList` has none).
pub fn group_json(account: &Account, group: &Group, with_count: bool) -> Value {
    let mut record = GroupRecord::of(group);
    if with_count {
        record.users_count = Some(account.members_of(group).len().to_string());
    }
    // A record of strings always turns into a JSON value.
    serde_json::to_value(record).unwrap_or_default()
}

/// A group record as the API sends it, without its `usersCount` unless set.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRecord<'a> {
    group_id: String,
    group_name: &'a str,
    group_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission_profile_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    users_count: Option<String>,
}

impl<'a> GroupRecord<'a> {
    pub fn of(group: &'a Group) -> Self {
        Self {
            group_id: group.id.to_string(),
            group_name: &group.name,
            group_type: group.kind.wire_name(),
            permission_profile_id: group.profile_id.map(|id| id.to_string()),
            users_count: None,
        }
    }
}

/// The group a request names by ID.
pub fn existing_group<'a>(account: &'a Account, text_id: &str) -> Result<&'a Group, ApiError> {
    text_id
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| account.groups.get(&id))
        .ok_or_else(invalid_group)
}

pub async fn list(listing: Listing) -> Result<Response, ApiError> {
    let slot = listing.slot()?;
    let account = &slot.account;
    let query = &listing.query;
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
    Ok(listing.answer(&selected, "groups", |group| {
        group_json(account, group, with_count)
    }))
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
        Some(id) => existing_profile(account, &id).map(ProfileChange::Set),
    }
}

/// Refuses a name another group has (letter case aside); `except` is the group being renamed.
fn name_free(account: &Account, name: &str, except: Option<u64>) -> Result<(), ApiError> {
    let taken = account
        .groups
        .values()
        .map(|group| (group.id, group.name.as_str()));
    super::name_free(taken, name, except, "DUPLICATE_GROUP_NAME", "group")
}

const NEW_GROUPS: Shape = Shape::creating("groups", Echo::Sent(&["groupName"]));

const BY_GROUP_ID: Shape = Shape::by_id("groups", "groupId");

pub async fn create(write: Write) -> Result<Response, ApiError> {
    write.each(NEW_GROUPS, |account, item| {
        let name = required_name(item, "groupName", "INVALID_GROUP_NAME", "group")?;
        name_free(account, &name, None)?;
        let profile_id = match profile_of(account, item)? {
            ProfileChange::Set(id) => Some(id),
            ProfileChange::Keep | ProfileChange::Clear => None,
        };
        let id = account.take_id();
        let group = Group {
            id,
            name,
            kind: GroupKind::Custom,
            profile_id,
            members: std::collections::BTreeSet::new(),
        };
        account.groups.insert(id, group);
        Ok(group_json(account, &account.groups[&id], true))
    })
}

fn builtin_refusal() -> ApiError {
    ApiError::bad_request(
        "INVALID_GROUP_ID",
        "The built-in groups Everyone and Administrators can't be edited or deleted.",
    )
}

pub async fn update(write: Write) -> Result<Response, ApiError> {
    write.each(BY_GROUP_ID, |account, item| {
        let id = custom_group(account, &text(item, "groupId").unwrap_or_default())?;
        let name = given(item, "groupName");
        if let Some(name) = &name {
            name_free(account, name, Some(id))?;
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
        Ok(group_json(account, &account.groups[&id], true))
    })
}

pub async fn delete(write: Write) -> Result<Response, ApiError> {
    write.each(BY_GROUP_ID, |account, item| {
        let id = custom_group(account, &text(item, "groupId").unwrap_or_default())?;
        let removed = account.groups.remove(&id);
        Ok(
            json!({ "groupId": id.to_string(), "groupName": removed.map(|group| group.name).unwrap_or_default() }),
        )
    })
}

/// The ID of a group a request may edit or delete: not a built-in one.
fn custom_group(account: &Account, text_id: &str) -> Result<u64, ApiError> {
    let group = existing_group(account, text_id)?;
    if group.kind != GroupKind::Custom {
        return Err(builtin_refusal());
    }
    Ok(group.id)
}

pub async fn members(
    Path((_, group_id_text)): Path<(String, String)>,
    listing: Listing,
) -> Result<Response, ApiError> {
    let slot = listing.slot()?;
    let account = &slot.account;
    let group = existing_group(account, &group_id_text)?;
    let members = account.members_of(group);
    Ok(listing.answer(&members, "users", |user| user_info_json(user)))
}

/// Adding or removing members: incremental, per user, with per-item errors.
fn change_members(write: &Write, group_id_text: &str, add: bool) -> Result<Response, ApiError> {
    let profile_on_join = write.shared.config.group_profile_on_join;
    let mut slot = write.slot()?;
    let account = &mut slot.account;
    let id = existing_group(account, group_id_text)?.id;
    if account.groups[&id].kind == GroupKind::Everyone {
        return Err(ApiError::bad_request(
            "INVALID_GROUP_ID",
            "The membership of the Everyone group can't be edited.",
        ));
    }
    let users = items(&write.body, BY_USER_ID.field)?;
    Ok(answer_each(&write.shared, BY_USER_ID, users, |item| {
        let user_id = account
            .user(&text(item, "userId").unwrap_or_default())
            .filter(|user| user.status != UserStatus::Closed)
            .ok_or_else(invalid_user_id)?
            .id
            .clone();
        let changed = if add {
            join(account, id, &user_id, profile_on_join)
        } else {
            account
                .groups
                .get_mut(&id)
                .is_some_and(|group| group.members.remove(&user_id))
        };
        let mut answer = user_info_json(account.user(&user_id).ok_or_else(invalid_user_id)?);
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
        Ok(answer)
    }))
}

pub async fn add_members(
    Path((_, group_id_text)): Path<(String, String)>,
    write: Write,
) -> Result<Response, ApiError> {
    change_members(&write, &group_id_text, true)
}

pub async fn remove_members(
    Path((_, group_id_text)): Path<(String, String)>,
    write: Write,
) -> Result<Response, ApiError> {
    change_members(&write, &group_id_text, false)
}
