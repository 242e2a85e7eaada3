//! Every operation in words, said once for every reader: its kind, who or what it is about,
//! whether it adds, changes or removes, and the lines that say what it does.
//!
//! The renderings (text, markdown, drift, the admin-grant notes) differ only in how they quote
//! a name and lay lines out; what a step says comes from here. A name is kept apart from the
//! words around it ([`Piece::Name`]), so each rendering quotes it its own way: backticks at a
//! terminal, an escaped code span in markdown.

use std::borrow::Cow;

use serde::Serialize;

use crate::model::{EmailKey, NameKey, full_name};
use crate::plan::{Change, Operation};
use crate::words::counted;

/// The kind of object a step or a difference is about, in the order the grouped views show
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Part {
    #[serde(rename = "user")]
    Users,
    #[serde(rename = "group")]
    Groups,
    #[serde(rename = "permission_profile")]
    Profiles,
    #[serde(rename = "signing_group")]
    SigningGroups,
}

impl Part {
    /// The heading of the part's section.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Users => "Users",
            Self::Groups => "Groups",
            Self::Profiles => "Permission profiles",
            Self::SigningGroups => "Signing groups",
        }
    }

    /// One object of the part, as a reader says it.
    #[must_use]
    pub const fn noun(self) -> &'static str {
        match self {
            Self::Users => "user",
            Self::Groups => "group",
            Self::Profiles => "permission profile",
            Self::SigningGroups => "signing group",
        }
    }
}

/// What a step does to its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// Comes into being, or back: created, reactivated, joined.
    Add,
    Change,
    /// Goes away: closed, deleted, left.
    Remove,
}

/// Who or what a step is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    pub part: Part,
    /// Users (and signing-group members) by email, objects by the name they have once the step
    /// is done, so a rename and a later change of the same object meet in one block.
    pub name: &'a str,
    /// The name a rename starts from.
    pub before: Option<&'a str>,
}

impl Subject<'_> {
    /// The subject by the model's key (emails and names compared as the model compares them),
    /// so views group and order steps the same way on every run.
    #[must_use]
    pub fn key(&self) -> (Part, String) {
        let key = match self.part {
            Part::Users => EmailKey::new(self.name).as_str().to_owned(),
            Part::Groups | Part::Profiles | Part::SigningGroups => {
                NameKey::new(self.name).as_str().to_owned()
            }
        };
        (self.part, key)
    }
}

/// A piece of a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Words(Cow<'a, str>),
    /// The name of another object (a group, a profile), quoted by the rendering.
    Name(&'a str),
}

/// One line of what a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A sentence about the subject, such as "join group `Sales`".
    Said { sign: Sign, pieces: Vec<Piece<'a>> },
    /// One field's values: `label: before → after`. `inline` marks free text (names, titles,
    /// setting values), where a word diff under the values helps.
    Field {
        label: &'a str,
        from: Option<&'a str>,
        to: Option<&'a str>,
        inline: bool,
    },
}

impl Entry<'_> {
    #[must_use]
    pub const fn sign(&self) -> Sign {
        match self {
            Self::Said { sign, .. } => *sign,
            Self::Field { .. } => Sign::Change,
        }
    }
}

