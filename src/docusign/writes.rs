//! The write calls apply makes, in model terms: bulk where DocuSign has a bulk form, with each
//! item's own outcome read from the answer. DocuSign answers 200/201 when some items failed;
//! a 400 that lists results per item is read the same way, item by item.
//!
//! Every function returns `Err` when the call as a whole failed (no item is known to have
//! happened), else one [`ItemOutcome`] per item sent, in the order sent.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Client, Retry};
use super::error::ClientError;
use super::wire::{ErrorDetails, Text, text};

/// Why DocuSign refused one item of a call (or the whole call, for every item in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemError {
    /// DocuSign's `errorCode`, verbatim; empty when the call failed without one.
    pub code: String,
    pub message: String,
}

impl ItemError {
    /// The same error for each item of a call that failed as a whole.
    #[must_use]
    pub fn of_call(error: &ClientError) -> Self {
        let code = match error {
            ClientError::Api { code, .. } => code.clone(),
            _ => String::new(),
        };
        Self {
            code,
            message: error.to_string(),
        }
    }
}

/// One item's outcome: the new object's ID for creates (`None` for other calls), or why not.
pub type ItemOutcome = Result<Option<String>, ItemError>;

/// A user to create (or a closed one to reopen: same `user_name` and email).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub user_name: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: Option<String>,
    pub profile_id: String,
    /// Groups joined at creation, by ID.
    pub group_ids: Vec<String>,
}

/// Changes to one existing user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserChange {
    pub user_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub profile_id: Option<String>,
}

impl UserChange {
    fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        for (key, value) in [
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
            ("jobTitle", &self.job_title),
            ("permissionProfileId", &self.profile_id),
        ] {
            if let Some(value) = value {
                body.insert(key.to_owned(), Value::String(value.clone()));
            }
        }
        body
    }
}

/// Whether a membership call adds members (`PUT`) or removes them (`DELETE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Members {
    Add,
    Remove,
}

impl Members {
    fn method(self) -> Method {
        match self {
            Self::Add => Method::PUT,
            Self::Remove => Method::DELETE,
        }
    }
}

/// Changes to one group; `profile_id: Some(None)` takes its profile away.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupChange {
    pub group_id: String,
    pub name: Option<String>,
    pub profile_id: Option<Option<String>>,
}

/// The items of a bulk answer, each with its own `errorDetails` when it failed.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    user_id: Option<Text>,
    permission_profile_id: Option<Text>,
    group_id: Option<Text>,
    signing_group_id: Option<Text>,
    email: Option<Text>,
    group_name: Option<Text>,
    error_details: Option<ErrorDetails>,
}

impl Item {
    fn error(&self) -> Option<ItemError> {
        let details = self.error_details.as_ref()?;
        let code = text(details.error_code.as_ref());
        let message = text(details.message.as_ref());
        (!code.is_empty() || !message.is_empty()).then_some(ItemError { code, message })
    }
}

fn items(body: &Value, field: &str) -> Vec<Item> {
    body.get(field)
        .cloned()
        .and_then(|items| serde_json::from_value(items).ok())
        .unwrap_or_default()
}

/// How an answer's items are read: how each names the item sent, what it reports for it, and
/// which per-item code (if any) says the account already is as asked.
#[derive(Clone, Copy)]
struct Reading {
    key: fn(&Item) -> Option<String>,
    id: fn(&Item) -> Option<String>,
    already: Option<&'static str>,
}

