//! Semantic checks across every file (stage 0 → stage 1): duplicates, references, DocuSign's
//! rules and limits. Every problem is collected; none stops the others from being found.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use serde_saphyr::{Location, Spanned};

use super::checked::{AccountRef, Desired, Limits, Policy};
use super::document::{
    Document, GroupEntry, LimitsSection, PolicySection, ProfileEntry, SigningGroupEntry, UserEntry,
    UserStatusValue,
};
use super::files::SourceFile;
use super::problem::{Problem, Source};
use super::suggest;
use super::syntax::{is_email, is_guid, parse_limit};
use super::values::{ProfileSettings, SettingValue};
use crate::model::profile_settings::{self, SettingKind};
use crate::model::{
    Account, BuiltinGroup, BuiltinProfile, EmailKey, Group, NameKey, PermissionProfile,
    SigningGroup, SigningGroupMember, User, UserStatus,
};

/// DocuSign allows at most 50 signing groups per account.
pub const MAX_SIGNING_GROUPS: usize = 50;
/// DocuSign allows at most 50 members per signing group.
pub const MAX_SIGNING_GROUP_MEMBERS: usize = 50;
/// DocuSign caps a signing-group member's name at 100 characters.
const MAX_MEMBER_NAME_CHARS: usize = 100;

/// What validation found: the checked desired state when nothing is wrong, and every
/// problem (errors and warnings) in file order.
#[derive(Debug)]
pub struct Outcome {
    pub desired: Option<Desired>,
    pub problems: Vec<Problem>,
    /// How many files were read.
    pub files: usize,
    /// False when a file could not be read or parsed: references were then not judged.
    pub references_checked: bool,
}

/// Checks the parsed files together. `complete` is false when some file failed to parse: its
/// declarations are unknown, so references that might point into it are not reported.
#[must_use]
pub fn validate(parsed: &[(SourceFile, Document)], complete: bool) -> Outcome {
    let mut checker = Checker {
        complete,
        problems: Vec::new(),
        singletons: HashMap::new(),
        profiles: HashMap::new(),
        profile_renames: HashMap::new(),
        groups: HashMap::new(),
        group_renames: HashMap::new(),
        signing_groups: HashMap::new(),
        signing_group_renames: HashMap::new(),
        users: HashMap::new(),
        group_profiles: HashMap::new(),
    };
    let mut state = Account::default();
    // Profiles and groups first: users, groups and defaults refer to them.
    let (account, policy) = checker.sections(parsed);
    checker.declare_profiles_and_groups(parsed, &mut state);
    checker.check_renames(Kind::Profile);
    checker.check_renames(Kind::Group);
    let default_profile = checker.resolve_profile_references(parsed, &mut state);
    checker.declare_signing_groups(parsed, &mut state);
    checker.check_renames(Kind::SigningGroup);
    checker.declare_users(parsed, &default_profile, &mut state);

    let Checker { problems, .. } = checker;
    let failed = problems
        .iter()
        .any(|problem| problem.level() == super::problem::Level::Error);
    let desired = (!failed && complete).then_some(Desired {
        account,
        default_profile,
        policy,
        state,
    });
    Outcome {
        desired,
        problems,
        files: parsed.len(),
        references_checked: complete,
    }
}

/// Where something was declared.
#[derive(Clone)]
struct Place<'a> {
    source: &'a Source,
    location: Location,
}

/// A named object's first declaration.
struct Declared<'a> {
    name: String,
    place: Place<'a>,
}

/// An earlier name (`previously`) and the object that claims it.
struct Rename<'a> {
    old: String,
    current: String,
    place: Place<'a>,
}

