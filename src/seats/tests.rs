use super::*;

const NOW: &str = "2026-12-04T12:00:00Z";

fn at(text: &str) -> Option<When> {
    When::read(text)
}

fn user(email: &str, status: UserStatus) -> UserUsage {
    UserUsage {
        user_id: format!("id-{email}"),
        email: email.to_owned(),
        user_name: email.to_owned(),
        status,
        created: at("2025-01-01T00:00:00Z"),
        added: at("2025-01-01T00:00:00Z"),
        last_login: None,
        modified: None,
        managed_by_scim: false,
    }
}

fn options() -> Options {
    Options {
        now: NOW.parse().unwrap(),
        idle_days: 90,
        pending_days: 30,
        envelope_checks: 100,
        envelope_limit: EnvelopeLimit::Flag,
    }
}

fn figures() -> AccountFigures {
    AccountFigures {
        billing_period_start: at("2026-12-01T00:00:00Z"),
        seats_allowed: Quantity::read("25"),
        seats_in_use: Quantity::read("20"),
        ..AccountFigures::default()
    }
}

fn run(usage: &[UserUsage], envelopes: &HashMap<String, Envelopes>, exempt: &Exempt) -> Report {
    let figures = figures();
    report(
        &Read {
            account_id: "acct",
            figures: &figures,
            usage,
            envelopes,
            read_calls: 4,
        },
        &options(),
        exempt,
    )
}

#[test]
fn the_envelope_calls_stop_at_the_flag_or_at_what_the_hour_leaves_whichever_is_fewer() {
    assert_eq!(EnvelopeLimit::cap(300, None), (300, EnvelopeLimit::Flag));
    assert_eq!(
        EnvelopeLimit::cap(300, Some(300)),
        (300, EnvelopeLimit::Flag)
    );
    assert_eq!(
        EnvelopeLimit::cap(300, Some(2_000)),
        (300, EnvelopeLimit::Flag)
    );
    assert_eq!(
        EnvelopeLimit::cap(300, Some(12)),
        (12, EnvelopeLimit::HourlyBudget)
    );
    let usage = [
        user("a@x.com", UserStatus::Active),
        user("b@x.com", UserStatus::Active),
        user("c@x.com", UserStatus::Active),
    ];
    let two = Options {
        envelope_checks: 2,
        ..options()
    };
    assert_eq!(
        needing_envelope_check(&usage, &two, &Exempt::default()).len(),
        2
    );
}

#[test]
fn a_recent_login_or_a_recent_assignment_is_use_and_needs_no_call() {
    let mut logged_in = user("login@x.com", UserStatus::Active);
    logged_in.last_login = at("2026-11-30T09:00:00Z");
    let mut new = user("new@x.com", UserStatus::Active);
    new.added = at("2026-11-01T00:00:00Z");
    let mut old_login = user("old@x.com", UserStatus::Active);
    old_login.last_login = at("2026-03-01T00:00:00Z");
    let never = user("never@x.com", UserStatus::Active);
    let usage = [logged_in, new, old_login, never];
    let asked: Vec<&str> = needing_envelope_check(&usage, &options(), &Exempt::default())
        .iter()
        .map(|user| user.email.as_str())
        .collect();
    // Least recently seen first: never logged in (given the account 2025-01-01), then the old login.
    assert_eq!(asked, ["never@x.com", "old@x.com"]);
}

#[test]
fn idle_needs_every_signal_to_agree_and_an_unanswered_one_never_counts() {
    let usage = [
        user("none@x.com", UserStatus::Active),
        user("sent@x.com", UserStatus::Active),
        user("failed@x.com", UserStatus::Active),
        user("unasked@x.com", UserStatus::Active),
    ];
    let envelopes = HashMap::from([
        ("id-none@x.com".to_owned(), Envelopes::None),
        (
            "id-sent@x.com".to_owned(),
            Envelopes::Created {
                at: at("2026-11-20T00:00:00Z"),
            },
        ),
        (
            "id-failed@x.com".to_owned(),
            Envelopes::Inconclusive("the call failed".to_owned()),
        ),
    ]);
    let report = run(&usage, &envelopes, &Exempt::default());
    let idle: Vec<&str> = report.idle.iter().map(|idle| idle.email.as_str()).collect();
    assert_eq!(idle, ["none@x.com"]);
    assert_eq!(report.idle[0].no_sign_since, "2025-01-01");
    assert_eq!(report.idle[0].idle_days, Some(702));
    let not_judged: Vec<&str> = report
        .not_judged
        .iter()
        .map(|user| user.email.as_str())
        .collect();
    assert_eq!(not_judged, ["failed@x.com", "unasked@x.com"]);
    assert!(
        report.not_judged[1]
            .reason
            .contains("--envelope-checks 100")
    );
    assert_eq!(report.calls.envelopes, 3);
    assert_eq!(report.calls.total, 4 + 1 + 3);
}

