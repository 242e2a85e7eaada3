//! Reading a whole account in the fewest calls the API allows: user and group pages of 100
//! (the pages after the first fetched concurrently; a short page's gap read again, see
//! `paging`), memberships from the user records' `groupList` (per-group member lists only
//! when the account leaves it out), permission profiles in one call, signing groups with
//! their members in one call.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use tokio::task::JoinSet;

use super::client::Client;
use super::error::ClientError;
use super::paging::all_pages;
use super::wire::{
    self, GroupPage, GroupRecord, MemberPage, ProfileList, SigningGroupList, UserPage, UserRecord,
    text,
};
use crate::model::profile_settings::{self, SettingKind};
use crate::model::usage::{UserUsage, When};
use crate::model::{
    Account, BuiltinGroup, EmailKey, Group, NameKey, PermissionProfile, SigningGroup,
    SigningGroupMember, User, UserStatus,
};

/// The live account, and what reading it cost.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub account: Account,
    /// API calls the snapshot made (retries included).
    pub calls: u64,
    /// Whether memberships came from user records (`groupList`) or member lists.
    pub memberships_from_user_records: bool,
    /// Whether the account has signing groups at all (a feature DocuSign can leave off): when
    /// not, the account holds none.
    pub signing_groups_enabled: bool,
    /// Emails that more than one user who isn't closed holds, in lower case: older accounts
    /// allow it, and only one of them (the most alive, else the first listed) is the user.
    pub shared_emails: Vec<String>,
    /// Every user record's dates, in the order DocuSign listed them (closed records too).
    pub usage: Vec<UserUsage>,
}

/// Reads the account the client is bound to.
pub async fn snapshot(client: &Arc<Client>) -> Result<Snapshot, ClientError> {
    let before = client.calls();
    let (users, groups, profiles, signing_groups) = tokio::try_join!(
        all_users(client),
        all_pages::<GroupPage>(client, "/groups?include_usercount=false"),
        client.get::<ProfileList>("/permission_profiles"),
        signing_groups(client),
    )?;
    let signing_groups_enabled = signing_groups.is_some();

    let from_records = users.is_empty() || users.iter().any(|user| user.group_list.is_some());
    let memberships = if from_records {
        memberships_from_records(&users)
    } else {
        memberships_from_member_lists(client, &groups).await?
    };

    let account = assemble(
        profiles,
        &groups,
        &users,
        &memberships,
        signing_groups.unwrap_or_default(),
    );
    Ok(Snapshot {
        account,
        calls: client.calls() - before,
        memberships_from_user_records: from_records,
        signing_groups_enabled,
        shared_emails: shared_emails(&users),
        usage: users.iter().map(usage_of).collect(),
    })
}

