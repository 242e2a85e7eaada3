use super::edit::{apply, place};
use super::*;

const USERS: &str = "\
# Finance.
users:
  - email: robert@x.com
    first_name: Robert
    last_name: Chen
    groups: [Finance]

  - email: nadia@x.com
    first_name: Nadia
    last_name: Petrova
    status: active
    groups:
      - Finance
      - Approvers
  # the last one
  - first_name: Kevin
    email: kevin@x.com
    last_name: O'Brien
";

/// Closes the entry whose `email` is on line `email_line`, as [`apply`] answers.
fn closed(text: &str, email_line: usize, why: &str) -> (String, usize, usize) {
    let entry = place(text, email_line).unwrap();
    apply(text, &entry, &Action::Close, why)
}

#[test]
fn an_entry_spans_its_keys_and_nested_lists_but_not_the_next_entry() {
    let robert = place(USERS, 3).unwrap();
    assert_eq!(
        (robert.first_line, robert.last_line, robert.key_column),
        (2, 5, 4)
    );
    let nadia = place(USERS, 8).unwrap();
    assert_eq!((nadia.first_line, nadia.last_line), (7, 13));
    let kevin = place(USERS, 17).unwrap();
    assert_eq!((kevin.first_line, kevin.last_line), (15, 17));
    assert!(
        place(
            "users: [{email: a@x.com, first_name: A, last_name: B}]\n",
            1
        )
        .is_err()
    );
}

#[test]
fn a_missing_status_is_added_at_the_end_of_the_entry_with_its_reason_above() {
    let (text, line, added) = closed(USERS, 3, "reclaim 2026-12-04: idle");
    assert_eq!((line, added), (8, 2));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[6], "    # reclaim 2026-12-04: idle");
    assert_eq!(lines[7], "    status: closed");
    assert_eq!(lines[8], "");
    assert_eq!(lines[9], "  - email: nadia@x.com");
}

#[test]
fn an_existing_status_is_replaced_in_place() {
    let (text, line, added) = closed(USERS, 8, "why");
    assert_eq!((line, added), (12, 1));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        &lines[10..13],
        ["    # why", "    status: closed", "    groups:"]
    );
    assert!(!text.contains("status: active"));
}

#[test]
fn a_profile_is_written_quoted_when_yaml_needs_it() {
    let kevin = place(USERS, 17).unwrap();
    let (text, _, _) = apply(
        USERS,
        &kevin,
        &Action::Profile("Viewer: cheap".to_owned()),
        "why",
    );
    let document =
        crate::desired::parse::parse(&SourceFile::from_text("users.yaml", &text)).unwrap();
    let kevin = &document.users.unwrap()[2];
    assert_eq!(
        kevin.permission_profile.written().unwrap().value.as_deref(),
        Some("Viewer: cheap")
    );
}

#[test]
fn a_key_on_the_dash_line_keeps_the_dash() {
    let text =
        "users:\n  - status: active\n    email: a@x.com\n    first_name: A\n    last_name: B\n";
    let (edited, line, _) = closed(text, 3, "why");
    assert_eq!(
        edited,
        "users:\n  # why\n  - status: closed\n    email: a@x.com\n    first_name: A\n    last_name: B\n"
    );
    assert_eq!(line, 3);
}