/// Pairs the answer's items with the ones sent: by key where the answer gives it, else by
/// position; an item the answer doesn't mention is reported as such. Keys (emails or IDs)
/// compare as emails do.
///
/// An item refused with the `already` code counts as done only when the answer names it: the
/// code is a hint (DocuSign doesn't document it), and an error paired by position alone can't
/// be told apart from one about another item.
fn outcomes(sent: &[String], answered: &[Item], reading: Reading) -> Vec<ItemOutcome> {
    let Reading { key, id, already } = reading;
    let mut by_key: BTreeMap<String, &Item> = BTreeMap::new();
    for item in answered {
        if let Some(key) = key(item) {
            by_key.entry(crate::email::fold(&key)).or_insert(item);
        }
    }
    sent.iter()
        .enumerate()
        .map(|(index, sent_key)| {
            let named = by_key.get(&crate::email::fold(sent_key)).copied();
            let item = named.or_else(|| answered.get(index).filter(|item| key(item).is_none()));
            match (item, item.and_then(Item::error)) {
                (None, _) => Err(ItemError {
                    code: String::new(),
                    message: "DocuSign's answer did not mention this item".to_owned(),
                }),
                (Some(item), None) => Ok(id(item)),
                (Some(_), Some(error))
                    if named.is_some()
                        && already.is_some_and(|code| error.code.eq_ignore_ascii_case(code)) =>
                {
                    Ok(None)
                }
                (Some(_), Some(error)) => Err(error),
            }
        })
        .collect()
}

/// The per-item answer for a group or signing group that doesn't exist: what a delete retried
/// after a lost answer meets, and the delete's goal anyway.
const NO_SUCH_GROUP: &str = "INVALID_GROUP_ID";
const NO_SUCH_SIGNING_GROUP: &str = "INVALID_SIGNING_GROUP_ID";

/// DocuSign's per-item answers when a membership already is as asked.
const ALREADY_A_MEMBER: &str = "USER_ALREADY_MEMBER_OF_GROUP";
const NOT_A_MEMBER: &str = "USER_NOT_MEMBER_OF_GROUP";

fn all_ok(count: usize) -> Vec<ItemOutcome> {
    vec![Ok(None); count]
}

fn present(field: Option<&Text>) -> Option<String> {
    Some(text(field)).filter(|value| !value.is_empty())
}

/// What a bulk call sends and how its answer's items are matched to what was sent.
struct Bulk<'a> {
    method: Method,
    path: &'a str,
    /// The list's field in the body and in the answer (`users`, `groups`, `newUsers`).
    field: &'a str,
    items: Vec<Value>,
    retry: Retry,
    /// Each sent item's key, as the answer names it (email, ID or name).
    sent: Vec<String>,
    reading: Reading,
}

impl<'a> Bulk<'a> {
    /// `POST`: new objects, each item with the key the answer names it by. Never sent again
    /// after it may have arrived: a lost answer is found at the next plan, not created twice.
    fn creating(
        path: &'a str,
        field: &'a str,
        keyed: impl IntoIterator<Item = (String, Value)>,
        reading: Reading,
    ) -> Self {
        Self::new(
            Method::POST,
            path,
            field,
            Retry::OnlyIfNotSent,
            keyed,
            reading,
        )
    }

    /// Changes to existing objects, safe to send again; each item with the key the answer
    /// names it by.
    fn changing(
        method: Method,
        path: &'a str,
        field: &'a str,
        keyed: impl IntoIterator<Item = (String, Value)>,
        reading: Reading,
    ) -> Self {
        Self::new(method, path, field, Retry::Safe, keyed, reading)
    }

    /// A change whose items are IDs alone (`{"userId": …}`): the answer names each item by
    /// the same ID.
    fn of_ids(
        method: Method,
        path: &'a str,
        field: &'a str,
        id_field: &str,
        ids: &[String],
        reading: Reading,
    ) -> Self {
        let keyed = ids.iter().map(|id| (id.clone(), json!({ id_field: id })));
        Self::changing(method, path, field, keyed, reading)
    }

    fn new(
        method: Method,
        path: &'a str,
        field: &'a str,
        retry: Retry,
        keyed: impl IntoIterator<Item = (String, Value)>,
        reading: Reading,
    ) -> Self {
        let (sent, items) = keyed.into_iter().unzip();
        Self {
            method,
            path,
            field,
            items,
            retry,
            sent,
            reading,
        }
    }
}

impl Reading {
    /// Items named by `key`, reporting nothing but whether they were done.
    const fn keyed(key: fn(&Item) -> Option<String>) -> Self {
        Self {
            key,
            id: no_id,
            already: None,
        }
    }

    /// … reporting `id` for each item done (a new object's ID, say).
    const fn reporting(self, id: fn(&Item) -> Option<String>) -> Self {
        Self { id, ..self }
    }

