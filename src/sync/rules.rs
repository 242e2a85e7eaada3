//! Mapping rules: which directory people become DocuSign users, and with which groups, permission
//! profile and signing groups — in order, like Adobe's User Sync Tool, with the profile conflict
//! rule stated, not implied.
//!
//! Pure: people in, users out. Reading the sources and writing the YAML happen elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use globset::{Glob, GlobMatcher};
use schemars::JsonSchema;
use serde::Deserialize;

use super::Person;
use super::config::SyncSection;
use crate::model::EmailKey;

/// Who of the sources' people DocuSign should know.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Only people in at least one of these directory groups (all, when empty).
    #[serde(default)]
    pub groups: Vec<String>,
    /// People whose email matches one of these patterns are left out (`*` is any run of
    /// characters: `svc-*@example.com`). Letter case doesn't matter.
    #[serde(default)]
    pub exclude_emails: Vec<String>,
    /// People in any of these directory groups are left out.
    #[serde(default)]
    pub exclude_groups: Vec<String>,
}

/// One rule: when a person matches `when`, they get what the rule gives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name for the rule, shown as where a user came from; `rule N` when absent.
    pub name: Option<String>,
    /// What a person must match: every condition given (an empty `when` matches everyone).
    #[serde(default)]
    pub when: When,
    /// DocuSign groups the person joins.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The permission profile the rule gives (see `profile_conflicts`).
    pub permission_profile: Option<String>,
    /// A signing group the person joins as a member, under their name.
    pub signing_group: Option<String>,
    /// With `profile_conflicts: highest_rank`, the rule whose rank is highest gives the profile.
    pub rank: Option<u32>,
}

/// A rule's conditions; all given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// In this directory group (nested membership counts). Letter case doesn't matter.
    pub group: Option<String>,
    /// Attributes with these exact values (`department: Sales`).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Which profile wins when several matching rules give one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileConflicts {
    /// The first matching rule that gives a profile (the rules' order is the precedence).
    #[default]
    FirstRuleWins,
    /// The matching rule with the highest `rank`; equal ranks: the first of them.
    HighestRank,
}

/// What becomes of a person the source marks disabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Leavers {
    /// Written with `status: closed`: the plan closes them (within `policy.limits`).
    #[default]
    Close,
    /// Left out of the generated YAML: `policy.unmanaged_users` decides, as for anyone the YAML
    /// doesn't name.
    LeaveOut,
}

/// A user the rules made, ready to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedUser {
    /// Trimmed, in lower case: the form DocuSign compares.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: Option<String>,
    /// `None`: the desired state's default profile.
    pub permission_profile: Option<String>,
    pub groups: BTreeSet<String>,
    /// The signing groups the person is a member of; none for a leaver, who signs nothing.
    pub signing_groups: BTreeSet<String>,
    pub closed: bool,
    /// The names of the rules that matched, in order, for the reviewer (`provenance`).
    pub rules: Vec<String>,
}

/// Why the people can't be mapped.
#[derive(Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum MappingError {
    #[error("`{pattern}` in `scope.exclude_emails` is not a pattern: {reason}")]
    #[diagnostic(
        code(sync::bad_pattern),
        help("use `*` for any run of characters, e.g. `svc-*@example.com`")
    )]
    BadPattern { pattern: String, reason: String },

    /// Two people of the sources share an email: DocuSign knows one user per email.
    #[error("{first} and {second} have the same email `{email}`")]
    #[diagnostic(
        code(sync::duplicate_email),
        help("fix the directory, or leave one of them out with `scope.exclude_emails`")
    )]
    DuplicateEmail {
        email: String,
        first: String,
        second: String,
    },
}

/// Maps `people` by the rules of `mapping`, in email order.
///
/// # Errors
/// A bad exclusion pattern, or two people with one email.
pub fn map(people: &[Person], mapping: &SyncSection) -> Result<Vec<MappedUser>, MappingError> {
    let excluded = mapping
        .scope
        .exclude_emails
        .iter()
        .map(|pattern| pattern_of(pattern))
        .collect::<Result<Vec<_>, _>>()?;
    let mut users: BTreeMap<EmailKey, (MappedUser, &str)> = BTreeMap::new();
    for person in people {
        let email = person.email.trim().to_lowercase();
        if !in_scope(person, &email, &mapping.scope, &excluded)
            || (person.disabled && mapping.leavers == Leavers::LeaveOut)
        {
            continue;
        }
        let user = mapped(person, email, mapping);
        let key = EmailKey::new(&user.email);
        if let Some((_, first)) = users.get(&key) {
            return Err(MappingError::DuplicateEmail {
                email: user.email,
                first: (*first).to_owned(),
                second: person.origin.clone(),
            });
        }
        users.insert(key, (user, &person.origin));
    }
    Ok(users.into_values().map(|(user, _)| user).collect())
}

