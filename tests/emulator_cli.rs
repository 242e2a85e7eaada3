//! `docusign-gitops emulator`: prints a URL and a token that work, keeps its state file, takes
//! a seed file; and the built-in sample account carries the drift it promises.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use docusign_gitops::emulator::account::UserStatus;
use docusign_gitops::emulator::sample;
use serde_json::{Value, json};

use crate::harness::{Cli, Run};

/// A running `docusign-gitops emulator` process, killed on drop.
struct Server {
    child: Child,
    url: String,
    account: String,
    token: String,
    /// The `client:` line: the client ID and its secret.
    client: String,
    refresh: String,
    /// The `export NAME='value'` lines the banner ends with.
    exports: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Server {
    let mut child = Cli::new()
        .command(&["emulator", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the emulator");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // The rest of the next line, which must start with `prefix`.
    let mut rest = |prefix: &str| -> String {
        let line = lines.next().expect("a line").expect("text");
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"))
            .trim()
            .to_owned()
    };
    let first_word = |text: String| text.split_whitespace().next().expect("a value").to_owned();
    let url = first_word(rest("DocuSign emulator listening on "));
    let account = first_word(rest("account:"));
    let token = first_word(rest("access token:"));
    let _user_id = rest("user id:");
    let client = rest("client:");
    let refresh = first_word(rest("refresh:"));
    let mut exports = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("text");
        if line == "Ctrl-C stops it." {
            break;
        }
        if let Some(export) = line.trim().strip_prefix("export ") {
            let (name, value) = export.split_once('=').expect("NAME=value");
            exports.push((name.to_owned(), value.trim_matches('\'').to_owned()));
        }
    }
    Server {
        child,
        url,
        account,
        token,
        client,
        refresh,
        exports,
    }
}

fn call(server: &Server, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call_with(&server.token, server, method, path, body)
}

/// A call to `server` with `token`.
fn call_with(
    token: &str,
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .request(
                method,
                format!(
                    "{}/restapi/v2.1/accounts/{}{path}",
                    server.url, server.account
                ),
            )
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    })
}

#[test]
fn the_printed_token_works_and_the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().expect("UTF-8 path");
    {
        let server = serve(&["--state-file", state_arg]);
        let (status, users) = call(&server, reqwest::Method::GET, "/users?count=100", None);
        assert_eq!(status, 200, "{users}");
        assert_eq!(users["totalSetSize"], "26");
        let (status, created) = call(
            &server,
            reqwest::Method::POST,
            "/groups",
            Some(json!({"groups": [{"groupName": "Made Before Restart"}]})),
        );
        assert_eq!(status, 201, "{created}");
    }
    assert!(state.exists(), "the state file was written");
    let server = serve(&["--state-file", state_arg]);
    let (status, groups) = call(
        &server,
        reqwest::Method::GET,
        "/groups?count=100&search_text=restart",
        None,
    );
    assert_eq!(status, 200, "{groups}");
    assert_eq!(groups["groups"][0]["groupName"], "Made Before Restart");
}

#[test]
fn a_seed_file_describes_the_account() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "account: {id: 11111111-2222-4333-8444-555555555555, name: Tiny}\n\
         permission_profiles:\n  - name: Reviewers\n    settings: {allowBulkSending: \"false\"}\n\
         groups:\n  - name: Legal\n    members: [bo@example.com]\n  - name: Administrators\n    members: [ada@example.com]\n\
         users:\n  - {email: ada@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator}\n\
         \x20 - {email: bo@example.com, first_name: Bo, last_name: Li, permission_profile: Reviewers, membership_managed_by_scim: true}\n\
         \x20 - {email: cy@example.com, first_name: Cy, last_name: Old, status: Closed}\n",
    )
    .expect("write the seed");
    let server = serve(&["--seed", seed.to_str().expect("UTF-8 path")]);
    assert_eq!(server.account, "11111111-2222-4333-8444-555555555555");
    let (status, users) = call(
        &server,
        reqwest::Method::GET,
        "/users?count=10&additional_info=true",
        None,
    );
    assert_eq!(status, 200, "{users}");
    let by_email = |email: &str| {
        users["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|user| user["email"] == email)
            .cloned()
            .expect("user")
    };
    assert_eq!(
        by_email("bo@example.com")["permissionProfileName"],
        "Reviewers"
    );
    assert_eq!(by_email("cy@example.com")["userStatus"], "Closed");
    assert_eq!(
        by_email("bo@example.com")["isMembershipManagedByScim"],
        "True"
    );
    assert_eq!(by_email("bo@example.com").get("isManagedByScim"), None);
    assert_eq!(
        by_email("cy@example.com").get("isMembershipManagedByScim"),
        None
    );
    assert_eq!(
        by_email("cy@example.com")["permissionProfileName"],
        "DocuSign Sender"
    );
}

