//! Stage 0: what one desired-state YAML file says, with the source location of every value a
//! later check may need to point at.
//!
//! These types mirror the YAML exactly (snake_case keys, unknown keys rejected). The JSON Schema
//! that editors use is generated from them, so every field's doc comment is user documentation.
//! Reference-bearing fields stay in plain structs: `Spanned` loses its location inside
//! untagged or internally tagged enums and under `flatten`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::Spanned;

use super::values::{LimitValue, ProfileSettings};

/// A key that may be left out but, when written, must have a value: [`Blankable::written`] is
/// `None` when left out, and holds `None` when written with nothing after it (`key:` alone,
/// YAML null), which validation refuses with the line. serde's own `Option` reads both as
/// "left out", so a blank would quietly take the default, which is never what someone who
/// wrote the key meant.
///
/// Such a field needs only `#[serde(default)]` (for when it is left out). Its schema is the
/// value's own; having no `Serialize`, it shows no `"default"`, which an editor would offer as
/// a value.
#[derive(Clone, Debug)]
pub struct Blankable<T>(Option<Spanned<Option<T>>>);

impl<T> Blankable<T> {
    /// The key as written (its value `None` when blank), or `None` when left out.
    #[must_use]
    pub fn written(&self) -> Option<&Spanned<Option<T>>> {
        self.0.as_ref()
    }
}

impl<T> Default for Blankable<T> {
    fn default() -> Self {
        Self(None)
    }
}

/// A key that is there, blank or not (one left out never gets here).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Blankable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Spanned::<Option<T>>::deserialize(deserializer).map(|written| Self(Some(written)))
    }
}

impl<T: JsonSchema> JsonSchema for Blankable<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// One desired-state file. Every `*.yaml`/`*.yml` file under the directory is read and merged:
/// `account`, `defaults` and `policy` may each appear in one file only; the lists concatenate.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "docusign-gitops desired state")]
pub struct Document {
    /// The DocuSign eSignature account these files describe.
    #[serde(default)]
    pub account: Blankable<AccountSection>,
    /// Values used where an object leaves a field out.
    #[schemars(with = "Option<DefaultsSection>")]
    pub defaults: Option<Spanned<DefaultsSection>>,
    /// Safety rules for plan and apply.
    #[schemars(with = "Option<PolicySection>")]
    pub policy: Option<Spanned<PolicySection>>,
    /// Permission profiles to manage. Listing none leaves every profile alone.
    pub permission_profiles: Option<Vec<ProfileEntry>>,
    /// User groups to manage. Listing none leaves every group alone.
    pub groups: Option<Vec<GroupEntry>>,
    /// Signing groups to manage. Listing none leaves every signing group alone.
    pub signing_groups: Option<Vec<SigningGroupEntry>>,
    /// Users to manage, keyed by email. Listing none leaves every user alone.
    pub users: Option<Vec<UserEntry>>,
    /// Where `docusign-gitops sync` reads people from (an HR export, LDAP, SCIM) and the rules
    /// that map them; plan and apply never read a directory.
    #[schemars(with = "Option<crate::sync::config::SyncSection>")]
    pub sync: Option<Spanned<crate::sync::config::SyncSection>>,
    /// Only in `workspace.yaml` at the root of a tree of several accounts: the accounts'
    /// folders and the folder of the definitions they share.
    #[schemars(with = "Option<super::workspace::WorkspaceSection>")]
    pub workspace: Option<super::workspace::WorkspaceSection>,
}

