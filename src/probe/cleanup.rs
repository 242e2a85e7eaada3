//! What the probe made, written down as it goes, and taking it all away again: after the last
//! step, after a failure, or after Ctrl-C stopped the steps midway.

use std::sync::Mutex;

use reqwest::Method;

use super::Names;
use super::calls::{Caller, listed, text_at};
use crate::docusign::writes::ItemOutcome;

/// One thing the probe asked DocuSign to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Made {
    /// Asked for; the answer was not read (stopped, or lost on the way), so it may exist.
    Sent,
    /// Made, with this ID.
    Id(String),
}

/// Everything the probe made so far.
#[derive(Debug, Default)]
pub struct Ledger {
    inner: Mutex<Things>,
}

#[derive(Debug, Default)]
struct Things {
    /// DocuSign Sender's ID: where the temporary profile's holders move when it is deleted.
    sender_profile: Option<String>,
    profile: Option<Made>,
    group: Option<Made>,
    signing_group: Option<Made>,
    /// The temporary user, and any other user a reopen made.
    users: Vec<Made>,
}

impl Ledger {
    fn with<T>(&self, f: impl FnOnce(&mut Things) -> T) -> T {
        f(&mut self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub fn sender_profile(&self, id: &str) {
        self.with(|made| made.sender_profile = Some(id.to_owned()));
    }

    /// The temporary profile: `None` when DocuSign said it made none.
    pub fn profile(&self, made: Option<Made>) {
        self.with(|all| all.profile = made);
    }

    pub fn group(&self, made: Option<Made>) {
        self.with(|all| all.group = made);
    }

    pub fn signing_group(&self, made: Option<Made>) {
        self.with(|all| all.signing_group = made);
    }

    /// A user create was sent: the user may exist from now on.
    pub fn user_sent(&self) {
        self.with(|all| all.users.push(Made::Sent));
    }

    /// The user create sent last made `id` (or the user with `id` appeared otherwise).
    pub fn user(&self, id: &str) {
        self.with(|all| {
            let known = all
                .users
                .iter()
                .any(|made| *made == Made::Id(id.to_owned()));
            if let Some(pending) = all.users.iter().position(|made| *made == Made::Sent) {
                if known {
                    all.users.remove(pending);
                } else {
                    all.users[pending] = Made::Id(id.to_owned());
                }
            } else if !known {
                all.users.push(Made::Id(id.to_owned()));
            }
        });
    }

    /// A user create answered without making anyone.
    pub fn user_not_made(&self) {
        self.with(|all| {
            if let Some(pending) = all.users.iter().position(|made| *made == Made::Sent) {
                all.users.remove(pending);
            }
        });
    }
}

/// How the cleanup went.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// What was taken away (or closed), in words.
    pub removed: Vec<String>,
    /// What is still there, and why, in words.
    pub left: Vec<String>,
}

/// Takes away everything in `ledger`: closes the users (DocuSign can't delete one), then
/// deletes the signing group, the group and the profile. Goes on past a failure, so one thing
/// that can't be removed doesn't keep the others.
pub async fn clean_up(caller: &Caller, names: &Names, ledger: &Ledger) -> Cleaned {
    let made = ledger.with(std::mem::take);
    let mut cleaned = Cleaned::default();
    let users = resolve_users(caller, names, &made.users, &mut cleaned).await;
    if users.is_empty() && !made.users.is_empty() {
        cleaned.removed.push(format!(
            "the temporary user `{}` (closed already: DocuSign can't delete a user)",
            names.email
        ));
    }
    if !users.is_empty() {
        let what = format!(
            "the temporary user `{}` (closed: DocuSign can't delete a user)",
            names.email
        );
        settle(
            &mut cleaned,
            &what,
            caller.client.close_users(&users).await,
            true,
        );
    }
    let signing_group = Lookup {
        path: "/signing_groups".to_owned(),
        field: "groups",
        id_field: "signingGroupId",
        name: &names.signing_group,
    };
    if let Some(id) = signing_group
        .resolve(caller, made.signing_group.as_ref(), &mut cleaned)
        .await
    {
        let what = format!("the temporary signing group `{}`", names.signing_group);
        let outcome = caller.client.delete_signing_groups(&[id]).await;
        settle(&mut cleaned, &what, outcome, false);
    }
    let group = Lookup {
        path: names.group_search_path(),
        field: "groups",
        id_field: "groupId",
        name: &names.group,
    };
    if let Some(id) = group
        .resolve(caller, made.group.as_ref(), &mut cleaned)
        .await
    {
        let what = format!("the temporary group `{}`", names.group);
        settle(
            &mut cleaned,
            &what,
            caller.client.delete_groups(&[id]).await,
            false,
        );
    }
    let profile = Lookup {
        path: "/permission_profiles".to_owned(),
        field: "permissionProfiles",
        id_field: "permissionProfileId",
        name: &names.profile,
    };
    if let Some(id) = profile
        .resolve(caller, made.profile.as_ref(), &mut cleaned)
        .await
    {
        let what = format!("the temporary permission profile `{}`", names.profile);
        match &made.sender_profile {
            // The closed temporary user still holds a profile: it moves to DocuSign Sender.
            Some(sender) => {
                let outcome = caller.client.delete_profile(&id, sender).await;
                settle(&mut cleaned, &what, outcome.map(|()| vec![Ok(None)]), false);
            }
            None => cleaned.left.push(format!(
                "{what}: DocuSign Sender's ID is unknown, so its holders have nowhere to move"
            )),
        }
    }
    cleaned
}

/// The IDs of the users to close: those known, and for a create whose answer was not read,
/// whoever has the probe's email and user name and is not closed.
async fn resolve_users(
    caller: &Caller,
    names: &Names,
    made: &[Made],
    cleaned: &mut Cleaned,
) -> Vec<String> {
    let mut ids = Vec::new();
    for made in made {
        let Made::Id(id) = made else { continue };
        // One the probe closed already stays as it is: closing it again proves nothing.
        let closed = match caller
            .send(Method::GET, &format!("/users/{id}"), None)
            .await
        {
            Ok(record) if record.status.is_success() => {
                text_at(&record.body, "userStatus").eq_ignore_ascii_case("closed")
            }
            _ => false,
        };
        if !closed && !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if made.contains(&Made::Sent) {
        let path = names.users_by_email_path();
        match caller.send(Method::GET, &path, None).await {
            Ok(found) if found.status.is_success() => {
                for user in listed(&found.body, "users") {
                    let id = text_at(user, "userId");
                    let open = !text_at(user, "userStatus").eq_ignore_ascii_case("closed");
                    if open && text_at(user, "userName") == names.user_name && !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
            // An unknown email is a 400: the create never happened.
            Ok(_) => {}
            Err(stop) => cleaned.left.push(format!(
                "the temporary user `{}`, if it was made: can't look it up ({stop})",
                names.email
            )),
        }
    }
    ids
}

/// Where to find a thing the probe made whose create was not answered: the list at `path`
/// holds it under `field`, by its `name`.
struct Lookup<'a> {
    path: String,
    field: &'a str,
    id_field: &'a str,
    name: &'a str,
}

impl Lookup<'_> {
    /// The thing's ID: known, or found by its name; `None` when nothing was made. A lookup
    /// that fails is written under `left`, as the thing may exist.
    async fn resolve(
        &self,
        caller: &Caller,
        made: Option<&Made>,
        cleaned: &mut Cleaned,
    ) -> Option<String> {
        let Self {
            path,
            field,
            id_field,
            name,
        } = self;
        match made? {
            Made::Id(id) => Some(id.clone()),
            Made::Sent => {
                let found = match caller.send(Method::GET, path, None).await {
                    Ok(found) if found.status.is_success() => found,
                    Ok(found) => {
                        cleaned.left.push(format!(
                            "`{name}`, if it was made: looking it up answered {}",
                            super::calls::described(&found)
                        ));
                        return None;
                    }
                    Err(stop) => {
                        cleaned.left.push(format!(
                            "`{name}`, if it was made: can't look it up ({stop})"
                        ));
                        return None;
                    }
                };
                found.body[*field]
                    .as_array()?
                    .iter()
                    .find(|item| {
                        [
                            &text_at(item, "groupName"),
                            &text_at(item, "permissionProfileName"),
                        ]
                        .iter()
                        .any(|named| named.as_str() == *name)
                    })
                    .map(|item| text_at(item, id_field))
                    .filter(|id: &String| !id.is_empty())
            }
        }
    }
}

/// Files one removal's outcome under removed or left. A user closed twice is no failure.
fn settle(
    cleaned: &mut Cleaned,
    what: &str,
    outcome: Result<Vec<ItemOutcome>, impl std::fmt::Display>,
    closing: bool,
) {
    let failed: Vec<String> = match outcome {
        Err(err) => vec![err.to_string()],
        Ok(items) => items
            .into_iter()
            .filter_map(Result::err)
            .map(|error| {
                format!("{} {}", error.code, error.message)
                    .trim()
                    .to_owned()
            })
            .collect(),
    };
    if failed.is_empty() {
        cleaned.removed.push(what.to_owned());
    } else {
        let verb = if closing { "close" } else { "remove" };
        cleaned.left.push(format!(
            "{what}: could not {verb} it ({}); {verb} it by hand in DocuSign's admin pages",
            failed.join("; ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(ledger: &Ledger) -> Vec<Made> {
        ledger.with(|all| all.users.clone())
    }

    #[test]
    fn a_sent_user_becomes_its_id_and_a_reopened_one_is_not_counted_twice() {
        let ledger = Ledger::default();
        ledger.user_sent();
        assert_eq!(users(&ledger), [Made::Sent]);
        ledger.user("u-1");
        assert_eq!(users(&ledger), [Made::Id("u-1".to_owned())]);
        // Created again: DocuSign reopened the same user.
        ledger.user_sent();
        ledger.user("u-1");
        assert_eq!(users(&ledger), [Made::Id("u-1".to_owned())]);
        // Created again: a new user beside the closed one.
        ledger.user_sent();
        ledger.user("u-2");
        assert_eq!(
            users(&ledger),
            [Made::Id("u-1".to_owned()), Made::Id("u-2".to_owned())]
        );
        // A create DocuSign refused made no one.
        ledger.user_sent();
        ledger.user_not_made();
        assert_eq!(users(&ledger).len(), 2);
    }
}
