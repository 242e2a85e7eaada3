//! `docusign-gitops probe` against the embedded emulator: it reports each value of each
//! emulator switch as it is set, its JSON round-trips through `emulator --behaviour`, it refuses
//! production and an unattended run without `--yes`, and it leaves the account as it found it,
//! the closed temporary user aside, also when it stops midway.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;

use docusign_gitops::emulator::config::{
    ItemErrorCodes, ItemFailureStatus, ProfileChangeRoutes, ProfileRoute, RateLimitStatus,
};
use docusign_gitops::emulator::{Config, Running, lock};
use serde_json::{Value, json};

use crate::emulator_support::{ACCOUNT_ID, TOKEN, account_with, start};
use crate::harness::{Cli, Run};
use crate::served::Served;

const EMAIL: &str = "probe+test@example.com";

/// An emulator over an account with `users` users besides its administrator, on a runtime of
/// the test's own.
fn emulated(config: Config, users: usize) -> Served {
    Served::hosting(start(config, account_with(users)))
}

/// A burst limit the probe's own calls fit under, small enough to spend quickly.
const SMALL_BURST: u32 = 80;

fn config(
    routes: ProfileChangeRoutes,
    join: bool,
    group_list: bool,
    status: RateLimitStatus,
) -> Config {
    Config {
        profile_change: routes,
        group_profile_on_join: join,
        group_list_in_user_records: group_list,
        rate_limit_status: status,
        burst_limit: SMALL_BURST,
        ..Config::default()
    }
}

/// `config` with the other value of each answer-shape switch (no profile echo, a 400 for a
/// bulk answer with failed items, generic per-item codes) and a reopen that makes a new user.
fn other_shapes(config: Config) -> Config {
    Config {
        reopen_keeps_user_id: false,
        profile_in_user_answers: false,
        item_failure_status: ItemFailureStatus::BadRequest,
        item_error_codes: ItemErrorCodes::Generic,
        ..config
    }
}

/// `probe --yes` in `dir` against an emulator at `url` (its auth server too), the findings
/// written to `dir/probe.json`; answers the run and the findings, when written.
fn probe_at(
    dir: &Path,
    url: &str,
    token: &str,
    account: &str,
    extra: &[&str],
) -> (Run, Option<Value>) {
    let out = dir.join("probe.json");
    let run = Run::of(
        Cli::new()
            .env("DOCUSIGN_AUTH_SERVER", url)
            .env("DOCUSIGN_ACCESS_TOKEN", token)
            .env("DOCUSIGN_ACCOUNT_ID", account)
            .command(&["probe", "--yes", "--email", EMAIL, "--out"])
            .arg(&out)
            .args(extra)
            .current_dir(dir),
    );
    let report = std::fs::read(&out)
        .ok()
        .map(|bytes| serde_json::from_slice(&bytes).expect("the findings are JSON"));
    (run, report)
}

fn probe(dir: &Path, emulated: &Served, extra: &[&str]) -> (Run, Option<Value>) {
    probe_at(dir, &emulated.running.url, TOKEN, ACCOUNT_ID, extra)
}

/// The `value` of each behaviour.
fn values(report: &Value) -> serde_json::Map<String, Value> {
    report["behaviours"]
        .as_object()
        .expect("behaviours")
        .iter()
        .map(|(name, entry)| (name.clone(), entry["value"].clone()))
        .collect()
}

fn routes(put_user: bool, put_profile: bool, bulk_put_users: bool) -> Value {
    json!({ "put_user": put_user, "put_profile": put_profile, "bulk_put_users": bulk_put_users })
}

/// The emulated account as it stands, in the state-file format.
fn account(running: &Running) -> Value {
    serde_json::to_value(&lock(&running.shared.accounts[0]).account).expect("the account as JSON")
}

