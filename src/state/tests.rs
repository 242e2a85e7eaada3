//! The state format: JSON round trips, key normalization, and how one apply's state follows
//! the last.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Applied, FORMAT_VERSION, RecordedState, UnmanagedKeys, path_for, plan_hash};
use crate::model::{
    Account, BuiltinProfile, EmailKey, NameKey, PermissionProfile, User, UserStatus,
};
use crate::plan::fixtures::{group, profile, signing_group};

/// A state with one of everything, keys spelled with capitals where people would write them.
pub(super) fn sample() -> RecordedState {
    let mut objects = Account::default();
    objects.add_profile(PermissionProfile {
        previously: vec!["Seller".into()],
        ..profile("11", "Sales Rep", &[("canSendEnvelope", "true")])
    });
    objects.add_group(group("21", "Sales", Some("Sales Rep")));
    objects.add_signing_group(signing_group(
        "31",
        "Contracts Desk",
        Some("desk@example.com"),
        &[("Ann@Example.com", "Ann Lee")],
    ));
    objects.users.insert(
        EmailKey::new("Ann@Example.com"),
        User {
            id: Some("41".into()),
            email: "Ann@Example.com".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            job_title: None,
            permission_profile: "Sales Rep".into(),
            groups: BTreeSet::from(["Sales".into()]),
            status: UserStatus::Pending,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        },
    );
    RecordedState {
        format_version: FORMAT_VERSION,
        lineage: "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b".into(),
        serial: 3,
        account_id: "acct-1".into(),
        environment: "demo".into(),
        desired_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        plan_hash: plan_hash(b"{}"),
        applied_at: "2026-11-02T10:00:00Z".into(),
        viewer_profile_id: Some("99".into()),
        objects,
        unmanaged: UnmanagedKeys {
            users: [EmailKey::new("temp@example.com")].into_iter().collect(),
            ..UnmanagedKeys::default()
        },
        generated: std::collections::BTreeSet::new(),
    }
}

#[test]
fn a_state_round_trips_through_json() {
    let state = sample();
    let json = serde_json::to_string_pretty(&state).expect("to JSON");
    let back: RecordedState = serde_json::from_str(&json).expect("from JSON");
    assert_eq!(back, state);
}

/// A state file as someone might write it by hand: a fixed header, then `objects` (JSON).
fn hand_written(objects: &str) -> RecordedState {
    let json = format!(
        r#"{{
      "format_version": 1, "lineage": "l", "serial": 1, "account_id": "a",
      "environment": "demo", "desired_commit": null, "plan_hash": "h",
      "applied_at": "2026-11-02T10:00:00Z", "viewer_profile_id": null,
      "objects": {objects}
    }}"#
    );
    serde_json::from_str(&json).expect("from JSON")
}

#[test]
fn hand_written_keys_are_normalized_on_reading() {
    let state = hand_written(
        r#"{
      "permission_profiles": {
        " Sales Rep ": { "id": "11", "name": "Sales Rep" }
      },
      "groups": {
        "Sales": { "id": "21", "name": "Sales", "permission_profile": null }
      },
      "signing_groups": {
        "Contracts Desk": {
          "id": "31", "name": "Contracts Desk", "email": null,
          "members": { "Ann@Example.COM": { "name": "Ann", "email": "Ann@Example.COM" } }
        }
      },
      "users": {
        "ANN@example.com": {
          "id": "41", "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee",
          "job_title": null, "permission_profile": "Sales Rep", "status": "active"
        }
      }
    }"#,
    );
    let objects = &state.objects;
    let profile = &objects.permission_profiles[&NameKey::new("Sales Rep")];
    assert!(profile.settings.is_empty() && profile.previously.is_empty());
    assert!(objects.groups.contains_key(&NameKey::new("Sales")));
    let signing = &objects.signing_groups[&NameKey::new("contracts desk")];
    assert!(
        signing
            .members
            .contains_key(&EmailKey::new("ann@example.com"))
    );
    let user = &objects.users[&EmailKey::new("Ann@Example.com")];
    assert!(user.groups.is_empty() && !user.managed_by_scim && !user.membership_managed_by_scim);
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(
        objects.users.keys().next().map(EmailKey::as_str),
        Some("ann@example.com")
    );
}

#[test]
fn absent_sections_read_as_empty() {
    let state = hand_written("{}");
    assert_eq!(state.objects, Account::default());
}

#[test]
fn a_first_state_has_a_fresh_v4_lineage_at_serial_zero() {
    let one = RecordedState::first("acct-1", "demo");
    let two = RecordedState::first("acct-1", "demo");
    assert_eq!(one.serial, 0);
    assert_eq!(one.format_version, FORMAT_VERSION);
    assert_ne!(one.lineage, two.lineage);
    let lineage = uuid::Uuid::parse_str(&one.lineage).expect("a UUID");
    assert_eq!(lineage.get_version_num(), 4);
    assert_eq!(one.objects, Account::default());
}

