//! `/users`: list, bulk create, bulk update, close; one user; its `/profile`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::bulk::{Echo, Shape, answer_each};
use super::groups::{GroupRecord, existing_group};
use super::paging::Listing;
use super::profiles::existing_profile;
use super::write::Write;
use super::{
    Caller, account_slot, flag, items, lacks_membership, list_param, now, reply, text, trimmed,
};
use crate::emulator::account::{Account, Group, GroupKind, User, UserStatus};
use crate::emulator::config::LastLogin;
use crate::emulator::dates::NEVER;
use crate::emulator::error::ApiError;
use crate::emulator::{Config, Shared};

/// DocuSign's cap on users per create call.
const MAX_NEW_USERS: usize = 500;

pub fn invalid_user_id() -> ApiError {
    ApiError::bad_request("INVALID_USERID", "Invalid Userid.")
}

/// A user record as the API sends it. `full` adds what `additional_info=true` adds.
pub fn user_json(account: &Account, user: &User, full: bool, group_list: bool) -> Value {
    let groups = group_list.then(|| account.groups_of(user));
    // A record of strings always turns into a JSON value.
    serde_json::to_value(UserRecord::of(account, user, full, groups)).unwrap_or_default()
}

/// A user record as the API sends it, serialised straight from the account (a page of a
/// thousand-user account is a hundred of these, so no JSON tree is built in between).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord<'a> {
    user_id: &'a str,
    user_name: &'a str,
    user_type: &'static str,
    user_status: &'static str,
    uri: String,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    created_date_time: &'a str,
    user_added_to_account_date_time: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    full: Option<FullRecord<'a>>,
}

/// What `additional_info=true` adds to a user record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FullRecord<'a> {
    job_title: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    profile: Option<ProfileFields<'a>>,
    is_admin: &'static str,
    user_profile_last_modified_date: &'a str,
    middle_name: &'static str,
    suffix_name: &'static str,
    title: &'static str,
    send_activation_on_invalid_login: &'static str,
    enable_connect_for_user: &'static str,
    // Newer than the spec: sent only for the users they hold for.
    #[serde(skip_serializing_if = "Option::is_none")]
    is_managed_by_scim: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_membership_managed_by_scim: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_list: Option<Vec<GroupRecord<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_login: Option<String>,
}

/// The profile a full record names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileFields<'a> {
    permission_profile_id: String,
    permission_profile_name: &'a str,
}

impl<'a> UserRecord<'a> {
    /// `user`'s record; `full` adds what `additional_info=true` adds, and its `groupList` when
    /// `groups` are given.
    pub fn of(
        account: &'a Account,
        user: &'a User,
        full: bool,
        groups: Option<Vec<&'a Group>>,
    ) -> Self {
        let full = full.then(|| {
            let profile = account.profiles.get(&user.profile_id);
            let admin = profile.is_some_and(|profile| {
                crate::model::admin::settings_manage_account(&profile.settings)
            });
            let true_if = |holds: bool| holds.then_some("True");
            FullRecord {
                job_title: &user.job_title,
                profile: Some(ProfileFields {
                    permission_profile_id: user.profile_id.to_string(),
                    permission_profile_name: profile.map_or("", |profile| profile.name.as_str()),
                }),
                is_admin: if admin { "True" } else { "False" },
                user_profile_last_modified_date: &user.modified,
                middle_name: "",
                suffix_name: "",
                title: "",
                send_activation_on_invalid_login: "false",
                enable_connect_for_user: "false",
                is_managed_by_scim: true_if(user.managed_by_scim),
                is_membership_managed_by_scim: true_if(user.membership_managed_by_scim),
                group_list: groups.map(|groups| groups.into_iter().map(GroupRecord::of).collect()),
                last_login: None,
            }
        });
        Self {
            user_id: &user.id,
            user_name: &user.user_name,
            user_type: "CompanyUser",
            user_status: user.status.wire_name(),
            uri: format!("/users/{}", user.id),
            email: &user.email,
            first_name: &user.first_name,
            last_name: &user.last_name,
            created_date_time: &user.created,
            user_added_to_account_date_time: user.added.as_deref().unwrap_or(&user.created),
            full,
        }
    }

