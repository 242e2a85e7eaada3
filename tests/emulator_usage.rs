//! What the emulator answers about an account's use, over HTTP on loopback: its plan and seat
//! figures (`GET /accounts/{accountId}`), its users' dates, and the envelopes its users created
//! (`GET /envelopes`), with the switches for what DocuSign leaves unconfirmed; and the sample
//! account's history.

use std::collections::BTreeSet;

use docusign_gitops::emulator::account::UserStatus;
use docusign_gitops::emulator::config::LastLogin;
use docusign_gitops::emulator::seed::Seed;
use docusign_gitops::emulator::{self, Config, Running, dates, sample};
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::emulator_support::{ACCOUNT_ID, Answer, Api, TOKEN};

/// The token of Sam, a sender (no account management).
const SENDER_TOKEN: &str = "emulator-usage-sender-token";

/// An account with an administrator, two senders, an invitation and a closed user; the senders
/// have envelopes from 5 to 200 days old, the administrator one.
const SEED: &str = r"
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  name: Usage Test
  plan: Business Pro
  seats_allowed: 10
  envelopes_allowed: 100
  billing_period_start: 20 days ago
  created: 900 days ago
users:
  - email: ada@example.com
    first_name: Ada
    last_name: Admin
    permission_profile: Account Administrator
    created: 800 days ago
    last_login: 1 day ago
  - email: sam@example.com
    first_name: Sam
    last_name: Sender
    created: 600 days ago
    added_to_account: 300 days ago
    last_login: 150 days ago
  - email: tess@example.com
    first_name: Tess
    last_name: Sender
    created: 400 days ago
  - email: ivy@example.com
    first_name: Ivy
    last_name: Invited
    status: ActivationSent
    created: 45 days ago
  - email: carl@example.com
    first_name: Carl
    last_name: Closed
    status: Closed
    created: 500 days ago
    added_to_account: never
envelopes:
  - { sender: sam@example.com, subject: Old NDA, created: 200 days ago, status_changed: 199 days ago }
  - { sender: sam@example.com, subject: Recent order, created: 40 days ago, sent: 10 days ago, status: sent }
  - { sender: sam@example.com, subject: Draft, created: 5 days ago, status: created }
  - { sender: tess@example.com, subject: Signed quote, created: 60 days ago, status_changed: 8 days ago }
  - { sender: ada@example.com, subject: Admin memo, created: 3 days ago, status: voided, status_changed: 2 days ago }
";

/// The emulator over [`SEED`], accepting [`TOKEN`] for Ada and [`SENDER_TOKEN`] for Sam.
async fn serve(mut config: Config) -> (Running, Api) {
    let seeded = Seed::parse(SEED, false)
        .and_then(|seed| {
            seed.build(
                &mut fastrand::Rng::with_seed(5),
                &dates::format(Timestamp::now()),
            )
        })
        .expect("the seed builds");
    let id = |email: &str| {
        seeded
            .account
            .users
            .iter()
            .find(|user| user.email == email)
            .map(|user| user.id.clone())
            .expect("a seeded user")
    };
    config.credentials.static_tokens.extend([
        (TOKEN.to_owned(), id("ada@example.com")),
        (SENDER_TOKEN.to_owned(), id("sam@example.com")),
    ]);
    let running = emulator::start(
        config,
        vec![seeded.account],
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("start the emulator");
    let api = Api::new(&running);
    (running, api)
}

fn as_sender(api: &Api) -> Api {
    let mut sender = Api::new_at(&api.url);
    SENDER_TOKEN.clone_into(&mut sender.token);
    sender
}

/// A moment `days` before now, as a `from_date` would send it.
fn days_ago(days: i64) -> String {
    let at = Timestamp::now() - SignedDuration::from_hours(days * 24);
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Every user of the list (full records), by email.
async fn users(api: &Api) -> Vec<Value> {
    let answer = api.get("/users?additional_info=true&count=100").await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["users"].as_array().cloned().unwrap_or_default()
}

fn user<'a>(users: &'a [Value], email: &str) -> &'a Value {
    users
        .iter()
        .find(|user| user["email"] == email)
        .unwrap_or_else(|| panic!("no user {email}"))
}