    /// … counting an item refused with `code` as done.
    const fn done_when(self, code: &'static str) -> Self {
        Self {
            already: Some(code),
            ..self
        }
    }
}

fn no_id(_: &Item) -> Option<String> {
    None
}

fn user_id(item: &Item) -> Option<String> {
    present(item.user_id.as_ref())
}

fn group_id(item: &Item) -> Option<String> {
    present(item.group_id.as_ref())
}

fn signing_group_id(item: &Item) -> Option<String> {
    present(item.signing_group_id.as_ref())
}

fn profile_id(item: &Item) -> Option<String> {
    present(item.permission_profile_id.as_ref())
}

fn email(item: &Item) -> Option<String> {
    present(item.email.as_ref())
}

fn group_name(item: &Item) -> Option<String> {
    present(item.group_name.as_ref())
}

impl Client {
    async fn bulk(&self, bulk: Bulk<'_>) -> Result<Vec<ItemOutcome>, ClientError> {
        let answer = self
            .call_bulk(
                bulk.method,
                bulk.path,
                Some(&Value::Object(Map::from_iter([(
                    bulk.field.to_owned(),
                    Value::Array(bulk.items),
                )]))),
                bulk.retry,
                bulk.field,
            )
            .await?;
        Ok(outcomes(
            &bulk.sent,
            &items(&answer.body, bulk.field),
            bulk.reading,
        ))
    }

    /// `POST /users` (DocuSign takes at most 500 a call; the caller batches); a lost answer is
    /// found by email at the next plan.
    pub async fn create_users(&self, users: &[NewUser]) -> Result<Vec<ItemOutcome>, ClientError> {
        let keyed = users.iter().map(|user| {
            let mut item = json!({
                "userName": user.user_name,
                "email": user.email,
                "firstName": user.first_name,
                "lastName": user.last_name,
                "permissionProfileId": user.profile_id,
            });
            if let Some(title) = &user.job_title {
                item["jobTitle"] = Value::String(title.clone());
            }
            if !user.group_ids.is_empty() {
                item["groupList"] = user
                    .group_ids
                    .iter()
                    .map(|id| json!({ "groupId": id }))
                    .collect();
            }
            (user.email.clone(), item)
        });
        let reading = Reading::keyed(email).reporting(user_id);
        self.bulk(Bulk::creating("/users", "newUsers", keyed, reading))
            .await
    }

    /// Bulk `PUT /users`: attributes and, where the account honours it, the profile. Each
    /// item's `Ok` holds the profile ID the answer reports for the user, so the caller can tell
    /// whether the profile took.
    pub async fn update_users(
        &self,
        changes: &[UserChange],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let keyed = changes.iter().map(|change| {
            let mut item = change.body();
            item.insert("userId".to_owned(), Value::String(change.user_id.clone()));
            (change.user_id.clone(), Value::Object(item))
        });
        let reading = Reading::keyed(user_id).reporting(profile_id);
        self.bulk(Bulk::changing(
            Method::PUT,
            "/users",
            "users",
            keyed,
            reading,
        ))
        .await
    }

    /// `PUT /users/{userId}`: one user's attributes and profile.
    pub async fn update_user(&self, change: &UserChange) -> Result<(), ClientError> {
        self.call(
            Method::PUT,
            &format!("/users/{}", change.user_id),
            Some(&Value::Object(change.body())),
            Retry::Safe,
        )
        .await
        .map(drop)
    }

    /// `PUT /users/{userId}/profile`: one user's profile, the way a DocuSign connector does it.
    pub async fn set_user_profile(
        &self,
        user_id: &str,
        profile_id: &str,
    ) -> Result<(), ClientError> {
        self.call(
            Method::PUT,
            &format!("/users/{user_id}/profile"),
            Some(&json!({ "userDetails": { "permissionProfileId": profile_id } })),
            Retry::Safe,
        )
        .await
        .map(drop)
    }

    /// `DELETE /users`: closes the users (DocuSign never deletes them).
    pub async fn close_users(&self, user_ids: &[String]) -> Result<Vec<ItemOutcome>, ClientError> {
        self.bulk(Bulk::of_ids(
            Method::DELETE,
            "/users",
            "users",
            "userId",
            user_ids,
            Reading::keyed(user_id),
        ))
        .await
    }

