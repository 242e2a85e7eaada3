//! Partial failure at library level: an item DocuSign refuses fails with its errorCode, what
//! depends on it is skipped, independent work is done, and plan + apply again converges. And a
//! create whose answer is lost is found by email at the next plan, never sent twice.

use docusign_gitops::apply::{self, Silent, Status};
use docusign_gitops::docusign::writes::Members;
use docusign_gitops::emulator::Config;
use docusign_gitops::model::EmailKey;
use docusign_gitops::plan::{Operation, kind};
use reqwest::Method;
use serde_json::json;

use crate::apply_support::{
    client_for, converge, desired, duplicate_emails, emulated, live, mismatches, plan_for,
    quick_settings, roomy, seeded, start, truth,
};

const LIVE: &str = "
integration_user: admin@example.com
permission_profiles:
  - name: Reviewer
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Plain
  - name: Reviewers
    permission_profile: Reviewer
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: keep@example.com, first_name: Kim, last_name: Keep, job_title: Clerk }
";

/// `dup` joins a plain group (its join rides in the create call) and a group carrying another
/// profile (its join is a call of its own); `fine` and `keep` don't depend on `dup`.
const DESIRED: &str = "
defaults:
  permission_profile: DocuSign Sender
permission_profiles:
  - name: Reviewer
groups:
  - name: Plain
  - name: Reviewers
    permission_profile: Reviewer
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }
  - { email: keep@example.com, first_name: Kim, last_name: Keep, job_title: Senior Clerk }
  - { email: dup@example.com, first_name: Dee, last_name: Upton, groups: [Plain, Reviewers] }
  - { email: fine@example.com, first_name: Fin, last_name: Eton, groups: [Plain] }
";

fn step_of(
    plan: &docusign_gitops::plan::Plan,
    wanted: &str,
    email: &str,
    group: Option<&str>,
) -> usize {
    plan.steps
        .iter()
        .position(|step| {
            let operation = &step.operation;
            kind(operation) == wanted
                && match operation {
                    Operation::CreateUser { email: e, .. }
                    | Operation::UpdateUser { email: e, .. } => {
                        EmailKey::new(e) == EmailKey::new(email)
                    }
                    Operation::AddMember {
                        email: e, group: g, ..
                    } => EmailKey::new(e) == EmailKey::new(email) && Some(g.as_str()) == group,
                    _ => false,
                }
        })
        .unwrap_or_else(|| panic!("no {wanted} for {email} {group:?} in {:#?}", plan.steps))
}