/// The signing groups with their members, or `None` when the account refuses the list as a
/// feature it doesn't have. DocuSign's answer for that is undocumented; a connector takes a
/// 403 or 404 for it, and `ACCOUNT_LACKS_PERMISSIONS` is DocuSign's code for an account not
/// allowed something. A 401 is the token's, and fails as any call's does.
async fn signing_groups(client: &Arc<Client>) -> Result<Option<SigningGroupList>, ClientError> {
    match client
        .get::<SigningGroupList>("/signing_groups?include_users=true")
        .await
    {
        Ok(list) => Ok(Some(list)),
        Err(ClientError::Api { status, code, .. })
            if status == 403
                || status == 404
                || code.eq_ignore_ascii_case("ACCOUNT_LACKS_PERMISSIONS") =>
        {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Every user record's dates and standing, and nothing else: the user pages alone (what a
/// seats report needs), and the calls they took.
pub async fn user_usage(client: &Arc<Client>) -> Result<(Vec<UserUsage>, u64), ClientError> {
    let before = client.calls();
    let users = all_users(client).await?;
    Ok((
        users.iter().map(usage_of).collect(),
        client.calls() - before,
    ))
}

/// One user as `GET /users/{userId}` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserReading {
    pub id: String,
    /// What DocuSign reopens a closed user by, with the email.
    pub user_name: String,
    /// The profile's name, resolved through `known`'s IDs when the record names only the ID.
    pub permission_profile: String,
    pub status: UserStatus,
}

/// Reads one user by ID (one call); `known` resolves profile IDs to names.
pub async fn user(
    client: &Client,
    user_id: &str,
    known: &Account,
) -> Result<UserReading, ClientError> {
    let record: UserRecord = client
        .get(&format!("/users/{user_id}?additional_info=true"))
        .await?;
    let by_id = record.permission_profile_id.as_ref().and_then(|id| {
        known
            .permission_profiles
            .values()
            .find(|profile| profile.id.as_deref() == Some(id.0.as_str()))
            .map(|profile| profile.name.clone())
    });
    Ok(UserReading {
        id: text(record.user_id.as_ref()),
        user_name: text(record.user_name.as_ref()),
        permission_profile: by_id.unwrap_or_else(|| text(record.permission_profile_name.as_ref())),
        status: status(record.user_status.as_ref()),
    })
}

/// The model account from DocuSign's records; `memberships` maps user IDs to group IDs.
fn assemble(
    profiles: ProfileList,
    groups: &[GroupRecord],
    users: &[UserRecord],
    memberships: &HashMap<String, BTreeSet<String>>,
    signing_groups: SigningGroupList,
) -> Account {
    let group_names: HashMap<String, &GroupRecord> = groups
        .iter()
        .filter_map(|group| group.group_id.as_ref().map(|id| (id.0.clone(), group)))
        .collect();
    let profile_names: HashMap<String, String> = profiles
        .permission_profiles
        .iter()
        .flatten()
        .map(|profile| {
            (
                text(profile.permission_profile_id.as_ref()),
                text(profile.permission_profile_name.as_ref()),
            )
        })
        .collect();
    let mut account = Account::default();
    for profile in profiles.permission_profiles.unwrap_or_default() {
        let name = text(profile.permission_profile_name.as_ref());
        let settings = profile
            .settings
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(key, value)| setting_value(&key, &value).map(|value| (key, value)))
            .collect();
        account.permission_profiles.insert(
            NameKey::new(&name),
            PermissionProfile {
                id: profile.permission_profile_id.map(|id| id.0),
                name,
                settings,
                previously: Vec::new(),
            },
        );
    }
    for group in groups {
        let name = text(group.group_name.as_ref());
        let profile = group
            .permission_profile_id
            .as_ref()
            .filter(|id| !id.0.trim().is_empty())
            .and_then(|id| profile_names.get(&id.0).cloned());
        account.groups.insert(
            NameKey::new(&name),
            Group {
                id: group.group_id.as_ref().map(|id| id.0.clone()),
                name,
                permission_profile: profile,
                previously: Vec::new(),
            },
        );
    }
    for record in users {
        let user = to_user(
            record,
            &profile_names,
            &group_names,
            memberships.get(&text(record.user_id.as_ref())),
        );
        let key = EmailKey::new(&user.email);
        // An email can belong to a closed user and a live one: the live one is the user.
        match account.users.get(&key) {
            Some(existing) if liveness(existing.status) >= liveness(user.status) => {}
            _ => {
                account.users.insert(key, user);
            }
        }
    }
    for group in signing_groups.groups.unwrap_or_default() {
        let name = text(group.group_name.as_ref());
        let members = group
            .users
            .unwrap_or_default()
            .into_iter()
            .map(|member| {
                let email = text(member.email.as_ref());
                (
                    EmailKey::new(&email),
                    SigningGroupMember {
                        name: text(member.user_name.as_ref()),
                        email,
                    },
                )
            })
            .collect();
        account.signing_groups.insert(
            NameKey::new(&name),
            SigningGroup {
                id: group.signing_group_id.map(|id| id.0),
                name,
                email: group
                    .group_email
                    .map(|email| email.0)
                    .filter(|email| !email.is_empty()),
                members,
                previously: Vec::new(),
            },
        );
    }
    account
}

/// Every user record, in full: profiles, memberships and dates are only in those.
async fn all_users(client: &Arc<Client>) -> Result<Vec<UserRecord>, ClientError> {
    all_pages::<UserPage>(client, "/users?additional_info=true").await
}

/// User ID → group IDs, from `groupList`.
fn memberships_from_records(users: &[UserRecord]) -> HashMap<String, BTreeSet<String>> {
    users
        .iter()
        .map(|user| {
            let groups = user
                .group_list
                .iter()
                .flatten()
                .filter_map(|group| group.group_id.as_ref().map(|id| id.0.clone()))
                .collect();
            (text(user.user_id.as_ref()), groups)
        })
        .collect()
}

/// User ID → group IDs, from each group's member list (Everyone left out: it holds everyone).
async fn memberships_from_member_lists(
    client: &Arc<Client>,
    groups: &[GroupRecord],
) -> Result<HashMap<String, BTreeSet<String>>, ClientError> {
    let mut lists = JoinSet::new();
    for group in groups {
        let id = text(group.group_id.as_ref());
        let name = text(group.group_name.as_ref());
        if BuiltinGroup::from_name(&name) == Some(BuiltinGroup::Everyone) || id.is_empty() {
            continue;
        }
        let client = Arc::clone(client);
        lists.spawn(async move {
            let path = format!("/groups/{id}/users");
            let members = all_pages::<MemberPage>(&client, &path).await;
            (id, members)
        });
    }
    let mut memberships: HashMap<String, BTreeSet<String>> = HashMap::new();
    while let Some(joined) = lists.join_next().await {
        let (group_id, members) = joined.map_err(|err| {
            ClientError::unreadable(
                "GET",
                "/groups/{groupId}/users",
                format!("a member-list task failed: {err}"),
            )
        })?;
        for member in members? {
            memberships
                .entry(text(member.user_id.as_ref()))
                .or_default()
                .insert(group_id.clone());
        }
    }
    Ok(memberships)
}

fn to_user(
    record: &UserRecord,
    profile_names: &HashMap<String, String>,
    groups: &HashMap<String, &GroupRecord>,
    memberships: Option<&BTreeSet<String>>,
) -> User {
    let profile = record
        .permission_profile_id
        .as_ref()
        .and_then(|id| profile_names.get(&id.0).cloned())
        .unwrap_or_else(|| text(record.permission_profile_name.as_ref()));
    let group_names = memberships
        .into_iter()
        .flatten()
        .filter_map(|id| groups.get(id))
        .map(|group| text(group.group_name.as_ref()))
        .filter(|name| BuiltinGroup::from_name(name) != Some(BuiltinGroup::Everyone))
        .collect();
    let job_title = text(record.job_title.as_ref());
    User {
        id: record.user_id.as_ref().map(|id| id.0.clone()),
        email: text(record.email.as_ref()),
        first_name: text(record.first_name.as_ref()),
        last_name: text(record.last_name.as_ref()),
        job_title: (!job_title.is_empty()).then_some(job_title),
        permission_profile: profile,
        groups: group_names,
        status: status(record.user_status.as_ref()),
        managed_by_scim: record
            .is_managed_by_scim
            .as_ref()
            .is_some_and(wire::Text::is_true),
        membership_managed_by_scim: record
            .is_membership_managed_by_scim
            .as_ref()
            .is_some_and(wire::Text::is_true),
    }
}

/// A user record's dates and standing.
fn usage_of(record: &UserRecord) -> UserUsage {
    let when = |text: Option<&wire::Text>| text.and_then(|text| When::read(&text.0));
    UserUsage {
        user_id: text(record.user_id.as_ref()),
        email: text(record.email.as_ref()),
        user_name: text(record.user_name.as_ref()),
        status: status(record.user_status.as_ref()),
        created: when(record.created_date_time.as_ref()),
        added: when(record.user_added_to_account_date_time.as_ref()),
        last_login: when(record.last_login.as_ref()),
        modified: when(record.user_profile_last_modified_date.as_ref()),
        managed_by_scim: record
            .is_managed_by_scim
            .as_ref()
            .is_some_and(wire::Text::is_true),
    }
}

fn status(status: Option<&wire::Text>) -> UserStatus {
    match status
        .map(|status| status.0.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("closed") => UserStatus::Closed,
        Some("activationsent" | "activationrequired") => UserStatus::Pending,
        Some("disabled") => UserStatus::Disabled,
        _ => UserStatus::Active,
    }
}

/// The emails held by more than one user record that isn't closed. DocuSign's spec says of
/// `GET /users?email=`: "for older accounts, this parameter might return multiple users who
/// are associated with a single email address".
fn shared_emails(users: &[UserRecord]) -> Vec<String> {
    let mut holders: BTreeMap<String, usize> = BTreeMap::new();
    for user in users {
        if status(user.user_status.as_ref()) != UserStatus::Closed {
            *holders
                .entry(crate::email::fold(&text(user.email.as_ref())))
                .or_default() += 1;
        }
    }
    holders
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(email, _)| email)
        .collect()
}

