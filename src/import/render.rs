//! The YAML text of each imported file. Values are written by serde-saphyr, which quotes and
//! escapes them; this module only lays entries out the way `examples/desired-state/` does
//! (a comment header, one blank line between entries, comments above the entries they explain).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_saphyr::{FlowSeq, SerializeError};

use super::Source;
use super::select::{SelectedProfile, SelectedUser, Selection, Setting};
use super::team::Teams;
use crate::desired::checked::Environment;
use crate::desired::syntax::is_guid;
use crate::desired::write::{Entry, UserYaml, comment_text, file, list_file, slug, yaml};
use crate::model::{BuiltinProfile, EmailKey, Group, NameKey, SigningGroup, UserStatus};

/// The file of users in no declared group.
pub const NO_GROUP_FILE: &str = "users/no-group.yaml";

#[derive(Serialize)]
struct AccountDocument<'a> {
    account: AccountSection<'a>,
}

#[derive(Serialize)]
struct AccountSection<'a> {
    id: &'a str,
    environment: &'a str,
}

#[derive(Serialize)]
struct DefaultsDocument<'a> {
    defaults: DefaultsSection<'a>,
}

#[derive(Serialize)]
struct DefaultsSection<'a> {
    permission_profile: &'a str,
}

#[derive(Serialize)]
struct PolicyDocument {
    policy: PolicySection,
}

#[derive(Serialize)]
struct PolicySection {
    unmanaged_users: &'static str,
}

pub fn account_file(source: &Source<'_>) -> Result<String, SerializeError> {
    let environment = match source.environment {
        Environment::Demo => "demo",
        Environment::Production => "production",
    };
    let id = source.account_id.trim();
    let account = if is_guid(id) {
        format!(
            "# The account these files describe: its API Account ID (Settings > Apps and\n\
             # Keys) and the DocuSign environment it lives in.\n{}",
            yaml(&AccountDocument {
                account: AccountSection { id, environment },
            })?
        )
    } else {
        // `validate` accepts only a GUID; the connection settings name the account instead.
        format!(
            "# No `account` section: DocuSign's account ID `{}` is not a GUID, so\n\
             # DOCUSIGN_ACCOUNT_ID (or --account-id) names the account instead.\n",
            comment_text(id)
        )
    };
    let defaults = yaml(&DefaultsDocument {
        defaults: DefaultsSection {
            permission_profile: BuiltinProfile::DocuSignViewer.api_name(),
        },
    })?;
    let policy = yaml(&PolicyDocument {
        policy: PolicySection {
            unmanaged_users: "report",
        },
    })?;
    let body = format!(
        "{account}\n\
         # Every imported user names its permission profile; this default is for users\n\
         # added later without one.\n{defaults}\n\
         # People who show up in DocuSign without being added here (through the web app,\n\
         # say) are listed in the plan so someone can add them; nothing else happens to\n\
         # them. Add `limits` and `protected_users` here as your team needs them.\n{policy}"
    );
    Ok(file(
        "account.yaml",
        &[
            "DocuSign eSignature desired state, written by `docusign-gitops import` from",
            "the account as it stood. Edit these files, then `docusign-gitops plan` shows",
            "what would change in DocuSign.",
            "",
            "Every *.yaml file in this directory (and under users/) is read and merged",
            "into one desired state. `account`, `defaults` and `policy` live here and",
            "only here; the lists (profiles, groups, signing groups, users) are spread",
            "over the other files so each team can own its own file.",
        ],
        &body,
    ))
}

