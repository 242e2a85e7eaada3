//! How a user's permission profile changes: the three routes that change it, whether their
//! answers echo it, and whether joining a group hands over the group's.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Temp, profile_of};
use crate::emulator::config::ProfileChangeRoutes;
use crate::model::ProfileRoute;
use crate::probe::Names;
use crate::probe::behaviour::{group_profile_on_join_flag, profile_echo_flag, routes_flag};
use crate::probe::calls::{Caller, Stop, described, first_item, item_codes, text_at};
use crate::probe::report::Entry;

/// How probe sends a profile change by each route: its own calls, so the client's can be
/// checked against what the account does.
trait Probed {
    fn request(self, user: &str, profile: &str) -> (String, Value);
    fn answers_with_the_user(self) -> bool;
    fn echo(self, answer: &Value) -> Option<String>;
}

impl Probed for ProfileRoute {
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
pub(super) async fn profile_routes(
    caller: &Caller,
    temp: &Temp,
) -> Result<(Entry, Entry, String), Stop> {
    let mut current = profile_of(caller, &temp.user).await?;
    let mut took = [false; 3];
    let mut details = Map::new();
    let mut words = Vec::new();
    let mut carried = Vec::new();
    for (index, route) in ProfileRoute::ALL.into_iter().enumerate() {
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
fn profile_echo(carried: &[(ProfileRoute, bool)]) -> Entry {
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
        Some(has) => Entry::seen(words.join("; "), Value::Bool(has), profile_echo_flag(has)),
    }
}

/// (b) The group takes the profile the user doesn't hold; then the user joins it.
pub(super) async fn group_profile_on_join(
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
    let path = names.group_search_path();
    let carried = caller
        .find_listed(
            "reading the temporary group back",
            &path,
            ("groups", "groupId"),
            &temp.group,
        )
        .await?
        .map(|group| text_at(&group, "permissionProfileId"))
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
        Entry::seen(
            "joining gives the user the group's profile",
            json!(true),
            group_profile_on_join_flag(true),
        )
    } else if after == held {
        Entry::seen(
            "joining leaves the user's profile as it was",
            json!(false),
            unset,
        )
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