fn pattern_of(pattern: &str) -> Result<GlobMatcher, MappingError> {
    Glob::new(&pattern.trim().to_lowercase())
        .map(|glob| glob.compile_matcher())
        .map_err(|error| MappingError::BadPattern {
            pattern: pattern.to_owned(),
            reason: error.kind().to_string(),
        })
}

fn in_group(person: &Person, group: &str) -> bool {
    person
        .groups
        .iter()
        .any(|held| held.to_lowercase() == group.to_lowercase())
}

fn in_scope(person: &Person, email: &str, scope: &Scope, excluded: &[GlobMatcher]) -> bool {
    (scope.groups.is_empty() || scope.groups.iter().any(|group| in_group(person, group)))
        && !scope
            .exclude_groups
            .iter()
            .any(|group| in_group(person, group))
        && !excluded.iter().any(|pattern| pattern.is_match(email))
}

fn matches(person: &Person, when: &When) -> bool {
    when.group
        .as_ref()
        .is_none_or(|group| in_group(person, group))
        && when
            .attributes
            .iter()
            .all(|(name, value)| person.attributes.get(name) == Some(value))
}

fn mapped(person: &Person, email: String, mapping: &SyncSection) -> MappedUser {
    let matched: Vec<(usize, &Rule)> = mapping
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| matches(person, &rule.when))
        .collect();
    let giving_profile = matched
        .iter()
        .filter(|(_, rule)| rule.permission_profile.is_some());
    let profile_rule = match mapping.profile_conflicts {
        ProfileConflicts::FirstRuleWins => giving_profile.clone().next(),
        // `max_by_key` keeps the last of equal ranks; reversed, that is the first.
        ProfileConflicts::HighestRank => giving_profile
            .clone()
            .rev()
            .max_by_key(|(_, rule)| rule.rank.unwrap_or(0)),
    };
    let rule_names: Vec<String> = matched
        .iter()
        .map(|(index, rule)| {
            rule.name
                .clone()
                .unwrap_or_else(|| format!("rule {}", index + 1))
        })
        .collect();
    MappedUser {
        email,
        first_name: person.first_name.trim().to_owned(),
        last_name: person.last_name.trim().to_owned(),
        job_title: person
            .job_title
            .as_ref()
            .map(|title| title.trim().to_owned())
            .filter(|title| !title.is_empty()),
        permission_profile: profile_rule.and_then(|(_, rule)| rule.permission_profile.clone()),
        groups: matched
            .iter()
            .flat_map(|(_, rule)| rule.groups.iter().cloned())
            .collect(),
        signing_groups: matched
            .iter()
            .filter(|_| !person.disabled)
            .filter_map(|(_, rule)| rule.signing_group.clone())
            .collect(),
        closed: person.disabled,
        rules: rule_names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: &str, groups: &[&str], department: &str) -> Person {
        Person {
            email: email.to_owned(),
            first_name: "Ana".to_owned(),
            last_name: "Silva".to_owned(),
            job_title: Some(" Account Executive ".to_owned()),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            attributes: BTreeMap::from([("department".to_owned(), department.to_owned())]),
            disabled: false,
            origin: format!("people.csv: {email}"),
        }
    }

    fn rule(group: &str, profile: Option<&str>, groups: &[&str], rank: Option<u32>) -> Rule {
        Rule {
            name: Some(format!("{group} rule")),
            when: When {
                group: Some(group.to_owned()),
                attributes: BTreeMap::new(),
            },
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            permission_profile: profile.map(str::to_owned),
            signing_group: None,
            rank,
        }
    }

    fn rules() -> Vec<Rule> {
        vec![
            rule("Sales", Some("Sales Sender"), &["Sales"], Some(1)),
            rule("Managers", Some("Approver"), &["Approvers"], Some(5)),
        ]
    }

    #[test]
    fn the_first_rule_giving_a_profile_wins_unless_ranks_are_asked_for() {
        let people = [person("Ana@Example.com ", &["sales", "Managers"], "Sales")];
        let mut mapping = SyncSection {
            rules: rules(),
            ..SyncSection::default()
        };
        let first = map(&people, &mapping).expect("maps");
        assert_eq!(first[0].email, "ana@example.com");
        assert_eq!(first[0].permission_profile.as_deref(), Some("Sales Sender"));
        assert_eq!(
            first[0].groups,
            BTreeSet::from(["Approvers".to_owned(), "Sales".to_owned()])
        );
        assert_eq!(first[0].job_title.as_deref(), Some("Account Executive"));
        assert_eq!(first[0].rules, ["Sales rule", "Managers rule"]);
        mapping.profile_conflicts = ProfileConflicts::HighestRank;
        let ranked = map(&people, &mapping).expect("maps");
        assert_eq!(ranked[0].permission_profile.as_deref(), Some("Approver"));
    }

    #[test]
    fn equal_ranks_go_to_the_first_rule() {
        let mut rules = rules();
        rules[1].rank = Some(1);
        let mapping = SyncSection {
            rules,
            profile_conflicts: ProfileConflicts::HighestRank,
            ..SyncSection::default()
        };
        let people = [person("ana@example.com", &["Sales", "Managers"], "Sales")];
        let users = map(&people, &mapping).expect("maps");
        assert_eq!(users[0].permission_profile.as_deref(), Some("Sales Sender"));
    }

    #[test]
    fn scope_and_exclusions_leave_people_out() {
        let people = [
            person("ana@example.com", &["Staff"], "Sales"),
            person("svc-backup@example.com", &["Staff"], "IT"),
            person("contractor@example.com", &["Staff", "Contractors"], "IT"),
            person("visitor@example.com", &["Guests"], "None"),
        ];
        let mapping = SyncSection {
            scope: Scope {
                groups: vec!["staff".to_owned()],
                exclude_emails: vec!["SVC-*@example.com".to_owned()],
                exclude_groups: vec!["Contractors".to_owned()],
            },
            ..SyncSection::default()
        };
        let users = map(&people, &mapping).expect("maps");
        let emails: Vec<&str> = users.iter().map(|user| user.email.as_str()).collect();
        assert_eq!(emails, ["ana@example.com"]);
    }

    #[test]
    fn attribute_conditions_must_all_hold() {
        let when = When {
            group: None,
            attributes: BTreeMap::from([("department".to_owned(), "Legal".to_owned())]),
        };
        assert!(matches(&person("a@example.com", &[], "Legal"), &when));
        assert!(!matches(&person("a@example.com", &[], "Sales"), &when));
    }

    #[test]
    fn leavers_are_closed_or_left_out_as_asked() {
        let mut leaver = person("gone@example.com", &[], "Sales");
        leaver.disabled = true;
        let closed = map(std::slice::from_ref(&leaver), &SyncSection::default()).expect("maps");
        assert!(closed[0].closed);
        let mapping = SyncSection {
            leavers: Leavers::LeaveOut,
            ..SyncSection::default()
        };
        assert!(map(&[leaver], &mapping).expect("maps").is_empty());
    }

    #[test]
    fn matching_rules_give_their_signing_groups_and_a_leaver_none() {
        let mut rules = rules();
        rules[0].signing_group = Some("Sales Desk".to_owned());
        rules[1].signing_group = Some("Approvals".to_owned());
        let mapping = SyncSection {
            rules,
            ..SyncSection::default()
        };
        let seller = person("ana@example.com", &["Sales", "Managers"], "Sales");
        let mut leaver = person("gone@example.com", &["Sales"], "Sales");
        leaver.disabled = true;
        let users = map(&[seller, leaver], &mapping).expect("maps");
        assert_eq!(
            users[0].signing_groups,
            BTreeSet::from(["Approvals".to_owned(), "Sales Desk".to_owned()])
        );
        assert!(users[1].closed);
        assert!(users[1].signing_groups.is_empty(), "a leaver signs nothing");
        assert_eq!(users[1].groups, BTreeSet::from(["Sales".to_owned()]));
    }

    #[test]
    fn two_people_with_one_email_are_an_error_naming_both() {
        let people = [
            person("ana@example.com", &[], "Sales"),
            person("ANA@example.com", &[], "Legal"),
        ];
        let error = map(&people, &SyncSection::default()).expect_err("duplicate");
        let text = error.to_string();
        assert!(text.contains("people.csv: ana@example.com"), "{text}");
        assert!(text.contains("people.csv: ANA@example.com"), "{text}");
    }

    #[test]
    fn a_bad_pattern_is_an_error_not_a_silent_match() {
        let mapping = SyncSection {
            scope: Scope {
                exclude_emails: vec!["[unclosed@example.com".to_owned()],
                ..Scope::default()
            },
            ..SyncSection::default()
        };
        let error = map(&[], &mapping).expect_err("bad pattern");
        assert!(matches!(error, MappingError::BadPattern { .. }));
    }
}