    /// `POST /groups`.
    pub async fn create_groups(
        &self,
        groups: &[(String, Option<String>)],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let keyed = groups.iter().map(|(name, profile_id)| {
            let item = match profile_id {
                Some(id) => json!({ "groupName": name, "permissionProfileId": id }),
                None => json!({ "groupName": name }),
            };
            (name.clone(), item)
        });
        let reading = Reading::keyed(group_name).reporting(group_id);
        self.bulk(Bulk::creating("/groups", "groups", keyed, reading))
            .await
    }

    /// `PUT /groups`: renames and profile changes.
    pub async fn update_groups(
        &self,
        changes: &[GroupChange],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let keyed = changes.iter().map(|change| {
            let mut item = json!({ "groupId": change.group_id });
            if let Some(name) = &change.name {
                item["groupName"] = Value::String(name.clone());
            }
            if let Some(profile) = &change.profile_id {
                // An empty ID takes the group's profile away.
                item["permissionProfileId"] = Value::String(profile.clone().unwrap_or_default());
            }
            (change.group_id.clone(), item)
        });
        let reading = Reading::keyed(group_id);
        self.bulk(Bulk::changing(
            Method::PUT,
            "/groups",
            "groups",
            keyed,
            reading,
        ))
        .await
    }

    /// `DELETE /groups`.
    pub async fn delete_groups(
        &self,
        group_ids: &[String],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        // Already gone is done (a retry after a lost answer meets that).
        let reading = Reading::keyed(group_id).done_when(NO_SUCH_GROUP);
        self.bulk(Bulk::of_ids(
            Method::DELETE,
            "/groups",
            "groups",
            "groupId",
            group_ids,
            reading,
        ))
        .await
    }

    /// `PUT` (add) or `DELETE` (remove) `/groups/{groupId}/users`.
    ///
    /// A user already in the group (on add) or not in it (on remove) is done, not failed: the
    /// membership is as asked. That is what a retry meets after a lost answer, and DocuSign's
    /// guidance is not to treat "already member" as fatal. (Whether DocuSign answers these with
    /// an error at all is unconfirmed, and the codes are the emulator's: they count only for an
    /// item the answer names, and any other code stays a failure for apply to check.)
    pub async fn group_members(
        &self,
        change: Members,
        group: &str,
        user_ids: &[String],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let already = match change {
            Members::Add => ALREADY_A_MEMBER,
            Members::Remove => NOT_A_MEMBER,
        };
        self.bulk(Bulk::of_ids(
            change.method(),
            &format!("/groups/{group}/users"),
            "users",
            "userId",
            user_ids,
            Reading::keyed(user_id).done_when(already),
        ))
        .await
    }

    /// `POST /signing_groups`.
    pub async fn create_signing_groups(
        &self,
        groups: &[(String, Option<String>)],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let keyed = groups.iter().map(|(name, email)| {
            let mut item = json!({ "groupName": name, "groupType": "sharedSigningGroup" });
            if let Some(email) = email {
                item["groupEmail"] = Value::String(email.clone());
            }
            (name.clone(), item)
        });
        let reading = Reading::keyed(group_name).reporting(signing_group_id);
        self.bulk(Bulk::creating("/signing_groups", "groups", keyed, reading))
            .await
    }

    /// `PUT /signing_groups`: renames.
    pub async fn rename_signing_groups(
        &self,
        renames: &[(String, String)],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let keyed = renames.iter().map(|(id, name)| {
            let item = json!({ "signingGroupId": id, "groupName": name });
            (id.clone(), item)
        });
        let reading = Reading::keyed(signing_group_id);
        self.bulk(Bulk::changing(
            Method::PUT,
            "/signing_groups",
            "groups",
            keyed,
            reading,
        ))
        .await
    }

