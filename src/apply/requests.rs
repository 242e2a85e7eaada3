//! The calls `plan::batching` laid out, filled in with DocuSign's IDs as bodies to send. Pure:
//! the sending is `apply::send`.

use std::collections::{BTreeMap, HashMap};

use super::ids::Ids;
use crate::docusign::writes::{GroupChange, NewUser, UserChange};
use crate::model::{Account, EmailKey, full_name};
use crate::plan::batching::{CallKind, CallShape};
use crate::plan::{Operation, Step};

/// One API call's body, in model terms, with owned data so it can be sent from a task.
#[derive(Clone, Debug)]
pub enum Request {
    CreateProfile {
        name: String,
        settings: BTreeMap<String, String>,
    },
    UpdateProfile {
        id: String,
        name: Option<String>,
        settings: BTreeMap<String, String>,
    },
    DeleteProfile {
        id: String,
        move_users_to: String,
    },
    CreateGroups(Vec<(String, Option<String>)>),
    UpdateGroups(Vec<GroupChange>),
    DeleteGroups(Vec<String>),
    CreateSigningGroups(Vec<(String, Option<String>)>),
    RenameSigningGroups(Vec<(String, String)>),
    SigningGroupEmail {
        id: String,
        email: Option<String>,
    },
    DeleteSigningGroups(Vec<String>),
    CreateUsers(Vec<NewUser>),
    UpdateUsers(Vec<UserChange>),
    CloseUsers(Vec<String>),
    GroupMembers {
        add: bool,
        group_id: String,
        user_ids: Vec<String>,
    },
    SigningGroupMembers {
        add: bool,
        id: String,
        members: Vec<(String, String)>,
    },
}

/// A call and, for each item it sends, the plan steps (indices) that item carries.
#[derive(Clone, Debug)]
pub struct Call {
    pub request: Request,
    pub items: Vec<Vec<usize>>,
}

/// The calls to send, and the steps that can't be sent (an ID nobody knows) with why.
#[derive(Debug, Default)]
pub struct Built {
    pub calls: Vec<Call>,
    pub unresolved: Vec<(usize, String)>,
}

/// Fills in `shapes` with the IDs known so far. An item whose IDs aren't known is left out of
/// its call, and its steps are unresolved; a call left with no item isn't made.
#[must_use]
pub fn build(
    steps: &[Step],
    live: &Account,
    ids: &Ids,
    shapes: Vec<CallShape>,
    user_names: &HashMap<EmailKey, String>,
) -> Built {
    let mut builder = Builder {
        steps,
        live,
        ids,
        user_names,
        unresolved: Vec::new(),
    };
    let calls = shapes
        .into_iter()
        .filter_map(|shape| builder.call(&shape))
        .collect();
    Built {
        calls,
        unresolved: builder.unresolved,
    }
}

struct Builder<'a> {
    steps: &'a [Step],
    live: &'a Account,
    ids: &'a Ids,
    user_names: &'a HashMap<EmailKey, String>,
    unresolved: Vec<(usize, String)>,
}

impl<'a> Builder<'a> {
    fn unknown<T>(&mut self, index: usize, kind: &str, name: &str) -> Option<T> {
        self.unresolved.push((
            index,
            format!("no DocuSign ID is known for {kind} `{name}`; plan again"),
        ));
        None
    }

    fn profile_id(&mut self, index: usize, name: &str) -> Option<String> {
        let id = self.ids.profile(name).cloned();
        id.or_else(|| self.unknown(index, "permission profile", name))
    }

    /// A profile the step may leave out (`None`), or its ID; `Err` when it names one with no ID.
    fn optional_profile_id(
        &mut self,
        index: usize,
        name: Option<&String>,
    ) -> Result<Option<String>, ()> {
        name.map_or(Ok(None), |name| {
            self.profile_id(index, name).map(Some).ok_or(())
        })
    }

    fn group_id(&mut self, index: usize, name: &str) -> Option<String> {
        let id = self.ids.group(name).cloned();
        id.or_else(|| self.unknown(index, "group", name))
    }

    fn signing_group_id(&mut self, index: usize, name: &str) -> Option<String> {
        let id = self.ids.signing_group(name).cloned();
        id.or_else(|| self.unknown(index, "signing group", name))
    }

    fn user_id(&mut self, index: usize, email: &str) -> Option<String> {
        let id = self.ids.user(email).cloned();
        id.or_else(|| self.unknown(index, "user", email))
    }