/// Asserts `after` is `before` with exactly one user more, closed, the probe's; IDs handed out
/// aside (the emulator's counter moves on as DocuSign's does).
#[track_caller]
fn assert_only_a_closed_temporary_user_was_added(before: &Value, after: &Value) {
    let mut after = after.clone();
    let users = after["users"].as_array_mut().expect("users");
    let temporary: Vec<Value> = users
        .iter()
        .filter(|user| user["email"] == EMAIL)
        .cloned()
        .collect();
    users.retain(|user| user["email"] != EMAIL);
    assert_eq!(temporary.len(), 1, "one temporary user: {temporary:#?}");
    assert_eq!(temporary[0]["status"], "Closed", "{temporary:#?}");
    assert!(
        temporary[0]["user_name"]
            .as_str()
            .is_some_and(|name| name.starts_with("docusign-gitops probe ")),
        "{temporary:#?}"
    );
    after["next_id"] = before["next_id"].clone();
    assert_eq!(
        &after, before,
        "the account changed beyond the closed temporary user"
    );
}

/// Every switch at its default but the small burst, and then every one at its other value:
/// each value is reported, the burst's refusal status too, and the account ends as it began
/// but for the closed temporary user.
#[test]
fn probe_reports_the_defaults_and_leaves_only_a_closed_user_behind() {
    let emulated = emulated(
        config(
            ProfileChangeRoutes::all(),
            false,
            true,
            RateLimitStatus::BadRequest,
        ),
        25,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let before = account(&emulated.running);
    let (run, report) = probe(dir.path(), &emulated, &["--spend-burst"]);
    run.exits(0)
        .stdout_has("profile change routes")
        .stdout_has("--profile-change-via all (default)")
        .stdout_has("no --no-profile-echo (default)")
        .stdout_has("no --reopen-makes-new-user (default)")
        .stdout_has("--item-failure-status success (default);")
        .stdout_has("--item-error-codes emulator (default)")
        .stdout_has("API calls: ")
        .stderr_has(&[
            "cleaned up: the temporary user `probe+test@example.com` (closed",
            "cleaned up: the temporary signing group `docusign-gitops probe ",
            "cleaned up: the temporary group `docusign-gitops probe ",
            "cleaned up: the temporary permission profile `docusign-gitops probe ",
        ]);
    let report = report.expect("the findings");
    assert_eq!(report["format"], "docusign-gitops-probe");
    assert_eq!(report["version"], 1);
    assert_eq!(report["environment"], "demo");
    let values = values(&report);
    assert_eq!(values["profile_change_routes"], routes(true, true, true));
    assert_eq!(values["group_profile_on_join"], json!(false));
    assert_eq!(values["group_list_in_user_records"], json!(true));
    assert_eq!(values["rate_limit_status"], json!(400));
    assert_eq!(
        values["rate_limits"],
        json!({ "hourly_limit": 3000, "burst_limit": SMALL_BURST })
    );
    assert_eq!(values["users_default_page_size"], json!({ "exact": 20 }));
    assert_eq!(values["reactivation_keeps_user_id"], json!(true));
    assert_eq!(values["signing_group_put_members"], json!("merge"));
    assert_eq!(values["profile_in_user_answers"], json!(true));
    assert_eq!(
        values["item_answers"]["add_member_twice"]["item_error_codes"],
        json!(["USER_ALREADY_MEMBER_OF_GROUP"])
    );
    assert_eq!(
        values["item_answers"]["remove_non_member"]["item_error_codes"],
        json!(["USER_NOT_MEMBER_OF_GROUP"])
    );
    // The count printed is the count the emulator served.
    let served = emulated.running.shared.stats().total_calls;
    assert_eq!(report["api_calls"], json!(served));
    run.stdout_has(&format!("API calls: {served}"));
    assert_only_a_closed_temporary_user_was_added(&before, &account(&emulated.running));
}

/// The other value of every switch at once (`PUT /users/{id}` alone changes profiles), then
/// each remaining profile route alone; a small account bounds the page size instead.
#[test]
fn probe_reports_each_other_switch_value() {
    let emulated_other = emulated(
        other_shapes(config(
            ProfileChangeRoutes::only(ProfileRoute::PutUser),
            true,
            false,
            RateLimitStatus::TooManyRequests,
        )),
        2,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (run, report) = probe(dir.path(), &emulated_other, &["--spend-burst"]);
    run.exits(0)
        .stdout_has("--profile-change-via put-user")
        .stdout_has("--group-profile-on-join")
        .stdout_has("--no-group-list")
        .stdout_has("--rate-limit-status 429")
        .stdout_has("--no-profile-echo")
        .stdout_has("--reopen-makes-new-user")
        .stdout_has("--item-failure-status 400;")
        .stdout_has("--item-error-codes generic");
    let other = values(&report.expect("the findings"));
    assert_eq!(other["profile_in_user_answers"], json!(false));
    assert_eq!(other["reactivation_keeps_user_id"], json!(false));
    for case in ["add_member_twice", "remove_non_member"] {
        assert_eq!(
            other["item_answers"][case],
            json!({ "status": 400, "error_code": "", "item_error_codes": ["INVALID_REQUEST_PARAMETER"] }),
            "{case}"
        );
    }
    assert_eq!(other["profile_change_routes"], routes(true, false, false));
    assert_eq!(other["group_profile_on_join"], json!(true));
    assert_eq!(other["group_list_in_user_records"], json!(false));
    assert_eq!(other["rate_limit_status"], json!(429));
    // Admin, two users and the probe's: one page holds them all.
    assert_eq!(other["users_default_page_size"], json!({ "at_least": 4 }));

    for (route, expected) in [
        (ProfileRoute::PutProfile, routes(false, true, false)),
        (ProfileRoute::BulkPutUsers, routes(false, false, true)),
    ] {
        let emulated = emulated(
            config(
                ProfileChangeRoutes::only(route),
                false,
                true,
                RateLimitStatus::BadRequest,
            ),
            2,
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let (run, report) = probe(dir.path(), &emulated, &[]);
        run.exits(0);
        let found = values(&report.expect("the findings"));
        assert_eq!(found["profile_change_routes"], expected, "{route:?}");
        assert_eq!(found["rate_limit_status"], Value::Null, "not spent");
        run.stdout_has("not tried (run with --spend-burst)");
    }
}

/// A running `docusign-gitops emulator`, killed on drop.
struct Server {
    child: Child,
    url: String,
    account: String,
    token: String,
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
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut value = |prefix: &str| -> String {
        let line = lines.next().expect("a line").expect("text");
        let rest = line
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"));
        rest.split_whitespace().next().expect("a value").to_owned()
    };
    let url = value("DocuSign emulator listening on ");
    let account = value("account:");
    let token = value("access token:");
    Server {
        child,
        url,
        account,
        token,
    }
}

/// The findings, fed to `emulator --behaviour`, make an emulator the probe finds the same;
/// a flag given beside the file wins over it.
#[test]
fn the_findings_round_trip_through_emulator_behaviour_and_flags_win() {
    let emulated = emulated(
        other_shapes(config(
            ProfileChangeRoutes::only(ProfileRoute::PutProfile),
            true,
            false,
            RateLimitStatus::TooManyRequests,
        )),
        2,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (run, report) = probe(dir.path(), &emulated, &["--spend-burst"]);
    run.exits(0);
    let first = values(&report.expect("the findings"));
    assert_eq!(first["profile_in_user_answers"], json!(false));
    assert_eq!(first["reactivation_keeps_user_id"], json!(false));
    let file = dir.path().join("probe.json");
    let file = file.to_str().expect("a UTF-8 path");
    let switches = [
        "profile_change_routes",
        "group_profile_on_join",
        "group_list_in_user_records",
        "rate_limit_status",
        "rate_limits",
        "profile_in_user_answers",
        "item_answers",
        "reactivation_keeps_user_id",
    ];

    let server = serve(&["--behaviour", file]);
    let again = tempfile::tempdir().expect("temp dir");
    let (run, report) = probe_at(
        again.path(),
        &server.url,
        &server.token,
        &server.account,
        &["--spend-burst"],
    );
    run.exits(0);
    let second = values(&report.expect("the findings"));
    for switch in switches {
        assert_eq!(second[switch], first[switch], "{switch}");
    }
    drop(server);

    let server = serve(&[
        "--behaviour",
        file,
        "--profile-change-via",
        "all",
        "--rate-limit-status",
        "400",
        "--burst-limit",
        "90",
        "--item-failure-status",
        "success",
    ]);
    let overridden = tempfile::tempdir().expect("temp dir");
    let (run, report) = probe_at(
        overridden.path(),
        &server.url,
        &server.token,
        &server.account,
        &["--spend-burst"],
    );
    run.exits(0);
    let third = values(&report.expect("the findings"));
    assert_eq!(third["profile_change_routes"], routes(true, true, true));
    assert_eq!(third["rate_limit_status"], json!(400));
    assert_eq!(third["rate_limits"]["burst_limit"], json!(90));
    assert_eq!(
        third["item_answers"]["add_member_twice"]["status"],
        json!(200)
    );
    assert_eq!(
        third["item_answers"]["add_member_twice"]["item_error_codes"],
        json!(["INVALID_REQUEST_PARAMETER"]),
        "the file's generic codes stay"
    );
    assert_eq!(third["profile_in_user_answers"], json!(false));
    assert_eq!(
        third["group_profile_on_join"],
        first["group_profile_on_join"]
    );
    assert_eq!(
        third["group_list_in_user_records"],
        first["group_list_in_user_records"]
    );
}

/// A file that is not a probe file stops the emulator with an error naming it.
#[test]
fn a_bad_behaviour_file_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plan.json");
    std::fs::write(&file, r#"{"format": "docusign-gitops-plan"}"#).expect("write");
    let run = Cli::new().run(
        dir.path(),
        &[
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--behaviour",
            file.to_str().expect("UTF-8"),
        ],
    );
    run.exits(1).stderr_has(&[
        &format!("can't use the behaviour file `{}`", file.display()),
        "it is not a probe file",
    ]);
}

/// Production is refused before any API call: by the YAML's environment, or by the auth
/// server, which needs no emulator at all.
#[test]
fn probe_refuses_production_before_any_call() {
    let emulated = emulated(Config::default(), 2);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("account.yaml"),
        format!("account:\n  id: {ACCOUNT_ID}\n  environment: production\n"),
    )
    .expect("write YAML");
    let (run, report) = probe(dir.path(), &emulated, &[]);
    run.exits(1).stderr_has(&[
        "probe refuses production: the YAML's `account.environment` is",
        "`production`; nothing was changed",
        "cli::probe_production",
    ]);
    assert!(report.is_none());
    assert_eq!(emulated.running.shared.stats().total_calls, 0);

    let empty = tempfile::tempdir().expect("temp dir");
    let (run, _) = probe(
        empty.path(),
        &emulated,
        &["--auth-server", "account.docusign.com"],
    );
    run.exits(1).stderr_has(&[
        "probe refuses production: the auth server `account.docusign.com` is",
        "DocuSign's production one; nothing was changed",
    ]);
    assert_eq!(emulated.running.shared.stats().total_calls, 0);
}

/// Without a terminal to ask on, and without `--yes`, nothing is done.
#[test]
fn probe_without_yes_and_without_a_terminal_changes_nothing() {
    let emulated = emulated(Config::default(), 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let run = Cli::emulator(&emulated.running).run(dir.path(), &["probe", "--email", EMAIL]);
    run.exits(1).stderr_has(&[
        "create the user `docusign-gitops probe ",
        "it stays in the account, closed",
        "stdin is not a terminal;",
        "nothing was changed",
        "run again with --yes",
    ]);
    assert_eq!(emulated.running.shared.stats().total_calls, 0);
    assert!(!dir.path().join("docusign-gitops-probe.json").exists());
}

/// On a terminal the probe lists what it will do and asks; any answer but `yes` changes
/// nothing, `yes` runs it.
#[test]
fn probe_asks_on_a_terminal_and_only_yes_goes_ahead() {
    use rexpect::process::WaitStatus;
    use rexpect::session::spawn_command;

    let emulated = emulated(Config::default(), 2);
    for (answer, code) in [("no", 1), ("yes", 0)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = emulated.cli().command(&["probe", "--email", EMAIL]);
        command
            .current_dir(dir.path())
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        let mut session =
            spawn_command(command, Some(30_000)).expect("start probe in a pseudo-terminal");
        let (shown, _) = session
            .exp_regex(r"Go ahead\? Only `yes` is accepted: ")
            .expect("the question");
        assert!(
            shown.contains("create the permission profile, group and signing group"),
            "{shown}"
        );
        assert!(shown.contains("stays in the account, closed"), "{shown}");
        let before = emulated.running.shared.stats().total_calls;
        assert_eq!(before, 0, "{answer}: nothing is sent before the answer");
        session.send_line(answer).expect("answer");
        let rest = session.exp_eof().expect("the probe ends");
        let ended = session.process().wait().expect("the exit status");
        assert!(
            matches!(ended, WaitStatus::Exited(_, exited) if exited == code),
            "{answer}: {ended:?}\n{rest}"
        );
        let calls = emulated.running.shared.stats().total_calls - before;
        if answer == "yes" {
            assert!(calls > 0, "yes: the probe ran");
            assert!(rest.contains("API calls: "), "{rest}");
        } else {
            assert_eq!(calls, 0, "no: nothing was sent");
            assert!(rest.contains("Nothing was changed."), "{rest}");
        }
    }
}

/// A call that fails midway (the signing group's read-back, after everything was made) stops
/// the probe, and the cleanup still takes away all it made.
#[test]
fn a_failure_midway_still_cleans_up_everything() {
    let emulated = emulated(Config::default(), 3);
    let before = account(&emulated.running);
    let proxy = emulated.block_on(failing::start(
        &emulated.running.url,
        |method, path| method == "GET" && path.contains("/signing_groups/"),
        None,
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let run = emulated
        .cli()
        // Skips discovery, so the API calls go through the proxy.
        .env("DOCUSIGN_BASE_URL", &proxy)
        .run(dir.path(), &["probe", "--yes", "--email", EMAIL]);
    run.exits(1).stderr_has(&[
        "the probe stopped: reading the temporary signing group back failed",
        "503",
        "cleaned up: the temporary user",
        "cleaned up: the temporary signing group",
        "cleaned up: the temporary group",
        "cleaned up: the temporary permission profile",
    ]);
    assert!(!dir.path().join("docusign-gitops-probe.json").exists());
    assert_only_a_closed_temporary_user_was_added(&before, &account(&emulated.running));
}

/// Ctrl-C while a call hangs (the signing group's read-back, after everything was made)
/// stops the probe, and the cleanup takes away all it made.
#[cfg(unix)]
#[test]
fn ctrl_c_midway_still_cleans_up_everything() {
    let emulated = emulated(Config::default(), 3);
    let before = account(&emulated.running);
    let (held, reached) = std::sync::mpsc::channel();
    let proxy = emulated.block_on(failing::start(
        &emulated.running.url,
        |method, path| method == "GET" && path.contains("/signing_groups/"),
        Some(held),
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let child = emulated
        .cli()
        .env("DOCUSIGN_BASE_URL", &proxy)
        .command(&["probe", "--yes", "--email", EMAIL])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the probe");
    reached
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the probe reaches the held call");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGINT sent");
    let run = Run::from(child.wait_with_output().expect("the probe ends"));
    run.exits(1).stderr_has(&[
        "Interrupted: cleaning up what the probe made.",
        "cleaned up: the temporary user",
        "cleaned up: the temporary signing group",
        "cleaned up: the temporary group",
        "cleaned up: the temporary permission profile",
    ]);
    assert_only_a_closed_temporary_user_was_added(&before, &account(&emulated.running));
}

/// A proxy that answers 503 to the requests a predicate picks (or, given a `held` channel,
/// never answers them and says so on the channel) and passes the rest on.
mod failing {
    use std::sync::Mutex;
    use std::sync::mpsc::Sender;

    use super::Arc;

    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::response::Response;

    type Picks = fn(&str, &str) -> bool;

    struct Proxy {
        target: String,
        http: reqwest::Client,
        fails: Picks,
        held: Option<Mutex<Sender<()>>>,
    }

    /// Starts the proxy for `target`; answers its URL.
    pub async fn start(target: &str, fails: Picks, held: Option<Sender<()>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let proxy = Arc::new(Proxy {
            target: target.to_owned(),
            http: reqwest::Client::new(),
            fails,
            held: held.map(Mutex::new),
        });
        let app = axum::Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        if (proxy.fails)(parts.method.as_str(), parts.uri.path()) {
            if let Some(held) = &proxy.held {
                let _ = held.lock().expect("the channel").send(());
                return std::future::pending().await;
            }
            return Response::builder()
                .status(503)
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"errorCode": "UNSPECIFIED_ERROR", "message": "injected by the test"}"#,
                ))
                .expect("a response");
        }
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
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let bytes = answer.bytes().await.expect("the emulator's body");
        response.body(Body::from(bytes)).expect("a response")
    }
}
