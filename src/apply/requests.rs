//! A phase's operations as the calls that carry them, batched as `plan::batching` says, and
//! sending one call.

use std::collections::{BTreeMap, HashMap};

use super::ids::Ids;
use super::{PROFILE_ROUTE, ProfileRoute};
use crate::docusign::Client;
use crate::docusign::writes::{GroupChange, ItemError, ItemOutcome, Members, NewUser, UserChange};
use crate::model::{Account, EmailKey, NameKey};
use crate::plan::batching::{USERS_PER_BULK, USERS_PER_CREATE};
use crate::plan::{Operation, Phase, Plan};

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
    UpdateUser(UserChange),
    SetUserProfile {
        user_id: String,
        profile_id: String,
    },
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

/// A phase's calls, and the steps that can't be sent (an ID nobody knows) with why.
#[derive(Debug, Default)]
pub struct Built {
    pub calls: Vec<Call>,
    pub unresolved: Vec<(usize, String)>,
}

/// Collects the items of one bulk call kind.
struct Batch<T> {
    items: Vec<T>,
    steps: Vec<Vec<usize>>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            steps: Vec::new(),
        }
    }
}

impl<T> Batch<T> {
    fn push(&mut self, item: T, steps: Vec<usize>) {
        self.items.push(item);
        self.steps.push(steps);
    }

    /// The batch as calls of at most `size` items (all in one call when `size` is `None`).
    fn calls(self, size: Option<usize>, request: impl Fn(Vec<T>) -> Request) -> Vec<Call> {
        if self.items.is_empty() {
            return Vec::new();
        }
        let size = size.unwrap_or(self.items.len());
        let mut calls = Vec::new();
        let mut items = self.items.into_iter();
        let mut steps = self.steps.into_iter();
        loop {
            let chunk: Vec<T> = items.by_ref().take(size).collect();
            if chunk.is_empty() {
                break;
            }
            let chunk_steps: Vec<Vec<usize>> = steps.by_ref().take(chunk.len()).collect();
            calls.push(Call {
                request: request(chunk),
                items: chunk_steps,
            });
        }
        calls
    }
}

/// Builds the calls for the `ready` steps of `phase`; `folded` are `AddMember` steps that ride
/// in their users' create calls (only in the user-creation phase).
pub fn build(
    plan: &Plan,
    live: &Account,
    ids: &Ids,
    phase: Phase,
    ready: &[usize],
    folded: &[usize],
    user_names: &HashMap<EmailKey, String>,
) -> Built {
    let mut builder = Builder {
        plan,
        live,
        ids,
        built: Built::default(),
    };
    match phase {
        Phase::Profiles => builder.profiles(ready),
        Phase::SigningGroupRoom => {
            builder.memberships(ready);
            builder.delete_groups(ready);
        }
        Phase::GroupsAndSigningGroups => builder.groups(ready),
        Phase::CreateUsers => builder.create_users(ready, folded, user_names),
        Phase::AddMemberships | Phase::RemoveMemberships => builder.memberships(ready),
        Phase::UserChanges => builder.user_changes(ready),
        Phase::CloseUsers => builder.close_users(ready),
        Phase::DeleteGroups => builder.delete_groups(ready),
        Phase::DeleteProfiles => builder.delete_profiles(ready),
    }
    builder.built
}

/// A profile's new name and settings, and the steps they carry.
type ProfileUpdate = (Option<String>, BTreeMap<String, String>, Vec<usize>);

struct Builder<'a> {
    plan: &'a Plan,
    live: &'a Account,
    ids: &'a Ids,
    built: Built,
}