    /// The call `shape` lays out, with the items whose IDs are known.
    fn call(&mut self, shape: &CallShape) -> Option<Call> {
        let mut carried = Vec::new();
        let items = &shape.items;
        let request = match shape.kind {
            CallKind::CreateProfile => {
                let (name, settings) = self.each(items, &mut carried, Self::new_profile).pop()?;
                Request::CreateProfile { name, settings }
            }
            CallKind::UpdateProfile => {
                let (id, name, settings) =
                    self.each(items, &mut carried, Self::profile_update).pop()?;
                Request::UpdateProfile { id, name, settings }
            }
            CallKind::DeleteProfile => {
                let (id, move_users_to) =
                    self.each(items, &mut carried, Self::profile_delete).pop()?;
                Request::DeleteProfile { id, move_users_to }
            }
            CallKind::CreateGroups => {
                Request::CreateGroups(self.each(items, &mut carried, Self::new_group))
            }
            CallKind::UpdateGroups => {
                Request::UpdateGroups(self.each(items, &mut carried, Self::group_change))
            }
            CallKind::CreateSigningGroups => Request::CreateSigningGroups(self.each(
                items,
                &mut carried,
                Self::new_signing_group,
            )),
            CallKind::RenameSigningGroups => Request::RenameSigningGroups(self.each(
                items,
                &mut carried,
                Self::signing_group_rename,
            )),
            CallKind::SigningGroupEmail => {
                let (id, email) = self
                    .each(items, &mut carried, Self::signing_group_email)
                    .pop()?;
                Request::SigningGroupEmail { id, email }
            }
            CallKind::CreateUsers => {
                Request::CreateUsers(self.each(items, &mut carried, Self::new_user))
            }
            CallKind::UpdateUsers => {
                Request::UpdateUsers(self.each(items, &mut carried, Self::user_change))
            }
            CallKind::CloseUsers => {
                Request::CloseUsers(self.each(items, &mut carried, Self::closed_user))
            }
            CallKind::DeleteGroups => {
                Request::DeleteGroups(self.each(items, &mut carried, Self::deleted_group))
            }
            CallKind::DeleteSigningGroups => Request::DeleteSigningGroups(self.each(
                items,
                &mut carried,
                Self::deleted_signing_group,
            )),
            CallKind::GroupMembers => {
                let members = self.each(items, &mut carried, Self::group_member);
                let (add, group_id) = members.first().map(|(add, of, _)| (*add, of.clone()))?;
                Request::GroupMembers {
                    add,
                    group_id,
                    user_ids: members.into_iter().map(|(_, _, user)| user).collect(),
                }
            }
            CallKind::SigningGroupMembers => {
                let members = self.each(items, &mut carried, Self::signing_group_member);
                let (add, id) = members.first().map(|(add, of, _)| (*add, of.clone()))?;
                Request::SigningGroupMembers {
                    add,
                    id,
                    members: members.into_iter().map(|(_, _, member)| member).collect(),
                }
            }
        };
        (!carried.is_empty()).then_some(Call {
            request,
            items: carried,
        })
    }

    /// Each item `fill` can fill in, its steps added to `carried`. An item it can't fill in
    /// (it said why for the step at fault) is left out, and every step it carries is unresolved.
    fn each<T>(
        &mut self,
        items: &[Vec<usize>],
        carried: &mut Vec<Vec<usize>>,
        mut fill: impl FnMut(&mut Self, &[usize]) -> Option<T>,
    ) -> Vec<T> {
        let mut filled = Vec::new();
        for steps in items {
            let said = self.unresolved.len();
            if let Some(item) = fill(self, steps) {
                filled.push(item);
                carried.push(steps.clone());
                continue;
            }
            let explained: Vec<usize> = self.unresolved[said..]
                .iter()
                .map(|(step, _)| *step)
                .collect();
            for &step in steps {
                if !explained.contains(&step) {
                    let why = "a step it goes with could not be sent".to_owned();
                    self.unresolved.push((step, why));
                }
            }
        }
        filled
    }

    /// The step of an item that carries one.
    fn only(&self, steps: &[usize]) -> Option<(usize, &'a Operation)> {
        let &index = steps.first()?;
        Some((index, &self.steps[index].operation))
    }

    fn new_profile(&mut self, steps: &[usize]) -> Option<(String, BTreeMap<String, String>)> {
        match self.only(steps)? {
            (_, Operation::CreateProfile { name, settings }) => {
                Some((name.clone(), settings.clone()))
            }
            _ => None,
        }
    }

