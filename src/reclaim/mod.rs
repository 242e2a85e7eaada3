//! `reclaim`: a seats report's candidates become edits of the desired-state YAML, so taking a
//! seat back goes through the same review, plan, guards and apply as any change. Pure: the CLI
//! reads the files and the report, and writes what this returns.
//!
//! Where a candidate is written:
//! - a hand-written entry in the account's own folder is edited in place ([`edit`]): its
//!   `status` (or `permission_profile`) line is replaced or added, with a comment above saying
//!   why and since when;
//! - anyone else (a person from a workspace's `shared/`, one `sync` generated, or a user the
//!   YAML doesn't manage yet) gets an entry of their own in [`RECLAIMED_FILE`] in that folder,
//!   which replaces the shared or generated one (`overrides_generated`).
//!
//! A user whose YAML already says what reclaim would write is no candidate, so a second run
//! changes nothing.

mod edit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_saphyr::FlowSeq;

use crate::desired::write::{Entry, UserYaml};
use crate::desired::{Desired, SourceFile, parse};
use crate::model::{Account, BuiltinProfile, EmailKey, NameKey, UserStatus};
use crate::seats::Report;

/// The file, in the account's folder, that holds the entries reclaim writes for users the
/// folder doesn't write itself.
pub const RECLAIMED_FILE: &str = "reclaimed.yaml";

/// What to do with an idle user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Close,
    /// Give them this (cheaper) profile.
    Profile(String),
}

/// One user to mark, and the comment that says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub email: String,
    pub action: Action,
    pub why: String,
}

/// A candidate left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub email: String,
    pub why: String,
}

/// The candidates of `report`: stale invitations (closed), idle users (`action`), never a user
/// an identity provider owns (for a closure), nor one whose YAML already says it; the
/// integration user and protected users are not in a report's candidates at all.
#[must_use]
pub fn candidates(
    report: &Report,
    live: &Account,
    desired: &Desired,
    action: &Action,
) -> (Vec<Candidate>, Vec<Skipped>) {
    let today = &report.as_of[..report.as_of.len().min(10)];
    let mut chosen = Vec::new();
    let mut skipped = Vec::new();
    let stale = report
        .pending
        .iter()
        .filter(|pending| pending.stale && pending.exempt.is_none())
        .map(|pending| {
            let why = format!(
                "reclaim {today}: invited {}, not accepted after {} days",
                pending
                    .invited
                    .as_deref()
                    .unwrap_or("on a date DocuSign didn't give"),
                pending.age_days.unwrap_or_default()
            );
            (&pending.email, Action::Close, why)
        });
    let idle = report.idle.iter().map(|idle| {
        let why = format!(
            "reclaim {today}: no sign of use for {} days ({})",
            report.idle_days,
            idle.evidence.join(", ")
        );
        (&idle.email, action.clone(), why)
    });
    for (email, action, why) in stale.chain(idle) {
        let key = EmailKey::new(email);
        let scim = live
            .users
            .get(&key)
            .is_some_and(|user| user.managed_by_scim);
        if scim && action == Action::Close {
            skipped.push(Skipped {
                email: email.clone(),
                why: "an identity provider manages the user (SCIM): close them there".to_owned(),
            });
            continue;
        }
        if already_says(desired, &key, &action) {
            continue;
        }
        chosen.push(Candidate {
            email: email.clone(),
            action,
            why,
        });
    }
    (chosen, skipped)
}

/// Whether the YAML already asks what `action` would write.
fn already_says(desired: &Desired, key: &EmailKey, action: &Action) -> bool {
    desired
        .state
        .users
        .get(key)
        .is_some_and(|user| match action {
            Action::Close => user.status == UserStatus::Closed,
            Action::Profile(profile) => {
                user.status == UserStatus::Closed
                    || user.permission_profile.eq_ignore_ascii_case(profile)
            }
        })
}

/// One mark made: the user, the file and line it is at, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub email: String,
    pub path: PathBuf,
    pub line: usize,
    pub said: String,
}

/// What marking the candidates changes: each file's new text, and each mark.
#[derive(Debug, Default)]
pub struct Marked {
    pub files: BTreeMap<PathBuf, String>,
    pub marks: Vec<Mark>,
    pub skipped: Vec<Skipped>,
}

