//! The behaviours, one step each, on the temporary objects. Every finding comes from reading
//! the account back after the call, never from what the call's answer acknowledged; answers
//! are kept alongside as details.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Map, Value, json};

mod members;
mod profiles;
mod users;

use members::{group_list, membership_answers, signing_group_put};
use profiles::{group_profile_on_join, profile_routes};
use users::{item_answers, page_size, reactivation};

use super::Names;
use super::calls::{Caller, Stop, first_item, item_codes, listed, text_at};
use super::cleanup::{Ledger, Made};
use super::report::{Entry, key};

/// The temporary objects, by ID, and DocuSign Sender's.
struct Temp {
    sender: String,
    profile: String,
    group: String,
    signing_group: String,
    user: String,
}

/// Makes the temporary objects and observes every behaviour but the rate-limit refusal, in an
/// order where each step leaves what the next needs. Stops at the first call that got no
/// answer or a setup call DocuSign refused; everything made is in `ledger` by then.
pub async fn observe(
    caller: &Caller,
    names: &Names,
    ledger: &Ledger,
) -> Result<BTreeMap<String, Entry>, Stop> {
    let temp = set_up(caller, names, ledger).await?;
    let mut found = BTreeMap::new();
    let (routes, echo, profile_now) = profile_routes(caller, &temp).await?;
    found.insert(key::PROFILE_CHANGE_ROUTES.to_owned(), routes);
    found.insert(key::PROFILE_IN_USER_ANSWERS.to_owned(), echo);
    found.insert(
        key::GROUP_PROFILE_ON_JOIN.to_owned(),
        group_profile_on_join(caller, names, &temp, &profile_now).await?,
    );
    found.insert(
        key::GROUP_LIST_IN_USER_RECORDS.to_owned(),
        group_list(caller, names, &temp).await?,
    );
    let mut items = Map::new();
    membership_answers(caller, &temp, &mut items).await?;
    found.insert(
        key::SIGNING_GROUP_PUT_MEMBERS.to_owned(),
        signing_group_put(caller, names, &temp).await?,
    );
    found.insert(key::USERS_PAGE_SIZE.to_owned(), page_size(caller).await?);
    found.insert(
        key::REACTIVATION_KEEPS_USER_ID.to_owned(),
        reactivation(caller, names, &temp, ledger, &mut items).await?,
    );
    found.insert(key::ITEM_ANSWERS.to_owned(), item_answers(items));
    Ok(found)
}

async fn set_up(caller: &Caller, names: &Names, ledger: &Ledger) -> Result<Temp, Stop> {
    let profiles = caller
        .must(
            "reading the permission profiles",
            Method::GET,
            "/permission_profiles",
            None,
        )
        .await?;
    let sender = listed(&profiles, "permissionProfiles")
        .find(|profile| {
            text_at(profile, "permissionProfileName").eq_ignore_ascii_case("DocuSign Sender")
        })
        .map(|profile| text_at(profile, "permissionProfileId"))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            Stop("the account has no `DocuSign Sender` permission profile, which every DocuSign account has; is this an eSignature account?".to_owned())
        })?;
    ledger.sender_profile(&sender);

    ledger.profile(Some(Made::Sent));
    let answer = caller
        .must(
            "creating the temporary permission profile",
            Method::POST,
            "/permission_profiles",
            Some(&json!({ "permissionProfileName": names.profile, "settings": {} })),
        )
        .await?;
    let profile = text_at(&answer, "permissionProfileId");
    if profile.is_empty() {
        ledger.profile(None);
        return Err(Stop(
            "DocuSign answered the temporary permission profile's create without its `permissionProfileId`".to_owned(),
        ));
    }
    ledger.profile(Some(Made::Id(profile.clone())));

    ledger.group(Some(Made::Sent));
    let body = json!({ "groups": [{ "groupName": names.group }] });
    let group = bulk_create(
        caller,
        "the temporary group",
        ("/groups", "groups"),
        &body,
        "groupId",
    )
    .await?
    .map_err(|why| {
        ledger.group(None);
        Stop(format!(
            "DocuSign did not create the temporary group: {why}"
        ))
    })?;
    ledger.group(Some(Made::Id(group.clone())));

    ledger.user_sent();
    let body = new_user(names, &sender);
    let user = bulk_create(caller, "the temporary user", ("/users", "newUsers"), &body, "userId")
        .await?
        .map_err(|why| {
            ledger.user_not_made();
            Stop(format!(
                "DocuSign did not create the temporary user `{}`: {why}; give another throwaway address with --email",
                names.email
            ))
        })?;
    ledger.user(&user);

    ledger.signing_group(Some(Made::Sent));
    let body = json!({ "groups": [{
        "groupName": names.signing_group,
        "groupType": "sharedSigningGroup",
        "users": [{ "userName": names.member_name(1), "email": names.email }],
    }] });
    let what = "the temporary signing group";
    let signing_group = bulk_create(
        caller,
        what,
        ("/signing_groups", "groups"),
        &body,
        "signingGroupId",
    )
    .await?
    .map_err(|why| {
        ledger.signing_group(None);
        Stop(format!("DocuSign did not create {what}: {why}"))
    })?;
    ledger.signing_group(Some(Made::Id(signing_group.clone())));
    Ok(Temp {
        sender,
        profile,
        group,
        signing_group,
        user,
    })
}

/// Creates one temporary object with a bulk `POST`, whose answer lists it under `field`: its
/// ID, or why DocuSign made none. A refused or unanswered call stops the probe.
async fn bulk_create(
    caller: &Caller,
    what: &str,
    (path, field): (&str, &str),
    body: &Value,
    id_field: &str,
) -> Result<Result<String, String>, Stop> {
    let answer = caller
        .must(&format!("creating {what}"), Method::POST, path, Some(body))
        .await?;
    Ok(bulk_id(&answer, field, id_field))
}

fn new_user(names: &Names, profile: &str) -> Value {
    json!({ "newUsers": [{
        "userName": names.user_name,
        "email": names.email,
        "firstName": "docusign-gitops",
        "lastName": format!("probe {}", names.stamp),
        "permissionProfileId": profile,
    }] })
}

/// The new object's ID from the first item of a bulk create's answer, or its error.
fn bulk_id(answer: &Value, field: &str, id_field: &str) -> Result<String, String> {
    let item = first_item(answer, field).ok_or("the answer lists nothing")?;
    let code = item_codes(answer, field)
        .into_iter()
        .next()
        .unwrap_or_default();
    if !code.is_empty() {
        let message = text_at(&item["errorDetails"], "message");
        return Err(format!("{code} {message}").trim().to_owned());
    }
    Some(text_at(item, id_field))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| format!("the answer has no `{id_field}`"))
}

/// The user's profile as its record reads now.
async fn profile_of(caller: &Caller, user: &str) -> Result<String, Stop> {
    let record = caller
        .must(
            "reading the temporary user back",
            Method::GET,
            &format!("/users/{user}"),
            None,
        )
        .await?;
    Some(text_at(&record, "permissionProfileId"))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Stop("the temporary user's record has no `permissionProfileId`".to_owned()))
}