/// The operation's kind as the JSON names it (`create_user`, …): the serde tag, so the two
/// can't disagree.
#[must_use]
pub fn kind(operation: &Operation) -> String {
    serde_json::to_value(operation)
        .ok()
        .and_then(|value| {
            value
                .get("kind")
                .and_then(|kind| kind.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// A kind of change (`add_member`), counted, as a reviewer says it. One this doesn't know (a
/// saved plan may say anything) is shown with its underscores as spaces, and anything but
/// letters, digits and underscores dropped rather than escaped.
#[must_use]
pub fn kind_words(kind: &str) -> String {
    let words = match kind {
        "create_profile" => "permission profiles created",
        "rename_profile" => "permission profiles renamed",
        "update_profile_settings" => "permission profiles with settings changed",
        "create_group" => "groups created",
        "rename_group" => "groups renamed",
        "set_group_profile" => "groups given another profile",
        "create_signing_group" => "signing groups created",
        "rename_signing_group" => "signing groups renamed",
        "set_signing_group_email" => "signing groups with another email",
        "create_user" => "users created",
        "reactivate_user" => "users brought back",
        "add_member" => "group memberships added",
        "add_signing_group_member" => "signing-group members added",
        "update_user" => "users with names or titles changed",
        "change_profile" => "users given another profile",
        "remove_member" => "group memberships removed",
        "remove_signing_group_member" => "signing-group members removed",
        "close_user" => "users closed",
        "delete_group" => "groups deleted",
        "delete_signing_group" => "signing groups deleted",
        "delete_profile" => "permission profiles deleted",
        other => {
            return other
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(crate::markdown::MAX_VALUE_CHARS)
                .map(|c| if c == '_' { ' ' } else { c })
                .collect();
        }
    };
    words.to_owned()
}

/// Who or what the step is about.
#[must_use]
pub fn subject(operation: &Operation) -> Subject<'_> {
    let (part, name, before) = match operation {
        Operation::CreateUser { email, .. }
        | Operation::ReactivateUser { email, .. }
        | Operation::AddMember { email, .. }
        | Operation::AddSigningGroupMember { email, .. }
        | Operation::UpdateUser { email, .. }
        | Operation::ChangeProfile { email, .. }
        | Operation::RemoveMember { email, .. }
        | Operation::RemoveSigningGroupMember { email, .. }
        | Operation::CloseUser { email, .. } => (Part::Users, email, None),
        Operation::RenameGroup { from, to, .. } => (Part::Groups, to, Some(from.as_str())),
        Operation::CreateGroup { name, .. }
        | Operation::SetGroupProfile { group: name, .. }
        | Operation::DeleteGroup { name, .. } => (Part::Groups, name, None),
        Operation::RenameProfile { from, to, .. } => (Part::Profiles, to, Some(from.as_str())),
        Operation::CreateProfile { name, .. }
        | Operation::UpdateProfileSettings { profile: name, .. }
        | Operation::DeleteProfile { name, .. } => (Part::Profiles, name, None),
        Operation::RenameSigningGroup { from, to, .. } => {
            (Part::SigningGroups, to, Some(from.as_str()))
        }
        Operation::CreateSigningGroup { name, .. }
        | Operation::SetSigningGroupEmail {
            signing_group: name,
            ..
        }
        | Operation::DeleteSigningGroup { name, .. } => (Part::SigningGroups, name, None),
    };
    Subject {
        part,
        name: name.as_str(),
        before,
    }
}

/// `+` for a subject the steps create or bring back, `-` for one they close or delete, `~` for
/// the rest (and for the odd subject that is both).
pub fn overall_sign<'a>(operations: impl IntoIterator<Item = &'a Operation>) -> Sign {
    let (mut created, mut removed) = (false, false);
    for operation in operations {
        match operation {
            Operation::CreateUser { .. }
            | Operation::ReactivateUser { .. }
            | Operation::CreateGroup { .. }
            | Operation::CreateProfile { .. }
            | Operation::CreateSigningGroup { .. } => created = true,
            Operation::CloseUser { .. }
            | Operation::DeleteGroup { .. }
            | Operation::DeleteProfile { .. }
            | Operation::DeleteSigningGroup { .. } => removed = true,
            _ => {}
        }
    }
    match (created, removed) {
        (true, false) => Sign::Add,
        (false, true) => Sign::Remove,
        _ => Sign::Change,
    }
}

/// The lines that say what a step does to its subject: one, or one per field for attribute
/// and setting changes.
#[must_use]
pub fn entries(operation: &Operation) -> Vec<Entry<'_>> {
    match operation {
        Operation::CreateUser {
            first_name,
            last_name,
            job_title,
            permission_profile,
            ..
        } => {
            let name = full_name(first_name, last_name);
            let title = job_title
                .as_ref()
                .map_or_else(String::new, |title| format!(" ({title})"));
            vec![said(
                Sign::Add,
                vec![
                    words(format!("create {name}{title} with profile ")),
                    Piece::Name(permission_profile),
                ],
            )]
        }
        Operation::ReactivateUser {
            permission_profile, ..
        } => vec![said(
            Sign::Add,
            vec![
                words("reactivate with profile "),
                Piece::Name(permission_profile),
            ],
        )],
        Operation::AddMember { group, .. } => {
            vec![said(
                Sign::Add,
                vec![words("join group "), Piece::Name(group)],
            )]
        }
        Operation::AddSigningGroupMember { signing_group, .. } => vec![said(
            Sign::Add,
            vec![words("join signing group "), Piece::Name(signing_group)],
        )],
        Operation::UpdateUser { changes, .. }
        | Operation::UpdateProfileSettings { changes, .. } => field_changes(changes),
        Operation::ChangeProfile { from, to, .. } => {
            vec![field("profile", Some(from), Some(to))]
        }
        Operation::RemoveMember { group, .. } => vec![said(
            Sign::Remove,
            vec![words("leave group "), Piece::Name(group)],
        )],
        Operation::RemoveSigningGroupMember { signing_group, .. } => vec![said(
            Sign::Remove,
            vec![words("leave signing group "), Piece::Name(signing_group)],
        )],
        Operation::CloseUser { .. } => vec![said(Sign::Remove, vec![words("close")])],
        Operation::CreateGroup {
            permission_profile, ..
        } => vec![said(
            Sign::Add,
            permission_profile.as_ref().map_or_else(
                || vec![words("create")],
                |profile| vec![words("create with profile "), Piece::Name(profile)],
            ),
        )],
        Operation::RenameGroup { from, to, .. }
        | Operation::RenameProfile { from, to, .. }
        | Operation::RenameSigningGroup { from, to, .. } => {
            vec![field("name", Some(from), Some(to))]
        }
        Operation::SetGroupProfile { from, to, .. } => {
            vec![field("profile", from.as_deref(), to.as_deref())]
        }
        Operation::DeleteGroup { .. } | Operation::DeleteSigningGroup { .. } => {
            vec![said(Sign::Remove, vec![words("delete")])]
        }
        Operation::CreateProfile { settings, .. } => vec![said(
            Sign::Add,
            vec![words(format!(
                "create with {}",
                counted(settings.len(), "setting")
            ))],
        )],
        Operation::DeleteProfile { move_users_to, .. } => vec![said(
            Sign::Remove,
            vec![
                words("delete, moving any holders to "),
                Piece::Name(move_users_to),
            ],
        )],
        Operation::CreateSigningGroup { email, .. } => vec![said(
            Sign::Add,
            email.as_ref().map_or_else(
                || vec![words("create")],
                |email| vec![words(format!("create with email {email}"))],
            ),
        )],
        Operation::SetSigningGroupEmail { from, to, .. } => {
            vec![field("email", from.as_deref(), to.as_deref())]
        }
    }
}

/// What a step does, as one plain line with names and values in backticks ("join group
/// \`Sales\`", "profile: \`A\` → \`B\`"), for views that list a step in a sentence of their own.
#[must_use]
pub fn sentence(operation: &Operation) -> String {
    entries(operation)
        .iter()
        .map(|entry| match entry {
            Entry::Said { pieces, .. } => joined(pieces, |name| format!("`{name}`")),
            Entry::Field {
                label, from, to, ..
            } => format!("{label}: {} → {}", quoted(*from), quoted(*to)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A sentence's pieces as one string, each name quoted by `quote`.
pub fn joined(pieces: &[Piece<'_>], quote: impl Fn(&str) -> String) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Words(words) => words.to_string(),
            Piece::Name(name) => quote(name),
        })
        .collect()
}

fn quoted(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |value| format!("`{value}`"))
}

fn said(sign: Sign, pieces: Vec<Piece<'_>>) -> Entry<'_> {
    Entry::Said { sign, pieces }
}

fn words<'a>(text: impl Into<Cow<'a, str>>) -> Piece<'a> {
    Piece::Words(text.into())
}

const fn field<'a>(label: &'a str, from: Option<&'a str>, to: Option<&'a str>) -> Entry<'a> {
    Entry::Field {
        label,
        from,
        to,
        inline: false,
    }
}