    /// The record with `lastLogin` (full records only).
    fn with_last_login(mut self, last_login: Option<String>) -> Self {
        if let Some(full) = &mut self.full {
            full.last_login = last_login;
        }
        self
    }

    /// The record without its profile (full records only).
    fn without_profile(mut self) -> Self {
        if let Some(full) = &mut self.full {
            full.profile = None;
        }
        self
    }
}

/// The short `userInfo` form used in close answers and group member lists.
pub fn user_info_json(user: &User) -> Value {
    json!({
        "userId": user.id,
        "userName": user.user_name,
        "email": user.email,
        "userType": "CompanyUser",
        "userStatus": user.status.wire_name(),
        "uri": format!("/users/{}", user.id),
    })
}

/// The filters of `GET /users`.
struct UserFilter<'a> {
    statuses: Option<Vec<UserStatus>>,
    email: Option<String>,
    email_part: Option<String>,
    name_part: Option<String>,
    /// Members of any of the `group_id` groups.
    members: Option<HashSet<&'a str>>,
    /// Members of any of the `not_group_id` groups.
    non_members: Option<HashSet<&'a str>>,
}

impl<'a> UserFilter<'a> {
    fn from_query(account: &'a Account, query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let statuses = match query.get("status") {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .filter(|part| !part.trim().is_empty())
                    .map(|part| {
                        UserStatus::from_wire(part).ok_or_else(|| {
                            ApiError::bad_request(
                                "INVALID_REQUEST_PARAMETER",
                                format!("Invalid user status '{}'.", part.trim()),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        if query.contains_key("email") && query.contains_key("email_substring") {
            return Err(ApiError::bad_request(
                "INVALID_REQUEST_PARAMETER",
                "email and email_substring can't be used together.",
            ));
        }
        let lower = |key: &str| query.get(key).map(|value| value.trim().to_lowercase());
        let email = |key: &str| query.get(key).map(|value| crate::email::fold(value));
        Ok(Self {
            statuses,
            email: email("email"),
            email_part: email("email_substring"),
            name_part: lower("user_name_substring"),
            members: Self::in_groups(account, query.get("group_id"))?,
            non_members: Self::in_groups(account, query.get("not_group_id"))?,
        })
    }

    /// The members of one or more comma-separated group IDs.
    fn in_groups(
        account: &'a Account,
        ids: Option<&String>,
    ) -> Result<Option<HashSet<&'a str>>, ApiError> {
        let Some(ids) = ids else { return Ok(None) };
        let mut members = HashSet::new();
        for id in ids.split(',').filter(|id| !id.trim().is_empty()) {
            let group = existing_group(account, id)?;
            members.extend(
                account
                    .members_of(group)
                    .into_iter()
                    .map(|user| user.id.as_str()),
            );
        }
        Ok(Some(members))
    }

    fn matches(&self, user: &User) -> bool {
        // Lower-case only what a filter needs: most lists have no filter at all.
        let email = || crate::email::fold(&user.email);
        self.statuses
            .as_ref()
            .is_none_or(|statuses| statuses.contains(&user.status))
            && self.email.as_ref().is_none_or(|wanted| email() == *wanted)
            && self
                .email_part
                .as_ref()
                .is_none_or(|part| email().contains(part))
            && self
                .name_part
                .as_ref()
                .is_none_or(|part| user.user_name.to_lowercase().contains(part))
            && self
                .members
                .as_ref()
                .is_none_or(|members| members.contains(user.id.as_str()))
            && self
                .non_members
                .as_ref()
                .is_none_or(|others| !others.contains(user.id.as_str()))
    }
}

pub async fn list(listing: Listing) -> Result<Response, ApiError> {
    let slot = listing.slot()?;
    let account = &slot.account;
    let query = &listing.query;
    let filter = UserFilter::from_query(account, query)?;
    let selected: Vec<&User> = account
        .users
        .iter()
        .filter(|user| filter.matches(user))
        .collect();
    if filter.email.is_some() && selected.is_empty() {
        // DocuSign's own examples treat an unknown email as this 400, not an empty list.
        return Err(lacks_membership());
    }
    let full = flag(query, "additional_info");
    let config = &listing.shared().config;
    let group_list = full && config.group_list_in_user_records;
    let memberships = group_list.then(|| account.memberships());
    Ok(listing.answer(&selected, "users", |user| {
        let groups = memberships.as_ref().map(|memberships| memberships.of(user));
        UserRecord::of(account, user, full, groups).with_last_login(last_login(config, user))
    }))
}

/// The `lastLogin` a full record in the user list carries, as the emulator is set to report it.
/// Only the list's full records carry one: `GET /users/{userId}` ignores `additional_info`,
/// and its example in the spec has none.
fn last_login(config: &Config, user: &User) -> Option<String> {
    match config.last_login {
        LastLogin::Reported => Some(user.last_login.clone().unwrap_or_else(|| NEVER.to_owned())),
        LastLogin::Never => Some(NEVER.to_owned()),
        LastLogin::Absent => None,
    }
}

pub async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path((account_id, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let slot = account_slot(&shared, &account_id)?;
    let user = slot.account.user(&user_id).ok_or_else(invalid_user_id)?;
    let group_list = shared.config.group_list_in_user_records;
    Ok(reply(
        StatusCode::OK,
        user_json(&slot.account, user, true, group_list),
    ))
}

/// User writes by ID, in bulk: on `/users` and on a group's `/users`.
pub const BY_USER_ID: Shape = Shape::by_id("users", "userId");

const NEW_USERS: Shape = Shape::creating("newUsers", Echo::NewUser);

pub async fn create(write: Write) -> Result<Response, ApiError> {
    let shared = &write.shared;
    let requested = write
        .body
        .get(NEW_USERS.field)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_REQUEST_BODY",
                "The request body is missing or improperly formatted.",
            )
        })?;
    if requested.len() > MAX_NEW_USERS {
        return Err(ApiError::bad_request(
            "INVALID_REQUEST_BODY",
            format!("A maximum of {MAX_NEW_USERS} users can be added in one request."),
        ));
    }
    let mut slot = write.slot()?;
    let stamp = now();
    Ok(answer_each(shared, NEW_USERS, requested, |item| {
        let account = &mut slot.account;
        let user_id = new_user_id(shared, account);
        let user_id = create_one(account, item, user_id, &stamp, &shared.config)?;
        let user = account.user(&user_id).ok_or_else(invalid_user_id)?;
        let profile = account.profiles.get(&user.profile_id);
        Ok(json!({
            "userId": user.id,
            "uri": format!("/users/{}", user.id),
            "email": user.email,
            "userName": user.user_name,
            "userStatus": user.status.wire_name(),
            "createdDateTime": user.created,
            "membershipId": user.id,
            "permissionProfileId": user.profile_id.to_string(),
            "permissionProfileName": profile.map_or("", |profile| profile.name.as_str()),
        }))
    }))
}

/// A user ID no user of `account` has. The IDs come from the seeded generator, which starts
/// over whenever the emulator does; an account kept across restarts (`--state-file`, or
/// `--emulator` runs) already holds the first IDs the generator gives, so those are passed
/// over. DocuSign's IDs are unique within an account whatever its history.
fn new_user_id(shared: &Shared, account: &Account) -> String {
    let mut rng = crate::emulator::lock(&shared.rng);
    loop {
        let id = crate::emulator::seed::guid(&mut rng);
        if account.user(&id).is_none() {
            return id;
        }
    }
}

/// Creates (or reopens) one user; answers its ID or the item's error.
fn create_one(
    account: &mut Account,
    item: &Value,
    user_id: String,
    stamp: &str,
    config: &Config,
) -> Result<String, ApiError> {
    let email = trimmed(item, "email").unwrap_or_default();
    if !crate::desired::syntax::is_email(&email) {
        return Err(ApiError::bad_request(
            "INVALID_EMAIL_ADDRESS_FOR_USER",
            "Invalid email address.",
        ));
    }
    let user_name = trimmed(item, "userName").unwrap_or_default();
    if user_name.is_empty() {
        return Err(ApiError::bad_request(
            "INVALID_USERNAME_FOR_USER",
            "Invalid user name.",
        ));
    }
    let profile_id = match text(item, "permissionProfileId") {
        Some(id) => existing_profile(account, &id)?,
        None => account
            .profile_named("DocuSign Sender")
            .map(|profile| profile.id)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_PERMISSION_PROFILE_ID",
                    "No default permission profile.",
                )
            })?,
    };
    let mut group_ids = Vec::new();
    for group in items(item, "groupList")? {
        group_ids.push(existing_group(account, &text(group, "groupId").unwrap_or_default())?.id);
    }
    let same_email: Vec<&User> = account
        .users
        .iter()
        .filter(|user| crate::email::same(&user.email, &email))
        .collect();
    if let Some(existing) = same_email
        .iter()
        .find(|user| user.status != UserStatus::Closed)
    {
        return Err(ApiError::bad_request(
            "USER_ALREADY_EXISTS_IN_ACCOUNT",
            "Username and email combination already exists for this account.",
        )
        .naming_existing_user(&existing.id));
    }
    let reopened = same_email
        .iter()
        .find(|user| config.reopen_keeps_user_id && user.user_name == user_name)
        .map(|user| user.id.clone());
    let first_name = text(item, "firstName").unwrap_or_default();
    let last_name = text(item, "lastName").unwrap_or_default();
    let job_title = text(item, "jobTitle").unwrap_or_default();
    let id = if let Some(id) = reopened {
        // A closed membership with the same userName and email is reopened, keeping its ID.
        let user = account.user_mut(&id).ok_or_else(invalid_user_id)?;
        user.status = UserStatus::ActivationSent;
        user.profile_id = profile_id;
        user.first_name = first_name;
        user.last_name = last_name;
        user.job_title = job_title;
        stamp.clone_into(&mut user.modified);
        // A new membership: it joins the account again today.
        user.added = Some(stamp.to_owned());
        id
    } else {
        account.push_user(User {
            id: user_id.clone(),
            user_name,
            email,
            first_name,
            last_name,
            job_title,
            status: UserStatus::ActivationSent,
            profile_id,
            created: stamp.to_owned(),
            modified: stamp.to_owned(),
            added: Some(stamp.to_owned()),
            last_login: None,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        });
        user_id
    };
    for group_id in group_ids {
        join(account, group_id, &id, config.group_profile_on_join);
    }
    Ok(id)
}