    fn profile_delete(&mut self, steps: &[usize]) -> Option<(String, String)> {
        match self.only(steps)? {
            (
                index,
                Operation::DeleteProfile {
                    name,
                    move_users_to,
                    ..
                },
            ) => Some((
                self.profile_id(index, name)?,
                self.profile_id(index, move_users_to)?,
            )),
            _ => None,
        }
    }

    fn new_group(&mut self, steps: &[usize]) -> Option<(String, Option<String>)> {
        match self.only(steps)? {
            (
                index,
                Operation::CreateGroup {
                    name,
                    permission_profile,
                },
            ) => Some((
                name.clone(),
                self.optional_profile_id(index, permission_profile.as_ref())
                    .ok()?,
            )),
            _ => None,
        }
    }

    fn new_signing_group(&mut self, steps: &[usize]) -> Option<(String, Option<String>)> {
        match self.only(steps)? {
            (_, Operation::CreateSigningGroup { name, email }) => {
                Some((name.clone(), email.clone()))
            }
            _ => None,
        }
    }

    fn signing_group_rename(&mut self, steps: &[usize]) -> Option<(String, String)> {
        match self.only(steps)? {
            (index, Operation::RenameSigningGroup { to, .. }) => {
                Some((self.signing_group_id(index, to)?, to.clone()))
            }
            _ => None,
        }
    }

    fn signing_group_email(&mut self, steps: &[usize]) -> Option<(String, Option<String>)> {
        match self.only(steps)? {
            (
                index,
                Operation::SetSigningGroupEmail {
                    signing_group, to, ..
                },
            ) => Some((self.signing_group_id(index, signing_group)?, to.clone())),
            _ => None,
        }
    }

    fn closed_user(&mut self, steps: &[usize]) -> Option<String> {
        match self.only(steps)? {
            (index, Operation::CloseUser { email, .. }) => self.user_id(index, email),
            _ => None,
        }
    }

    fn deleted_group(&mut self, steps: &[usize]) -> Option<String> {
        match self.only(steps)? {
            (index, Operation::DeleteGroup { name, .. }) => self.group_id(index, name),
            _ => None,
        }
    }

    fn deleted_signing_group(&mut self, steps: &[usize]) -> Option<String> {
        match self.only(steps)? {
            (index, Operation::DeleteSigningGroup { name, .. }) => {
                self.signing_group_id(index, name)
            }
            _ => None,
        }
    }

    /// (adds, group ID, user ID).
    fn group_member(&mut self, steps: &[usize]) -> Option<(bool, String, String)> {
        let (index, operation) = self.only(steps)?;
        let (Operation::AddMember { group, email, .. }
        | Operation::RemoveMember { group, email, .. }) = operation
        else {
            return None;
        };
        Some((
            matches!(operation, Operation::AddMember { .. }),
            self.group_id(index, group)?,
            self.user_id(index, email)?,
        ))
    }

    /// (adds, signing group ID, (name, email)).
    fn signing_group_member(
        &mut self,
        steps: &[usize],
    ) -> Option<(bool, String, (String, String))> {
        match self.only(steps)? {
            (
                index,
                Operation::AddSigningGroupMember {
                    signing_group,
                    name,
                    email,
                    ..
                },
            ) => Some((
                true,
                self.signing_group_id(index, signing_group)?,
                (name.clone(), email.clone()),
            )),
            (
                index,
                Operation::RemoveSigningGroupMember {
                    signing_group,
                    id,
                    email,
                },
            ) => {
                // The ID the plan carries, else the group by name.
                let id = match id {
                    Some(id) => id.clone(),
                    None => self.signing_group_id(index, signing_group)?,
                };
                // DocuSign's body names the member; the live record has the name.
                let name = self
                    .live
                    .signing_groups
                    .values()
                    .find(|group| group.id.as_deref() == Some(id.as_str()))
                    .and_then(|group| group.members.get(&EmailKey::new(email)))
                    .map(|member| member.name.clone())
                    .unwrap_or_default();
                Some((false, id, (name, email.clone())))
            }
            _ => None,
        }
    }