/// Marks `candidates` in `own_files` (the account folder's hand-written files), else in
/// `dir`/[`RECLAIMED_FILE`] (whose current text is `reclaimed`, if it exists).
#[must_use]
pub fn mark(
    candidates: &[Candidate],
    own_files: &[SourceFile],
    dir: &Path,
    reclaimed: Option<&str>,
    live: &Account,
    desired: &Desired,
) -> Marked {
    let mut marked = Marked::default();
    let mut located: BTreeMap<usize, Vec<(edit::Place, &Candidate)>> = BTreeMap::new();
    let places = entries_by_email(own_files);
    let mut new_entries = Vec::new();
    for candidate in candidates {
        let key = EmailKey::new(&candidate.email);
        match places.get(&key) {
            Some((index, email_line)) => match edit::place(own_files[*index].text(), *email_line) {
                Ok(place) => located.entry(*index).or_default().push((place, candidate)),
                Err(why) => marked.skipped.push(Skipped {
                    email: candidate.email.clone(),
                    why: format!(
                        "{}:{email_line}: {why}; mark it by hand",
                        own_files[*index].name()
                    ),
                }),
            },
            None => new_entries.push(candidate),
        }
    }
    for (index, mut edits) in located {
        let file = &own_files[index];
        // Bottom to top, so each edit leaves the lines above it where they were.
        edits.sort_by_key(|(place, _)| std::cmp::Reverse(place.first_line));
        let mut text = file.text().to_owned();
        let mut made = Vec::new();
        for (place, candidate) in &edits {
            let (edited, key_line, added) =
                edit::apply(&text, place, &candidate.action, &candidate.why);
            text = edited;
            made.push((*candidate, place.first_line, key_line, added));
        }
        for (candidate, first, key_line, _) in &made {
            // The edits above this one, made after it, moved it down.
            let moved: usize = made
                .iter()
                .filter(|(_, other, _, _)| other < first)
                .map(|(_, _, _, added)| added)
                .sum();
            marked.marks.push(Mark {
                email: candidate.email.clone(),
                path: file.path.clone(),
                line: key_line + moved,
                said: said(&candidate.action),
            });
        }
        marked.files.insert(file.path.clone(), text);
    }
    if !new_entries.is_empty() {
        let path = dir.join(RECLAIMED_FILE);
        let (text, lines) = reclaimed_text(reclaimed, &new_entries, live, desired);
        for (candidate, line) in new_entries.iter().zip(lines) {
            marked.marks.push(Mark {
                email: candidate.email.clone(),
                path: path.clone(),
                line,
                said: said(&candidate.action),
            });
        }
        marked.files.insert(path, text);
    }
    marked
        .marks
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    marked
}

fn said(action: &Action) -> String {
    match action {
        Action::Close => "status: closed".to_owned(),
        Action::Profile(profile) => format!("permission_profile: {profile}"),
    }
}

/// Each user entry's file (by index) and the line of its `email`.
fn entries_by_email(files: &[SourceFile]) -> BTreeMap<EmailKey, (usize, usize)> {
    let mut places = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let Ok(document) = parse::parse(file) else {
            continue;
        };
        for entry in document.users.iter().flatten() {
            let line = usize::try_from(entry.email.referenced.line()).unwrap_or(0);
            places
                .entry(EmailKey::new(&entry.email.value))
                .or_insert((index, line));
        }
    }
    places
}

/// The text of [`RECLAIMED_FILE`] with an entry for each of `candidates` (a new file, or
/// `existing` with the entries added at its end), and the line of each entry's `email`.
fn reclaimed_text(
    existing: Option<&str>,
    candidates: &[&Candidate],
    live: &Account,
    desired: &Desired,
) -> (String, Vec<usize>) {
    let entries: Vec<Entry> = candidates
        .iter()
        .filter_map(|candidate| {
            let key = EmailKey::new(&candidate.email);
            let (user, declared) = match desired.state.users.get(&key) {
                Some(user) => (user, true),
                None => (live.users.get(&key)?, false),
            };
            // A user the YAML doesn't manage yet keeps only the groups and the profile the YAML
            // knows: the rest is DocuSign's, which the YAML can't name.
            let known_group =
                |name: &&String| declared || desired.state.groups.contains_key(&NameKey::new(name));
            let known_profile = |name: &str| {
                declared
                    || BuiltinProfile::from_name(name).is_some()
                    || desired
                        .state
                        .permission_profiles
                        .contains_key(&NameKey::new(name))
            };
            let (status, profile) = match &candidate.action {
                Action::Close => (
                    Some("closed"),
                    Some(user.permission_profile.as_str()).filter(|name| known_profile(name)),
                ),
                Action::Profile(profile) => (None, Some(profile.as_str())),
            };
            let groups = user.groups.iter().filter(known_group).map(String::as_str);
            Entry::new(
                &UserYaml {
                    permission_profile: profile,
                    groups: FlowSeq(groups.collect()),
                    status,
                    overrides_generated: desired.generated.contains_key(&key),
                    ..UserYaml::of(user)
                },
                vec![candidate.why.clone()],
            )
            .ok()
        })
        .collect();
    let list = crate::desired::write::list("users", &entries);
    let text = match existing {
        Some(existing) => {
            let mut text = existing.to_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            // The new entries under the file's `users:`, which reclaim wrote last.
            text.push('\n');
            text.push_str(list.strip_prefix("users:\n").unwrap_or(&list));
            text
        }
        None => crate::desired::write::file(
            RECLAIMED_FILE,
            &[
                "Users `docusign-gitops reclaim` marked: idle seats and invitations never",
                "accepted, each with the reason above it. An entry here is the person in this",
                "account: it replaces a shared or generated entry, or takes on someone the YAML",
                "didn't manage. Review, then plan and apply as usual; delete an entry to keep",
                "that person as they were.",
            ],
            &list,
        ),
    };
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with("- email:"))
        .map(|(index, _)| index + 1)
        .collect::<Vec<_>>();
    let lines = lines[lines.len().saturating_sub(candidates.len())..].to_vec();
    (text, lines)
}

#[cfg(test)]
mod tests;