fn subjects(answer: &Answer) -> BTreeSet<String> {
    answer.body["envelopes"]
        .as_array()
        .map(|envelopes| {
            envelopes
                .iter()
                .map(|envelope| {
                    envelope["emailSubject"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn account_figures_are_strings_and_seats_follow_the_users() {
    let (_running, api) = serve(Config::default()).await;
    let answer = api.get("").await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let body = answer.body.as_object().expect("an object");
    for key in [
        "accountIdGuid",
        "accountName",
        "currentPlanId",
        "planName",
        "planClassification",
        "planStartDate",
        "seatsAllowed",
        "seatsInUse",
        "billingPeriodStartDate",
        "billingPeriodEndDate",
        "billingPeriodDaysRemaining",
        "billingPeriodEnvelopesAllowed",
        "billingPeriodEnvelopesSent",
        "createdDate",
        "envelopeSendingBlocked",
    ] {
        assert!(
            body.get(key).is_some_and(Value::is_string),
            "{key}: {body:?}"
        );
    }
    assert_eq!(body["accountIdGuid"], ACCOUNT_ID);
    // `{accountId}` takes the external account number too, for the same account.
    let external = body["externalAccountId"].as_str().expect("a string");
    assert!(
        external.len() == 8 && external.bytes().all(|byte| byte.is_ascii_digit()),
        "{external}"
    );
    let mut by_number = api.clone();
    by_number.base = api.base.replace(ACCOUNT_ID, external);
    assert_eq!(
        by_number.get("/users").await.body,
        api.get("/users").await.body
    );
    assert_eq!(by_number.get("").await.body["accountIdGuid"], ACCOUNT_ID);
    assert_eq!(body["planName"], "Business Pro");
    assert_eq!(body["seatsAllowed"], "10");
    assert_eq!(body["billingPeriodEnvelopesAllowed"], "100");
    // Ada, Sam, Tess and the invitation; not Carl.
    assert_eq!(body["seatsInUse"], "4");
    // Sent in the period that began 20 days ago: the order (10 days ago) and the memo (3 days
    // ago, since voided); not the NDA or the quote (sent long before), nor the draft.
    assert_eq!(body["billingPeriodEnvelopesSent"], "2");
    let start =
        dates::parse(body["billingPeriodStartDate"].as_str().unwrap_or_default()).expect("a date");
    let end =
        dates::parse(body["billingPeriodEndDate"].as_str().unwrap_or_default()).expect("a date");
    let now = Timestamp::now();
    assert!(start <= now && now < end, "{start} .. {end}");
    // DocuSign's format: UTC, seven fractional digits.
    for key in ["createdDate", "billingPeriodStartDate", "planStartDate"] {
        let date = body[key].as_str().unwrap_or_default();
        assert!(
            date.len() == 28 && date.as_bytes()[19] == b'.' && date.ends_with('Z'),
            "{key}: {date}"
        );
    }
    assert!(api.get("?include_account_settings=true").await.body["accountSettings"].is_object());

    // Closing one frees a seat; a new user (invited) takes one.
    let sam = user(&users(&api).await, "sam@example.com")["userId"].clone();
    let closed = api
        .delete("/users", Some(&json!({ "users": [{ "userId": sam }] })))
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    assert_eq!(api.get("").await.body["seatsInUse"], "3");
    let created = api
        .post(
            "/users",
            &json!({ "newUsers": [{ "userName": "Nia New", "email": "nia@example.com" }] }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(api.get("").await.body["seatsInUse"], "4");
}

#[tokio::test]
async fn only_active_users_hold_seats_when_so_switched() {
    let (_running, api) = serve(Config {
        pending_hold_seats: false,
        ..Config::default()
    })
    .await;
    assert_eq!(api.get("").await.body["seatsInUse"], "3");
}

#[tokio::test]
async fn the_account_path_must_name_the_account() {
    let (_running, api) = serve(Config::default()).await;
    let mut elsewhere = Api::new_at(&api.url);
    elsewhere.base = format!(
        "{}/restapi/v2.1/accounts/00000000-0000-4000-8000-000000000000",
        api.url
    );
    let answer = elsewhere.get("").await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (400, "USER_LACKS_MEMBERSHIP")
    );
    let answer = elsewhere.get("/envelopes?from_date=2020-01-01").await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (400, "USER_LACKS_MEMBERSHIP")
    );
    let mut stranger = Api::new_at(&api.url);
    "not-a-token".clone_into(&mut stranger.token);
    assert_eq!(stranger.get("").await.status, 401);
    // Counted like every other call.
    let stats = api.stats().await;
    assert!(
        stats["calls"]["GET /restapi/v2.1/accounts/{accountId}"].as_u64() >= Some(2),
        "{stats}"
    );
}

#[tokio::test]
async fn last_login_follows_its_switch_and_only_the_lists_full_records_carry_it() {
    for last_login in [LastLogin::Never, LastLogin::Absent, LastLogin::Reported] {
        let (_running, api) = serve(Config {
            last_login,
            ..Config::default()
        })
        .await;
        let users = users(&api).await;
        let reported = |email: &str| {
            user(&users, email)
                .get("lastLogin")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match last_login {
            LastLogin::Never => {
                for email in ["ada@example.com", "sam@example.com", "tess@example.com"] {
                    assert_eq!(reported(email).as_deref(), Some(dates::NEVER), "{email}");
                }
            }
            LastLogin::Absent => {
                assert!(users.iter().all(|user| user.get("lastLogin").is_none()));
            }
            LastLogin::Reported => {
                let sam = dates::parse(&reported("sam@example.com").expect("Sam's last login"))
                    .expect("a date");
                let want = Timestamp::now() - SignedDuration::from_hours(150 * 24);
                assert!(
                    (sam - want).get_hours().abs() < 1 && (sam - want).get_days() == 0,
                    "{sam} vs {want}"
                );
                // Tess never signed in: DocuSign's never value.
                assert_eq!(reported("tess@example.com").as_deref(), Some(dates::NEVER));
            }
        }
        // Never in the plain list, nor in one user's record.
        let plain = api.get("/users?count=100").await;
        assert!(
            plain.body["users"]
                .as_array()
                .expect("users")
                .iter()
                .all(|user| user.get("lastLogin").is_none())
        );
        let sam_id = user(&users, "sam@example.com")["userId"]
            .as_str()
            .expect("id")
            .to_owned();
        let one = api.get(&format!("/users/{sam_id}")).await;
        assert!(one.body.get("lastLogin").is_none(), "{:?}", one.body);
        assert!(one.body["userProfileLastModifiedDate"].is_string());
    }
}

#[tokio::test]
async fn user_dates_follow_the_user() {
    let (_running, api) = serve(Config::default()).await;
    let users = users(&api).await;
    let sam = user(&users, "sam@example.com");
    // Made 600 days ago in another account, given this one 300 days ago.
    assert!(
        sam["createdDateTime"].as_str() < sam["userAddedToAccountDateTime"].as_str(),
        "{sam}"
    );
    // The plain list carries both dates too.
    let plain = api.get("/users?count=100").await;
    let plain_sam = user(
        plain.body["users"].as_array().expect("users"),
        "sam@example.com",
    );
    assert_eq!(
        plain_sam["userAddedToAccountDateTime"],
        sam["userAddedToAccountDateTime"]
    );
    assert_eq!(plain_sam["createdDateTime"], sam["createdDateTime"]);
    // DocuSign holds no date for Carl's joining.
    assert_eq!(
        user(&users, "carl@example.com")["userAddedToAccountDateTime"],
        dates::NEVER
    );

    // A user the API makes is created and added now, and has never signed in.
    let before = Timestamp::now() - SignedDuration::from_secs(2);
    let created = api
        .post(
            "/users",
            &json!({ "newUsers": [{ "userName": "Nia New", "email": "nia@example.com" }] }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let users_now = self::users(&api).await;
    let nia = user(&users_now, "nia@example.com");
    for key in [
        "createdDateTime",
        "userAddedToAccountDateTime",
        "userProfileLastModifiedDate",
    ] {
        let at = dates::parse(nia[key].as_str().unwrap_or_default()).expect(key);
        assert!(at >= before, "{key}: {nia}");
    }
    assert_eq!(nia["lastLogin"], dates::NEVER);

    // Changing or closing a user moves its last modification.
    let sam_id = sam["userId"].clone();
    let was = sam["userProfileLastModifiedDate"]
        .as_str()
        .expect("a date")
        .to_owned();
    let closed = api
        .delete("/users", Some(&json!({ "users": [{ "userId": sam_id }] })))
        .await;
    assert_eq!(closed.status, 200);
    let after = self::users(&api).await;
    let now_modified = user(&after, "sam@example.com")["userProfileLastModifiedDate"]
        .as_str()
        .expect("a date")
        .to_owned();
    assert!(now_modified > was, "{was} → {now_modified}");
}

#[tokio::test]
async fn envelopes_need_a_from_date_or_ids() {
    let (_running, api) = serve(Config::default()).await;
    let answer = as_sender(&api).get("/envelopes").await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (400, "INVALID_REQUEST_PARAMETER")
    );
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|text| text.contains("from_date")),
        "{:?}",
        answer.body
    );
    let bad = as_sender(&api)
        .get("/envelopes?from_date=last%20tuesday")
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.error_code()),
        (400, "INVALID_REQUEST_PARAMETER")
    );
    let bad = as_sender(&api)
        .get("/envelopes?from_date=2020-01-01&status=lost")
        .await;
    assert_eq!(bad.status, 400);
    let bad = as_sender(&api)
        .get("/envelopes?from_date=2020-01-01&from_to_status=eventually")
        .await;
    assert_eq!(bad.status, 400);
    // By ID, no date needed.
    let all = as_sender(&api).get("/envelopes?from_date=2000-01-01").await;
    let first = all.body["envelopes"][0]["envelopeId"]
        .as_str()
        .expect("an ID")
        .to_owned();
    let by_id = as_sender(&api)
        .get(&format!("/envelopes?envelope_ids={first}"))
        .await;
    assert_eq!(by_id.status, 200, "{:?}", by_id.body);
    assert_eq!(by_id.body["totalSetSize"], "1");
}

#[tokio::test]
async fn envelopes_are_found_by_their_window_and_status() {
    let (_running, api) = serve(Config::default()).await;
    let sam = as_sender(&api);
    let list = |query: String| {
        let sam = &sam;
        async move {
            let answer = sam.get(&format!("/envelopes?{query}")).await;
            assert_eq!(answer.status, 200, "{query}: {:?}", answer.body);
            answer
        }
    };
    let set = |names: &[&str]| {
        names
            .iter()
            .map(|name| (*name).to_owned())
            .collect::<BTreeSet<_>>()
    };
    // Sam's own, whatever their age.
    assert_eq!(
        subjects(&list("from_date=2000-01-01".to_owned()).await),
        set(&["Old NDA", "Recent order", "Draft"])
    );
    // Changed in the last 30 days: the order (sent 10 days ago) and the draft.
    assert_eq!(
        subjects(&list(format!("from_date={}", days_ago(30))).await),
        set(&["Recent order", "Draft"])
    );
    // Created in the last 30 days: only the draft (the order was created 40 days ago).
    assert_eq!(
        subjects(&list(format!("from_date={}&from_to_status=created", days_ago(30))).await),
        set(&["Draft"])
    );
    // Sent in the last 30 days: the order; the draft was never sent.
    assert_eq!(
        subjects(&list(format!("from_date={}&from_to_status=sent", days_ago(30))).await),
        set(&["Recent order"])
    );
    // A window that ends before the order was sent.
    assert_eq!(
        subjects(
            &list(format!(
                "from_date={}&to_date={}&from_to_status=changed",
                days_ago(300),
                days_ago(20)
            ))
            .await
        ),
        set(&["Old NDA"])
    );
    // The current status, as a comma list; `any` is everything.
    assert_eq!(
        subjects(&list("from_date=2000-01-01&status=completed,created".to_owned()).await),
        set(&["Old NDA", "Draft"])
    );
    assert_eq!(
        subjects(&list("from_date=2000-01-01&status=any".to_owned()).await).len(),
        3
    );
    // `completed` bounds the completion (the spec's effective qualifier "Completed"): the NDA,
    // completed 199 days ago; in the last 30 days nothing, the order being merely sent.
    let completed_since = |days| {
        list(format!(
            "from_date={}&from_to_status=completed",
            days_ago(days)
        ))
    };
    assert_eq!(subjects(&completed_since(300).await), set(&["Old NDA"]));
    assert_eq!(subjects(&completed_since(30).await), set(&[]));
    // A status the qualifier can't find answers nothing.
    let none = list("from_date=2000-01-01&from_to_status=sent&status=created".to_owned()).await;
    assert_eq!(none.body["totalSetSize"], "0");
    assert!(none.body.get("envelopes").is_none());
    // What an envelope says.
    let order = list("from_date=2000-01-01&status=sent".to_owned()).await;
    let envelope = &order.body["envelopes"][0];
    assert_eq!(envelope["status"], "sent");
    assert_eq!(envelope["sender"]["email"], "sam@example.com");
    assert_eq!(envelope["sender"]["userName"], "Sam Sender");
    assert_eq!(envelope["sender"]["accountId"], ACCOUNT_ID);
    for key in [
        "envelopeId",
        "createdDateTime",
        "sentDateTime",
        "statusChangedDateTime",
        "emailSubject",
    ] {
        assert!(envelope[key].is_string(), "{key}: {envelope}");
    }
    assert!(envelope["sentDateTime"].as_str() > envelope["createdDateTime"].as_str());
}

#[tokio::test]
async fn envelopes_page_like_the_other_lists() {
    let (_running, api) = serve(Config::default()).await;
    let sam = as_sender(&api);
    let first = sam.get("/envelopes?from_date=2000-01-01&count=1").await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["totalSetSize"], "3");
    assert_eq!(first.body["resultSetSize"], "1");
    assert_eq!(first.body["startPosition"], "0");
    assert_eq!(first.body["endPosition"], "0");
    let next = first.body["nextUri"]
        .as_str()
        .expect("a next page")
        .to_owned();
    assert!(
        next.contains("start_position=1") && next.contains("count=1"),
        "{next}"
    );
    let mut seen = BTreeSet::new();
    for start in 0..3 {
        let page = sam
            .get(&format!(
                "/envelopes?from_date=2000-01-01&count=1&start_position={start}"
            ))
            .await;
        seen.insert(
            page.body["envelopes"][0]["envelopeId"]
                .as_str()
                .expect("an ID")
                .to_owned(),
        );
    }
    assert_eq!(seen.len(), 3, "each page another envelope");
    let last = sam
        .get("/envelopes?from_date=2000-01-01&count=1&start_position=2")
        .await;
    assert!(last.body.get("nextUri").is_none());
    // Oldest change first; `order=desc` turns it round.
    let ascending = sam.get("/envelopes?from_date=2000-01-01").await;
    let descending = sam.get("/envelopes?from_date=2000-01-01&order=desc").await;
    assert_eq!(ascending.body["envelopes"][0]["emailSubject"], "Old NDA");
    assert_eq!(descending.body["envelopes"][2]["emailSubject"], "Old NDA");
    // Past 1,000 a count is cut, not refused; below 1 it is refused.
    assert_eq!(
        sam.get("/envelopes?from_date=2000-01-01&count=5000")
            .await
            .status,
        200
    );
    assert_eq!(
        sam.get("/envelopes?from_date=2000-01-01&count=0")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn envelopes_are_the_callers_unless_an_administrator_asks_for_another() {
    let (_running, api) = serve(Config::default()).await;
    let users = users(&api).await;
    let id = |email: &str| {
        user(&users, email)["userId"]
            .as_str()
            .expect("an ID")
            .to_owned()
    };
    let sam = as_sender(&api);
    // Without user_id, each sees their own.
    assert_eq!(
        subjects(&api.get("/envelopes?from_date=2000-01-01").await),
        BTreeSet::from(["Admin memo".to_owned()])
    );
    assert_eq!(
        subjects(&sam.get("/envelopes?from_date=2000-01-01").await).len(),
        3
    );
    // The administrator may ask for another user's.
    let tess = api
        .get(&format!(
            "/envelopes?from_date=2000-01-01&user_id={}",
            id("tess@example.com")
        ))
        .await;
    assert_eq!(subjects(&tess), BTreeSet::from(["Signed quote".to_owned()]));
    let by_name = api
        .get("/envelopes?from_date=2000-01-01&user_name=Tess%20Sender&email=tess@example.com")
        .await;
    assert_eq!(
        subjects(&by_name),
        BTreeSet::from(["Signed quote".to_owned()])
    );
    // A sender may not, by either way; may name themself.
    let refused = sam
        .get(&format!(
            "/envelopes?from_date=2000-01-01&user_id={}",
            id("tess@example.com")
        ))
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (400, "USER_LACKS_PERMISSIONS")
    );
    let refused = sam
        .get("/envelopes?from_date=2000-01-01&user_name=Tess%20Sender&email=tess@example.com")
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (400, "USER_LACKS_PERMISSIONS")
    );
    let own = sam
        .get(&format!(
            "/envelopes?from_date=2000-01-01&user_id={}",
            id("sam@example.com")
        ))
        .await;
    assert_eq!(subjects(&own).len(), 3);
    // user_name and email go together and must name a user; user_id must be one.
    let alone = api
        .get("/envelopes?from_date=2000-01-01&email=tess@example.com")
        .await;
    assert_eq!(
        (alone.status.as_u16(), alone.error_code()),
        (400, "INVALID_REQUEST_PARAMETER")
    );
    let nobody = api
        .get("/envelopes?from_date=2000-01-01&user_name=Tess%20Sender&email=sam@example.com")
        .await;
    assert_eq!(
        (nobody.status.as_u16(), nobody.error_code()),
        (400, "INVALID_REQUEST_PARAMETER")
    );
    let unknown = api
        .get("/envelopes?from_date=2000-01-01&user_id=6b67a1ee-0000-4000-8000-0000deadbeef")
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.error_code()),
        (400, "INVALID_USERID")
    );
    // Nobody is a recipient here.
    assert_eq!(
        sam.get("/envelopes?from_date=2000-01-01&user_filter=recipient_only")
            .await
            .body["totalSetSize"],
        "0"
    );

    // With user_id not implemented, it is ignored: the list stays the caller's own.
    let (_running, api) = serve(Config {
        envelopes_by_user_id: false,
        ..Config::default()
    })
    .await;
    let ignored = api
        .get(&format!(
            "/envelopes?from_date=2000-01-01&user_id={}",
            id("tess@example.com")
        ))
        .await;
    assert_eq!(ignored.status, 200);
    assert_eq!(
        subjects(&ignored),
        BTreeSet::from(["Admin memo".to_owned()])
    );
}

#[tokio::test]
async fn envelopes_and_figures_are_kept_in_the_state_file_and_old_files_still_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("account.json");
    let config = || Config {
        state_file: Some(path.clone()),
        ..Config::default()
    };
    let (running, token) = emulator::start_sample(config()).await.expect("start");
    let mut api = Api::new(&running);
    api.token = token;
    let before = api.get("/envelopes?from_date=2000-01-01&count=100").await;
    let before_account = api.get("").await;
    // A write keeps the account.
    let users = users(&api).await;
    let julia = user(&users, "julia.novak@northwind-example.com")["userId"].clone();
    let updated = api
        .put(
            "/users",
            &json!({ "users": [{ "userId": julia, "jobTitle": "IT Lead" }] }),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    drop(running);
    let kept = emulator::load_state(&path).expect("the state file reads");
    assert!(!kept[0].envelopes.is_empty());
    assert_eq!(kept[0].billing.plan_name, "Business Pro");

    let (again, token) = emulator::start_sample(config()).await.expect("restart");
    let mut api = Api::new(&again);
    api.token = token;
    let after = api.get("/envelopes?from_date=2000-01-01&count=100").await;
    assert_eq!(after.body["envelopes"], before.body["envelopes"]);
    let after_account = api.get("").await;
    for key in [
        "planName",
        "planEndDate",
        "seatsAllowed",
        "seatsInUse",
        "createdDate",
    ] {
        assert_eq!(after_account.body[key], before_account.body[key], "{key}");
    }
    drop(again);

    // A state file from before envelopes, plans and user dates were kept.
    let mut state: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    for account in state["accounts"].as_array_mut().expect("accounts") {
        let account = account.as_object_mut().expect("an account");
        account.remove("envelopes");
        account.remove("billing");
        for user in account["users"].as_array_mut().expect("users") {
            let user = user.as_object_mut().expect("a user");
            user.remove("added");
            user.remove("last_login");
        }
    }
    std::fs::write(&path, serde_json::to_vec(&state).expect("JSON")).expect("write");
    let (old, token) = emulator::start_sample(config())
        .await
        .expect("an old state file loads");
    let mut api = Api::new(&old);
    api.token = token;
    let account = api.get("").await;
    assert_eq!(account.status, 200, "{:?}", account.body);
    assert_eq!(account.body["seatsAllowed"], "unlimited");
    let none = api.get("/envelopes?from_date=2000-01-01").await;
    assert_eq!(none.body["totalSetSize"], "0");
    let users = self::users(&api).await;
    let julia = user(&users, "julia.novak@northwind-example.com");
    assert_eq!(
        julia["userAddedToAccountDateTime"],
        julia["createdDateTime"]
    );
}

/// The sample's two invitations, on users the example YAML lists as active.
#[test]
fn the_sample_account_has_two_invitations_not_accepted() {
    let now = Timestamp::now();
    let seeded = sample::sample()
        .build(&mut fastrand::Rng::with_seed(1), &dates::format(now))
        .expect("the sample builds");
    let account = &seeded.account;
    let age = |date: &str| -> i64 {
        now.duration_since(dates::parse(date).expect("a date"))
            .as_hours()
            / 24
    };
    let pending: Vec<(String, i64)> = account
        .users
        .iter()
        .filter(|user| user.status == UserStatus::ActivationSent)
        .map(|user| {
            (
                user.email.clone(),
                age(user.added.as_deref().unwrap_or(&user.created)),
            )
        })
        .collect();
    assert_eq!(
        pending,
        [
            ("aisha.okafor@northwind-example.com".to_owned(), 45),
            ("lucas.moreau@northwind-example.com".to_owned(), 5)
        ]
    );
    // The YAML lists both as active: the plan must not mind that they haven't accepted yet.
    let examples = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/desired-state/users/sales.yaml"
    ))
    .expect("the sales YAML");
    for (email, _) in &pending {
        assert!(examples.contains(email.as_str()));
    }
}

