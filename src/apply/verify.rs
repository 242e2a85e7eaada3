//! Apply believes what it reads back. After the phases ran, the account is read once (the
//! same snapshot `plan` takes) and every step is judged against it: a step is done only when
//! the account shows what it should have produced, whatever DocuSign answered. A change
//! DocuSign acknowledged but did not make is not done; one it refused (an error code apply
//! doesn't know, "already a member", "already gone") but that the account shows is.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Run, Status, send};
use crate::docusign::writes::Members;
use crate::docusign::{Client, snapshot};
use crate::model::ProfileRoute;
use crate::model::{Account, EmailKey, NameKey, User, UserStatus};
use crate::plan::Operation;

/// How a step's effect shows in the account as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Seen,
    /// What the account shows instead, in words for the journal.
    NotSeen(String),
}

fn seen_if(condition: bool, otherwise: impl FnOnce() -> String) -> Verdict {
    if condition {
        Verdict::Seen
    } else {
        Verdict::NotSeen(otherwise())
    }
}

fn same(a: &str, b: &str) -> bool {
    NameKey::new(a) == NameKey::new(b)
}

/// What a step that should have made or kept `name` finds when the account has no such
/// `kind` of object.
fn missing(kind: &str, name: &str) -> String {
    format!("DocuSign has no {kind} `{name}`")
}

fn in_group(user: &User, group: &str) -> bool {
    user.groups.iter().any(|name| same(name, group))
}

/// Whether the account shows what `operation` should have produced.
#[must_use]
pub fn judge(operation: &Operation, observed: &Account) -> Verdict {
    let profile = |name: &str| observed.permission_profiles.get(&NameKey::new(name));
    let group = |name: &str| observed.groups.get(&NameKey::new(name));
    let signing_group = |name: &str| observed.signing_groups.get(&NameKey::new(name));
    match operation {
        Operation::CreateProfile { name, .. } | Operation::RenameProfile { to: name, .. } => {
            seen_if(profile(name).is_some(), || {
                missing("permission profile", name)
            })
        }
        Operation::UpdateProfileSettings {
            profile: name,
            changes,
            ..
        } => {
            let Some(found) = profile(name) else {
                return Verdict::NotSeen(missing("permission profile", name));
            };
            let differing: Vec<&str> = changes
                .iter()
                .filter(|change| {
                    change.to.is_some() && found.settings.get(&change.field) != change.to.as_ref()
                })
                .map(|change| change.field.as_str())
                .collect();
            seen_if(differing.is_empty(), || {
                format!(
                    "`{name}` still has other values for {}",
                    differing.join(", ")
                )
            })
        }
        Operation::CreateGroup {
            name,
            permission_profile,
        } => match group(name) {
            None => Verdict::NotSeen(missing("group", name)),
            Some(found) => seen_if(
                same_profile(
                    found.permission_profile.as_deref(),
                    permission_profile.as_deref(),
                ),
                || {
                    format!(
                        "group `{name}` carries {}",
                        shown_profile(found.permission_profile.as_deref())
                    )
                },
            ),
        },
        Operation::RenameGroup { to, .. } => seen_if(group(to).is_some(), || missing("group", to)),
        Operation::SetGroupProfile {
            group: name, to, ..
        } => match group(name) {
            None => Verdict::NotSeen(missing("group", name)),
            Some(found) => seen_if(
                same_profile(found.permission_profile.as_deref(), to.as_deref()),
                || {
                    format!(
                        "group `{name}` carries {}",
                        shown_profile(found.permission_profile.as_deref())
                    )
                },
            ),
        },
        Operation::CreateSigningGroup { name, .. }
        | Operation::RenameSigningGroup { to: name, .. } => {
            seen_if(signing_group(name).is_some(), || {
                missing("signing group", name)
            })
        }
        Operation::SetSigningGroupEmail {
            signing_group: name,
            to,
            ..
        } => match signing_group(name) {
            None => Verdict::NotSeen(missing("signing group", name)),
            Some(found) => seen_if(
                found.email.as_deref().map(crate::email::fold)
                    == to.as_deref().map(crate::email::fold),
                || format!("signing group `{name}` has email {:?}", found.email),
            ),
        },
        Operation::DeleteGroup { name, .. } => seen_if(group(name).is_none(), || {
            format!("group `{name}` still exists")
        }),
        Operation::DeleteSigningGroup { name, .. } => {
            seen_if(signing_group(name).is_none(), || {
                format!("signing group `{name}` still exists")
            })
        }
        Operation::DeleteProfile { name, .. } => seen_if(profile(name).is_none(), || {
            format!("permission profile `{name}` still exists")
        }),
        _ => judge_user(operation, observed),
    }
}

