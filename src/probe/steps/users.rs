//! The users' list and lifecycle: the page size `GET /users` uses without `count`, what
//! creating a closed user's name and email again does, and the per-item answers collected on
//! the way.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::members::item_answer;
use super::{Temp, bulk_id, new_user};
use crate::probe::Names;
use crate::probe::behaviour::{item_answers_flags, reopen_flag};
use crate::probe::calls::{Caller, Stop, described, item_codes, listed, text_at};
use crate::probe::cleanup::Ledger;
use crate::probe::report::Entry;

/// (d) `GET /users` without `count`: a full page shows the size; an account that fits in one
/// page only bounds it.
pub(super) async fn page_size(caller: &Caller) -> Result<Entry, Stop> {
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
    Ok(Entry::seen(observed, value, emulator))
}

/// (f) and the rest of (g): close the user, close it again, then create its exact user name
/// and email again, and see which user is open after.
pub(super) async fn reactivation(
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
    let found = caller
        .must(
            "listing the users with the temporary email",
            Method::GET,
            &names.users_by_email_path(),
            None,
        )
        .await?;
    let open: Vec<String> = listed(&found, "users")
        .filter(|user| !text_at(user, "userStatus").eq_ignore_ascii_case("closed"))
        .map(|user| text_at(user, "userId"))
        .collect();
    for id in &open {
        // Whoever is open with the probe's email now is the probe's to close.
        ledger.user(id);
    }
    Ok(if open.contains(&temp.user) {
        Entry::seen(
            "the userId survives: the closed user is reopened",
            json!(true),
            reopen_flag(true),
        )
    } else if open.is_empty() {
        Entry::unobserved(
            "not told: the create was answered, yet no user with that email is open after",
            NO_SWITCH,
        )
    } else {
        Entry::seen(
            "a new userId: a new user is made beside the closed one",
            json!(false),
            reopen_flag(false),
        )
    })
}

/// (g) The per-item answers collected on the way, as DocuSign gave them.
pub(super) fn item_answers(items: Map<String, Value>) -> Entry {
    let words: Vec<String> = items
        .iter()
        .map(|(case, answer)| {
            let codes: Vec<&str> = listed(answer, "item_error_codes")
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
    let (status, codes) = crate::probe::behaviour::item_switches(&items);
    Entry::seen(
        words.join("; "),
        Value::Object(items),
        item_answers_flags(status, codes),
    )
}