impl Document {
    /// The sections a workspace's shared files may hold.
    pub const OBJECT_SECTIONS: [&'static str; 4] =
        ["permission_profiles", "groups", "signing_groups", "users"];

    /// Whether every top-level section the file holds is one of `allowed`.
    #[must_use]
    pub fn holds_only(&self, allowed: &[&str]) -> bool {
        let present = [
            ("account", self.account.written().is_some()),
            ("defaults", self.defaults.is_some()),
            ("policy", self.policy.is_some()),
            ("permission_profiles", self.permission_profiles.is_some()),
            ("groups", self.groups.is_some()),
            ("signing_groups", self.signing_groups.is_some()),
            ("users", self.users.is_some()),
            ("sync", self.sync.is_some()),
            ("workspace", self.workspace.is_some()),
        ];
        present
            .into_iter()
            .all(|(key, here)| !here || allowed.contains(&key))
    }
}

/// The account section.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSection {
    /// The API account ID, a GUID (DocuSign shows it as "API Account ID" under Apps and Keys).
    #[schemars(
        with = "String",
        regex(
            pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        )
    )]
    pub id: Spanned<String>,
    /// Which DocuSign environment the account lives in.
    #[schemars(with = "Environment")]
    pub environment: Spanned<Environment>,
}

/// A DocuSign environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The developer sandbox (auth host `account-d.docusign.com`).
    Demo,
    /// Production (auth host `account.docusign.com`).
    Production,
}

/// The defaults section.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultsSection {
    /// The permission profile of users that name none. When absent: "DocuSign Viewer".
    #[serde(default)]
    pub permission_profile: Blankable<String>,
}

/// The policy section: what plan and apply may do without an explicit override.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// What to do with users that these files never named and that were never managed.
    /// Default: `report`.
    #[serde(default)]
    pub unmanaged_users: Blankable<UnmanagedUsers>,
    /// Most changes of a risky kind one plan may make; a plan over a limit is refused.
    pub limits: Option<LimitsSection>,
    /// Emails of users that plan and apply never change, whatever these files say.
    #[schemars(with = "Option<Vec<String>>")]
    pub protected_users: Option<Vec<Spanned<String>>>,
    /// Known differences `drift` stays quiet about until their date.
    pub accepted_drift: Option<Vec<AcceptedDriftEntry>>,
}

/// One accepted drift: an object whose changes outside git `drift` doesn't report until
/// `until` has passed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedDriftEntry {
    /// The object, as `user:EMAIL`, `group:NAME`, `permission_profile:NAME` or
    /// `signing_group:NAME`.
    #[schemars(with = "String")]
    pub object: Spanned<String>,
    /// Why the difference is accepted (shown in drift reports).
    #[schemars(with = "String")]
    pub reason: Spanned<String>,
    /// The last day (YYYY-MM-DD) the acceptance holds; from the next day drift reports again.
    #[schemars(with = "String")]
    pub until: Spanned<String>,
}

/// What to do with users nobody declared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnmanagedUsers {
    /// Leave them alone and say nothing.
    Ignore,
    /// List them in the plan; change nothing.
    #[default]
    Report,
    /// Give them the default permission profile and take them out of managed groups.
    Reset,
    /// Close them.
    Close,
}

/// Limits per change class. Each is a count (`10`) or a percent of the live figure (`"5%"`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Most users one plan may close.
    #[serde(default)]
    pub user_closures: Blankable<LimitValue>,
    /// Most memberships (groups and signing groups together) one plan may remove.
    #[serde(default)]
    pub membership_removals: Blankable<LimitValue>,
    /// Most grants of an admin-capable permission profile one plan may make.
    #[serde(default)]
    pub admin_grants: Blankable<LimitValue>,
}

/// A permission profile.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileEntry {
    /// The profile's name, unique in the account (letter case aside).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// DocuSign `accountRoleSettings`, spelled as DocuSign spells them. Settings not listed
    /// are left as they are in DocuSign. Not allowed on the built-in profiles.
    pub settings: Option<ProfileSettings>,
    /// Earlier names of this profile, so that renaming it here renames it in DocuSign.
    #[schemars(with = "Option<Vec<String>>")]
    pub previously: Option<Vec<Spanned<String>>>,
}