/// [`judge`] for the steps that change a user or a membership.
fn judge_user(operation: &Operation, observed: &Account) -> Verdict {
    let signing_group = |name: &str| observed.signing_groups.get(&NameKey::new(name));
    let user = |email: &str| observed.users.get(&EmailKey::new(email));
    match operation {
        Operation::CreateUser { email, .. } | Operation::ReactivateUser { email, .. } => {
            match user(email) {
                None => Verdict::NotSeen(missing("user", email)),
                Some(found) => seen_if(found.status != UserStatus::Closed, || {
                    format!("`{email}` is still closed")
                }),
            }
        }
        Operation::AddMember {
            group: name, email, ..
        } => match user(email) {
            None => Verdict::NotSeen(missing("user", email)),
            Some(found) => seen_if(in_group(found, name), || {
                format!("`{email}` is not in `{name}`")
            }),
        },
        Operation::RemoveMember {
            group: name, email, ..
        } => match user(email) {
            None => Verdict::Seen,
            Some(found) => seen_if(!in_group(found, name), || {
                format!("`{email}` is still in `{name}`")
            }),
        },
        Operation::AddSigningGroupMember {
            signing_group: name,
            email,
            ..
        } => match signing_group(name) {
            None => Verdict::NotSeen(missing("signing group", name)),
            Some(found) => seen_if(found.members.contains_key(&EmailKey::new(email)), || {
                format!("`{email}` is not a member of signing group `{name}`")
            }),
        },
        Operation::RemoveSigningGroupMember {
            signing_group: name,
            email,
            ..
        } => seen_if(
            signing_group(name)
                .is_none_or(|found| !found.members.contains_key(&EmailKey::new(email))),
            || format!("`{email}` is still a member of signing group `{name}`"),
        ),
        Operation::UpdateUser { email, changes, .. } => match user(email) {
            None => Verdict::NotSeen(missing("user", email)),
            Some(found) => {
                let differing: Vec<&str> = changes
                    .iter()
                    .filter(|change| attribute(found, &change.field) != change.to.as_deref())
                    .map(|change| change.field.as_str())
                    .collect();
                seen_if(differing.is_empty(), || {
                    format!(
                        "`{email}` still has other values for {}",
                        differing.join(", ")
                    )
                })
            }
        },
        Operation::ChangeProfile { email, to, .. } => match user(email) {
            None => Verdict::NotSeen(missing("user", email)),
            Some(found) => seen_if(same(&found.permission_profile, to), || {
                format!(
                    "DocuSign answered 200 but `{email}` still holds {}",
                    found.permission_profile
                )
            }),
        },
        Operation::CloseUser { email, .. } => seen_if(
            user(email).is_none_or(|found| found.status == UserStatus::Closed),
            || format!("`{email}` is not closed"),
        ),
        _ => Verdict::Seen,
    }
}

fn same_profile(a: Option<&str>, b: Option<&str>) -> bool {
    a.map(NameKey::new) == b.map(NameKey::new)
}

fn shown_profile(profile: Option<&str>) -> String {
    profile.map_or_else(|| "no profile".to_owned(), |name| format!("`{name}`"))
}

fn attribute<'a>(user: &'a User, field: &str) -> Option<&'a str> {
    match field {
        "first_name" => Some(user.first_name.as_str()),
        "last_name" => Some(user.last_name.as_str()),
        "job_title" => user.job_title.as_deref(),
        _ => None,
    }
}

