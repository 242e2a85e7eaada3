//! Semantic checks across every file (stage 0 → stage 1): duplicates, references, DocuSign's
//! rules and limits. Every problem is collected; none stops the others from being found.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_saphyr::{Location, Spanned};

mod names;
mod people;
mod profiles;
mod sections;

use super::checked::{AccountRef, Desired, Policy};
use super::document::{Blankable, Document, Provenance};
use super::files::SourceFile;
use super::problem::{Problem, Source};
use crate::model::{Account, BuiltinGroup, BuiltinProfile, EmailKey, NameKey};
use crate::sync::rules::Leavers;

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
    /// The digest of the files read from a directory (`None` for files checked in memory):
    /// a saved plan records it, and apply refuses a plan made from other YAML.
    pub digest: Option<String>,
    /// The `sync` section, when one file declares it and it is sound.
    pub sync: Option<crate::sync::config::SyncSection>,
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
        users_widely: HashMap::new(),
        group_profiles: HashMap::new(),
    };
    let mut state = Account::default();
    // Profiles and groups first: users, groups and defaults refer to them.
    let (account, policy) = checker.sections(parsed);
    let sync = checker.sync(parsed);
    checker.declare_profiles_and_groups(parsed, &mut state);
    checker.check_renames(Kind::Profile);
    checker.check_renames(Kind::Group);
    let default_profile = checker.resolve_profile_references(parsed, &mut state);
    checker.declare_signing_groups(parsed, &mut state);
    checker.check_renames(Kind::SigningGroup);
    let generated = checker.declare_users(parsed, &default_profile, &mut state);

    let Checker { problems, .. } = checker;
    let failed = problems
        .iter()
        .any(|problem| problem.level() == super::problem::Level::Error);
    let desired = (!failed && complete).then_some(Desired {
        account,
        default_profile,
        policy,
        state,
        generated,
        leavers_left_out: sync
            .as_ref()
            .is_some_and(|section| section.leavers == Leavers::LeaveOut),
    });
    Outcome {
        desired,
        problems,
        files: parsed.len(),
        references_checked: complete,
        digest: None,
        sync,
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
    /// Users by their email folded the wider (Unicode) way, with the email as written: two that
    /// meet here but not in `users` are ambiguous.
    users_widely: HashMap<String, (String, Place<'a>)>,
    /// Group key → the profile it carries, for the "differs from the group's profile" warning.
    group_profiles: HashMap<NameKey, String>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// The value of a [`Blankable`](super::document::Blankable) key that is written, or
    /// `None` and a problem when it is written blank: `help` says what to write, and that
    /// deleting the line gives the default.
    fn filled<T: Clone>(
        &mut self,
        source: &'a Source,
        written: &Spanned<Option<T>>,
        key: &str,
        help: &str,
    ) -> Option<Spanned<T>> {
        if let Some(value) = &written.value {
            return Some(Spanned::new(
                value.clone(),
                written.referenced,
                written.defined,
            ));
        }
        self.push(
            Problem::error("desired::blank_value", format!("`{key}` has no value"))
                .at_location(source, &written.referenced, "blank")
                .help(help),
        );
        None
    }

    /// [`Self::filled`] for a key that may be left out: `None`, and no problem, when it is.
    fn filled_if_written<T: Clone>(
        &mut self,
        source: &'a Source,
        value: &Blankable<T>,
        key: &str,
        help: &str,
    ) -> Option<Spanned<T>> {
        self.filled(source, value.written()?, key, help)
    }

    /// The sections that may appear once: `account`, `defaults`, `policy`.
    fn sections(&mut self, parsed: &'a [(SourceFile, Document)]) -> (Option<AccountRef>, Policy) {
        let mut account = None;
        let mut policy = Policy::default();
        for (file, document) in parsed {
            let source = &file.source;
            if let Some(section) = document.account.written()
                && self.first_of("account", source, section)
            {
                account = self
                    .filled(
                        source,
                        section,
                        "account",
                        "write `id:` and `environment:` under it, or delete it to name the account with DOCUSIGN_ACCOUNT_ID",
                    )
                    .and_then(|section| self.account(source, &section.value));
            }
            if let Some(section) = &document.defaults {
                self.first_of("defaults", source, section);
            }
            if let Some(section) = &document.workspace {
                self.push(
                    Problem::error(
                        "desired::misplaced_workspace",
                        "a `workspace` section belongs in `workspace.yaml` at the root of a tree of accounts",
                    )
                    .at_location(source, &section.accounts.referenced, "in an account's files")
                    .help("move it to `workspace.yaml` in the folder that holds the accounts' folders, and run the command on that folder"),
                );
            }
            if let Some(section) = &document.policy
                && self.first_of("policy", source, section)
            {
                policy = self.policy(source, &section.value);
            }
        }
        (account, policy)
    }

    /// The `sync` section: declared once, each source named (uniquely) and of one kind.
    fn sync(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
    ) -> Option<crate::sync::config::SyncSection> {
        let mut found = None;
        for (file, document) in parsed {
            let Some(section) = &document.sync else {
                continue;
            };
            if !self.first_of("sync", &file.source, section) {
                continue;
            }
            let mut names = HashSet::new();
            let mut sound = true;
            for source in &section.value.sources {
                let problem = if source.name.trim().is_empty() {
                    Some("a source in `sync.sources` has no name".to_owned())
                } else if !names.insert(source.name.trim().to_lowercase()) {
                    Some(format!("two sources are named `{}`", source.name))
                } else if source.kinds() != 1 {
                    Some(format!(
                        "the source `{}` must name exactly one of `csv:`, `ldap:` or `scim:`",
                        source.name
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    self.push(
                        Problem::error("desired::bad_source", problem)
                            .at_location(&file.source, &section.referenced, "in this section")
                            .help("give each source a name of its own and one of `csv:`, `ldap:` or `scim:`"),
                    );
                    sound = false;
                }
            }
            if sound {
                found = Some(section.value.clone());
            }
        }
        found
    }

    fn declare_profiles_and_groups(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
        state: &mut Account,
    ) {
        for (file, document) in parsed {
            for entry in document.permission_profiles.iter().flatten() {
                if let Some(profile) = self.declare_profile(&file.source, entry) {
                    state.add_profile(profile);
                }
            }
            for entry in document.groups.iter().flatten() {
                if let Some(group) = self.declare_group(&file.source, entry) {
                    state.add_group(group);
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
            if let Some(written) = document
                .defaults
                .as_ref()
                .and_then(|defaults| defaults.value.permission_profile.written())
            {
                default_profile = self
                    .filled(
                        source,
                        written,
                        "permission_profile",
                        "write the profile of users that name none, or delete the line for DocuSign Viewer",
                    )
                    .and_then(|reference| self.resolve(Kind::Profile, source, &reference));
            }
            for entry in document.groups.iter().flatten() {
                let key = NameKey::new(&entry.name.value);
                let profile = self
                    .filled_if_written(
                        source,
                        &entry.permission_profile,
                        "permission_profile",
                        "write the profile the group carries, or delete the line for a group that carries none",
                    )
                    .and_then(|reference| self.resolve(Kind::Profile, source, &reference));
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

    /// Declares every user into `state`, and returns where `sync` got those it generated.
    fn declare_users(
        &mut self,
        parsed: &'a [(SourceFile, Document)],
        default_profile: &str,
        state: &mut Account,
    ) -> BTreeMap<EmailKey, Provenance> {
        // A hand-written entry may take the place of the one `sync` wrote for the same person.
        let overridden: HashSet<EmailKey> = parsed
            .iter()
            .filter(|(file, _)| !file.generated)
            .flat_map(|(_, document)| document.users.iter().flatten())
            .filter(|entry| entry.overrides_generated)
            .map(|entry| EmailKey::new(&entry.email.value))
            .collect();
        let mut generated = BTreeMap::new();
        for (file, document) in parsed {
            for entry in document.users.iter().flatten() {
                let key = EmailKey::new(&entry.email.value);
                if file.generated && overridden.contains(&key) {
                    continue;
                }
                match (&entry.provenance, file.generated) {
                    (Some(provenance), true) => {
                        generated.insert(key, provenance.value.clone());
                    }
                    (Some(provenance), false) => {
                        self.hand_written_provenance(&file.source, provenance);
                    }
                    (None, _) => {}
                }
                if let Some(user) = self.declare_user(&file.source, entry, default_profile) {
                    self.join_signing_groups(&file.source, entry, &user, state);
                    state.add_user(user);
                }
            }
        }
        generated
    }

    /// `provenance` says `sync` wrote an entry; a hand-written one that says so misleads the
    /// reviewer of every plan (usually a generated entry copied to override it).
    fn hand_written_provenance(&mut self, source: &'a Source, provenance: &Spanned<Provenance>) {
        self.push(
            Problem::error(
                "desired::hand_written_provenance",
                "`provenance` is written by `sync`, and this entry is hand-written".to_owned(),
            )
            .at_location(source, &provenance.referenced, "here")
            .help(format!(
                "remove the `provenance` line: the user is not {provenance} once written by \
                 hand (files under `{}/` are the generated ones)",
                crate::desired::write::GENERATED_FOLDER,
                provenance = provenance.value,
            )),
        );
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