#[test]
fn the_answer_shape_flags_take_effect() {
    let server = serve(&[
        "--no-profile-echo",
        "--item-failure-status",
        "400",
        "--item-error-codes",
        "generic",
    ]);
    let (_, users) = call(&server, reqwest::Method::GET, "/users?count=1", None);
    let user_id = users["users"][0]["userId"].as_str().expect("a user ID");
    let (status, updated) = call(
        &server,
        reqwest::Method::PUT,
        &format!("/users/{user_id}"),
        Some(json!({"jobTitle": "Clerk"})),
    );
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["jobTitle"], "Clerk");
    assert_eq!(updated.get("permissionProfileId"), None, "{updated}");
    let twice = json!({"groups": [{"groupName": "Twice"}, {"groupName": "twice"}]});
    let (status, created) = call(&server, reqwest::Method::POST, "/groups", Some(twice));
    assert_eq!(status, 400, "{created}");
    assert!(
        created["groups"][0].get("errorDetails").is_none(),
        "{created}"
    );
    assert_eq!(
        created["groups"][1]["errorDetails"]["errorCode"],
        "INVALID_REQUEST_PARAMETER"
    );
}

/// `--page-cap 3`: a page asked for 100 users holds 3, and its paging fields say so.
#[test]
fn the_page_cap_flag_takes_effect() {
    let server = serve(&["--page-cap", "3"]);
    let (status, page) = call(
        &server,
        reqwest::Method::GET,
        "/users?count=100&start_position=1",
        None,
    );
    assert_eq!(status, 200, "{page}");
    let total: usize = page["totalSetSize"]
        .as_str()
        .and_then(|total| total.parse().ok())
        .expect("a total");
    assert!(total > 4, "{page}");
    assert_eq!(page["users"].as_array().map(Vec::len), Some(3), "{page}");
    assert_eq!(page["resultSetSize"], "3");
    assert_eq!(page["startPosition"], "1");
    assert_eq!(page["endPosition"], "3");
    let next = page["nextUri"].as_str().expect("a next page");
    assert!(next.ends_with("start_position=4&count=3"), "{next}");
}

#[test]
fn a_page_cap_of_0_is_refused() {
    let run = Run::of(&mut Cli::new().command(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--page-cap",
        "0",
    ]));
    run.exits(1)
        .stderr_has(&["invalid value '0' for '--page-cap <N>'"]);
}

#[test]
fn a_bad_seed_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, "users:\n  - {email: a@example.com, first_name: A, last_name: B, permission_profile: Nope}\n").expect("write");
    let run = Run::of(
        Cli::new()
            .command(&["emulator", "--listen", "127.0.0.1:0", "--seed"])
            .arg(&seed),
    );
    run.exits(1);
    assert!(
        run.stderr.contains("unknown permission profile `Nope`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_sample_account_carries_hand_made_drift() {
    let seed = sample::sample();
    let built = seed
        .build(
            &mut fastrand::Rng::with_seed(1),
            "2026-01-01T00:00:00.0000000Z",
        )
        .expect("the sample builds");
    let account = built.account;
    let user = |email: &str| {
        account
            .users
            .iter()
            .find(|user| user.email == email)
            .expect("user")
    };
    // The leaver the examples close is still active.
    assert_eq!(
        user("derek.lindqvist@northwind-example.com").status,
        UserStatus::Active
    );
    // The rename hasn't happened, a hand-made group exists, an unmanaged user is in it.
    assert!(account.group_named("Sales Team").is_some());
    assert!(account.group_named("Sales").is_none());
    let contractors = account
        .group_named("Temp Contractors")
        .expect("hand-made group");
    assert_eq!(contractors.members.len(), 1);
    // A setting was changed by hand.
    let sales_sender = account.profile_named("Sales Sender").expect("profile");
    assert_eq!(sales_sender.settings["allowBulkSending"], "false");
    // The integration user is the protected administrator.
    let integration = account
        .user(&built.integration_user_id)
        .expect("integration user");
    assert_eq!(
        integration.email,
        "docusign-integration@northwind-example.com"
    );
}

#[test]
fn the_printed_refresh_token_works_for_the_given_client() {
    let server = serve(&[
        "--client-id",
        "my-integration-key",
        "--client-secret",
        "my-secret",
    ]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let token: Value = client
            .post(format!("{}/oauth/token", server.url))
            .basic_auth("my-integration-key", Some("my-secret"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", server.refresh.as_str()),
            ])
            .send()
            .await
            .expect("token answer")
            .json()
            .await
            .expect("token JSON");
        let access = token["access_token"].as_str().expect("an access token");
        let me: Value = client
            .get(format!("{}/oauth/userinfo", server.url))
            .bearer_auth(access)
            .send()
            .await
            .expect("userinfo answer")
            .json()
            .await
            .expect("userinfo JSON");
        assert_eq!(me["email"], "docusign-integration@northwind-example.com");
        assert_eq!(me["accounts"][0]["account_id"], server.account.as_str());
        assert_eq!(me["accounts"][0]["base_uri"], server.url.as_str());
    });
}