/// A user created by hand in DocuSign between plan and apply: its create is refused with
/// `USER_ALREADY_EXISTS_IN_ACCOUNT` (no fingerprint check at this level), both its joins are
/// skipped, the rest is done; the next round adopts the hand-made user and converges.
#[tokio::test]
async fn a_refused_item_fails_its_dependents_are_skipped_and_the_rest_is_done() {
    let running = start(roomy(), seeded(LIVE, 7)).await;
    let client = client_for(&running, quick_settings());
    let desired = desired(DESIRED);
    let context = crate::apply_support::context(&running);
    let before = live(&client).await;
    let plan = plan_for(&desired, &before, None, &context);

    // Someone adds dup@ by hand after the plan was made.
    let made = client
        .call(
            Method::POST,
            "/users",
            Some(&json!({ "newUsers": [{ "userName": "Hand Made", "email": "dup@example.com" }] })),
            docusign_gitops::docusign::Retry::OnlyIfNotSent,
        )
        .await
        .expect("a hand-made user");
    assert!(
        made.body["newUsers"][0]["userId"].is_string(),
        "{}",
        made.body
    );
    let writes_before = crate::apply_support::write_count(&running.shared.stats());

    let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |_| {}).await;
    let status_of = |index: usize| &outcome.entries[index].status;
    let create_dup = step_of(&plan, "create_user", "dup@example.com", None);
    match status_of(create_dup) {
        Status::Failed { code, .. } => assert_eq!(code, "USER_ALREADY_EXISTS_IN_ACCOUNT"),
        other => panic!("dup's create: {other:?}"),
    }
    for group in ["Plain", "Reviewers"] {
        let join = step_of(&plan, "add_member", "dup@example.com", Some(group));
        assert_eq!(
            status_of(join),
            &Status::Skipped {
                because_of_step: create_dup + 1
            },
            "dup joining {group}"
        );
    }
    for index in [
        step_of(&plan, "create_user", "fine@example.com", None),
        step_of(&plan, "add_member", "fine@example.com", Some("Plain")),
        step_of(&plan, "update_user", "keep@example.com", None),
    ] {
        assert_eq!(status_of(index), &Status::Done, "{:?}", plan.steps[index]);
    }
    assert_eq!(
        (outcome.done(), outcome.failed(), outcome.skipped()),
        (plan.steps.len() - 3, 1, 2)
    );
    // The create and the two joins that could go: one call each, no more.
    let stats = running.shared.stats();
    assert_eq!(
        crate::apply_support::write_count(&stats) - writes_before,
        outcome.calls - outcome.verification_calls
    );
    let now = truth(&running);
    assert!(
        now.users[&EmailKey::new("fine@example.com")]
            .groups
            .contains("Plain")
    );
    assert_eq!(
        now.users[&EmailKey::new("keep@example.com")]
            .job_title
            .as_deref(),
        Some("Senior Clerk")
    );

    // Plan and apply again: the hand-made user is adopted (renamed, joined), not created twice.
    let recorded = apply::managed_objects(&outcome.account, &desired.state, None);
    let (rounds, _, converged) = converge(&client, &desired, &context, Some(recorded), 3).await;
    assert!(
        converged,
        "{:#?}",
        rounds.last().map(|round| &round.outcome.entries)
    );
    assert_eq!(rounds.len(), 1, "one more apply is enough");
    assert!(
        rounds[0].outcome.is_complete(),
        "{:?}",
        rounds[0].outcome.entries
    );
    assert!(
        rounds[0]
            .plan
            .steps
            .iter()
            .all(|step| !matches!(step.operation, Operation::CreateUser { .. })),
        "{:#?}",
        rounds[0].plan.steps
    );
    assert_eq!(mismatches(&truth(&running), &desired), Vec::<String>::new());
    assert_eq!(duplicate_emails(&emulated(&running)), Vec::<String>::new());
    assert_eq!(running.shared.stats().invariant_breaches, 0);
}

/// Adding a member who is already in the group, or removing one who isn't (what a retry after
/// a lost answer meets), is done: the membership is as asked.
#[tokio::test]
async fn a_membership_already_as_asked_is_done() {
    let live_seed = "
integration_user: admin@example.com
groups:
  - name: Plain
    members: [in@example.com]
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: in@example.com, first_name: In, last_name: Side }
  - { email: out@example.com, first_name: Out, last_name: Side }
";
    let running = start(Config::default(), seeded(live_seed, 3)).await;
    let client = client_for(&running, quick_settings());
    let account = emulated(&running);
    let group = account.group_named("Plain").expect("Plain").id.to_string();
    let id = |email: &str| {
        account
            .users
            .iter()
            .find(|user| user.email == email)
            .expect("user")
            .id
            .clone()
    };
    let added = client
        .group_members(Members::Add, &group, &[id("in@example.com")])
        .await
        .expect("an answer");
    assert_eq!(added, vec![Ok(None)]);
    let removed = client
        .group_members(Members::Remove, &group, &[id("out@example.com")])
        .await
        .expect("an answer");
    assert_eq!(removed, vec![Ok(None)]);
    // A real refusal is still one: a user ID the account doesn't have.
    let refused = client
        .group_members(Members::Add, &group, &["no-such-user".to_owned()])
        .await
        .expect("an answer");
    assert_eq!(
        refused[0].as_ref().map_err(|error| error.code.as_str()),
        Err("INVALID_USERID")
    );
}