impl Builder<'_> {
    fn operation(&self, index: usize) -> &Operation {
        &self.plan.steps[index].operation
    }

    fn unknown(&mut self, index: usize, kind: &str, name: &str) {
        self.built.unresolved.push((
            index,
            format!("no DocuSign ID is known for {kind} `{name}`; plan again"),
        ));
    }

    fn profile_id(&mut self, index: usize, name: &str) -> Option<String> {
        let id = self.ids.profile(name).cloned();
        if id.is_none() {
            self.unknown(index, "permission profile", name);
        }
        id
    }

    fn group_id(&mut self, index: usize, name: &str) -> Option<String> {
        let id = self.ids.group(name).cloned();
        if id.is_none() {
            self.unknown(index, "group", name);
        }
        id
    }

    fn signing_group_id(&mut self, index: usize, name: &str) -> Option<String> {
        let id = self.ids.signing_group(name).cloned();
        if id.is_none() {
            self.unknown(index, "signing group", name);
        }
        id
    }

    fn user_id(&mut self, index: usize, email: &str) -> Option<String> {
        let id = self.ids.user(email).cloned();
        if id.is_none() {
            self.unknown(index, "user", email);
        }
        id
    }

    fn profiles(&mut self, ready: &[usize]) {
        // A rename and a settings change of one profile go in one call.
        let mut updates: BTreeMap<NameKey, ProfileUpdate> = BTreeMap::new();
        for &index in ready {
            match self.operation(index).clone() {
                Operation::CreateProfile { name, settings } => self.built.calls.push(Call {
                    request: Request::CreateProfile { name, settings },
                    items: vec![vec![index]],
                }),
                Operation::RenameProfile { to, .. } => {
                    let entry = updates.entry(NameKey::new(&to)).or_default();
                    entry.0 = Some(to);
                    entry.2.push(index);
                }
                Operation::UpdateProfileSettings {
                    profile, changes, ..
                } => {
                    let entry = updates.entry(NameKey::new(&profile)).or_default();
                    for change in changes {
                        if let Some(value) = change.to {
                            entry.1.insert(change.field, value);
                        }
                    }
                    entry.2.push(index);
                }
                _ => {}
            }
        }
        for (key, (name, settings, steps)) in updates {
            let Some(&first) = steps.first() else {
                continue;
            };
            let Some(id) = self.profile_id(first, key.as_str()) else {
                self.built.unresolved.extend(
                    steps[1..]
                        .iter()
                        .map(|&step| (step, "no profile ID".to_owned())),
                );
                continue;
            };
            self.built.calls.push(Call {
                request: Request::UpdateProfile { id, name, settings },
                items: vec![steps],
            });
        }
    }

    fn groups(&mut self, ready: &[usize]) {
        let mut creates = Batch::default();
        let mut changes: BTreeMap<String, (GroupChange, Vec<usize>)> = BTreeMap::new();
        let mut signing_creates = Batch::default();
        let mut signing_renames = Batch::default();
        for &index in ready {
            match self.operation(index).clone() {
                Operation::CreateGroup {
                    name,
                    permission_profile,
                } => {
                    let profile_id = match &permission_profile {
                        Some(profile) => match self.profile_id(index, profile) {
                            Some(id) => Some(id),
                            None => continue,
                        },
                        None => None,
                    };
                    creates.push((name, profile_id), vec![index]);
                }
                Operation::RenameGroup { to, .. } => {
                    let Some(id) = self.group_id(index, &to) else {
                        continue;
                    };
                    let entry = changes.entry(id.clone()).or_insert_with(|| {
                        (
                            GroupChange {
                                group_id: id,
                                ..GroupChange::default()
                            },
                            Vec::new(),
                        )
                    });
                    entry.0.name = Some(to);
                    entry.1.push(index);
                }
                Operation::SetGroupProfile { group, to, .. } => {
                    let Some(id) = self.group_id(index, &group) else {
                        continue;
                    };
                    let profile_id = match &to {
                        Some(profile) => match self.profile_id(index, profile) {
                            Some(id) => Some(id),
                            None => continue,
                        },
                        None => None,
                    };
                    let entry = changes.entry(id.clone()).or_insert_with(|| {
                        (
                            GroupChange {
                                group_id: id,
                                ..GroupChange::default()
                            },
                            Vec::new(),
                        )
                    });
                    entry.0.profile_id = Some(profile_id);
                    entry.1.push(index);
                }
                Operation::CreateSigningGroup { name, email } => {
                    signing_creates.push((name, email), vec![index]);
                }
                Operation::RenameSigningGroup { to, .. } => {
                    let Some(id) = self.signing_group_id(index, &to) else {
                        continue;
                    };
                    signing_renames.push((id, to), vec![index]);
                }
                Operation::SetSigningGroupEmail {
                    signing_group, to, ..
                } => {
                    let Some(id) = self.signing_group_id(index, &signing_group) else {
                        continue;
                    };
                    self.built.calls.push(Call {
                        request: Request::SigningGroupEmail { id, email: to },
                        items: vec![vec![index]],
                    });
                }
                _ => {}
            }
        }
        let mut group_changes = Batch::default();
        for (change, steps) in changes.into_values() {
            group_changes.push(change, steps);
        }
        let calls = [
            creates.calls(None, Request::CreateGroups),
            group_changes.calls(None, Request::UpdateGroups),
            signing_creates.calls(None, Request::CreateSigningGroups),
            signing_renames.calls(None, Request::RenameSigningGroups),
        ];
        self.built.calls.extend(calls.into_iter().flatten());
    }

    fn create_users(
        &mut self,
        ready: &[usize],
        folded: &[usize],
        user_names: &HashMap<EmailKey, String>,
    ) {
        // The groups each new user joins in its create call, by email.
        let mut joins: BTreeMap<EmailKey, Vec<(usize, String)>> = BTreeMap::new();
        for &index in folded {
            if let Operation::AddMember { group, email, .. } = self.operation(index).clone()
                && let Some(id) = self.group_id(index, &group)
            {
                joins
                    .entry(EmailKey::new(&email))
                    .or_default()
                    .push((index, id));
            }
        }
        let mut creates = Batch::default();
        for &index in ready {
            let (user, mut steps) = match self.operation(index).clone() {
                Operation::CreateUser {
                    email,
                    first_name,
                    last_name,
                    job_title,
                    permission_profile,
                } => {
                    let Some(profile_id) = self.profile_id(index, &permission_profile) else {
                        continue;
                    };
                    let joined = joins.remove(&EmailKey::new(&email)).unwrap_or_default();
                    let user = NewUser {
                        user_name: format!("{first_name} {last_name}").trim().to_owned(),
                        email,
                        first_name,
                        last_name,
                        job_title,
                        profile_id,
                        group_ids: joined.iter().map(|(_, id)| id.clone()).collect(),
                    };
                    (user, joined.into_iter().map(|(step, _)| step).collect())
                }
                Operation::ReactivateUser {
                    email,
                    permission_profile,
                    ..
                } => {
                    let Some(profile_id) = self.profile_id(index, &permission_profile) else {
                        continue;
                    };
                    // DocuSign reopens a closed membership when the userName and email both
                    // match: the name is the one DocuSign holds for the closed record (read
                    // just before this phase), never one made up from first and last name.
                    let Some(closed) = self.live.users.get(&EmailKey::new(&email)) else {
                        self.unknown(index, "user", &email);
                        continue;
                    };
                    let Some(user_name) = user_names.get(&EmailKey::new(&email)).cloned() else {
                        self.built.unresolved.push((
                            index,
                            format!("DocuSign's user name for the closed user `{email}` could not be read; plan again"),
                        ));
                        continue;
                    };
                    let user = NewUser {
                        user_name,
                        email,
                        first_name: closed.first_name.clone(),
                        last_name: closed.last_name.clone(),
                        job_title: closed.job_title.clone(),
                        profile_id,
                        group_ids: Vec::new(),
                    };
                    (user, Vec::new())
                }
                _ => continue,
            };
            steps.insert(0, index);
            creates.push(user, steps);
        }
        // A join whose user isn't created here after all gets its own outcome.
        for (index, _) in joins.into_values().flatten() {
            self.built
                .unresolved
                .push((index, "its user's creation was not sent".to_owned()));
        }
        self.built
            .calls
            .extend(creates.calls(Some(USERS_PER_CREATE), Request::CreateUsers));
    }

    fn memberships(&mut self, ready: &[usize]) {
        let mut groups: BTreeMap<(bool, String), Batch<String>> = BTreeMap::new();
        let mut signing: BTreeMap<(bool, String), Batch<(String, String)>> = BTreeMap::new();
        for &index in ready {
            match self.operation(index).clone() {
                Operation::AddMember { group, email, .. }
                | Operation::RemoveMember { group, email, .. } => {
                    let add = matches!(self.operation(index), Operation::AddMember { .. });
                    let (Some(group_id), Some(user_id)) =
                        (self.group_id(index, &group), self.user_id(index, &email))
                    else {
                        continue;
                    };
                    groups
                        .entry((add, group_id))
                        .or_default()
                        .push(user_id, vec![index]);
                }
                Operation::AddSigningGroupMember {
                    signing_group,
                    name,
                    email,
                    ..
                } => {
                    let Some(id) = self.signing_group_id(index, &signing_group) else {
                        continue;
                    };
                    signing
                        .entry((true, id))
                        .or_default()
                        .push((name, email), vec![index]);
                }
                Operation::RemoveSigningGroupMember {
                    signing_group,
                    id,
                    email,
                } => {
                    // The ID the plan carries, else the group by name.
                    let Some(id) = id.or_else(|| self.signing_group_id(index, &signing_group))
                    else {
                        continue;
                    };
                    // DocuSign's body names the member; the live record has the name.
                    let name = self
                        .live
                        .signing_groups
                        .values()
                        .find(|group| group.id.as_deref() == Some(id.as_str()))
                        .and_then(|group| group.members.get(&EmailKey::new(&email)))
                        .map(|member| member.name.clone())
                        .unwrap_or_default();
                    signing
                        .entry((false, id))
                        .or_default()
                        .push((name, email), vec![index]);
                }
                _ => {}
            }
        }
        for ((add, group_id), batch) in groups {
            self.built
                .calls
                .extend(batch.calls(None, |user_ids| Request::GroupMembers {
                    add,
                    group_id: group_id.clone(),
                    user_ids,
                }));
        }
        for ((add, id), batch) in signing {
            self.built
                .calls
                .extend(batch.calls(None, |members| Request::SigningGroupMembers {
                    add,
                    id: id.clone(),
                    members,
                }));
        }
    }

    fn user_changes(&mut self, ready: &[usize]) {
        // One change per user: its attributes and its profile.
        let mut changes: BTreeMap<String, (UserChange, Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for &index in ready {
            let operation = self.operation(index).clone();
            let (Operation::UpdateUser { email, .. } | Operation::ChangeProfile { email, .. }) =
                &operation
            else {
                continue;
            };
            let Some(user_id) = self.user_id(index, email) else {
                continue;
            };
            let profile_id = match &operation {
                Operation::ChangeProfile { to, .. } => match self.profile_id(index, to) {
                    Some(id) => Some(id),
                    None => continue,
                },
                _ => None,
            };
            let entry = changes.entry(user_id.clone()).or_insert_with(|| {
                (
                    UserChange {
                        user_id,
                        ..UserChange::default()
                    },
                    Vec::new(),
                    Vec::new(),
                )
            });
            if let Operation::UpdateUser { changes, .. } = &operation {
                for change in changes {
                    let value = change.to.clone();
                    match change.field.as_str() {
                        "first_name" => entry.0.first_name = value,
                        "last_name" => entry.0.last_name = value,
                        "job_title" => entry.0.job_title = value,
                        _ => {}
                    }
                }
                entry.1.push(index);
            }
            if profile_id.is_some() {
                entry.0.profile_id = profile_id;
                entry.2.push(index);
            }
        }
        let mut bulk = Batch::default();
        for (change, attribute_steps, profile_steps) in changes.into_values() {
            match PROFILE_ROUTE {
                ProfileRoute::BulkPutUsers => {
                    bulk.push(change, [attribute_steps, profile_steps].concat());
                }
                ProfileRoute::PutUser => self.built.calls.push(Call {
                    request: Request::UpdateUser(change),
                    items: vec![[attribute_steps, profile_steps].concat()],
                }),
                ProfileRoute::PutProfile => {
                    if let Some(profile_id) = change.profile_id.clone() {
                        self.built.calls.push(Call {
                            request: Request::SetUserProfile {
                                user_id: change.user_id.clone(),
                                profile_id,
                            },
                            items: vec![profile_steps],
                        });
                    }
                    if !attribute_steps.is_empty() {
                        bulk.push(
                            UserChange {
                                profile_id: None,
                                ..change
                            },
                            attribute_steps,
                        );
                    }
                }
            }
        }
        self.built
            .calls
            .extend(bulk.calls(Some(USERS_PER_BULK), Request::UpdateUsers));
    }

    fn close_users(&mut self, ready: &[usize]) {
        let mut closes = Batch::default();
        for &index in ready {
            if let Operation::CloseUser { email, .. } = self.operation(index).clone()
                && let Some(id) = self.user_id(index, &email)
            {
                closes.push(id, vec![index]);
            }
        }
        self.built
            .calls
            .extend(closes.calls(Some(USERS_PER_BULK), Request::CloseUsers));
    }

    fn delete_groups(&mut self, ready: &[usize]) {
        let mut groups = Batch::default();
        let mut signing = Batch::default();
        for &index in ready {
            match self.operation(index).clone() {
                Operation::DeleteGroup { name, .. } => {
                    if let Some(id) = self.group_id(index, &name) {
                        groups.push(id, vec![index]);
                    }
                }
                Operation::DeleteSigningGroup { name, .. } => {
                    if let Some(id) = self.signing_group_id(index, &name) {
                        signing.push(id, vec![index]);
                    }
                }
                _ => {}
            }
        }
        self.built
            .calls
            .extend(groups.calls(None, Request::DeleteGroups));
        self.built
            .calls
            .extend(signing.calls(None, Request::DeleteSigningGroups));
    }

    fn delete_profiles(&mut self, ready: &[usize]) {
        for &index in ready {
            if let Operation::DeleteProfile {
                name,
                move_users_to,
                ..
            } = self.operation(index).clone()
                && let Some(id) = self.profile_id(index, &name)
                && let Some(target) = self.profile_id(index, &move_users_to)
            {
                self.built.calls.push(Call {
                    request: Request::DeleteProfile {
                        id,
                        move_users_to: target,
                    },
                    items: vec![vec![index]],
                });
            }
        }
    }
}

