//! The behaviours, one step each, on the temporary objects. Every finding comes from reading
//! the account back after the call, never from what the call's answer acknowledged; answers
//! are kept alongside as details.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::Names;
use super::behaviour::{
    group_list_flag, group_profile_on_join_flag, item_answers_flags, profile_echo_flag,
    reopen_flag, routes_flag,
};
use super::calls::{Caller, Stop, described, first_item, item_codes, text_at};
use super::cleanup::{Ledger, Made};
use super::report::{Entry, key};
use crate::docusign::Exchange;
use crate::emulator::config::ProfileChangeRoutes;

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
    let sender = profiles["permissionProfiles"]
        .as_array()
        .into_iter()
        .flatten()
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
    let answer = caller
        .must(
            "creating the temporary group",
            Method::POST,
            "/groups",
            Some(&json!({ "groups": [{ "groupName": names.group }] })),
        )
        .await?;
    let group = bulk_id(&answer, "groups", "groupId").map_err(|why| {
        ledger.group(None);
        Stop(format!(
            "DocuSign did not create the temporary group: {why}"
        ))
    })?;
    ledger.group(Some(Made::Id(group.clone())));

    ledger.user_sent();
    let answer = caller
        .must(
            "creating the temporary user",
            Method::POST,
            "/users",
            Some(&new_user(names, &sender)),
        )
        .await?;
    let user = bulk_id(&answer, "newUsers", "userId").map_err(|why| {
        ledger.user_not_made();
        Stop(format!(
            "DocuSign did not create the temporary user `{}`: {why}; give another throwaway address with --email",
            names.email
        ))
    })?;
    ledger.user(&user);

    ledger.signing_group(Some(Made::Sent));
    let answer = caller
        .must(
            "creating the temporary signing group",
            Method::POST,
            "/signing_groups",
            Some(&json!({ "groups": [{
                "groupName": names.signing_group,
                "groupType": "sharedSigningGroup",
                "users": [{ "userName": names.member_name(1), "email": names.email }],
            }] })),
        )
        .await?;
    let signing_group = bulk_id(&answer, "groups", "signingGroupId").map_err(|why| {
        ledger.signing_group(None);
        Stop(format!(
            "DocuSign did not create the temporary signing group: {why}"
        ))
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

/// The three ways to change an existing user's profile.
#[derive(Clone, Copy)]
enum Route {
    BulkPutUsers,
    PutUser,
    PutProfile,
}

impl Route {
    const ALL: [Self; 3] = [Self::BulkPutUsers, Self::PutUser, Self::PutProfile];

    fn name(self) -> &'static str {
        match self {
            Self::BulkPutUsers => "bulk_put_users",
            Self::PutUser => "put_user",
            Self::PutProfile => "put_profile",
        }
    }

    fn call(self) -> &'static str {
        match self {
            Self::BulkPutUsers => "bulk PUT /users",
            Self::PutUser => "PUT /users/{id}",
            Self::PutProfile => "PUT /users/{id}/profile",
        }
    }

    fn request(self, user: &str, profile: &str) -> (String, Value) {
        match self {
            Self::BulkPutUsers => (
                "/users".to_owned(),
                json!({ "users": [{ "userId": user, "permissionProfileId": profile }] }),
            ),
            Self::PutUser => (
                format!("/users/{user}"),
                json!({ "permissionProfileId": profile }),
            ),
            Self::PutProfile => (
                format!("/users/{user}/profile"),
                json!({ "userDetails": { "permissionProfileId": profile } }),
            ),
        }
    }

    /// Whether the answer is the user record: the emulator's echo switch covers these two.
    fn answers_with_the_user(self) -> bool {
        matches!(self, Self::BulkPutUsers | Self::PutUser)
    }

    /// The profile ID the answer carries, if any.
    fn echo(self, answer: &Value) -> Option<String> {
        let record = match self {
            Self::BulkPutUsers => first_item(answer, "users"),
            Self::PutUser => Some(answer),
            Self::PutProfile => answer.get("userDetails").or(Some(answer)),
        }?;
        Some(text_at(record, "permissionProfileId")).filter(|id| !id.is_empty())
    }
}