/// A proxy in front of the emulator that passes everything through, except that it loses the
/// answer of the first `POST /users` after the emulator acted on it.
mod lossy {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::body::{Body, Bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;

    struct Proxy {
        target: String,
        http: reqwest::Client,
        armed: AtomicBool,
    }

    /// Starts the proxy for `target`; answers its URL.
    pub async fn start(target: &str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let proxy = Arc::new(Proxy {
            target: target.to_owned(),
            http: reqwest::Client::new(),
            armed: AtomicBool::new(true),
        });
        let app = axum::Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the request body");
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let mut forwarded = proxy
            .http
            .request(parts.method.clone(), format!("{}{path}", proxy.target))
            .body(body);
        for (name, value) in &parts.headers {
            if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
                forwarded = forwarded.header(name, value);
            }
        }
        let answer = forwarded.send().await.expect("the emulator answers");
        let lose = parts.method == axum::http::Method::POST
            && parts.uri.path().ends_with("/users")
            && proxy.armed.swap(false, Ordering::SeqCst);
        if lose {
            return Response::new(Body::new(Broken));
        }
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let bytes = answer.bytes().await.expect("the emulator's body");
        response.body(Body::from(bytes)).expect("a response")
    }

    /// A body that fails at once: the connection drops mid-answer.
    struct Broken;

    impl http_body::Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "answer lost on the way back",
            ))))
        }
    }
}

/// The answer to `POST /users` is lost after DocuSign created the users: apply doesn't send
/// them again, reads the account back, finds the users and the joins that rode along, and
/// counts them done; the next plan has nothing left and nothing is created twice.
#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_by_email_not_sent_twice() {
    let running = start(roomy(), seeded(LIVE, 5)).await;
    let proxy = lossy::start(&running.url).await;
    let client = crate::apply_support::client_via(&proxy, &running, quick_settings());
    let desired = desired(DESIRED);
    let context = crate::apply_support::context(&running);
    let before = live(&client).await;
    let plan = plan_for(&desired, &before, None, &context);
    let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |_| {}).await;

    let posts = |running: &docusign_gitops::emulator::Running| {
        crate::apply_support::writes(&running.shared.stats())
            .get("POST /users")
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(posts(&running), 1, "the create call was sent once");
    // DocuSign did make them, with the joins that rode along: reading back says so.
    let made = truth(&running);
    for email in ["dup@example.com", "fine@example.com"] {
        assert!(made.users[&EmailKey::new(email)].groups.contains("Plain"));
        let create = step_of(&plan, "create_user", email, None);
        let join = step_of(&plan, "add_member", email, Some("Plain"));
        for step in [create, join] {
            assert_eq!(
                outcome.entries[step].status,
                Status::Done,
                "{:?}",
                plan.steps[step]
            );
        }
    }
    assert!(
        outcome
            .notes
            .iter()
            .any(|note| note.contains("DocuSign answered an error but the account shows it done")),
        "{:?}",
        outcome.notes
    );
    let recorded = apply::managed_objects(&outcome.account, &desired.state, None);
    let (rounds, _, converged) = converge(&client, &desired, &context, Some(recorded), 2).await;
    assert!(converged);
    let creates: Vec<_> = rounds
        .iter()
        .flat_map(|round| &round.plan.steps)
        .filter(|step| matches!(step.operation, Operation::CreateUser { .. }))
        .collect();
    assert!(creates.is_empty(), "created again: {creates:#?}");
    assert_eq!(posts(&running), 1, "no second create");
    assert_eq!(duplicate_emails(&emulated(&running)), Vec::<String>::new());
    assert_eq!(mismatches(&truth(&running), &desired), Vec::<String>::new());
}