#[derive(Serialize)]
struct ProfileEntry<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    settings: BTreeMap<&'a str, SettingValue<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SettingValue<'a> {
    Flag(bool),
    Text(&'a str),
}

pub fn profiles_file(profiles: &[SelectedProfile<'_>]) -> Result<String, SerializeError> {
    let entries = profiles.iter().map(|selected| {
        let settings = selected
            .settings
            .iter()
            .map(|(key, setting)| {
                let value = match setting {
                    Setting::Flag(flag) => SettingValue::Flag(*flag),
                    Setting::Text(text) => SettingValue::Text(text),
                };
                (*key, value)
            })
            .collect();
        let mut comments = Vec::new();
        if !selected.unlisted.is_empty() {
            comments.push(
                "Not listed, so left as DocuSign has them (the YAML can't state them):".to_owned(),
            );
            comments.extend(
                selected
                    .unlisted
                    .iter()
                    .map(|(key, value, why)| format!("  {key} = `{value}`: {why}")),
            );
        }
        Entry::new(
            &ProfileEntry {
                name: &selected.profile.name,
                settings,
            },
            comments,
        )
    });
    list_file(
        "permission-profiles.yaml",
        &[
            "Custom permission profiles, with every setting DocuSign returned. Settings",
            "use DocuSign's own accountRoleSettings names; a setting not listed here is",
            "left as it is in DocuSign.",
            "",
            "The built-in profiles (DocuSign Viewer, DocuSign Sender, Account",
            "Administrator) can be used without being declared, and their settings",
            "can't be changed from here.",
        ],
        "permission_profiles",
        entries,
    )
}

#[derive(Serialize)]
struct GroupEntry<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission_profile: Option<&'a str>,
}

pub fn groups_file(groups: &[&Group]) -> Result<String, SerializeError> {
    let entries = groups.iter().map(|group| {
        Entry::new(
            &GroupEntry {
                name: &group.name,
                permission_profile: group.permission_profile.as_deref(),
            },
            Vec::new(),
        )
    });
    list_file(
        "groups.yaml",
        &[
            "User groups. Membership is set on each user (see users/*.yaml), not here.",
            "",
            "A group that carries a permission_profile expects every member to hold that",
            "same profile; `validate` warns when a member's own profile differs.",
            "\"Everyone\" and \"Administrators\" are built in: don't declare them here.",
        ],
        "groups",
        entries,
    )
}

#[derive(Serialize)]
struct SigningGroupEntry<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    members: Vec<MemberEntry<'a>>,
}

#[derive(Serialize)]
struct MemberEntry<'a> {
    name: &'a str,
    email: &'a str,
}

pub fn signing_groups_file(groups: &[&SigningGroup]) -> Result<String, SerializeError> {
    let entries = groups.iter().map(|group| {
        Entry::new(
            &SigningGroupEntry {
                name: &group.name,
                email: group.email.as_deref(),
                // Keyed by email: sorted by email, whatever its letter case.
                members: group
                    .members
                    .values()
                    .map(|member| MemberEntry {
                        name: &member.name,
                        email: &member.email,
                    })
                    .collect(),
            },
            Vec::new(),
        )
    });
    list_file(
        "signing-groups.yaml",
        &[
            "Signing groups: senders address the group, and whichever member signs first",
            "completes the envelope. DocuSign allows at most 50 signing groups per",
            "account and 50 members per group. Members are matched by email.",
        ],
        "signing_groups",
        entries,
    )
}

/// What a user file's header says, and the users in it.
pub struct UserFile<'s, 'a> {
    pub path: String,
    /// The team group the file is named after; `None` for users with no team.
    pub group: Option<&'a str>,
    pub users: Vec<&'s SelectedUser<'a>>,
}

/// The users split by their team (see [`Teams`]), each file's users in email order; users
/// with none go to [`NO_GROUP_FILE`]. Files in path order.
pub fn split_users<'s, 'a>(selection: &'s Selection<'a>) -> Vec<UserFile<'s, 'a>> {
    let teams = Teams::of(selection);
    let paths = file_paths(&selection.groups);
    let mut files: BTreeMap<String, UserFile<'s, 'a>> = BTreeMap::new();
    for selected in &selection.users {
        let team = teams.team_of(selected);
        let path = team
            .and_then(|name| paths.get(&NameKey::new(name)).cloned())
            .unwrap_or_else(|| NO_GROUP_FILE.to_owned());
        files
            .entry(path.clone())
            .or_insert_with(|| UserFile {
                path,
                group: team,
                users: Vec::new(),
            })
            .users
            .push(selected);
    }
    files.into_values().collect()
}

/// `users/<slug>.yaml` for each declared group; slugs unique, `no-group` kept for the rest.
fn file_paths(groups: &[&Group]) -> HashMap<NameKey, String> {
    let mut taken: HashSet<String> = HashSet::from(["no-group".to_owned()]);
    let mut paths = HashMap::new();
    for group in groups {
        let base = slug(&group.name);
        let mut candidate = base.clone();
        let mut n = 2;
        while !taken.insert(candidate.clone()) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        paths.insert(NameKey::new(&group.name), format!("users/{candidate}.yaml"));
    }
    paths
}