/// Puts a user in a group (Everyone needs nothing), applying the group's profile when the
/// emulator is set to.
pub fn join(account: &mut Account, group_id: u64, user_id: &str, profile_on_join: bool) -> bool {
    let Some(group) = account.groups.get_mut(&group_id) else {
        return false;
    };
    if group.kind == GroupKind::Everyone {
        return false;
    }
    let added = group.members.insert(user_id.to_owned());
    let group_profile = group.profile_id;
    if profile_on_join
        && let Some(profile) = group_profile
        && account.profiles.contains_key(&profile)
        && let Some(user) = account.user_mut(user_id)
    {
        user.profile_id = profile;
    }
    added
}

/// Applies the changes of one `userInformation` to a user. `profile` says whether this call
/// honours `permissionProfileId`.
fn apply_changes(
    account: &mut Account,
    user_id: &str,
    changes: &Value,
    honour_profile: bool,
    stamp: &str,
) -> Result<(), ApiError> {
    let profile = match text(changes, "permissionProfileId").filter(|_| honour_profile) {
        Some(id) => Some(existing_profile(account, &id)?),
        None => None,
    };
    let user = account.user_mut(user_id).ok_or_else(invalid_user_id)?;
    if user.status == UserStatus::Closed {
        return Err(lacks_membership());
    }
    if let Some(name) = text(changes, "userName").filter(|name| !name.trim().is_empty()) {
        user.user_name = name;
    }
    if let Some(first) = text(changes, "firstName") {
        user.first_name = first;
    }
    if let Some(last) = text(changes, "lastName") {
        user.last_name = last;
    }
    if let Some(title) = text(changes, "jobTitle") {
        user.job_title = title;
    }
    if let Some(profile) = profile {
        user.profile_id = profile;
    }
    stamp.clone_into(&mut user.modified);
    Ok(())
}