    /// `PUT /signing_groups/{id}` with the group's email (empty takes it away).
    pub async fn set_signing_group_email(
        &self,
        id: &str,
        email: Option<&str>,
    ) -> Result<(), ClientError> {
        self.call(
            Method::PUT,
            &format!("/signing_groups/{id}"),
            Some(&json!({ "groupEmail": email.unwrap_or_default() })),
            Retry::Safe,
        )
        .await
        .map(drop)
    }

    /// `DELETE /signing_groups`.
    pub async fn delete_signing_groups(
        &self,
        ids: &[String],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        // Already gone is done (a retry after a lost answer meets that).
        let reading = Reading::keyed(signing_group_id).done_when(NO_SUCH_SIGNING_GROUP);
        self.bulk(Bulk::of_ids(
            Method::DELETE,
            "/signing_groups",
            "groups",
            "signingGroupId",
            ids,
            reading,
        ))
        .await
    }

    /// `PUT` (add, or rename by email) or `DELETE` (remove) `/signing_groups/{id}/users`;
    /// members are `(name, email)`.
    pub async fn signing_group_members(
        &self,
        change: Members,
        id: &str,
        members: &[(String, String)],
    ) -> Result<Vec<ItemOutcome>, ClientError> {
        let users: Vec<Value> = members
            .iter()
            .map(|(name, email)| json!({ "userName": name, "email": email }))
            .collect();
        let answer = self
            .call_bulk(
                change.method(),
                &format!("/signing_groups/{id}/users"),
                Some(&json!({ "users": users })),
                Retry::Safe,
                "users",
            )
            .await?;
        let answered = items(&answer.body, "users");
        if answered.is_empty() && matches!(change, Members::Remove) {
            // DocuSign answers a removal with `{}`. An addition is documented to answer its
            // members (`signingGroupUsers`): one that names none is not taken as done, and the
            // read-back settles it.
            return Ok(all_ok(members.len()));
        }
        let sent: Vec<String> = members.iter().map(|(_, email)| email.clone()).collect();
        Ok(outcomes(&sent, &answered, Reading::keyed(email)))
    }

    /// `POST /permission_profiles`; answers the new profile's ID.
    pub async fn create_profile(
        &self,
        name: &str,
        settings: &BTreeMap<String, String>,
    ) -> Result<String, ClientError> {
        let answer = self
            .call(
                Method::POST,
                "/permission_profiles",
                Some(&json!({ "permissionProfileName": name, "settings": settings })),
                Retry::OnlyIfNotSent,
            )
            .await?;
        let id = answer
            .body
            .get("permissionProfileId")
            .and_then(|id| serde_json::from_value::<Text>(id.clone()).ok())
            .map(|id| id.0)
            .filter(|id| !id.is_empty());
        id.ok_or_else(|| {
            ClientError::unreadable(
                "POST",
                "/permission_profiles",
                "the answer has no permissionProfileId",
            )
        })
    }

    /// `PUT /permission_profiles/{id}`: a new name and/or the listed settings.
    pub async fn update_profile(
        &self,
        id: &str,
        name: Option<&str>,
        settings: &BTreeMap<String, String>,
    ) -> Result<(), ClientError> {
        let mut body = Map::new();
        if let Some(name) = name {
            body.insert(
                "permissionProfileName".to_owned(),
                Value::String(name.to_owned()),
            );
        }
        if !settings.is_empty() {
            body.insert("settings".to_owned(), json!(settings));
        }
        self.call(
            Method::PUT,
            &format!("/permission_profiles/{id}"),
            Some(&Value::Object(body)),
            Retry::Safe,
        )
        .await
        .map(drop)
    }

