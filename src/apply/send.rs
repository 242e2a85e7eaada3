//! Sending built calls to DocuSign: the HTTP half of apply's requests, one outcome per item.

use super::requests::Request;
use crate::docusign::Client;
use crate::docusign::writes::{ItemError, ItemOutcome, Members, UserChange};
use crate::model::ProfileRoute;
use crate::plan::batching::USERS_PER_BULK;

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