/// The profile each user the plan touches must end with: the one its create, reopen or
/// profile change names, else the one it held. Users who join a group that carries a profile
/// are included, since DocuSign may hand them the group's profile on joining.
#[must_use]
pub fn profiles_owed(steps: &[&Operation], live: &Account) -> Vec<(EmailKey, String)> {
    let mut owed: BTreeMap<EmailKey, String> = BTreeMap::new();
    let mut joined: BTreeSet<EmailKey> = BTreeSet::new();
    for operation in steps {
        if let Some((email, profile)) = operation.profile_given() {
            owed.insert(EmailKey::new(email), profile.to_owned());
            continue;
        }
        match operation {
            Operation::AddMember { email, .. } => {
                joined.insert(EmailKey::new(email));
            }
            Operation::CloseUser { email, .. } => {
                // A closed user's profile is not the plan's business.
                owed.remove(&EmailKey::new(email));
                joined.remove(&EmailKey::new(email));
            }
            _ => {}
        }
    }
    for key in joined {
        if let Some(user) = live.users.get(&key) {
            owed.entry(key)
                .or_insert_with(|| user.permission_profile.clone());
        }
    }
    owed.into_iter().collect()
}

/// The memberships a reopened user kept while closed: DocuSign keeps them on the same user,
/// but a reopen that made a new user starts with none.
#[must_use]
pub fn kept_memberships(email: &str, steps: &[&Operation], live: &Account) -> Vec<String> {
    let key = EmailKey::new(email);
    let Some(closed) = live.users.get(&key) else {
        return Vec::new();
    };
    let touched = |group: &str| {
        steps.iter().any(|operation| match operation {
            Operation::AddMember {
                group: name,
                email: who,
                ..
            }
            | Operation::RemoveMember {
                group: name,
                email: who,
                ..
            } => EmailKey::new(who) == key && same(name, group),
            Operation::DeleteGroup { name, .. } => same(name, group),
            _ => false,
        })
    };
    closed
        .groups
        .iter()
        .filter(|group| !touched(group))
        .cloned()
        .collect()
}

/// Reads the account back and settles every step by what it shows. Reopens that made a new
/// user get their kept memberships back; profiles DocuSign acknowledged but did not set go
/// through the next routes. Returns the account as read (`None` when it could not be read:
/// then no step counts as done), with what apply had to do beyond the plan in `notes`.
pub(super) async fn settle(
    run: &mut Run<'_>,
    client: &Arc<Client>,
    notes: &mut Vec<String>,
) -> Option<Account> {
    let mut observed = match snapshot::snapshot(client).await {
        Ok(read) => read.account,
        Err(error) => {
            unconfirmed(run, &error.to_string(), notes);
            return None;
        }
    };
    if restore_memberships(run, client, &observed, notes).await {
        match snapshot::snapshot(client).await {
            Ok(read) => observed = read.account,
            Err(error) => {
                unconfirmed(run, &error.to_string(), notes);
                return None;
            }
        }
    }
    let unset = set_owed_profiles(run, client, &mut observed, notes).await;
    for index in 0..run.status.len() {
        let sent = matches!(
            run.status[index],
            Some(Status::Done | Status::Failed { .. })
        );
        if !sent {
            continue;
        }
        let operation = run.operation(index);
        // A user left holding the wrong profile says more than the step's own check: which
        // routes were tried.
        let verdict = unset_evidence(operation, &unset)
            .map_or_else(|| judge(operation, &observed), Verdict::NotSeen);
        match (verdict, &run.status[index]) {
            (Verdict::Seen, Some(Status::Failed { code, .. }))
                if refusal_may_be_overruled(run.operation(index), code) =>
            {
                notes.push(format!(
                    "step {}: DocuSign answered {} but the account shows it done",
                    index + 1,
                    if code.is_empty() {
                        "an error"
                    } else {
                        code.as_str()
                    }
                ));
                run.status[index] = Some(Status::Done);
            }
            (Verdict::NotSeen(evidence), Some(Status::Done)) => {
                run.status[index] = Some(Status::Failed {
                    code: NOT_APPLIED.to_owned(),
                    message: evidence,
                });
            }
            _ => {}
        }
    }
    Some(observed)
}

