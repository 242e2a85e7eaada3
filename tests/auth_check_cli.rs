//! `docusign-gitops auth check`, the binary, for users on either side of "can administer the
//! account": DocuSign's `isAdmin` on the user's own record, which the emulator derives from the
//! profile's `allowAccountManagement` right, as DocuSign does. Not the profile's name, and not
//! membership of Administrators.

use docusign_gitops::emulator::seed::Seeded;

use crate::apply_support::{roomy, seeded, write_count};
use crate::served::Served;

const SEED: &str = "
permission_profiles:
  - name: Operations Lead
    settings: { allowAccountManagement: \"true\" }
  - name: Administrator Assistant
    settings: { allowAccountManagement: \"false\" }
groups:
  - name: Administrators
    members: [admin@example.com, ida@example.com]
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ops@example.com, first_name: Otto, last_name: Ops, permission_profile: Operations Lead }
  - { email: sam@example.com, first_name: Sam, last_name: Sender, permission_profile: DocuSign Sender }
  - { email: vic@example.com, first_name: Vic, last_name: Viewer, permission_profile: DocuSign Viewer }
  - { email: ida@example.com, first_name: Ida, last_name: Assist, permission_profile: Administrator Assistant }
";

/// The token that acts as `email`.
fn token(email: &str) -> String {
    format!("auth-check-token-{email}")
}

/// The emulator, with a token for each of the seed's users.
fn served() -> Served {
    let Seeded {
        account,
        integration_user_id,
    } = seeded(SEED, 3);
    let mut config = roomy();
    for user in &account.users {
        config
            .credentials
            .static_tokens
            .push((token(&user.email), user.id.clone()));
    }
    Served::start(
        config,
        Seeded {
            account,
            integration_user_id,
        },
    )
}

#[test]
fn auth_check_passes_only_for_a_user_whose_profile_may_manage_the_account() {
    let served = served();
    let dir = tempfile::TempDir::new().expect("temp dir");
    // (user, profile, can administer)
    let cases = [
        ("admin@example.com", "Account Administrator", true),
        // The right makes the administrator, whatever the profile is called.
        ("ops@example.com", "Operations Lead", true),
        ("sam@example.com", "DocuSign Sender", false),
        ("vic@example.com", "DocuSign Viewer", false),
        // Neither an admin-sounding name nor membership of Administrators is the right.
        ("ida@example.com", "Administrator Assistant", false),
    ];
    for (email, profile, admin) in cases {
        let run = served
            .cli()
            .env("DOCUSIGN_ACCESS_TOKEN", token(email))
            .run(dir.path(), &["auth", "check"]);
        run.stdout_has(&format!("<{email}>"))
            .stdout_has("account:    Emulated Account (3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36)");
        if admin {
            run.exits(0)
                .stdout_has(&format!("admin:      yes (profile `{profile}`)"));
            assert!(!run.stderr.contains("error"), "{email}: {}", run.stderr);
        } else {
            run.exits(1)
                .stdout_has(&format!("admin:      no (profile `{profile}`)"))
                .stderr_has(&[&format!(
                    "error: `{email}` can't administer the account (profile `{profile}`); give the integration user the Account Administrator profile"
                )]);
        }
    }
    // Checking is reading: nothing was written.
    let stats = served.stats();
    assert_eq!(write_count(&stats), 0, "{:?}", stats.calls);
}