/// Sends profile changes through one route: the bulk call in batches of 500, or one call per
/// user. Answers one outcome per change, in order; only a read-back says whether it took.
pub async fn send_profiles(
    client: &Client,
    route: ProfileRoute,
    changes: &[(String, String)],
) -> Vec<ItemOutcome> {
    let mut outcomes = Vec::with_capacity(changes.len());
    match route {
        ProfileRoute::BulkPutUsers => {
            for chunk in changes.chunks(USERS_PER_BULK) {
                let bulk: Vec<UserChange> = chunk
                    .iter()
                    .map(|(user_id, profile_id)| UserChange {
                        user_id: user_id.clone(),
                        profile_id: Some(profile_id.clone()),
                        ..UserChange::default()
                    })
                    .collect();
                match client.update_users(&bulk).await {
                    Ok(answers) => {
                        outcomes.extend(answers.into_iter().map(|answer| answer.map(|_| None)));
                    }
                    Err(error) => outcomes.extend(std::iter::repeat_n(
                        Err(ItemError::of_call(&error)),
                        chunk.len(),
                    )),
                }
            }
        }
        ProfileRoute::PutUser => {
            for (user_id, profile_id) in changes {
                let change = UserChange {
                    user_id: user_id.clone(),
                    profile_id: Some(profile_id.clone()),
                    ..UserChange::default()
                };
                outcomes.push(
                    client
                        .update_user(&change)
                        .await
                        .map(|()| None)
                        .map_err(|error| ItemError::of_call(&error)),
                );
            }
        }
        ProfileRoute::PutProfile => {
            for (user_id, profile_id) in changes {
                outcomes.push(
                    client
                        .set_user_profile(user_id, profile_id)
                        .await
                        .map(|()| None)
                        .map_err(|error| ItemError::of_call(&error)),
                );
            }
        }
    }
    outcomes
}