/// The sample's people as `seats` should find them: who is idle, who is busy.
#[test]
fn the_sample_account_has_invitations_idle_users_and_activity() {
    let now = Timestamp::now();
    let seeded = sample::sample()
        .build(&mut fastrand::Rng::with_seed(1), &dates::format(now))
        .expect("the sample builds");
    let account = &seeded.account;
    let age = |date: &str| -> i64 {
        now.duration_since(dates::parse(date).expect("a date"))
            .as_hours()
            / 24
    };
    let email = |id: &str| {
        account
            .user(id)
            .map(|user| user.email.clone())
            .unwrap_or_default()
    };
    let last_used = |user_id: &str| {
        account
            .envelopes
            .iter()
            .filter(|envelope| envelope.sender_id == user_id)
            .map(|envelope| age(&envelope.created))
            .min()
    };
    let idle: BTreeSet<String> = account
        .users
        .iter()
        .filter(|user| user.status == UserStatus::Active)
        .filter(|user| {
            user.last_login
                .as_deref()
                .is_none_or(|login| age(login) > 90)
        })
        .filter(|user| last_used(&user.id).is_none_or(|days| days > 90))
        .map(|user| user.email.clone())
        .collect();
    let expected: BTreeSet<String> = [
        "marcus.hale",
        "grace.liu",
        "ben.carter",
        "ryan.foster",
        "chloe.dubois",
    ]
    .iter()
    .map(|name| format!("{name}@northwind-example.com"))
    .collect();
    assert_eq!(idle, expected);
    let by_email = |wanted: &str| {
        account
            .users
            .iter()
            .find(|user| user.email == wanted)
            .expect("a user")
    };
    // Four of them signed in 120 to 400 days ago; Chloe never did, given the account 200 days ago.
    for name in ["marcus.hale", "grace.liu", "ben.carter", "ryan.foster"] {
        let user = by_email(&format!("{name}@northwind-example.com"));
        let login = age(user.last_login.as_deref().expect("a last login"));
        assert!((120..=400).contains(&login), "{name}: {login}");
    }
    let chloe = by_email("chloe.dubois@northwind-example.com");
    assert_eq!(
        (
            chloe.last_login.as_ref(),
            age(&chloe.created),
            last_used(&chloe.id)
        ),
        (None, 200, None)
    );
    // Tom's login is old, but he sent an envelope 10 days ago.
    let tom = by_email("tom.becker@northwind-example.com");
    assert!(age(tom.last_login.as_deref().expect("a login")) > 90);
    assert_eq!(last_used(&tom.id), Some(10));
    // The integration user is busy, never idle.
    assert_eq!(
        email(&seeded.integration_user_id),
        "docusign-integration@northwind-example.com"
    );
    assert_eq!(last_used(&seeded.integration_user_id), Some(0));
    // A plan with a few seats to spare.
    let holding = account
        .users
        .iter()
        .filter(|user| user.status != UserStatus::Closed)
        .count();
    assert_eq!(account.billing.plan_name, "Business Pro");
    assert_eq!(
        account.billing.seats_allowed,
        docusign_gitops::emulator::account::Allowance::Limited(
            u64::try_from(holding).expect("small") + 4
        )
    );
}