/// Attribute and setting changes: one line per field, with the inline diff.
fn field_changes(changes: &[Change]) -> Vec<Entry<'_>> {
    changes
        .iter()
        .map(|change| Entry::Field {
            label: field_label(&change.field),
            from: change.from.as_deref(),
            to: change.to.as_deref(),
            inline: true,
        })
        .collect()
}

/// A user attribute as people say it; profile settings keep DocuSign's names, which are what
/// the YAML and DocuSign's documentation use.
fn field_label(field: &str) -> &str {
    match field {
        "first_name" => "first name",
        "last_name" => "last name",
        "job_title" => "job title",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_is_about_the_new_name_and_remembers_the_old() {
        let rename = Operation::RenameGroup {
            id: None,
            from: "Sales".to_owned(),
            to: "Sales EMEA".to_owned(),
        };
        let subject = subject(&rename);
        assert_eq!(subject.name, "Sales EMEA");
        assert_eq!(subject.before, Some("Sales"));
        assert_eq!(sentence(&rename), "name: `Sales` → `Sales EMEA`");
    }

    #[test]
    fn a_membership_is_about_the_person_and_names_the_group() {
        let join = Operation::AddMember {
            group: "Sales".to_owned(),
            group_id: None,
            email: "Ana@Example.com".to_owned(),
            user_id: None,
        };
        assert_eq!(
            subject(&join).key(),
            (Part::Users, "ana@example.com".to_owned())
        );
        assert_eq!(sentence(&join), "join group `Sales`");
        assert_eq!(entries(&join)[0].sign(), Sign::Add);
    }

    #[test]
    fn every_kind_has_reviewer_words() {
        assert_eq!(kind_words("add_member"), "group memberships added");
        assert_eq!(kind_words("made<up>_kind"), "madeup kind");
    }
}