/// The code of a step DocuSign acknowledged but the account does not show.
pub const NOT_APPLIED: &str = "NOT_APPLIED";

/// Reading back failed: the steps DocuSign acknowledged stay as it answered, unconfirmed, and
/// the run is not complete.
fn unconfirmed(run: &Run<'_>, error: &str, notes: &mut Vec<String>) {
    let acknowledged = run
        .status
        .iter()
        .filter(|status| matches!(status, Some(Status::Done)))
        .count();
    notes.push(format!(
        "the account could not be read back ({error}): the {acknowledged} step(s) DocuSign acknowledged are unconfirmed; run `plan` to see what is left"
    ));
}

/// Whether a step DocuSign refused may still count as done when the account shows its
/// effect. Its codes are hints: "already a member", "not a member", "already closed" or
/// "already deleted" come in words apply may not know, and an answer lost on the way says
/// nothing. But a create DocuSign refused in words made nothing of ours: what the account
/// shows under that name is someone else's.
fn refusal_may_be_overruled(operation: &Operation, code: &str) -> bool {
    let creates = matches!(
        operation,
        Operation::CreateUser { .. }
            | Operation::ReactivateUser { .. }
            | Operation::CreateProfile { .. }
            | Operation::CreateGroup { .. }
            | Operation::CreateSigningGroup { .. }
    );
    code.is_empty() || !creates
}

/// Users whose profile is still not the one owed, with what they hold and the routes tried.
type Unset = BTreeMap<EmailKey, String>;

/// Why a step that the account otherwise shows is not done: its user holds another profile.
fn unset_evidence(operation: &Operation, unset: &Unset) -> Option<String> {
    match operation {
        Operation::CreateUser { email, .. }
        | Operation::ReactivateUser { email, .. }
        | Operation::ChangeProfile { email, .. }
        | Operation::AddMember { email, .. } => unset.get(&EmailKey::new(email)).cloned(),
        _ => None,
    }
}

/// A reopen that made a new user: DocuSign kept the memberships on the closed record, so the
/// new one is given those the plan doesn't change. Answers whether anything was sent.
async fn restore_memberships(
    run: &mut Run<'_>,
    client: &Arc<Client>,
    observed: &Account,
    notes: &mut Vec<String>,
) -> bool {
    let steps: Vec<&Operation> = run.plan.steps.iter().map(|step| &step.operation).collect();
    let mut sent = false;
    for step in &run.plan.steps {
        let Operation::ReactivateUser {
            email,
            id: Some(closed_id),
            ..
        } = &step.operation
        else {
            continue;
        };
        let Some(found) = observed.users.get(&EmailKey::new(email)) else {
            continue;
        };
        let Some(new_id) = found.id.as_ref().filter(|id| *id != closed_id) else {
            continue;
        };
        if found.status == UserStatus::Closed {
            continue;
        }
        let missing: Vec<String> = kept_memberships(email, &steps, run.live)
            .into_iter()
            .filter(|group| !in_group(found, group))
            .collect();
        notes.push(format!(
            "DocuSign reopened `{email}` as a new user (ID {new_id}, was {closed_id}): recorded the new ID{}",
            if missing.is_empty() {
                String::new()
            } else {
                format!(" and restored {} membership(s): {}", missing.len(), missing.join(", "))
            }
        ));
        for group in missing {
            let Some(group_id) = run.ids.group(&group).cloned() else {
                continue;
            };
            sent = true;
            if let Err(error) = client
                .group_members(Members::Add, &group_id, std::slice::from_ref(new_id))
                .await
            {
                notes.push(format!("restoring `{email}` to `{group}` failed: {error}"));
            }
        }
    }
    sent
}