    /// A profile's rename and settings changes, in one call.
    fn profile_update(
        &mut self,
        steps: &[usize],
    ) -> Option<(String, Option<String>, BTreeMap<String, String>)> {
        let mut name = None;
        let mut settings = BTreeMap::new();
        let mut profile = None;
        for &index in steps {
            match &self.steps[index].operation {
                Operation::RenameProfile { to, .. } => {
                    name = Some(to.clone());
                    profile = Some((index, to.clone()));
                }
                Operation::UpdateProfileSettings {
                    profile: named,
                    changes,
                    ..
                } => {
                    for change in changes {
                        if let Some(value) = &change.to {
                            settings.insert(change.field.clone(), value.clone());
                        }
                    }
                    profile.get_or_insert((index, named.clone()));
                }
                _ => {}
            }
        }
        let (index, profile) = profile?;
        Some((self.profile_id(index, &profile)?, name, settings))
    }

    /// A group's rename and profile change, as one item.
    fn group_change(&mut self, steps: &[usize]) -> Option<GroupChange> {
        let mut change: Option<GroupChange> = None;
        for &index in steps {
            let (group, name, profile) = match &self.steps[index].operation {
                Operation::RenameGroup { to, .. } => (to, Some(to.clone()), None),
                Operation::SetGroupProfile { group, to, .. } => (
                    group,
                    None,
                    Some(self.optional_profile_id(index, to.as_ref()).ok()?),
                ),
                _ => continue,
            };
            if change.is_none() {
                change = Some(GroupChange {
                    group_id: self.group_id(index, group)?,
                    ..GroupChange::default()
                });
            }
            let change = change.as_mut()?;
            if name.is_some() {
                change.name = name;
            }
            if profile.is_some() {
                change.profile_id = profile;
            }
        }
        change
    }

    /// A new or reopened user, with the groups it joins as it is created.
    fn new_user(&mut self, steps: &[usize]) -> Option<NewUser> {
        let (&index, joins) = steps.split_first()?;
        let mut group_ids = Vec::new();
        for &join in joins {
            if let Operation::AddMember { group, .. } = &self.steps[join].operation {
                group_ids.push(self.group_id(join, group)?);
            }
        }
        match self.steps[index].operation.clone() {
            Operation::CreateUser {
                email,
                first_name,
                last_name,
                job_title,
                permission_profile,
            } => Some(NewUser {
                user_name: full_name(&first_name, &last_name),
                profile_id: self.profile_id(index, &permission_profile)?,
                email,
                first_name,
                last_name,
                job_title,
                group_ids,
            }),
            Operation::ReactivateUser {
                email,
                permission_profile,
                ..
            } => {
                let profile_id = self.profile_id(index, &permission_profile)?;
                // DocuSign reopens a closed membership when the userName and email both
                // match: the name is the one DocuSign holds for the closed record (read just
                // before this phase), never one made up from first and last name.
                let Some(closed) = self.live.users.get(&EmailKey::new(&email)) else {
                    return self.unknown(index, "user", &email);
                };
                let Some(user_name) = self.user_names.get(&EmailKey::new(&email)).cloned() else {
                    self.unresolved.push((
                        index,
                        format!("DocuSign's user name for the closed user `{email}` could not be read; plan again"),
                    ));
                    return None;
                };
                Some(NewUser {
                    user_name,
                    email,
                    first_name: closed.first_name.clone(),
                    last_name: closed.last_name.clone(),
                    job_title: closed.job_title.clone(),
                    profile_id,
                    group_ids,
                })
            }
            _ => None,
        }
    }

    /// A user's attribute and profile changes, as one item.
    fn user_change(&mut self, steps: &[usize]) -> Option<UserChange> {
        let mut change: Option<UserChange> = None;
        for &index in steps {
            let operation = &self.steps[index].operation;
            let (Operation::UpdateUser { email, .. } | Operation::ChangeProfile { email, .. }) =
                operation
            else {
                continue;
            };
            if change.is_none() {
                change = Some(UserChange {
                    user_id: self.user_id(index, email)?,
                    ..UserChange::default()
                });
            }
            match operation {
                Operation::UpdateUser { changes, .. } => {
                    let change = change.as_mut()?;
                    for field in changes {
                        let value = field.to.clone();
                        match field.field.as_str() {
                            "first_name" => change.first_name = value,
                            "last_name" => change.last_name = value,
                            "job_title" => change.job_title = value,
                            _ => {}
                        }
                    }
                }
                Operation::ChangeProfile { to, .. } => {
                    let profile_id = self.profile_id(index, to)?;
                    change.as_mut()?.profile_id = Some(profile_id);
                }
                _ => {}
            }
        }
        change
    }
}