    /// `DELETE /permission_profiles/{id}?move_users_to=…`.
    pub async fn delete_profile(&self, id: &str, move_users_to: &str) -> Result<(), ClientError> {
        self.call(
            Method::DELETE,
            &format!("/permission_profiles/{id}?move_users_to={move_users_to}"),
            None,
            Retry::Safe,
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(json: &str) -> Vec<Item> {
        serde_json::from_str(json).expect("items")
    }

    fn codes(outcomes: &[ItemOutcome]) -> Vec<Result<Option<&str>, &str>> {
        outcomes
            .iter()
            .map(|outcome| {
                outcome
                    .as_ref()
                    .map(Option::as_deref)
                    .map_err(|error| error.code.as_str())
            })
            .collect()
    }

    fn sent(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|key| (*key).to_owned()).collect()
    }

    #[test]
    fn outcomes_pair_items_by_key_and_read_each_error() {
        let got = outcomes(
            &sent(&["A@example.com", "b@example.com"]),
            &answered(
                r#"[{"email": "b@example.com", "errorDetails": {"errorCode": "USER_ALREADY_EXISTS_IN_ACCOUNT", "message": "exists"}},
                    {"email": "a@example.com", "userId": "u-1"}]"#,
            ),
            Reading::keyed(email).reporting(user_id),
        );
        assert_eq!(
            codes(&got),
            [Ok(Some("u-1")), Err("USER_ALREADY_EXISTS_IN_ACCOUNT")]
        );
    }

    #[test]
    fn an_item_the_answer_leaves_out_is_a_failure() {
        let got = outcomes(
            &sent(&["g-1", "g-2"]),
            &answered(r#"[{"groupId": "g-2"}]"#),
            Reading::keyed(group_id),
        );
        assert!(got[0].is_err());
        assert_eq!(got[1], Ok(None));
    }

    /// The body a 400 carries when some items of a member add failed: the others were done.
    #[test]
    fn a_refusal_listing_items_is_read_item_by_item() {
        let body: Value = serde_json::from_str(
            r#"{"users": [
                {"userId": "u-1", "userName": "One", "userStatus": "Active"},
                {"userId": "u-2", "errorDetails": {"errorCode": "INVALID_USERID", "message": "Invalid UserId."}},
                {"userId": "u-3", "userStatus": "Active"}]}"#,
        )
        .expect("JSON");
        let got = outcomes(
            &sent(&["u-1", "u-2", "u-3"]),
            &items(&body, "users"),
            Reading::keyed(user_id).done_when(ALREADY_A_MEMBER),
        );
        assert_eq!(codes(&got), [Ok(None), Err("INVALID_USERID"), Ok(None)]);
        assert_eq!(
            got[1].as_ref().map_err(|error| error.message.as_str()),
            Err("Invalid UserId.")
        );
    }

    #[test]
    fn an_already_code_counts_as_done_only_for_an_item_the_answer_names() {
        let reading = Reading::keyed(user_id).done_when(ALREADY_A_MEMBER);
        let named = outcomes(
            &sent(&["u-1"]),
            &answered(
                r#"[{"userId": "U-1", "errorDetails": {"errorCode": "user_already_member_of_group", "message": "already"}}]"#,
            ),
            reading,
        );
        assert_eq!(codes(&named), [Ok(None)]);
        // Paired by position only: the error may be about another item.
        let unnamed = outcomes(
            &sent(&["u-1"]),
            &answered(
                r#"[{"errorDetails": {"errorCode": "USER_ALREADY_MEMBER_OF_GROUP", "message": "already"}}]"#,
            ),
            reading,
        );
        assert_eq!(codes(&unnamed), [Err("USER_ALREADY_MEMBER_OF_GROUP")]);
    }

    #[test]
    fn another_code_for_an_item_already_as_asked_stays_a_failure() {
        let got = outcomes(
            &sent(&["g-1"]),
            &answered(
                r#"[{"groupId": "g-1", "errorDetails": {"errorCode": "INVALID_REQUEST_PARAMETER", "message": "The request contained at least one invalid parameter."}}]"#,
            ),
            Reading::keyed(group_id).done_when(NO_SUCH_GROUP),
        );
        assert_eq!(codes(&got), [Err("INVALID_REQUEST_PARAMETER")]);
    }

    #[test]
    fn an_already_code_means_nothing_where_the_call_has_none() {
        let got = outcomes(
            &sent(&["u-1"]),
            &answered(
                r#"[{"userId": "u-1", "errorDetails": {"errorCode": "USER_ALREADY_MEMBER_OF_GROUP", "message": "already"}}]"#,
            ),
            Reading::keyed(user_id),
        );
        assert_eq!(codes(&got), [Err("USER_ALREADY_MEMBER_OF_GROUP")]);
    }
}