pub async fn update_many(write: Write) -> Result<Response, ApiError> {
    let honour = write.shared.config.profile_change.bulk_put_users;
    let stamp = now();
    write.each(BY_USER_ID, |account, item| {
        let user_id = text(item, "userId").unwrap_or_default();
        apply_changes(account, &user_id, item, honour, &stamp)?;
        let user = account.user(&user_id).ok_or_else(invalid_user_id)?;
        Ok(updated_user_json(&write.shared, account, user))
    })
}

pub async fn update_one(
    Path((_, user_id)): Path<(String, String)>,
    write: Write,
) -> Result<Response, ApiError> {
    let honour = write.shared.config.profile_change.put_user;
    let mut slot = write.slot()?;
    apply_changes(&mut slot.account, &user_id, &write.body, honour, &now())?;
    let user = slot.account.user(&user_id).ok_or_else(invalid_user_id)?;
    Ok(reply(
        StatusCode::OK,
        updated_user_json(&write.shared, &slot.account, user),
    ))
}

/// The record an update answers with: the full user, without its profile when the emulator
/// is set not to echo it.
fn updated_user_json(shared: &Shared, account: &Account, user: &User) -> Value {
    let groups = shared
        .config
        .group_list_in_user_records
        .then(|| account.groups_of(user));
    let record = UserRecord::of(account, user, true, groups);
    let record = if shared.config.profile_in_user_answers {
        record
    } else {
        record.without_profile()
    };
    // A record of strings always turns into a JSON value.
    serde_json::to_value(record).unwrap_or_default()
}

