//! `DOCUSIGN_BASE_URL`, the binary: with it, the account's API host is the one given and
//! `/oauth/userinfo` is never asked; without it, discovery asks userinfo. The auth server is a
//! counting proxy in front of the emulator, and the credentials a refresh token, so the auth
//! server is visibly still used for the token either way.

use docusign_gitops::emulator::config::{Client, RefreshGrant};

use crate::apply_support::{roomy, seeded};
use crate::harness::Fixture;
use crate::served::{Proxy, Served, run};

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
    let mut command = served.command(fixture.path());
    command
        .env_remove("DOCUSIGN_ACCESS_TOKEN")
        .env("DOCUSIGN_AUTH_SERVER", &proxy.url)
        .env("DOCUSIGN_CLIENT_ID", CLIENT_ID)
        .env("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET)
        .env("DOCUSIGN_REFRESH_TOKEN", REFRESH_TOKEN)
        .args(["plan", "--detailed-exitcode"]);
    if let Some(base_url) = base_url {
        command.env("DOCUSIGN_BASE_URL", base_url);
    }
    run(&mut command)
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
fn base_url_skips_userinfo_and_the_plan_still_reads_the_account() {
    let (served, proxy) = served();
    let run = plan(&served, &proxy, Some(&served.running.url));
    // Planned against the live account: Ada is there already, Cy is to be created.
    run.exits(2)
        .stdout_has("cy@example.com")
        .stderr_has(&["the user behind the token is unknown (DOCUSIGN_BASE_URL skips discovery)"]);
    assert!(!run.stdout.contains("admin@example.com"), "{}", run.stdout);
    assert!(user_reads(&served) > 0, "{:?}", served.stats().calls);
    // The token still came from the auth server; userinfo was never asked.
    assert_eq!(
        proxy.calls("POST /oauth/token"),
        1,
        "{:?}",
        proxy.all_calls()
    );
    assert_eq!(
        proxy.calls("GET /oauth/userinfo"),
        0,
        "{:?}",
        proxy.all_calls()
    );
}
