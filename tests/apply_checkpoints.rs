//! Apply writes the recorded state after every phase, not only at the end: a proxy in front of
//! the emulator reads the state file as each write call of the next phase arrives. A phase's
//! calls are sent only after the previous phase's checkpoint is on disk, so what the proxy reads
//! is fixed, whatever the timing: the state after every phase before, and nothing of the phase
//! under way.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use docusign_gitops::model::{EmailKey, NameKey};
use docusign_gitops::state::{self, RecordedState};

use crate::apply_cli::repo_with;
use crate::apply_support::{roomy, seeded};
use crate::served::{ACCOUNT_ID, Served};

const LIVE: &str = "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Account Executive }
  - { email: ben@example.com, first_name: Ben, last_name: Okoro }
";

/// One step in each of five phases: a profile, a group, a new user (who joins the group in
/// the call that creates him), a membership added, a user changed.
const DESIRED: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
permission_profiles:
  - name: Support Agent
groups:
  - name: Support
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Team Lead }
  - { email: ben@example.com, first_name: Ben, last_name: Okoro, groups: [Support] }
  - { email: cy@example.com, first_name: Cy, last_name: Young, permission_profile: Support Agent, groups: [Support] }
";

/// A write call as it reached DocuSign, and the state file at that moment (or why it could
/// not be read).
struct Seen {
    call: String,
    recorded: Result<Option<RecordedState>, String>,
}

#[test]
fn each_phase_finds_the_state_file_holding_every_phase_before_it() {
    let served = Served::start(roomy(), seeded(LIVE, 9));
    let dir = repo_with(&[("desired.yaml", DESIRED)]);
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let proxy = {
        let seen = Arc::clone(&seen);
        let dir: PathBuf = dir.path().to_owned();
        let prefix = format!("/restapi/v2.1/accounts/{ACCOUNT_ID}");
        served.proxy(move |method, path| {
            if method == Method::GET {
                return;
            }
            let recorded = state::file::load(&dir, ACCOUNT_ID).map_err(|err| err.to_string());
            let call = format!("{method} {}", path.trim_start_matches(&prefix));
            seen.lock().expect("seen").push(Seen { call, recorded });
        })
    };
    served
        .cli()
        // The API through the proxy; the account is the YAML's.
        .env("DOCUSIGN_BASE_URL", &proxy.url)
        .run(dir.path(), &["apply", "--auto-approve"])
        .exits(0);
    let last = state::file::load(dir.path(), ACCOUNT_ID)
        .expect("the state file")
        .expect("written");
    let seen = seen.lock().expect("seen");
    let calls: Vec<&str> = seen.iter().map(|seen| seen.call.as_str()).collect();
    let group_id = last.objects.groups[&NameKey::new("Support")]
        .id
        .clone()
        .expect("Support's ID");
    assert_eq!(
        calls,
        [
            "POST /permission_profiles".to_owned(),
            "POST /groups".to_owned(),
            "POST /users".to_owned(),
            format!("PUT /groups/{group_id}/users"),
            "PUT /users".to_owned(),
        ],
        "one call per phase, in phase order"
    );

    // Every read found a whole file, or none yet: it is replaced atomically.
    let found: Vec<Option<Recorded>> = seen
        .iter()
        .map(|seen| match &seen.recorded {
            Ok(recorded) => recorded.clone().map(Recorded),
            Err(err) => panic!("when `{}` was sent: {err}", seen.call),
        })
        .collect();
    let [
        Some(after_profiles),
        Some(after_groups),
        Some(after_create_users),
        Some(after_add_memberships),
    ] = &found[1..]
    else {
        panic!(
            "a write call found no state file: {:?}",
            found.iter().map(Option::is_some).collect::<Vec<_>>()
        );
    };
    // Before the first phase there is nothing to record yet.
    assert!(found[0].is_none());

    assert!(after_profiles.has_profile("Support Agent"));
    assert!(!after_profiles.has_group("Support"));

    assert!(after_groups.has_group("Support"));
    assert!(after_groups.user("cy@example.com").is_none());

    let cy = after_create_users
        .user("cy@example.com")
        .expect("Cy recorded once created");
    assert!(cy.id.is_some() && cy.groups.contains("Support"));
    assert!(!after_create_users.in_group("ben@example.com", "Support"));

    assert!(after_add_memberships.in_group("ben@example.com", "Support"));
    assert_eq!(
        after_add_memberships.job_title("ana@example.com"),
        Some("Account Executive")
    );

    let last = Recorded(last);
    assert_eq!(last.job_title("ana@example.com"), Some("Team Lead"));
    // Checkpoints of one apply: one lineage, one serial, the one the end records too.
    for checkpoint in found.iter().flatten() {
        assert_eq!(
            (&checkpoint.0.lineage, checkpoint.0.serial),
            (&last.0.lineage, last.0.serial)
        );
    }
}

/// Questions asked of a state file.
struct Recorded(RecordedState);

impl Recorded {
    fn has_profile(&self, name: &str) -> bool {
        self.0
            .objects
            .permission_profiles
            .get(&NameKey::new(name))
            .is_some_and(|profile| profile.id.is_some())
    }

    fn has_group(&self, name: &str) -> bool {
        self.0
            .objects
            .groups
            .get(&NameKey::new(name))
            .is_some_and(|group| group.id.is_some())
    }

    fn user(&self, email: &str) -> Option<&docusign_gitops::model::User> {
        self.0.objects.users.get(&EmailKey::new(email))
    }

    fn in_group(&self, email: &str, group: &str) -> bool {
        self.user(email)
            .is_some_and(|user| user.groups.contains(group))
    }

    fn job_title(&self, email: &str) -> Option<&str> {
        self.user(email)?.job_title.as_deref()
    }
}