pub async fn close(
    Query(query): Query<HashMap<String, String>>,
    write: Write,
) -> Result<Response, ApiError> {
    let strip = list_param(&query, "delete");
    let stamp = now();
    write.each(BY_USER_ID, |account, item| {
        let user = account
            .user_mut(&text(item, "userId").unwrap_or_default())
            .ok_or_else(invalid_user_id)?;
        user.status = UserStatus::Closed;
        user.modified.clone_from(&stamp);
        let (id, email) = (user.id.clone(), user.email.clone());
        if strip.iter().any(|part| part == "groups") {
            for group in account.groups.values_mut() {
                group.members.remove(&id);
            }
        }
        if strip.iter().any(|part| part == "signinggroupsemail") {
            for group in account.signing_groups.values_mut() {
                group
                    .members
                    .retain(|member| !crate::email::same(&member.email, &email));
            }
        }
        account
            .user(&id)
            .map(user_info_json)
            .ok_or_else(invalid_user_id)
    })
}

pub async fn get_profile(
    State(shared): State<Arc<Shared>>,
    Path((account_id, user_id)): Path<(String, String)>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    if !caller.user_id.eq_ignore_ascii_case(user_id.trim()) {
        // The spec: "you can only retrieve the profile of the user making the call".
        return Err(super::lacks_permissions());
    }
    let slot = account_slot(&shared, &account_id)?;
    let user = slot.account.user(&user_id).ok_or_else(invalid_user_id)?;
    let details = user_json(&slot.account, user, true, false);
    Ok(reply(
        StatusCode::OK,
        json!({
            "userDetails": details,
            "title": user.job_title,
            "displayProfile": "true",
            "displayPersonalInfo": "true",
            "displayOrganizationInfo": "true",
            "displayUsageHistory": "true",
            "userProfileLastModifiedDate": user.modified,
        }),
    ))
}

pub async fn put_profile(
    Path((_, user_id)): Path<(String, String)>,
    write: Write,
) -> Result<Response, ApiError> {
    let honour = write.shared.config.profile_change.put_profile;
    let details = write
        .body
        .get("userDetails")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let mut slot = write.slot()?;
    apply_changes(&mut slot.account, &user_id, &details, honour, &now())?;
    Ok(StatusCode::OK.into_response())
}