/// Gives every user the plan touches the profile it owes them, where the account shows
/// another: a change DocuSign acknowledged but ignored, or a profile a group handed over on
/// joining. Each round sends the remaining users through the next route and reads them back;
/// answers who still holds another profile, with the evidence.
async fn set_owed_profiles(
    run: &Run<'_>,
    client: &Arc<Client>,
    observed: &mut Account,
    notes: &mut Vec<String>,
) -> Unset {
    let steps: Vec<&Operation> = run
        .plan
        .steps
        .iter()
        .zip(&run.status)
        .filter(|(step, status)| match status {
            Some(Status::Done) => true,
            Some(Status::Failed { code, .. }) => refusal_may_be_overruled(&step.operation, code),
            _ => false,
        })
        .map(|(step, _)| &step.operation)
        .collect();
    // Users whose change already went through the plan's own route start at the next one.
    let sent_by_plan: BTreeSet<EmailKey> = steps
        .iter()
        .filter_map(|operation| match operation {
            Operation::ChangeProfile { email, .. } => Some(EmailKey::new(email)),
            _ => None,
        })
        .collect();
    let owed = profiles_owed(&steps, run.live);
    let mismatched = |observed: &Account| -> Vec<(EmailKey, String)> {
        owed.iter()
            .filter(|(key, profile)| {
                observed.users.get(key).is_some_and(|user| {
                    user.status != UserStatus::Closed && !same(&user.permission_profile, profile)
                })
            })
            .cloned()
            .collect()
    };
    let mut pending = mismatched(observed);
    let mut tried: Vec<&'static str> = Vec::new();
    // In the order apply tries them, the cheapest first. The plan's own calls were the first
    // (bulk `PUT /users`): sending a change that way again would only repeat it.
    for (round, route) in ProfileRoute::ALL.into_iter().enumerate() {
        let batch: Vec<(EmailKey, String)> = pending
            .iter()
            .filter(|(key, _)| round > 0 || !sent_by_plan.contains(key))
            .cloned()
            .collect();
        if batch.is_empty() {
            if pending.is_empty() {
                break;
            }
            continue;
        }
        tried.push(route.call());
        let changes: Vec<(String, String)> = batch
            .iter()
            .filter_map(|(key, profile)| {
                let user_id = observed.users.get(key)?.id.clone()?;
                let profile_id = run.ids.profile(profile)?.clone();
                Some((user_id, profile_id))
            })
            .collect();
        send::send_profiles(client, route, &changes).await;
        reread(client, observed, &batch).await;
        let before = pending.len();
        pending = mismatched(observed);
        if pending.len() < before {
            notes.push(format!(
                "{} profile change(s) took only through {}",
                before - pending.len(),
                route.call()
            ));
        }
    }
    pending
        .into_iter()
        .filter_map(|(key, profile)| {
            let holds = observed.users.get(&key)?.permission_profile.clone();
            let evidence = format!(
                "DocuSign answered 200 but `{key}` still holds {holds}, not {profile} (tried: {})",
                if tried.is_empty() {
                    "nothing".to_owned()
                } else {
                    tried.join(", ")
                }
            );
            Some((key, evidence))
        })
        .collect()
}