/// Sends one call; answers one outcome per item (the call's error for each, when it failed
/// as a whole).
pub async fn send(client: &Client, request: &Request) -> Vec<ItemOutcome> {
    let single = |result: Result<Option<String>, crate::docusign::ClientError>| {
        vec![result.map_err(|error| ItemError::of_call(&error))]
    };
    let many = |items: usize, result: Result<Vec<ItemOutcome>, crate::docusign::ClientError>| {
        result.unwrap_or_else(|error| vec![Err(ItemError::of_call(&error)); items])
    };
    let change = |add: bool| if add { Members::Add } else { Members::Remove };
    match request {
        Request::CreateProfile { name, settings } => {
            single(client.create_profile(name, settings).await.map(Some))
        }
        Request::UpdateProfile { id, name, settings } => single(
            client
                .update_profile(id, name.as_deref(), settings)
                .await
                .map(|()| None),
        ),
        Request::DeleteProfile { id, move_users_to } => single(
            client
                .delete_profile(id, move_users_to)
                .await
                .map(|()| None),
        ),
        Request::CreateGroups(groups) => many(groups.len(), client.create_groups(groups).await),
        Request::UpdateGroups(changes) => many(changes.len(), client.update_groups(changes).await),
        Request::DeleteGroups(ids) => many(ids.len(), client.delete_groups(ids).await),
        Request::CreateSigningGroups(groups) => {
            many(groups.len(), client.create_signing_groups(groups).await)
        }
        Request::RenameSigningGroups(renames) => {
            many(renames.len(), client.rename_signing_groups(renames).await)
        }
        Request::SigningGroupEmail { id, email } => single(
            client
                .set_signing_group_email(id, email.as_deref())
                .await
                .map(|()| None),
        ),
        Request::DeleteSigningGroups(ids) => {
            many(ids.len(), client.delete_signing_groups(ids).await)
        }
        Request::CreateUsers(users) => many(users.len(), client.create_users(users).await),
        // The answer may echo a profile or not; whether it took is judged by reading back.
        Request::UpdateUsers(changes) => many(changes.len(), client.update_users(changes).await)
            .into_iter()
            .map(|outcome| outcome.map(|_| None))
            .collect(),
        Request::UpdateUser(change) => single(client.update_user(change).await.map(|()| None)),
        Request::SetUserProfile {
            user_id,
            profile_id,
        } => single(
            client
                .set_user_profile(user_id, profile_id)
                .await
                .map(|()| None),
        ),
        Request::CloseUsers(ids) => many(ids.len(), client.close_users(ids).await),
        Request::GroupMembers {
            add,
            group_id,
            user_ids,
        } => many(
            user_ids.len(),
            client.group_members(change(*add), group_id, user_ids).await,
        ),
        Request::SigningGroupMembers { add, id, members } => many(
            members.len(),
            client
                .signing_group_members(change(*add), id, members)
                .await,
        ),
    }
}