/// (a) Each route asked to move the user to the profile it doesn't hold; the user read back
/// after each says whether it took. Answers the entry, whether the user answers echo the
/// profile, and the profile the user holds after.
async fn profile_routes(caller: &Caller, temp: &Temp) -> Result<(Entry, Entry, String), Stop> {
    let mut current = profile_of(caller, &temp.user).await?;
    let mut took = [false; 3];
    let mut details = Map::new();
    let mut words = Vec::new();
    let mut carried = Vec::new();
    for (index, route) in Route::ALL.into_iter().enumerate() {
        let target = if current == temp.profile {
            temp.sender.clone()
        } else {
            temp.profile.clone()
        };
        let (path, body) = route.request(&temp.user, &target);
        let answer = caller.send(Method::PUT, &path, Some(&body)).await?;
        let after = profile_of(caller, &temp.user).await?;
        took[index] = after == target;
        let in_answer = route.echo(&answer.body);
        if route.answers_with_the_user() && answer.status.is_success() {
            carried.push((route, in_answer.is_some()));
        }
        let echo = match in_answer {
            None => "absent",
            Some(id) if id == target => "the new profile",
            Some(id) if id == current => "the old profile",
            Some(_) => "another profile",
        };
        details.insert(
            route.name().to_owned(),
            json!({
                "status": answer.status.as_u16(),
                "error_code": text_at(&answer.body, "errorCode"),
                "took_effect": took[index],
                "answer_echoes_permission_profile_id": echo,
            }),
        );
        let outcome = if took[index] {
            "takes effect"
        } else {
            "ignored"
        };
        words.push(format!(
            "{}: {outcome} (answered {}, echo: {echo})",
            route.call(),
            described(&answer)
        ));
        current = after;
    }
    let routes = ProfileChangeRoutes {
        bulk_put_users: took[0],
        put_user: took[1],
        put_profile: took[2],
    };
    let entry = Entry {
        observed: words.join("; "),
        value: json!({
            "bulk_put_users": routes.bulk_put_users,
            "put_user": routes.put_user,
            "put_profile": routes.put_profile,
        }),
        emulator: routes_flag(routes),
        details: Value::Object(details),
    };
    Ok((entry, profile_echo(&carried), current))
}

/// Whether the answers of the two calls that answer with the user record (bulk `PUT /users`,
/// `PUT /users/{id}`) carry its `permissionProfileId`, from the routes' accepted answers.
fn profile_echo(carried: &[(Route, bool)]) -> Entry {
    let words: Vec<String> = carried
        .iter()
        .map(|(route, has)| {
            format!(
                "{}: {}",
                route.call(),
                if *has { "carried it" } else { "leaves it out" }
            )
        })
        .collect();
    let value = if carried.is_empty() {
        None
    } else if carried.iter().all(|(_, has)| *has) {
        Some(true)
    } else if carried.iter().all(|(_, has)| !has) {
        Some(false)
    } else {
        None
    };
    match value {
        None if carried.is_empty() => Entry::unobserved(
            "not told: neither call that answers with the user was accepted",
            "no switch set",
        ),
        None => Entry::unobserved(
            &format!(
                "the two calls differ ({}); no switch spells that",
                words.join("; ")
            ),
            "no switch set",
        ),
        Some(has) => Entry {
            observed: words.join("; "),
            value: Value::Bool(has),
            emulator: profile_echo_flag(has),
            details: Value::Null,
        },
    }
}