/// Reads the users of `batch` again: one call each when that is cheaper than reading the
/// whole account again, else the whole account.
async fn reread(client: &Arc<Client>, observed: &mut Account, batch: &[(EmailKey, String)]) {
    let snapshot_calls =
        observed.users.len().div_ceil(100).max(1) + observed.groups.len().div_ceil(100).max(1) + 2;
    if batch.len() > snapshot_calls {
        if let Ok(read) = snapshot::snapshot(client).await {
            *observed = read.account;
        }
        return;
    }
    let known = observed.clone();
    for (key, _) in batch {
        let Some(user_id) = known.users.get(key).and_then(|user| user.id.clone()) else {
            continue;
        };
        if let Ok(reading) = snapshot::user(client, &user_id, &known).await
            && let Some(user) = observed.users.get_mut(key)
        {
            user.permission_profile = reading.permission_profile;
            user.status = reading.status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{group, profile, user};

    fn account(users: Vec<User>) -> Account {
        let mut account = Account::default();
        for name in ["DocuSign Sender", "Finance"] {
            account.add_profile(profile(name, name, &[]));
        }
        account.add_group(group("g1", "Sales", Some("Finance")));
        for user in users {
            account.add_user(user);
        }
        account
    }

    fn change(email: &str, to: &str) -> Operation {
        Operation::ChangeProfile {
            email: email.to_owned(),
            id: None,
            from: "DocuSign Sender".to_owned(),
            to: to.to_owned(),
        }
    }

    #[test]
    fn a_profile_change_is_done_only_when_the_user_holds_the_new_profile() {
        let held = account(vec![user(
            "a@x.com",
            "DocuSign Sender",
            &[],
            UserStatus::Active,
        )]);
        let verdict = judge(&change("a@x.com", "Finance"), &held);
        assert_eq!(
            verdict,
            Verdict::NotSeen(
                "DocuSign answered 200 but `a@x.com` still holds DocuSign Sender".to_owned()
            )
        );
        let moved = account(vec![user("A@x.com", "finance", &[], UserStatus::Active)]);
        assert_eq!(judge(&change("a@x.com", "Finance"), &moved), Verdict::Seen);
    }

    #[test]
    fn memberships_are_judged_by_what_the_user_records_show() {
        let observed = account(vec![user(
            "a@x.com",
            "Finance",
            &["sales"],
            UserStatus::Active,
        )]);
        let add = Operation::AddMember {
            group: "Sales".to_owned(),
            group_id: None,
            email: "a@x.com".to_owned(),
            user_id: None,
        };
        assert_eq!(judge(&add, &observed), Verdict::Seen);
        let remove = Operation::RemoveMember {
            group: "Sales".to_owned(),
            group_id: None,
            email: "a@x.com".to_owned(),
            user_id: None,
        };
        assert!(matches!(judge(&remove, &observed), Verdict::NotSeen(_)));
        let gone = account(vec![]);
        assert_eq!(
            judge(&remove, &gone),
            Verdict::Seen,
            "no user, no membership"
        );
    }

    #[test]
    fn closes_and_deletes_are_done_when_the_account_no_longer_shows_them_open() {
        let closed = account(vec![user("a@x.com", "Finance", &[], UserStatus::Closed)]);
        let close = Operation::CloseUser {
            email: "a@x.com".to_owned(),
            id: None,
        };
        assert_eq!(judge(&close, &closed), Verdict::Seen);
        let open = account(vec![user("a@x.com", "Finance", &[], UserStatus::Pending)]);
        assert!(matches!(judge(&close, &open), Verdict::NotSeen(_)));
        let delete = Operation::DeleteGroup {
            name: "SALES".to_owned(),
            id: None,
        };
        assert!(matches!(judge(&delete, &open), Verdict::NotSeen(_)));
    }

    #[test]
    fn a_user_who_joins_a_group_owes_the_profile_the_plan_leaves_them() {
        let live = account(vec![
            user("a@x.com", "DocuSign Sender", &[], UserStatus::Active),
            user("b@x.com", "DocuSign Sender", &[], UserStatus::Active),
        ]);
        let join = |email: &str| Operation::AddMember {
            group: "Sales".to_owned(),
            group_id: None,
            email: email.to_owned(),
            user_id: None,
        };
        let steps = [
            join("a@x.com"),
            join("b@x.com"),
            change("b@x.com", "Finance"),
        ];
        let steps: Vec<&Operation> = steps.iter().collect();
        assert_eq!(
            profiles_owed(&steps, &live),
            vec![
                (EmailKey::new("a@x.com"), "DocuSign Sender".to_owned()),
                (EmailKey::new("b@x.com"), "Finance".to_owned()),
            ]
        );
    }

    #[test]
    fn a_reopened_user_keeps_the_memberships_the_plan_does_not_touch() {
        let live = account(vec![user(
            "a@x.com",
            "Finance",
            &["Sales", "Legal", "Ops"],
            UserStatus::Closed,
        )]);
        let steps = [
            Operation::RemoveMember {
                group: "legal".to_owned(),
                group_id: None,
                email: "a@x.com".to_owned(),
                user_id: None,
            },
            Operation::DeleteGroup {
                name: "Ops".to_owned(),
                id: None,
            },
        ];
        let steps: Vec<&Operation> = steps.iter().collect();
        assert_eq!(
            kept_memberships("A@x.com", &steps, &live),
            vec!["Sales".to_owned()]
        );
    }
}