#[test]
fn each_start_prints_fresh_credentials_unless_fixed_ones_are_asked_for() {
    let credentials = |server: &Server| {
        (
            server.token.clone(),
            server.client.clone(),
            server.refresh.clone(),
        )
    };
    let (first, second) = (serve(&[]), serve(&[]));
    let (a, b) = (credentials(&first), credentials(&second));
    assert_ne!(a.0, b.0, "the access token repeats");
    assert_ne!(a.1, b.1, "the client secret repeats");
    assert_ne!(a.2, b.2, "the refresh token repeats");
    // Both work, and neither works on the other.
    for (server, other) in [(&first, &second), (&second, &first)] {
        let users = |token: &str| call_with(token, server, reqwest::Method::GET, "/users", None).0;
        assert_eq!(users(&server.token), 200);
        assert_eq!(users(&other.token), 401);
    }
    drop((first, second));
    for args in [&["--fixed-credentials"][..], &["--fault-seed", "7"]] {
        let (first, second) = (serve(args), serve(args));
        assert_eq!(credentials(&first), credentials(&second), "{args:?}");
    }
}

/// The banner's `export` lines are all another shell needs: `auth check` with exactly those
/// variables passes. And `auth check` takes the account from the YAML in DIR, as `plan` does:
/// without `DOCUSIGN_ACCOUNT_ID`, the examples' account is the one checked, not a default.
#[test]
fn the_banners_exports_connect_auth_check_and_auth_check_reads_the_yamls_account() {
    let server = serve(&[]);
    let names: Vec<&str> = server
        .exports
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "DOCUSIGN_AUTH_SERVER",
            "DOCUSIGN_ACCESS_TOKEN",
            "DOCUSIGN_ACCOUNT_ID"
        ]
    );
    let with_exports = |dir: &std::path::Path, leave_out: &str, args: &[&str]| {
        let exported = server
            .exports
            .iter()
            .filter(|(name, _)| name != leave_out)
            .fold(Cli::new(), |cli, (name, value)| cli.env(name, value));
        exported.run(dir, args)
    };
    let empty = tempfile::tempdir().expect("temp dir");
    with_exports(empty.path(), "", &["auth", "check"])
        .exits(0)
        .stdout_has(&format!("({})", server.account))
        .stdout_has("admin:      yes");

    // No account in the environment: with no YAML the user's default account is taken, and
    // said; in the examples, the YAML's `account.id` is the one checked.
    let defaulted = with_exports(empty.path(), "DOCUSIGN_ACCOUNT_ID", &["auth", "check"]);
    defaulted.exits(0);
    assert!(defaulted.stderr.contains("warning"), "{}", defaulted.stderr);
    let examples = crate::harness::Fixture::copy_of("examples/desired-state");
    let from_yaml = with_exports(examples.path(), "DOCUSIGN_ACCOUNT_ID", &["auth", "check"]);
    from_yaml
        .exits(0)
        .stdout_has(&format!("({})", server.account));
    assert!(
        !from_yaml.stderr.contains("warning"),
        "{}",
        from_yaml.stderr
    );
    // DIR names the directory, as for plan.
    let from_elsewhere = with_exports(
        empty.path(),
        "DOCUSIGN_ACCOUNT_ID",
        &[
            "auth",
            "check",
            examples.path().to_str().expect("a UTF-8 path"),
        ],
    );
    from_elsewhere.exits(0);
    assert!(
        !from_elsewhere.stderr.contains("warning"),
        "{}",
        from_elsewhere.stderr
    );
}