#[test]
fn the_integration_user_and_protected_users_are_never_candidates() {
    let usage = [
        user("robot@x.com", UserStatus::Active),
        user("ceo@x.com", UserStatus::Active),
        user("ceo-assistant@x.com", UserStatus::Pending),
    ];
    let exempt = Exempt {
        integration_user: Some(EmailKey::new("Robot@x.com")),
        protected: [
            EmailKey::new("ceo@x.com"),
            EmailKey::new("ceo-assistant@x.com"),
        ]
        .into_iter()
        .collect(),
    };
    assert!(needing_envelope_check(&usage, &options(), &exempt).is_empty());
    let envelopes = usage
        .iter()
        .map(|user| (user.user_id.clone(), Envelopes::None))
        .collect();
    let report = run(&usage, &envelopes, &exempt);
    assert!(report.idle.is_empty());
    assert_eq!(report.pending.len(), 1);
    assert!(report.pending[0].exempt.is_some());
}

#[test]
fn invitations_age_from_the_assignment_date_and_go_stale_after_the_window() {
    let mut old = user("old@x.com", UserStatus::Pending);
    old.added = at("2026-10-20T12:00:00Z");
    let mut fresh = user("fresh@x.com", UserStatus::Pending);
    fresh.added = at("2026-11-29T12:00:00Z");
    let mut undated = user("undated@x.com", UserStatus::Pending);
    (undated.added, undated.created) = (None, None);
    let report = run(&[fresh, old, undated], &HashMap::new(), &Exempt::default());
    let seen: Vec<(&str, Option<i64>, bool)> = report
        .pending
        .iter()
        .map(|pending| (pending.email.as_str(), pending.age_days, pending.stale))
        .collect();
    assert_eq!(
        seen,
        [
            ("old@x.com", Some(45), true),
            ("fresh@x.com", Some(5), false),
            ("undated@x.com", None, false)
        ]
    );
}

#[test]
fn closed_this_period_counts_closed_records_changed_since_the_period_began() {
    let mut this_period = user("gone@x.com", UserStatus::Closed);
    this_period.modified = at("2026-12-02T00:00:00Z");
    let mut earlier = user("long-gone@x.com", UserStatus::Closed);
    earlier.modified = at("2026-06-02T00:00:00Z");
    let report = run(&[this_period, earlier], &HashMap::new(), &Exempt::default());
    assert_eq!(report.closed_this_period.count.value, Some(1));
    assert_eq!(report.closed_this_period.emails, ["gone@x.com"]);
    assert_eq!(report.seats.closed.value, Some(2));
}

#[test]
fn every_figure_in_the_json_says_where_it_came_from() {
    let report = run(
        &[user("a@x.com", UserStatus::Active)],
        &HashMap::new(),
        &Exempt::default(),
    );
    let json: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
    assert_eq!(json["seats"]["allowed"]["value"], 25);
    assert_eq!(
        json["seats"]["allowed"]["source"],
        "GET /accounts/{accountId}: seatsAllowed"
    );
    for figure in [
        "allowed", "in_use", "active", "pending", "disabled", "closed",
    ] {
        assert!(
            json["seats"][figure]["source"].as_str().is_some(),
            "{figure}"
        );
    }
    let signals = json["signals"].as_array().unwrap();
    assert!(signals.iter().any(|signal| signal["used"] == false));
    assert!(
        signals
            .iter()
            .all(|signal| signal["note"].as_str().is_some())
    );
}
