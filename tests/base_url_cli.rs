//! `DOCUSIGN_BASE_URL`, the binary: with it, the account's API host is the one given and
//! `/oauth/userinfo` is never asked; without it, discovery asks userinfo. The auth server is a
//! counting proxy in front of the emulator, and the credentials a refresh token, so the auth
//! server is visibly still used for the token either way.

use docusign_gitops::emulator::config::{Client, RefreshGrant};

use crate::apply_support::{roomy, seeded};
use crate::harness::Fixture;
use crate::served::{Proxy, Served};

const CLIENT_ID: &str = "5d0c7e21-93ab-4f16-8c2d-7a41e9b03f58";
const CLIENT_SECRET: &str = "base-url-test-client-secret";
const REFRESH_TOKEN: &str = "base-url-test-refresh-token";

const LIVE: &str = "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
";

const DESIRED: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: cy@example.com, first_name: Cy, last_name: Young }
";

/// An emulator that takes [`REFRESH_TOKEN`] (once) for its administrator, and a counting proxy
/// in front of it to serve as the auth server.
fn served() -> (Served, Proxy) {
    let seeded = seeded(LIVE, 7);
    let mut config = roomy();
    config.credentials.clients.push(Client {
        id: CLIENT_ID.to_owned(),
        secret: CLIENT_SECRET.to_owned(),
    });
    config.credentials.refresh_tokens.push(RefreshGrant {
        token: REFRESH_TOKEN.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        user_id: seeded.integration_user_id.clone(),
    });
    let served = Served::start(config, seeded);
    let proxy = served.proxy(|_, _| {});
    (served, proxy)
}

/// `plan --detailed-exitcode` with the refresh-token credentials and the proxy as auth server.
fn plan(served: &Served, proxy: &Proxy, base_url: Option<&str>) -> crate::harness::Run {
    let fixture = Fixture::new().file("desired.yaml", DESIRED);
    let mut cli = served
        .cli()
        .without("DOCUSIGN_ACCESS_TOKEN")
        .env("DOCUSIGN_AUTH_SERVER", &proxy.url)
        .env("DOCUSIGN_CLIENT_ID", CLIENT_ID)
        .env("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET)
        .env("DOCUSIGN_REFRESH_TOKEN", REFRESH_TOKEN);
    if let Some(base_url) = base_url {
        cli = cli.env("DOCUSIGN_BASE_URL", base_url);
    }
    cli.run(fixture.path(), &["plan", "--detailed-exitcode"])
}

/// Reads of the account's users the emulator answered.
fn user_reads(served: &Served) -> u64 {
    served
        .stats()
        .calls
        .get("GET /restapi/v2.1/accounts/{accountId}/users")
        .copied()
        .unwrap_or(0)
}

#[test]
fn without_base_url_the_account_is_found_through_userinfo() {
    let (served, proxy) = served();
    plan(&served, &proxy, None)
        .exits(2)
        .stdout_has("cy@example.com");
    assert_eq!(
        proxy.calls("POST /oauth/token"),
        1,
        "{:?}",
        proxy.all_calls()
    );
    assert_eq!(
        proxy.calls("GET /oauth/userinfo"),
        1,
        "{:?}",
        proxy.all_calls()
    );
}

#[test]
fn base_url_gives_the_api_host_and_userinfo_only_says_whose_token_it_is() {
    let (served, proxy) = served();
    let run = plan(&served, &proxy, Some(&served.running.url));
    // Planned against the live account: Ada is there already, Cy is to be created.
    run.exits(2).stdout_has("cy@example.com");
    assert!(!run.stdout.contains("admin@example.com"), "{}", run.stdout);
    assert!(!run.stderr.contains("unknown"), "{}", run.stderr);
    assert!(user_reads(&served) > 0, "{:?}", served.stats().calls);
    // The token came from the auth server, and userinfo was asked once, for the token's user.
    for call in ["POST /oauth/token", "GET /oauth/userinfo"] {
        assert_eq!(proxy.calls(call), 1, "{call}: {:?}", proxy.all_calls());
    }
}

/// The YAML demoting Ada, the administrator whose token the tool uses.
const DEMOTES_ADA: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: DocuSign Sender }
";

/// `plan --detailed-exitcode` of `yaml` with `credentials` set, the API host given by
/// `DOCUSIGN_BASE_URL`.
fn plan_with(served: &Served, yaml: &str, credentials: &[(&str, &str)]) -> crate::harness::Run {
    let fixture = Fixture::new().file("desired.yaml", yaml);
    let mut cli = served
        .cli()
        .without("DOCUSIGN_ACCESS_TOKEN")
        .env("DOCUSIGN_BASE_URL", &served.running.url);
    for (name, value) in credentials {
        cli = cli.env(name, value);
    }
    cli.run(fixture.path(), &["plan", "--detailed-exitcode"])
}