struct Checker<'a> {
    complete: bool,
    problems: Vec<Problem>,
    singletons: HashMap<&'static str, Place<'a>>,
    profiles: HashMap<NameKey, Declared<'a>>,
    profile_renames: HashMap<NameKey, Rename<'a>>,
    groups: HashMap<NameKey, Declared<'a>>,
    group_renames: HashMap<NameKey, Rename<'a>>,
    signing_groups: HashMap<NameKey, Declared<'a>>,
    signing_group_renames: HashMap<NameKey, Rename<'a>>,
    users: HashMap<EmailKey, Place<'a>>,
    /// Group key → the profile it carries, for the "differs from the group's profile" warning.
    group_profiles: HashMap<NameKey, String>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// The sections that may appear once: `account`, `defaults`, `policy`.
    fn sections(&mut self, parsed: &'a [(SourceFile, Document)]) -> (Option<AccountRef>, Policy) {
        let mut account = None;
        let mut policy = Policy::default();
        for (file, document) in parsed {
            let source = &file.source;
            if let Some(section) = &document.account
                && self.first_of("account", source, section)
            {
                account = self.account(source, &section.value);
            }
            if let Some(section) = &document.defaults {
                self.first_of("defaults", source, section);
            }
            if let Some(section) = &document.policy
                && self.first_of("policy", source, section)
            {
                policy = self.policy(source, &section.value);
            }
        }
        (account, policy)
    }

    fn declare_profiles_and_groups(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
        state: &mut Account,
    ) {
        for (file, document) in parsed {
            for entry in document.permission_profiles.iter().flatten() {
                if let Some(profile) = self.declare_profile(&file.source, entry) {
                    state
                        .permission_profiles
                        .insert(NameKey::new(&profile.name), profile);
                }
            }
            for entry in document.groups.iter().flatten() {
                if let Some(group) = self.declare_group(&file.source, entry) {
                    state.groups.insert(NameKey::new(&group.name), group);
                }
            }
        }
    }

    /// Resolves the profiles that groups carry and the default profile, which it returns.
    fn resolve_profile_references(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
        state: &mut Account,
    ) -> String {
        let mut default_profile = None;
        for (file, document) in parsed {
            let source = &file.source;
            if let Some(reference) = document
                .defaults
                .as_ref()
                .and_then(|defaults| defaults.value.permission_profile.as_ref())
            {
                default_profile = self.resolve_profile(source, reference);
            }
            for entry in document.groups.iter().flatten() {
                let key = NameKey::new(&entry.name.value);
                let profile = entry
                    .permission_profile
                    .as_ref()
                    .and_then(|reference| self.resolve_profile(source, reference));
                if let (Some(group), Some(profile)) = (state.groups.get_mut(&key), profile) {
                    self.group_profiles.insert(key, profile.clone());
                    group.permission_profile = Some(profile);
                }
            }
        }
        default_profile.unwrap_or_else(|| BuiltinProfile::DocuSignViewer.api_name().to_owned())
    }

    fn declare_signing_groups(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
        state: &mut Account,
    ) {
        let mut count = 0;
        for (file, document) in parsed {
            let source = &file.source;
            for entry in document.signing_groups.iter().flatten() {
                count += 1;
                if count == MAX_SIGNING_GROUPS + 1 {
                    self.push(
                        Problem::error(
                            "desired::too_many_signing_groups",
                            format!("more than {MAX_SIGNING_GROUPS} signing groups are declared"),
                        )
                        .at_location(source, &entry.name.referenced, "the 51st signing group")
                        .help(format!("DocuSign allows at most {MAX_SIGNING_GROUPS} signing groups per account; merge or remove some")),
                    );
                }
                if let Some(group) = self.declare_signing_group(source, entry) {
                    state
                        .signing_groups
                        .insert(NameKey::new(&group.name), group);
                }
            }
        }
    }

    fn declare_users(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
        default_profile: &str,
        state: &mut Account,
    ) {
        for (file, document) in parsed {
            for entry in document.users.iter().flatten() {
                if let Some(user) = self.declare_user(&file.source, entry, default_profile) {
                    state.users.insert(EmailKey::new(&user.email), user);
                }
            }
        }
    }

    /// Records a section that may appear once; false (and a problem) when it appeared before.
    fn first_of<T>(&mut self, key: &'static str, source: &'a Source, section: &Spanned<T>) -> bool {
        let place = Place {
            source,
            location: section.referenced,
        };
        match self.singletons.entry(key) {
            Entry::Vacant(vacant) => {
                vacant.insert(place);
                true
            }
            Entry::Occupied(first) => {
                let first = first.get().clone();
                self.push(
                    Problem::error(
                        "desired::duplicate_section",
                        format!("`{key}` is declared more than once"),
                    )
                    .at_location(
                        source,
                        &section.referenced,
                        format!("a second `{key}` section"),
                    )
                    .also_at(
                        first.source,
                        &first.location,
                        format!("`{key}` is first declared here"),
                    )
                    .help(format!("keep one `{key}` section across all files")),
                );
                false
            }
        }
    }

    fn account(
        &mut self,
        source: &'a Source,
        section: &super::document::AccountSection,
    ) -> Option<AccountRef> {
        let id = section.id.value.trim();
        if !is_guid(id) {
            self.push(
                Problem::error("desired::invalid_account_id", format!("`{id}` is not an account GUID"))
                    .at_location(source, &section.id.referenced, "not a GUID")
                    .help("use the API Account ID from DocuSign's Apps and Keys page, e.g. `0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5f` (not the short account number)"),
            );
            return None;
        }
        Some(AccountRef {
            id: id.to_lowercase(),
            environment: section.environment.value,
        })
    }

    fn policy(&mut self, source: &'a Source, section: &PolicySection) -> Policy {
        let limits = section
            .limits
            .as_ref()
            .map_or_else(Limits::default, |limits| {
                let LimitsSection {
                    user_closures,
                    membership_removals,
                    admin_grants,
                } = limits;
                Limits {
                    user_closures: self.limit(source, user_closures.as_ref()),
                    membership_removals: self.limit(source, membership_removals.as_ref()),
                    admin_grants: self.limit(source, admin_grants.as_ref()),
                }
            });
        let mut protected_users = std::collections::BTreeSet::new();
        for email in section.protected_users.iter().flatten() {
            if self.email(source, email, "protected user") {
                protected_users.insert(EmailKey::new(&email.value));
            }
        }
        Policy {
            unmanaged_users: section
                .unmanaged_users
                .as_ref()
                .map(|value| value.value)
                .unwrap_or_default(),
            limits,
            protected_users,
        }
    }

    fn limit(
        &mut self,
        source: &'a Source,
        value: Option<&Spanned<super::values::LimitValue>>,
    ) -> Option<super::syntax::Limit> {
        let value = value?;
        match parse_limit(&value.value) {
            Ok(limit) => Some(limit),
            Err(reason) => {
                self.push(
                    Problem::error("desired::invalid_limit", "this limit is not a count or a percent")
                        .at_location(source, &value.referenced, reason)
                        .help(r#"write a count such as `10` or a percent of the live figure such as `"5%"`"#),
                );
                None
            }
        }
    }

    /// Checks an email; false (with a problem) when it is malformed.
    fn email(&mut self, source: &'a Source, email: &Spanned<String>, what: &str) -> bool {
        if is_email(email.value.trim()) && email.value.trim() == email.value {
            return true;
        }
        self.push(
            Problem::error(
                "desired::invalid_email",
                format!("`{}` is not a valid email address", email.value),
            )
            .at_location(source, &email.referenced, format!("{what} email"))
            .help("write it as `name@example.com`, without spaces"),
        );
        false
    }

    /// Checks a name's form; false (with a problem) when it is empty or padded.
    fn name(&mut self, source: &'a Source, name: &Spanned<String>, what: &str) -> bool {
        let problem = if name.value.trim().is_empty() {
            Problem::error("desired::empty_name", format!("the {what} name is empty"))
                .help(format!("give the {what} a name"))
        } else if name.value.trim() != name.value {
            Problem::error(
                "desired::padded_name",
                format!(
                    "the {what} name `{}` starts or ends with spaces",
                    name.value
                ),
            )
            .help("DocuSign trims names, so the plan would never settle; remove the spaces")
        } else {
            return true;
        };
        self.push(problem.at_location(source, &name.referenced, "this name"));
        false
    }

    /// Records a declaration of a named object; false (with a problem) for a duplicate.
    fn declare(
        problems: &mut Vec<Problem>,
        declared: &mut HashMap<NameKey, Declared<'a>>,
        source: &'a Source,
        name: &Spanned<String>,
        what: &str,
    ) -> bool {
        match declared.entry(NameKey::new(&name.value)) {
            Entry::Vacant(vacant) => {
                vacant.insert(Declared {
                    name: name.value.clone(),
                    place: Place {
                        source,
                        location: name.referenced,
                    },
                });
                true
            }
            Entry::Occupied(first) => {
                let first = first.get();
                problems.push(
                    Problem::error(
                        "desired::duplicate",
                        format!("the {what} `{}` is declared more than once", name.value),
                    )
                    .at_location(source, &name.referenced, "declared again here")
                    .also_at(first.place.source, &first.place.location, format!("`{}` is first declared here", first.name))
                    .help(format!("{what} names are unique in an account, whatever their letter case; remove or rename one")),
                );
                false
            }
        }
    }

    /// Records `previously` names; built-ins can't be renamed.
    fn renames(
        &mut self,
        source: &'a Source,
        current: &str,
        previously: Option<&Vec<Spanned<String>>>,
        kind: Kind,
    ) {
        for old in previously.into_iter().flatten() {
            if !self.name(source, old, &format!("previous {}", kind.noun())) {
                continue;
            }
            if kind.is_builtin(&old.value) {
                self.push(
                    Problem::error(
                        "desired::builtin_rename",
                        format!(
                            "`{}` is a built-in {} and can't be renamed",
                            old.value,
                            kind.noun()
                        ),
                    )
                    .at_location(source, &old.referenced, "built-in")
                    .help(format!(
                        "remove it from `previously`; declare a new {} instead",
                        kind.noun()
                    )),
                );
                continue;
            }
            let rename = Rename {
                old: old.value.clone(),
                current: current.to_owned(),
                place: Place {
                    source,
                    location: old.referenced,
                },
            };
            let renames = match kind {
                Kind::Profile => &mut self.profile_renames,
                Kind::Group => &mut self.group_renames,
                Kind::SigningGroup => &mut self.signing_group_renames,
            };
            match renames.entry(NameKey::new(&old.value)) {
                Entry::Vacant(vacant) => {
                    vacant.insert(rename);
                }
                Entry::Occupied(first) => {
                    let first = first.get();
                    let problem = Problem::error(
                        "desired::ambiguous_rename",
                        format!(
                            "`{}` is listed as a previous name of both `{}` and `{}`",
                            old.value, first.current, current
                        ),
                    )
                    .at_location(source, &old.referenced, "claimed again here")
                    .also_at(first.place.source, &first.place.location, format!("first claimed by `{}` here", first.current))
                    .help("an earlier name belongs to one object; remove it from one `previously` list");
                    self.problems.push(problem);
                }
            }
        }
    }

    /// A previous name that is also a current name would make the plan ambiguous.
    fn check_renames(&mut self, kind: Kind) {
        let (renames, declared) = match kind {
            Kind::Profile => (&self.profile_renames, &self.profiles),
            Kind::Group => (&self.group_renames, &self.groups),
            Kind::SigningGroup => (&self.signing_group_renames, &self.signing_groups),
        };
        let mut found = Vec::new();
        for (key, rename) in renames {
            if let Some(declared) = declared.get(key) {
                found.push(
                    Problem::error(
                        "desired::rename_collision",
                        format!(
                            "`{}` is a previous name of `{}` but is also declared as a {}",
                            rename.old,
                            rename.current,
                            kind.noun()
                        ),
                    )
                    .at_location(rename.place.source, &rename.place.location, "previous name")
                    .also_at(declared.place.source, &declared.place.location, format!("`{}` is declared here", declared.name))
                    .help("a name is either current or previous; remove it from `previously` or rename the other object"),
                );
            }
        }
        self.problems.extend(found);
    }

    fn declare_profile(
        &mut self,
        source: &'a Source,
        entry: &ProfileEntry,
    ) -> Option<PermissionProfile> {
        if !self.name(source, &entry.name, "permission profile") {
            return None;
        }
        let fresh = Self::declare(
            &mut self.problems,
            &mut self.profiles,
            source,
            &entry.name,
            "permission profile",
        );
        let builtin = BuiltinProfile::from_name(&entry.name.value);
        if let Some(builtin) = builtin {
            if let Some(settings) = entry
                .settings
                .as_ref()
                .filter(|settings| !settings.0.is_empty())
            {
                let first_key = &settings.0[0].0;
                self.push(
                    Problem::error(
                        "desired::builtin_profile_settings",
                        format!(
                            "`{}` is a built-in profile; its settings can't be changed",
                            builtin.api_name()
                        ),
                    )
                    .at_location(
                        source,
                        &first_key.referenced,
                        "settings of a built-in profile",
                    )
                    .help(format!(
                        "copy it under a new name (e.g. `{} (custom)`) and give users that one",
                        builtin.api_name()
                    )),
                );
            }
            if let Some(old) = entry.previously.iter().flatten().next() {
                self.push(
                    Problem::error(
                        "desired::builtin_rename",
                        format!(
                            "`{}` is a built-in profile and can't be renamed",
                            builtin.api_name()
                        ),
                    )
                    .at_location(source, &old.referenced, "rename of a built-in")
                    .help("remove `previously`; declare a new profile instead"),
                );
            }
            // Built-ins always exist and are never managed: nothing to put in the model.
            return None;
        }
        self.renames(
            source,
            &entry.name.value,
            entry.previously.as_ref(),
            Kind::Profile,
        );
        let settings = entry
            .settings
            .as_ref()
            .map(|settings| self.settings(source, settings))
            .unwrap_or_default();
        fresh.then(|| PermissionProfile {
            name: entry.name.value.clone(),
            settings,
            previously: names(entry.previously.as_ref()),
        })
    }

    /// Checks each setting against the catalogue and writes it as DocuSign sends it.
    fn settings(
        &mut self,
        source: &'a Source,
        settings: &ProfileSettings,
    ) -> BTreeMap<String, String> {
        let mut normalized = BTreeMap::new();
        for (key, value) in &settings.0 {
            let Some(spec) = profile_settings::setting(&key.value) else {
                let known: Vec<&str> = profile_settings::SETTINGS
                    .iter()
                    .map(|spec| spec.key)
                    .collect();
                self.push(
                    Problem::error(
                        "desired::unknown_setting",
                        format!("`{}` is not a DocuSign permission-profile setting", key.value),
                    )
                    .at_location(source, &key.referenced, "unknown setting")
                    .help(match suggest::closest(&key.value, known.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`? Setting names are DocuSign's `accountRoleSettings` keys"),
                        None => "use DocuSign's `accountRoleSettings` keys; `docusign-gitops schema` lists them".to_owned(),
                    }),
                );
                continue;
            };
            let text = match (&value.value, spec.kind) {
                (SettingValue::Bool(flag), SettingKind::Boolean | SettingKind::Text) => {
                    Some(flag.to_string())
                }
                (SettingValue::Text(text), SettingKind::Boolean) => {
                    let lower = text.trim().to_ascii_lowercase();
                    (lower == "true" || lower == "false").then_some(lower)
                }
                (SettingValue::Text(text), SettingKind::OneOf(allowed)) => {
                    allowed.contains(&text.as_str()).then(|| text.clone())
                }
                (SettingValue::Text(text), SettingKind::Text) => Some(text.clone()),
                (SettingValue::Bool(_), SettingKind::OneOf(_)) => None,
            };
            if let Some(text) = text {
                normalized.insert(spec.key.to_owned(), text);
                continue;
            }
            let shown = match &value.value {
                SettingValue::Bool(flag) => flag.to_string(),
                SettingValue::Text(text) => text.clone(),
            };
            let help = match spec.kind {
                SettingKind::Boolean => format!("`{}` takes `true` or `false`", spec.key),
                SettingKind::OneOf(allowed) => {
                    let hint = suggest::did_you_mean(&shown, allowed, "value");
                    format!(
                        "`{}` takes one of {}; {hint}",
                        spec.key,
                        backticked(allowed)
                    )
                }
                // Free text never fails the match above.
                SettingKind::Text => String::new(),
            };
            self.push(
                Problem::error(
                    "desired::invalid_setting_value",
                    format!("`{shown}` is not a valid value for `{}`", spec.key),
                )
                .at_location(source, &value.referenced, "invalid value")
                .help(help),
            );
        }
        normalized
    }

    fn declare_group(&mut self, source: &'a Source, entry: &GroupEntry) -> Option<Group> {
        if !self.name(source, &entry.name, "group") {
            return None;
        }
        let fresh = Self::declare(
            &mut self.problems,
            &mut self.groups,
            source,
            &entry.name,
            "group",
        );
        if let Some(builtin) = BuiltinGroup::from_name(&entry.name.value) {
            let edit = entry
                .permission_profile
                .as_ref()
                .map(|profile| (profile, "a permission profile on"))
                .or_else(|| {
                    entry
                        .previously
                        .iter()
                        .flatten()
                        .next()
                        .map(|old| (old, "a rename of"))
                });
            if let Some((value, what)) = edit {
                self.push(
                    Problem::error(
                        "desired::builtin_group_edit",
                        format!("`{}` is a built-in group and can't be edited", builtin.api_name()),
                    )
                    .at_location(source, &value.referenced, format!("{what} a built-in group"))
                    .help("DocuSign doesn't allow editing Everyone or Administrators; remove this, or use a group of your own"),
                );
            }
            return None;
        }
        self.renames(
            source,
            &entry.name.value,
            entry.previously.as_ref(),
            Kind::Group,
        );
        fresh.then(|| Group {
            name: entry.name.value.clone(),
            permission_profile: None,
            previously: names(entry.previously.as_ref()),
        })
    }

    fn declare_signing_group(
        &mut self,
        source: &'a Source,
        entry: &SigningGroupEntry,
    ) -> Option<SigningGroup> {
        if !self.name(source, &entry.name, "signing group") {
            return None;
        }
        let fresh = Self::declare(
            &mut self.problems,
            &mut self.signing_groups,
            source,
            &entry.name,
            "signing group",
        );
        self.renames(
            source,
            &entry.name.value,
            entry.previously.as_ref(),
            Kind::SigningGroup,
        );
        let email = entry
            .email
            .as_ref()
            .filter(|email| self.email(source, email, "signing group"));
        let members_written = entry.members.as_deref().unwrap_or_default();
        if members_written.len() > MAX_SIGNING_GROUP_MEMBERS {
            self.push(
                Problem::error(
                    "desired::too_many_members",
                    format!(
                        "the signing group `{}` has {} members; DocuSign allows at most {MAX_SIGNING_GROUP_MEMBERS}",
                        entry.name.value,
                        members_written.len()
                    ),
                )
                .at_location(source, &entry.name.referenced, "this signing group")
                .help("split it into several signing groups"),
            );
        }
        let mut members = BTreeMap::new();
        let mut seen: HashMap<EmailKey, Location> = HashMap::new();
        for member in members_written {
            let name_ok = self.name(source, &member.name, "signing-group member");
            if name_ok && member.name.value.chars().count() > MAX_MEMBER_NAME_CHARS {
                self.push(
                    Problem::error(
                        "desired::name_too_long",
                        "a signing-group member's name is at most 100 characters",
                    )
                    .at_location(source, &member.name.referenced, "too long")
                    .help("shorten the name"),
                );
            }
            if !self.email(source, &member.email, "signing-group member") {
                continue;
            }
            let key = EmailKey::new(&member.email.value);
            if let Some(first) = seen.get(&key) {
                self.push(
                    Problem::error(
                        "desired::duplicate_member",
                        format!(
                            "`{}` is listed twice in the signing group `{}`",
                            member.email.value, entry.name.value
                        ),
                    )
                    .at_location(source, &member.email.referenced, "listed again here")
                    .also_at(source, first, "first listed here")
                    .help("remove one of them"),
                );
                continue;
            }
            seen.insert(key.clone(), member.email.referenced);
            members.insert(
                key,
                SigningGroupMember {
                    name: member.name.value.clone(),
                    email: member.email.value.clone(),
                },
            );
        }
        fresh.then(|| SigningGroup {
            name: entry.name.value.clone(),
            email: email.map(|email| email.value.clone()),
            members,
            previously: names(entry.previously.as_ref()),
        })
    }

    fn declare_user(
        &mut self,
        source: &'a Source,
        entry: &UserEntry,
        default_profile: &str,
    ) -> Option<User> {
        let mut ok = self.email(source, &entry.email, "user");
        if ok {
            match self.users.entry(EmailKey::new(&entry.email.value)) {
                Entry::Vacant(vacant) => {
                    vacant.insert(Place {
                        source,
                        location: entry.email.referenced,
                    });
                }
                Entry::Occupied(first) => {
                    let first = first.get().clone();
                    self.push(
                        Problem::error(
                            "desired::duplicate",
                            format!(
                                "the user `{}` is declared more than once",
                                entry.email.value
                            ),
                        )
                        .at_location(source, &entry.email.referenced, "declared again here")
                        .also_at(first.source, &first.location, "first declared here")
                        .help("emails identify users, whatever their letter case; keep one entry"),
                    );
                    ok = false;
                }
            }
        }
        ok &= self.name(source, &entry.first_name, "first");
        ok &= self.name(source, &entry.last_name, "last");
        let profile = match &entry.permission_profile {
            Some(reference) => self.resolve_profile(source, reference),
            None => Some(default_profile.to_owned()),
        };
        let mut groups = std::collections::BTreeSet::new();
        let mut seen: HashMap<NameKey, Location> = HashMap::new();
        for reference in entry.groups.iter().flatten() {
            let key = NameKey::new(&reference.value);
            if let Some(first) = seen.get(&key) {
                self.push(
                    Problem::error(
                        "desired::duplicate_membership",
                        format!(
                            "the group `{}` is listed twice for `{}`",
                            reference.value, entry.email.value
                        ),
                    )
                    .at_location(source, &reference.referenced, "listed again here")
                    .also_at(source, first, "first listed here")
                    .help("remove one of them"),
                );
                continue;
            }
            seen.insert(key.clone(), reference.referenced);
            let Some(group) = self.resolve_group(source, reference) else {
                continue;
            };
            if let (Some(profile), Some(group_profile)) = (&profile, self.group_profiles.get(&key))
                && NameKey::new(profile) != NameKey::new(group_profile)
            {
                let warning = Problem::warning(
                    "desired::profile_differs_from_group",
                    format!(
                        "`{}` holds `{profile}`, but the group `{group}` carries `{group_profile}`",
                        entry.email.value
                    ),
                )
                .at_location(source, &reference.referenced, "group with another profile")
                .help(format!(
                    "DocuSign may give members the group's profile when they join; apply writes the user's own profile last, so `{profile}` is what they end with. Make the two agree to be sure"
                ));
                self.push(warning);
            }
            groups.insert(group);
        }
        let profile = profile?;
        ok.then(|| User {
            email: entry.email.value.clone(),
            first_name: entry.first_name.value.clone(),
            last_name: entry.last_name.value.clone(),
            job_title: entry.job_title.as_ref().map(|title| title.value.clone()),
            permission_profile: profile,
            groups,
            status: match entry.status.as_ref().map(|status| status.value) {
                Some(UserStatusValue::Closed) => UserStatus::Closed,
                Some(UserStatusValue::Active) | None => UserStatus::Active,
            },
        })
    }

    /// The canonical name of a referenced profile, or a problem saying what is wrong.
    fn resolve_profile(
        &mut self,
        source: &'a Source,
        reference: &Spanned<String>,
    ) -> Option<String> {
        let key = NameKey::new(&reference.value);
        if let Some(declared) = self.profiles.get(&key) {
            return Some(BuiltinProfile::from_name(&declared.name).map_or_else(
                || declared.name.clone(),
                |builtin| builtin.api_name().to_owned(),
            ));
        }
        if let Some(builtin) = BuiltinProfile::from_name(&reference.value) {
            return Some(builtin.api_name().to_owned());
        }
        let problem = if let Some(rename) = self.profile_renames.get(&key) {
            Problem::error(
                "desired::renamed_reference",
                format!(
                    "the permission profile `{}` has been renamed to `{}`",
                    reference.value, rename.current
                ),
            )
            .help(format!("refer to it as `{}`", rename.current))
        } else if !self.complete {
            return None;
        } else {
            let mut candidates: Vec<&str> = self
                .profiles
                .values()
                .map(|declared| declared.name.as_str())
                .collect();
            candidates.sort_unstable();
            candidates.extend(BuiltinProfile::ALL.iter().map(|builtin| builtin.api_name()));
            Problem::error(
                "desired::unknown_profile",
                format!("unknown permission profile `{}`", reference.value),
            )
            .help(format!(
                "{} Declare it under `permission_profiles`, or use a built-in one (Account Administrator, DocuSign Sender, DocuSign Viewer)",
                capitalized(&suggest::did_you_mean(&reference.value, &candidates, "permission profile"))
            ))
        };
        self.push(problem.at_location(source, &reference.referenced, "no such permission profile"));
        None
    }

    /// The canonical name of a group a user is put in, or a problem saying what is wrong.
    fn resolve_group(&mut self, source: &'a Source, reference: &Spanned<String>) -> Option<String> {
        let key = NameKey::new(&reference.value);
        match BuiltinGroup::from_name(&reference.value) {
            Some(BuiltinGroup::Everyone) => {
                self.push(
                    Problem::error(
                        "desired::everyone_membership",
                        "users can't be put in the group `Everyone`",
                    )
                    .at_location(source, &reference.referenced, "built-in group")
                    .help("every user is in Everyone automatically; remove it from `groups`"),
                );
                return None;
            }
            Some(builtin) => return Some(builtin.api_name().to_owned()),
            None => {}
        }
        if let Some(declared) = self.groups.get(&key) {
            return Some(declared.name.clone());
        }
        let problem = if let Some(rename) = self.group_renames.get(&key) {
            Problem::error(
                "desired::renamed_reference",
                format!(
                    "the group `{}` has been renamed to `{}`",
                    reference.value, rename.current
                ),
            )
            .help(format!("refer to it as `{}`", rename.current))
        } else if !self.complete {
            return None;
        } else {
            let mut candidates: Vec<&str> = self
                .groups
                .values()
                .map(|declared| declared.name.as_str())
                .collect();
            candidates.sort_unstable();
            Problem::error(
                "desired::unknown_group",
                format!("unknown group `{}`", reference.value),
            )
            .help(format!(
                "{} Declare it under `groups`",
                capitalized(&suggest::did_you_mean(
                    &reference.value,
                    &candidates,
                    "group"
                ))
            ))
        };
        self.push(problem.at_location(source, &reference.referenced, "no such group"));
        None
    }
}

/// The three kinds of named object that can be renamed.
#[derive(Clone, Copy)]
enum Kind {
    Profile,
    Group,
    SigningGroup,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Self::Profile => "permission profile",
            Self::Group => "group",
            Self::SigningGroup => "signing group",
        }
    }

    fn is_builtin(self, name: &str) -> bool {
        match self {
            Self::Profile => BuiltinProfile::from_name(name).is_some(),
            Self::Group => BuiltinGroup::from_name(name).is_some(),
            Self::SigningGroup => false,
        }
    }
}

fn names(values: Option<&Vec<Spanned<String>>>) -> Vec<String> {
    values
        .into_iter()
        .flatten()
        .map(|value| value.value.clone())
        .collect()
}

fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalized(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => {
            let rest: String = chars.collect();
            let end = if rest.ends_with('?') || rest.ends_with('.') {
                ""
            } else {
                "."
            };
            format!("{}{rest}{end}", first.to_uppercase())
        }
        None => String::new(),
    }
}