/// Which of two records with one email is "the" user.
fn liveness(status: UserStatus) -> u8 {
    match status {
        UserStatus::Active => 3,
        UserStatus::Pending => 2,
        UserStatus::Disabled => 1,
        UserStatus::Closed => 0,
    }
}

/// A setting's value as DocuSign sends it; the `…Metadata` objects are not settings. A
/// documented boolean is written `true`/`false` whatever its letter case (DocuSign's casing
/// varies: `"True"` in places), so a plan never "changes" `True` to `true`.
fn setting_value(key: &str, value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Bool(flag) => flag.to_string(),
        serde_json::Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let boolean = profile_settings::setting(key)
        .is_some_and(|spec| matches!(spec.kind, SettingKind::Boolean));
    let folded = text.trim().to_ascii_lowercase();
    Some(if boolean && (folded == "true" || folded == "false") {
        folded
    } else {
        text
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::setting_value;

    #[test]
    fn an_email_two_live_users_hold_is_told_and_a_closed_twin_is_not() {
        let users: Vec<super::UserRecord> = serde_json::from_value(json!([
            { "userId": "1", "email": "Ann@example.com", "userStatus": "Active" },
            { "userId": "2", "email": "ann@EXAMPLE.com", "userStatus": "ActivationSent" },
            { "userId": "3", "email": "bo@example.com", "userStatus": "Active" },
            { "userId": "4", "email": "bo@example.com", "userStatus": "Closed" },
            { "userId": "5", "email": "cy@example.com", "userStatus": "Active" },
        ]))
        .expect("user records");
        assert_eq!(super::shared_emails(&users), ["ann@example.com"]);
    }

    #[test]
    fn a_documented_boolean_reads_the_same_in_any_letter_case() {
        for sent in [json!("True"), json!("TRUE"), json!("true"), json!(true)] {
            assert_eq!(
                setting_value("allowAccountManagement", &sent).as_deref(),
                Some("true"),
                "{sent}"
            );
        }
        assert_eq!(
            setting_value("allowAccountManagement", &json!("False")).as_deref(),
            Some("false")
        );
        // Free text and undocumented keys stay as sent; metadata objects are no settings.
        assert_eq!(
            setting_value("useNewDocuSignExperienceInterface", &json!("True")).as_deref(),
            Some("True")
        );
        assert_eq!(
            setting_value("someNewSetting", &json!("True")).as_deref(),
            Some("True")
        );
        assert_eq!(
            setting_value(
                "allowAccountManagementMetadata",
                &json!({ "rights": "editable" })
            ),
            None
        );
    }
}