/// A workspace's emulator gives each account the sample's figures and history, under envelope
/// IDs of its own.
#[tokio::test]
async fn each_account_of_a_workspace_has_its_figures_and_envelopes() {
    let wanted = [
        emulator::SampleAccount::named("production"),
        emulator::SampleAccount::named("emea"),
    ];
    let (running, _) = emulator::start_samples(Config::default(), &wanted)
        .await
        .expect("start");
    let ids = |index: usize| -> BTreeSet<String> {
        let slot = running.shared.accounts[index].lock().expect("the account");
        assert_eq!(slot.account.billing.plan_name, "Business Pro");
        slot.account
            .envelopes
            .iter()
            .map(|envelope| envelope.id.clone())
            .collect()
    };
    let (production, emea) = (ids(0), ids(1));
    assert!(!production.is_empty());
    assert_eq!(production.len(), emea.len());
    assert!(production.is_disjoint(&emea));
}

#[tokio::test]
async fn writes_are_an_administrators_and_reads_stay_open() {
    let (_running, api) = serve(Config::default()).await;
    let sam = as_sender(&api);
    let before = api.get("").await.body;
    let groups_before = api.get("/groups").await.body;
    let sam_id = user(&users(&api).await, "sam@example.com")["userId"].clone();
    let writes = [
        (
            Method::POST,
            "/groups",
            json!({ "groups": [{ "groupName": "Sam's" }] }),
        ),
        (
            Method::PUT,
            "/users",
            json!({ "users": [{ "userId": sam_id, "jobTitle": "Boss" }] }),
        ),
        (
            Method::DELETE,
            "/users",
            json!({ "users": [{ "userId": sam_id }] }),
        ),
        (
            Method::POST,
            "/signing_groups",
            json!({ "groups": [{ "groupName": "Sam's", "groupType": "sharedSigningGroup" }] }),
        ),
    ];
    for (method, path, body) in writes {
        let refused = sam.call(method.clone(), path, Some(&body)).await;
        assert_eq!(refused.status, 400, "{method} {path}: {:?}", refused.body);
        assert_eq!(
            refused.body["errorCode"], "USER_LACKS_PERMISSIONS",
            "{method} {path}"
        );
    }
    // Nothing changed, and a member who isn't an administrator still reads.
    assert_eq!(api.get("/groups").await.body, groups_before);
    assert_eq!(api.get("").await.body["seatsInUse"], before["seatsInUse"]);
    let listed = users(&api).await;
    let sam_as_seen = user(&listed, "sam@example.com");
    assert!(
        sam_as_seen
            .get("jobTitle")
            .is_none_or(|title| title != "Boss")
    );
    assert_eq!(sam.get("/groups").await.status, 200);
    // The administrator may.
    let created = api
        .post("/groups", &json!({ "groups": [{ "groupName": "Ada's" }] }))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
}