#[test]
fn next_keeps_the_lineage_counts_the_serial_and_pins_viewer() {
    let first = RecordedState::first("acct-1", "production");
    let at: jiff::Timestamp = "2026-11-02T10:00:00.75Z".parse().expect("a time");
    let plan = br#"{"operations":[]}"#;
    let objects = sample().objects;

    let one = first.next(Applied {
        desired_commit: Some("abc".into()),
        plan_json: plan,
        at,
        viewer_profile_id: Some("viewer-1".into()),
        objects: objects.clone(),
    });
    assert_eq!(one.lineage, first.lineage);
    assert_eq!(one.serial, 1);
    assert_eq!(one.account_id, "acct-1");
    assert_eq!(one.environment, "production");
    assert_eq!(one.desired_commit.as_deref(), Some("abc"));
    assert_eq!(one.applied_at, "2026-11-02T10:00:00Z");
    assert_eq!(one.plan_hash, plan_hash(plan));
    assert_eq!(one.viewer_profile_id.as_deref(), Some("viewer-1"));
    assert_eq!(one.objects, objects);

    let two = one.next(Applied {
        desired_commit: None,
        plan_json: b"{}",
        at,
        viewer_profile_id: Some("viewer-2".into()),
        objects: Account::default(),
    });
    assert_eq!(two.serial, 2);
    assert_eq!(two.lineage, first.lineage);
    assert_eq!(two.viewer_profile_id.as_deref(), Some("viewer-1"), "pinned");
    assert_eq!(two.desired_commit, None);
}

#[test]
fn after_pins_viewer_and_notes_the_rest_of_live_as_unmanaged() {
    let managed = sample().objects;
    let mut live = managed.clone();
    let viewer = BuiltinProfile::DocuSignViewer.api_name();
    live.add_profile(profile("viewer-7", viewer, &[]));
    live.add_group(group("22", "Stray", None));
    let first = RecordedState::first("acct-1", "demo");
    let at: jiff::Timestamp = "2026-11-02T10:00:00Z".parse().expect("a time");

    let one = first.after(&live, managed.clone(), None, b"{}", at);
    assert_eq!(one.serial, 1);
    assert_eq!(one.viewer_profile_id.as_deref(), Some("viewer-7"));
    assert!(
        one.objects
            .permission_profiles
            .contains_key(&NameKey::new(viewer)),
        "Viewer is recorded though not managed"
    );
    assert_eq!(one.objects.users, managed.users);
    assert_eq!(
        one.unmanaged.groups,
        BTreeSet::from([NameKey::new("Stray")])
    );
    assert!(
        one.unmanaged.permission_profiles.is_empty(),
        "{:?}",
        one.unmanaged
    );

    // Rule 2: once pinned, Viewer's ID stays, whatever a later read says.
    live.permission_profiles
        .get_mut(&NameKey::new(viewer))
        .expect("viewer")
        .id = Some("viewer-8".into());
    let two = one.after(&live, managed, None, b"{}", at);
    assert_eq!(two.viewer_profile_id.as_deref(), Some("viewer-7"));
}

#[test]
fn plan_hash_is_sha256_hex() {
    assert_eq!(
        plan_hash(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn state_files_live_in_a_hidden_folder_named_after_the_account() {
    assert_eq!(
        path_for(Path::new("repo/desired"), "acct-1"),
        Path::new("repo/desired/.docusign-gitops/state/acct-1.json")
    );
}

/// A state file written while the tool knew one SCIM flag reads the same, the membership flag
/// off; a new file keeps both.
#[test]
fn a_user_from_before_the_scim_split_reads_with_one_flag() {
    let old = r#"{
        "id": "41", "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee",
        "job_title": null, "permission_profile": "Sales Rep", "status": "active",
        "managed_by_scim": true
    }"#;
    let user: crate::model::User = serde_json::from_str(old).expect("an old user reads");
    assert!(user.managed_by_scim && !user.membership_managed_by_scim);
    let both = crate::model::User {
        membership_managed_by_scim: true,
        ..user
    };
    let again: crate::model::User =
        serde_json::from_value(serde_json::to_value(&both).expect("to JSON")).expect("reads back");
    assert_eq!(again, both);
}

#[test]
fn a_state_path_that_cant_be_read_is_an_error_not_a_first_apply() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = path_for(dir.path(), "acct-1");
    // A folder where the state file should be: not "no state yet", which would plan the
    // account as if nothing were managed.
    std::fs::create_dir_all(&path).expect("a folder in its place");
    assert!(super::file::read(&path).is_err());
    assert!(super::file::load(dir.path(), "acct-1").is_err());
}

#[test]
fn a_desired_state_folder_that_doesnt_exist_has_no_state_yet_and_a_file_in_its_place_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("not-yet");
    assert!(matches!(super::file::load(&missing, "acct-1"), Ok(None)));
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("a file");
    assert!(super::file::load(&file, "acct-1").is_err());
}

#[test]
fn releasing_lets_go_of_generated_users_only() {
    let ann = EmailKey::new("ann@example.com");
    let mut generated = sample();
    generated.generated.insert(ann.clone());
    let text = serde_json::to_string(&generated).expect("serializes");
    assert!(
        text.contains(r#""generated":["ann@example.com"]"#),
        "{text}"
    );

    // A user no source generated stays managed, whatever `released` says.
    let mut by_hand = sample();
    by_hand.release(|_| true);
    assert!(by_hand.objects.users.contains_key(&ann));
    assert!(
        !serde_json::to_string(&by_hand)
            .expect("serializes")
            .contains("generated"),
        "left out when empty"
    );

    let mut kept = generated.clone();
    kept.release(|_| false);
    assert_eq!(kept, generated);

    generated.release(|key| *key == ann);
    assert!(!generated.objects.users.contains_key(&ann));
    assert!(generated.generated.is_empty());
    assert!(generated.unmanaged.users.contains(&ann), "now unmanaged");
}