/// A user group.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// The group's name, unique in the account (letter case aside).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The permission profile the group carries. DocuSign says it "sets the permissions for
    /// users in that group"; `validate` warns when it differs from a member's own profile.
    #[serde(default)]
    pub permission_profile: Blankable<String>,
    /// Earlier names of this group, so that renaming it here renames it in DocuSign.
    #[schemars(with = "Option<Vec<String>>")]
    pub previously: Option<Vec<Spanned<String>>>,
}

/// A signing group (at most 50 per account, 50 members each).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningGroupEntry {
    /// The signing group's name, unique in the account (letter case aside).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The group's shared email address, if it has one.
    #[serde(default)]
    pub email: Blankable<String>,
    /// The members (at most 50), matched by email.
    pub members: Option<Vec<SigningGroupMemberEntry>>,
    /// Earlier names of this signing group, so that renaming it here renames it in DocuSign.
    #[schemars(with = "Option<Vec<String>>")]
    pub previously: Option<Vec<Spanned<String>>>,
}

/// A member of a signing group.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningGroupMemberEntry {
    /// The member's name as shown to senders (at most 100 characters).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The member's email address; it identifies the member.
    #[schemars(with = "String")]
    pub email: Spanned<String>,
}

/// A user.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// The user's email address: the key, compared without regard to letter case.
    #[schemars(with = "String")]
    pub email: Spanned<String>,
    /// Given name.
    #[schemars(with = "String")]
    pub first_name: Spanned<String>,
    /// Family name.
    #[schemars(with = "String")]
    pub last_name: Spanned<String>,
    /// Job title. When absent, DocuSign's is left as it is.
    #[serde(default)]
    pub job_title: Blankable<String>,
    /// The one permission profile the user holds. When absent: `defaults.permission_profile`,
    /// else "DocuSign Viewer".
    #[serde(default)]
    pub permission_profile: Blankable<String>,
    /// Groups the user is in, by name (not Everyone: every user is in it).
    #[schemars(with = "Option<Vec<String>>")]
    pub groups: Option<Vec<Spanned<String>>>,
    /// Signing groups the user is a member of, by name, under the user's first and last name:
    /// the same as listing the user in each signing group's `members`.
    #[schemars(with = "Option<Vec<String>>")]
    pub signing_groups: Option<Vec<Spanned<String>>>,
    /// `active` (the default) or `closed` to keep the user closed.
    #[serde(default)]
    pub status: Blankable<UserStatusValue>,
    /// `true` on a hand-written entry for someone `sync` also writes (under `generated/`):
    /// this entry is the one that counts, and the generated one is ignored.
    #[serde(default)]
    pub overrides_generated: bool,
    /// Written by `sync` on the entries it generates: the source the user came from and the
    /// rules that matched, which `plan` shows beside the user's changes. Never hand-written.
    #[schemars(with = "Option<Provenance>")]
    pub provenance: Option<Spanned<Provenance>>,
}

/// Where `sync` got a generated user.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The name of the `sync` source.
    pub source: String,
    /// The names of the rules that matched the person, in order; none when no rule did.
    #[serde(default)]
    pub rules: Vec<String>,
}

impl Provenance {
    /// "from the directory source hr by the rules sales, legal", each name put through
    /// `quote` (a code span in Markdown, backticks in text).
    pub fn sentence(&self, quote: impl Fn(&str) -> String) -> String {
        let from = format!("from the directory source {}", quote(&self.source));
        match self.rules.as_slice() {
            [] => format!("{from}, no rule matched"),
            [rule] => format!("{from} by the rule {}", quote(rule)),
            rules => {
                let names: Vec<String> = rules.iter().map(|rule| quote(rule)).collect();
                format!("{from} by the rules {}", names.join(", "))
            }
        }
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.sentence(|name| format!("`{name}`")))
    }
}

/// The status a user should have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatusValue {
    /// The user can sign in (or has been invited to).
    Active,
    /// The user is closed and stays closed.
    Closed,
}