pub fn users_file(
    users: &UserFile<'_, '_>,
    integration_user: Option<&EmailKey>,
) -> Result<String, SerializeError> {
    let entries = users.users.iter().map(|selected| {
        let user = selected.user;
        let mut comments = Vec::new();
        if integration_user.is_some_and(|key| *key == EmailKey::new(&user.email)) {
            comments.extend([
                "The integration user: import ran with its token. Plan and apply never".to_owned(),
                "close it, change its profile or take it out of Administrators.".to_owned(),
            ]);
        }
        if user.status == UserStatus::Disabled {
            comments.extend([
                "DocuSign shows this user as disabled. The API can't re-enable it; do".to_owned(),
                "that in DocuSign's admin pages (each plan reports it until then).".to_owned(),
            ]);
        }
        if user.managed_by_scim {
            comments.extend([
                "An identity provider manages this user (SCIM): plan and apply leave its"
                    .to_owned(),
                "status, names and job title alone; change those there.".to_owned(),
            ]);
        }
        if user.membership_managed_by_scim {
            comments.extend([
                "An identity provider manages this user's group memberships (SCIM): plan"
                    .to_owned(),
                "and apply leave them alone; change them there.".to_owned(),
            ]);
        }
        Entry::new(
            &UserYaml {
                groups: FlowSeq(selected.groups.clone()),
                ..UserYaml::of(user)
            },
            comments,
        )
    });
    let about = users.group.map_or_else(
        || {
            [
                "Users with no team: in no custom group (Administrators and Everyone aside),"
                    .to_owned(),
                "or only in groups nobody has as their only group (approvers and the like)."
                    .to_owned(),
            ]
        },
        |group| {
            [
                format!(
                    "The `{}` team: of each user's groups, the one that carries their",
                    comment_text(group)
                ),
                "permission profile, else the one the most people have as their only group."
                    .to_owned(),
            ]
        },
    );
    list_file(
        &users.path,
        &[
            &about[0],
            &about[1],
            "Each user names its permission profile; `groups` lists every group it is",
            "in, Administrators included (Everyone holds every user, so it is never",
            "listed). A user who moves team can stay in this file.",
        ],
        "users",
        entries,
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::{Entry, UserYaml};
    use crate::desired::write::list;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Users {
        users: Vec<User>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct User {
        email: String,
        first_name: String,
        last_name: String,
        job_title: Option<String>,
        permission_profile: String,
        #[serde(default)]
        groups: Vec<String>,
    }

    /// Any characters, with YAML's special ones, white space and line breaks made common.
    fn text() -> impl Strategy<Value = String> {
        let special = proptest::sample::select(vec![
            ' ', ':', '#', '\'', '"', '\\', '\n', '\r', '\t', '\0', '-', '[', ']', '{', '}', ',',
            '&', '*', '!', '|', '>', '%', '@', '`', '?', '~', '\u{85}', '\u{2028}', '\u{feff}',
            'é', '日',
        ]);
        proptest::collection::vec(prop_oneof![any::<char>(), special], 0..24)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the text (padding, quotes, `#`, `:`, line breaks, control characters, any
        /// script), the laid-out list reads back as the values written, and no comment
        /// leaks into the data.
        #[test]
        fn any_text_reads_back_as_written(
            texts in proptest::collection::vec(text(), 5),
            groups in proptest::collection::vec(text(), 0..4),
            comment in text(),
        ) {
            let written = crate::model::User {
                id: None,
                email: texts[0].clone(),
                first_name: texts[1].clone(),
                last_name: texts[2].clone(),
                job_title: Some(texts[3].clone()),
                permission_profile: texts[4].clone(),
                groups: groups.into_iter().collect(),
                status: crate::model::UserStatus::Active,
                managed_by_scim: false,
                membership_managed_by_scim: false,
            };
            // What reads back: the user's fields, the groups in the order they are written.
            let expected = User {
                email: written.email.clone(),
                first_name: written.first_name.clone(),
                last_name: written.last_name.clone(),
                job_title: written.job_title.clone(),
                permission_profile: written.permission_profile.clone(),
                groups: written.groups.iter().cloned().collect(),
            };
            let entry = |user: &crate::model::User| {
                Entry::new(
                    &UserYaml::of(user),
                    vec![comment.clone(), format!("{comment}\nusers: []")],
                )
                .expect("serde-saphyr writes any string")
            };
            let text = list("users", &[entry(&written), entry(&written)]);
            let read: Users = serde_saphyr::from_str(&text)
                .map_err(|err| TestCaseError::fail(format!("{err}\n{text}")))?;
            prop_assert_eq!(read.users.len(), 2, "{}", text);
            prop_assert_eq!(&read.users[0], &expected, "{}", text);
            prop_assert_eq!(&read.users[1], &expected, "{}", text);
        }
    }
}
