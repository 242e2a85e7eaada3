//! Memberships as DocuSign reports them: whether user records list their groups, how it
//! answers adding a member twice or removing a non-member, and whether a signing group's `PUT`
//! merges its members or replaces them.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::Temp;
use crate::docusign::Exchange;
use crate::probe::Names;
use crate::probe::behaviour::group_list_flag;
use crate::probe::calls::{Caller, Stop, described, item_codes, listed, text_at};
use crate::probe::report::Entry;

/// (c) The user, a member of the temporary group now, listed with `additional_info=true`.
pub(super) async fn group_list(caller: &Caller, names: &Names, temp: &Temp) -> Result<Entry, Stop> {
    let email = crate::probe::query_value(&names.email);
    let path = format!("/users?additional_info=true&email={email}");
    let record = caller
        .find_listed(
            "listing the temporary user",
            &path,
            ("users", "userId"),
            &temp.user,
        )
        .await?
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
        None => Entry::seen(
            "absent: memberships must be read from each group",
            json!(false),
            group_list_flag(false),
        ),
    })
}

/// (g) Adding a member twice and removing a non-member: as DocuSign answers them.
pub(super) async fn membership_answers(
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

pub(super) fn item_answer(answer: &Exchange, field: &str) -> Value {
    json!({
        "status": answer.status.as_u16(),
        "error_code": text_at(&answer.body, "errorCode"),
        "item_error_codes": item_codes(&answer.body, field),
    })
}

/// (h) `PUT /signing_groups/{id}` naming only a second member; the members read back say
/// whether the first stayed.
pub(super) async fn signing_group_put(
    caller: &Caller,
    names: &Names,
    temp: &Temp,
) -> Result<Entry, Stop> {
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
    let members: Vec<String> = listed(&group, "users")
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