/// (b) The group takes the profile the user doesn't hold; then the user joins it.
async fn group_profile_on_join(
    caller: &Caller,
    names: &Names,
    temp: &Temp,
    held: &str,
) -> Result<Entry, Stop> {
    let other = if held == temp.profile {
        &temp.sender
    } else {
        &temp.profile
    };
    let answer = caller
        .must(
            "giving the temporary group a profile",
            Method::PUT,
            "/groups",
            Some(&json!({ "groups": [{ "groupId": temp.group, "permissionProfileId": other }] })),
        )
        .await?;
    if let Some(code) = item_codes(&answer, "groups")
        .into_iter()
        .find(|code| !code.is_empty())
    {
        return Err(Stop(format!(
            "DocuSign would not give the temporary group a profile: {code}"
        )));
    }
    let groups = caller
        .must(
            "reading the temporary group back",
            Method::GET,
            &format!(
                "/groups?count=100&search_text={}",
                super::query_value(&names.group)
            ),
            None,
        )
        .await?;
    let carried = groups["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|group| text_at(group, "groupId") == temp.group)
        .map(|group| text_at(group, "permissionProfileId"))
        .unwrap_or_default();
    let unset = group_profile_on_join_flag(false);
    if carried != *other {
        return Ok(Entry::unobserved(
            "not told: the temporary group did not take the profile it was given, so joining it shows nothing",
            &unset,
        ));
    }
    join(caller, temp).await?;
    let after = profile_of(caller, &temp.user).await?;
    Ok(if after == *other {
        Entry {
            observed: "joining gives the user the group's profile".to_owned(),
            value: json!(true),
            emulator: group_profile_on_join_flag(true),
            details: Value::Null,
        }
    } else if after == held {
        Entry {
            observed: "joining leaves the user's profile as it was".to_owned(),
            value: json!(false),
            emulator: unset,
            details: Value::Null,
        }
    } else {
        Entry::unobserved(
            "not told: after joining, the user holds a third profile, neither its own nor the group's",
            &unset,
        )
    })
}

/// Adds the temporary user to the temporary group; DocuSign must say it did.
async fn join(caller: &Caller, temp: &Temp) -> Result<(), Stop> {
    let path = format!("/groups/{}/users", temp.group);
    let body = json!({ "users": [{ "userId": temp.user }] });
    let answer = caller.send(Method::PUT, &path, Some(&body)).await?;
    let codes = item_codes(&answer.body, "users");
    if !answer.status.is_success() || codes.iter().any(|code| !code.is_empty()) {
        return Err(Stop(format!(
            "adding the temporary user to the temporary group failed: {} {}",
            described(&answer),
            codes.join(" ")
        )));
    }
    Ok(())
}

/// (c) The user, a member of the temporary group now, listed with `additional_info=true`.
async fn group_list(caller: &Caller, names: &Names, temp: &Temp) -> Result<Entry, Stop> {
    let listed = caller
        .must(
            "listing the temporary user",
            Method::GET,
            &format!(
                "/users?additional_info=true&email={}",
                super::query_value(&names.email)
            ),
            None,
        )
        .await?;
    let record = listed["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|user| text_at(user, "userId") == temp.user)
        .ok_or_else(|| Stop("listing the temporary user by email did not find it".to_owned()))?;
    Ok(match record.get("groupList").and_then(Value::as_array) {
        Some(groups) => {
            let lists_temp = groups
                .iter()
                .any(|group| text_at(group, "groupId") == temp.group);
            Entry {
                observed: format!(
                    "present ({} groups{})",
                    groups.len(),
                    if lists_temp {
                        ", the temporary one among them"
                    } else {
                        "; the temporary one is missing"
                    }
                ),
                value: json!(true),
                emulator: group_list_flag(true),
                details: json!({ "lists_the_group_joined": lists_temp }),
            }
        }
        None => Entry {
            observed: "absent: memberships must be read from each group".to_owned(),
            value: json!(false),
            emulator: group_list_flag(false),
            details: Value::Null,
        },
    })
}

/// (g) Adding a member twice and removing a non-member: as DocuSign answers them.
async fn membership_answers(
    caller: &Caller,
    temp: &Temp,
    items: &mut Map<String, Value>,
) -> Result<(), Stop> {
    let path = format!("/groups/{}/users", temp.group);
    let body = json!({ "users": [{ "userId": temp.user }] });
    let twice = caller.send(Method::PUT, &path, Some(&body)).await?;
    items.insert("add_member_twice".to_owned(), item_answer(&twice, "users"));
    let removed = caller.send(Method::DELETE, &path, Some(&body)).await?;
    let codes = item_codes(&removed.body, "users");
    if !removed.status.is_success() || codes.iter().any(|code| !code.is_empty()) {
        return Err(Stop(format!(
            "removing the temporary user from the temporary group failed: {}",
            described(&removed)
        )));
    }
    let again = caller.send(Method::DELETE, &path, Some(&body)).await?;
    items.insert("remove_non_member".to_owned(), item_answer(&again, "users"));
    Ok(())
}

fn item_answer(answer: &Exchange, field: &str) -> Value {
    json!({
        "status": answer.status.as_u16(),
        "error_code": text_at(&answer.body, "errorCode"),
        "item_error_codes": item_codes(&answer.body, field),
    })
}

/// (h) `PUT /signing_groups/{id}` naming only a second member; the members read back say
/// whether the first stayed.
async fn signing_group_put(caller: &Caller, names: &Names, temp: &Temp) -> Result<Entry, Stop> {
    const NO_SWITCH: &str = "no switch (the emulator merges)";
    let path = format!("/signing_groups/{}", temp.signing_group);
    let second = names.member_email();
    let body = json!({ "users": [{ "userName": names.member_name(2), "email": second }] });
    let answer = caller.send(Method::PUT, &path, Some(&body)).await?;
    if !answer.status.is_success() {
        return Ok(Entry::unobserved(
            &format!("not told: the call was refused ({})", described(&answer)),
            NO_SWITCH,
        ));
    }
    let group = caller
        .must(
            "reading the temporary signing group back",
            Method::GET,
            &path,
            None,
        )
        .await?;
    let members: Vec<String> = group["users"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|member| text_at(member, "email"))
        .collect();
    let has = |email: &str| {
        members
            .iter()
            .any(|member| crate::email::same(member, email))
    };
    let (value, observed) = match (has(&names.email), has(&second)) {
        (true, true) => (json!("merge"), "merges: the members not named stay"),
        (false, true) => (json!("replace"), "replaces: only the members named stay"),
        _ => (
            Value::Null,
            "not told: the member named is not in the group after",
        ),
    };
    let emulator = if value == json!("merge") {
        "no switch (the emulator merges too)"
    } else {
        "no switch (the emulator merges: this differs, please tell us)"
    };
    Ok(Entry {
        observed: observed.to_owned(),
        value,
        emulator: emulator.to_owned(),
        details: json!({ "status": answer.status.as_u16(), "members_after": members.len() }),
    })
}

/// (d) `GET /users` without `count`: a full page shows the size; an account that fits in one
/// page only bounds it.
async fn page_size(caller: &Caller) -> Result<Entry, Stop> {
    const EMULATOR_PAGE: u64 = 20;
    let page = caller
        .must("listing users", Method::GET, "/users", None)
        .await?;
    let count = |field: &str| text_at(&page, field).trim().parse::<u64>().ok();
    let (Some(shown), Some(total)) = (count("resultSetSize"), count("totalSetSize")) else {
        return Ok(Entry::unobserved(
            "not told: the answer has no resultSetSize or totalSetSize",
            "no switch (the emulator pages by 20)",
        ));
    };
    let (value, observed, same) = if total > shown && shown > 0 {
        (
            json!({ "exact": shown }),
            format!("{shown} (the account has {total} users)"),
            shown == EMULATOR_PAGE,
        )
    } else {
        (
            json!({ "at_least": shown }),
            format!("at least {shown}: all the account's {total} users fit in one page"),
            shown <= EMULATOR_PAGE,
        )
    };
    let emulator = if same {
        "no switch (the emulator pages by 20)"
    } else {
        "no switch (the emulator pages by 20: this differs, please tell us)"
    };
    Ok(Entry {
        observed,
        value,
        emulator: emulator.to_owned(),
        details: Value::Null,
    })
}

/// (f) and the rest of (g): close the user, close it again, then create its exact user name
/// and email again, and see which user is open after.
async fn reactivation(
    caller: &Caller,
    names: &Names,
    temp: &Temp,
    ledger: &Ledger,
    items: &mut Map<String, Value>,
) -> Result<Entry, Stop> {
    const NO_SWITCH: &str = "no switch set";
    let body = json!({ "users": [{ "userId": temp.user }] });
    let closed = caller.send(Method::DELETE, "/users", Some(&body)).await?;
    if !closed.status.is_success()
        || item_codes(&closed.body, "users")
            .iter()
            .any(|code| !code.is_empty())
    {
        return Err(Stop(format!(
            "closing the temporary user failed: {}",
            described(&closed)
        )));
    }
    let record = caller
        .must(
            "reading the temporary user back",
            Method::GET,
            &format!("/users/{}", temp.user),
            None,
        )
        .await?;
    if !text_at(&record, "userStatus").eq_ignore_ascii_case("closed") {
        return Err(Stop(format!(
            "closing the temporary user answered {}, yet it reads back as `{}`",
            described(&closed),
            text_at(&record, "userStatus")
        )));
    }
    let twice = caller.send(Method::DELETE, "/users", Some(&body)).await?;
    items.insert("close_user_twice".to_owned(), item_answer(&twice, "users"));

    ledger.user_sent();
    let created = caller
        .send(Method::POST, "/users", Some(&new_user(names, &temp.sender)))
        .await?;
    match bulk_id(&created.body, "newUsers", "userId") {
        Ok(id) if created.status.is_success() => ledger.user(&id),
        Ok(_) | Err(_) => {
            ledger.user_not_made();
            return Ok(Entry::unobserved(
                &format!(
                    "not told: creating the closed user's user name and email again was refused ({} {})",
                    described(&created),
                    item_codes(&created.body, "newUsers").join(" ")
                ),
                NO_SWITCH,
            ));
        }
    }
    let listed = caller
        .must(
            "listing the users with the temporary email",
            Method::GET,
            &format!("/users?email={}", super::query_value(&names.email)),
            None,
        )
        .await?;
    let open: Vec<String> = listed["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|user| !text_at(user, "userStatus").eq_ignore_ascii_case("closed"))
        .map(|user| text_at(user, "userId"))
        .collect();
    for id in &open {
        // Whoever is open with the probe's email now is the probe's to close.
        ledger.user(id);
    }
    Ok(if open.contains(&temp.user) {
        Entry {
            observed: "the userId survives: the closed user is reopened".to_owned(),
            value: json!(true),
            emulator: reopen_flag(true),
            details: Value::Null,
        }
    } else if open.is_empty() {
        Entry::unobserved(
            "not told: the create was answered, yet no user with that email is open after",
            NO_SWITCH,
        )
    } else {
        Entry {
            observed: "a new userId: a new user is made beside the closed one".to_owned(),
            value: json!(false),
            emulator: reopen_flag(false),
            details: Value::Null,
        }
    })
}

/// (g) The per-item answers collected on the way, as DocuSign gave them.
fn item_answers(items: Map<String, Value>) -> Entry {
    let words: Vec<String> = items
        .iter()
        .map(|(case, answer)| {
            let codes: Vec<&str> = answer["item_error_codes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|code| !code.is_empty())
                .collect();
            let code = answer["error_code"].as_str().unwrap_or_default();
            let said = match (code.is_empty(), codes.is_empty()) {
                (true, true) => "no error code".to_owned(),
                (false, _) => code.to_owned(),
                (true, false) => format!("per item {}", codes.join(", ")),
            };
            format!("{}: {}, {said}", case.replace('_', " "), answer["status"])
        })
        .collect();
    let (status, codes) = super::behaviour::item_switches(&items);
    Entry {
        observed: words.join("; "),
        emulator: item_answers_flags(status, codes),
        value: Value::Object(items),
        details: Value::Null,
    }
}
