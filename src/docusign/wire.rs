//! DocuSign's JSON as it arrives: camelCase, numbers and booleans as strings (in any letter
//! case), fields absent or null at will, unknown fields ignored. Converted to `model` at the
//! edge; nothing outside this module sees these types.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A scalar DocuSign sends as a string, but which may come as a number or boolean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl Text {
    /// `"true"`, `"True"`, `true`: DocuSign's booleans in all their spellings.
    #[must_use]
    pub fn is_true(&self) -> bool {
        self.0.trim().eq_ignore_ascii_case("true")
    }

    /// A count such as `"57"`.
    #[must_use]
    pub fn as_count(&self) -> Option<usize> {
        self.0.trim().parse().ok()
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl Visitor<'_> for TextVisitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

/// DocuSign's `errorDetails`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    pub error_code: Option<Text>,
    pub message: Option<Text>,
}

/// The paging fields every list answer carries. The spec's `count` is only "the maximum number
/// of results to return": a page may hold fewer than asked before the end of the list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    /// How many items the whole list holds; pages are then fetched by `start_position`.
    pub total_set_size: Option<Text>,
    /// How many items this page holds.
    pub result_set_size: Option<Text>,
    /// The 0-based index of this page's first item.
    pub start_position: Option<Text>,
    /// The 0-based index of this page's last item (inclusive): the next page starts after it.
    /// Absent on an empty page.
    pub end_position: Option<Text>,
}

/// `GET /users` (`userInformationList`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    #[serde(flatten)]
    pub paging: Paging,
    pub users: Option<Vec<UserRecord>>,
}

/// One `userInformation` (with `additional_info=true`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub user_id: Option<Text>,
    /// The name DocuSign reopens a closed user by (with the email).
    pub user_name: Option<Text>,
    pub email: Option<Text>,
    pub first_name: Option<Text>,
    pub last_name: Option<Text>,
    pub job_title: Option<Text>,
    pub user_status: Option<Text>,
    pub permission_profile_id: Option<Text>,
    pub permission_profile_name: Option<Text>,
    /// Absent when the account doesn't put memberships in user records.
    pub group_list: Option<Vec<GroupRecord>>,
    pub is_managed_by_scim: Option<Text>,
    pub is_membership_managed_by_scim: Option<Text>,
    /// `"True"` when the user can administer the account.
    pub is_admin: Option<Text>,
    /// When the user record was made, and when it joined this account (the assignment date).
    pub created_date_time: Option<Text>,
    pub user_added_to_account_date_time: Option<Text>,
    /// DocuSign fills it for some accounts and not others; never a sign on its own.
    pub last_login: Option<Text>,
    pub user_profile_last_modified_date: Option<Text>,
}

/// `GET /accounts/{accountId}` (`accountInformation`): the plan, seats and envelope figures.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    pub account_name: Option<Text>,
    pub plan_name: Option<Text>,
    pub plan_start_date: Option<Text>,
    pub plan_end_date: Option<Text>,
    pub seats_allowed: Option<Text>,
    pub seats_in_use: Option<Text>,
    pub billing_period_start_date: Option<Text>,
    pub billing_period_end_date: Option<Text>,
    pub billing_period_envelopes_allowed: Option<Text>,
    pub billing_period_envelopes_sent: Option<Text>,
}

/// `GET /envelopes` (`envelopesInformation`), as far as telling whether a user sent any.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopePage {
    #[serde(flatten)]
    pub paging: Paging,
    pub envelopes: Option<Vec<EnvelopeRecord>>,
}

/// One `envelope` of a list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeRecord {
    pub created_date_time: Option<Text>,
    pub sent_date_time: Option<Text>,
    /// The user who sent it (`userInfo`).
    pub sender: Option<SenderRecord>,
}

/// An envelope's `sender` (`userInfo`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SenderRecord {
    pub user_id: Option<Text>,
    pub email: Option<Text>,
}

/// `GET /groups` (`groupInformation`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupPage {
    #[serde(flatten)]
    pub paging: Paging,
    pub groups: Option<Vec<GroupRecord>>,
}

/// One `group`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRecord {
    pub group_id: Option<Text>,
    pub group_name: Option<Text>,
    pub permission_profile_id: Option<Text>,
}

/// `GET /groups/{id}/users` (`usersResponse`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberPage {
    #[serde(flatten)]
    pub paging: Paging,
    pub users: Option<Vec<MemberRecord>>,
}

/// One `userInfo`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRecord {
    pub user_id: Option<Text>,
}

/// `GET /permission_profiles` (`permissionProfileInformation`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileList {
    pub permission_profiles: Option<Vec<ProfileRecord>>,
}

/// One `permissionProfile`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRecord {
    pub permission_profile_id: Option<Text>,
    pub permission_profile_name: Option<Text>,
    /// `accountRoleSettings`; the `…Metadata` siblings are objects and are passed over.
    pub settings: Option<BTreeMap<String, serde_json::Value>>,
}

/// `GET /signing_groups` (`signingGroupInformation`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningGroupList {
    pub groups: Option<Vec<SigningGroupRecord>>,
}

/// One `signingGroup`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningGroupRecord {
    pub signing_group_id: Option<Text>,
    pub group_name: Option<Text>,
    pub group_email: Option<Text>,
    pub users: Option<Vec<SigningGroupMemberRecord>>,
}

/// One `signingGroupUser`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningGroupMemberRecord {
    pub user_name: Option<Text>,
    pub email: Option<Text>,
}

/// A text field, or empty.
#[must_use]
pub fn text(field: Option<&Text>) -> String {
    field.map(|text| text.0.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_docusign_sends() {
        let page: UserPage = serde_json::from_str(
            r#"{"totalSetSize": 2, "resultSetSize": "2", "startPosition": 0, "endPosition": "1",
                "nextUri": null, "surprise": {"x": 1},
                "users": [{"userId": "a", "isManagedByScim": "True", "groupList": null},
                          {"userId": "b", "isManagedByScim": false, "jobTitle": null}]}"#,
        )
        .expect("lenient");
        let count = |field: &Option<Text>| field.as_ref().and_then(Text::as_count);
        assert_eq!(count(&page.paging.total_set_size), Some(2));
        assert_eq!(count(&page.paging.result_set_size), Some(2));
        assert_eq!(count(&page.paging.start_position), Some(0));
        assert_eq!(count(&page.paging.end_position), Some(1));
        let users = page.users.expect("users");
        assert!(
            users[0]
                .is_managed_by_scim
                .as_ref()
                .is_some_and(Text::is_true)
        );
        assert!(
            !users[1]
                .is_managed_by_scim
                .as_ref()
                .is_some_and(Text::is_true)
        );
        assert!(users[0].group_list.is_none());
        assert!(users[1].job_title.is_none());
    }
}