/// Userinfo names the token's user: rule 4 keeps Ada an administrator, as without
/// `DOCUSIGN_BASE_URL`, and says so.
#[test]
fn with_base_url_the_token_user_found_by_userinfo_is_never_demoted() {
    let (served, proxy) = served();
    let run = plan_with(
        &served,
        DEMOTES_ADA,
        &[
            ("DOCUSIGN_AUTH_SERVER", &proxy.url),
            ("DOCUSIGN_CLIENT_ID", CLIENT_ID),
            ("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET),
            ("DOCUSIGN_REFRESH_TOKEN", REFRESH_TOKEN),
        ],
    );
    run.exits(0)
        .stdout_has("admin@example.com: differs from the YAML but is left alone: the integration user is never changed");
}

/// No one can say whose token it is (a bare access token, and an auth server that doesn't
/// answer): the plan can't tell the integration user from other administrators, so it is
/// refused (exit 3) if it takes administration from anyone, and allowed otherwise.
#[test]
fn with_base_url_and_an_unknown_token_user_no_administrator_may_be_demoted() {
    let (served, _proxy) = served();
    let token = crate::apply_support::TOKEN;
    // Nothing listens on port 1 of loopback: userinfo can't be asked.
    let credentials = [
        ("DOCUSIGN_AUTH_SERVER", "http://127.0.0.1:1"),
        ("DOCUSIGN_ACCESS_TOKEN", token),
    ];
    let writes = crate::apply_support::write_count(&served.stats());
    let run = plan_with(&served, DEMOTES_ADA, &credentials);
    // miette wraps long lines in a frame.
    let said: String = run
        .stderr
        .split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ");
    run.exits(3);
    assert!(
        said.contains("`admin@example.com` would no longer be able to administer the account")
            && said.contains("the user behind the token is unknown"),
        "{}",
        run.stderr
    );
    assert_eq!(crate::apply_support::write_count(&served.stats()), writes);
    // A change that demotes no one goes ahead, with the warning.
    plan_with(&served, DESIRED, &credentials)
        .exits(2)
        .stdout_has("cy@example.com")
        .stderr_has(&["warning: the user behind the token is unknown"]);
}

/// `auth check` with `DOCUSIGN_BASE_URL`: the user comes from userinfo, the rest from the
/// account.
#[test]
fn auth_check_works_with_base_url() {
    let (served, proxy) = served();
    let fixture = Fixture::new();
    let run = served
        .cli()
        .without("DOCUSIGN_ACCESS_TOKEN")
        .env("DOCUSIGN_BASE_URL", &served.running.url)
        .env("DOCUSIGN_AUTH_SERVER", &proxy.url)
        .env("DOCUSIGN_CLIENT_ID", CLIENT_ID)
        .env("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET)
        .env("DOCUSIGN_REFRESH_TOKEN", REFRESH_TOKEN)
        .env(
            "DOCUSIGN_ACCOUNT_ID",
            "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36",
        )
        .run(fixture.path(), &["auth", "check"]);
    run.exits(0)
        .stdout_has("<admin@example.com>")
        .stdout_has("admin:      yes (profile `Account Administrator`)");
}

/// The JWT grant names its user by ID: with `DOCUSIGN_BASE_URL`, no userinfo is needed to
/// know whom rule 4 keeps an administrator; the account says who that ID is.
#[test]
fn with_base_url_the_jwt_user_is_known_without_userinfo_and_never_demoted() {
    const JWT_CLIENT: &str = "0b6f3c2a-1e4d-4f5a-9b8c-7d6e5f4a3b2c";
    let seeded = seeded(LIVE, 7);
    let ada = seeded.integration_user_id.clone();
    // The JWT's audience is the auth server's host and port, which the emulator must know
    // before it starts: a port free a moment ago.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let mut config = roomy();
    config.auth_host = addr.to_string();
    config.credentials.jwt_public_key_pem = Some(crate::emulator_support::KEYS.public_pem.clone());
    config
        .credentials
        .consents
        .push((JWT_CLIENT.to_owned(), ada.clone()));
    config.credentials.clients.push(Client {
        id: JWT_CLIENT.to_owned(),
        secret: "jwt-client-secret".to_owned(),
    });
    let served = Served::start_at(config, seeded, addr);
    let keys = tempfile::TempDir::new().expect("temp dir");
    let key_file = keys.path().join("private.pem");
    std::fs::write(&key_file, &crate::emulator_support::KEYS.private_pem).expect("the key");
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("a private key");
    let key_file = key_file.to_str().expect("a UTF-8 path").to_owned();
    let run = plan_with(
        &served,
        DEMOTES_ADA,
        &[
            ("DOCUSIGN_AUTH_SERVER", &served.running.url),
            ("DOCUSIGN_CLIENT_ID", JWT_CLIENT),
            ("DOCUSIGN_USER_ID", &ada),
            ("DOCUSIGN_PRIVATE_KEY_FILE", &key_file),
        ],
    );
    run.exits(0).stdout_has(
        "admin@example.com: differs from the YAML but is left alone: the integration user is never changed",
    );
    assert!(!run.stderr.contains("unknown"), "{}", run.stderr);
}
