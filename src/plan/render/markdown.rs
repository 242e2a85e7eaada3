//! The plan as a pull-request comment, always within GitHub's size limit.
//!
//! Names and emails come from DocuSign and from the YAML; each goes in through
//! [`code`] or [`text`], so no value can add markup, open HTML or end its code span.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::markdown::{Cut, Section, code, comment, comment_within, text};
use crate::plan::describe::{self, Entry, Part, Piece, Sign, kind_words};
use crate::plan::{GuardCheck, Operation, Plan};

/// A list item for one step: its sign (`+`, `~`, `-`, as code so it can't be read as a nested
/// list), its subject and what the step does to it, names as code spans.
fn item(operation: &Operation) -> String {
    let subject = describe::subject(operation);
    let entries = describe::entries(operation);
    let sign = match entries.first().map_or(Sign::Change, Entry::sign) {
        Sign::Add => "+",
        Sign::Change => "~",
        Sign::Remove => "-",
    };
    let who = match subject.part {
        Part::Users => text(subject.name),
        part => format!("{} {}", part.noun(), code(subject.name)),
    };
    let what: Vec<String> = entries
        .iter()
        .map(|entry| match entry {
            Entry::Said { pieces, .. } => pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Words(words) => text(words),
                    Piece::Name(name) => code(name),
                })
                .collect(),
            Entry::Field {
                label, from, to, ..
            } => format!("{} {} → {}", text(label), shown(*from), shown(*to)),
        })
        .collect();
    format!("- `{sign}` {who}: {}", what.join(", "))
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), code)
}

/// The line a cut list ends with, naming what it left out: `noun` is (one, many).
fn left_out(noun: (&'static str, &'static str)) -> Box<dyn Fn(usize) -> String> {
    Box::new(move |count| {
        let noun = if count == 1 { noun.0 } else { noun.1 };
        format!("- … and {count} more {noun}, cut to fit a comment (the JSON plan has them all)")
    })
}

/// The plan as a pull-request comment, never longer than 60,000 characters whatever the
/// plan: the summary table and the guard results always whole, then the lists (admin-capable
/// grants, closures, every change, what is left alone), each in that order taking what it
/// needs while leaving the ones after it room of their own. A list that doesn't fit is cut,
/// and says where and how many; the JSON plan keeps everything.
#[must_use]
pub fn markdown(plan: &Plan) -> String {
    comment(head(plan), &lists(plan))
}

/// As [`markdown`], within `budget` characters: one account's part of a workspace's comment.
#[must_use]
pub fn markdown_within(plan: &Plan, budget: usize) -> String {
    comment_within(head(plan), &lists(plan), budget)
}

/// The parts never cut: title, summary table, totals and guard results. Their size doesn't
/// grow with the plan: a row per kind of change, a line per guard.
fn head(plan: &Plan) -> String {
    let mut head = String::new();
    let origin = &plan.origin;
    if origin.account_id.is_empty() {
        let _ = writeln!(head, "### docusign-gitops plan\n");
    } else {
        let _ = writeln!(
            head,
            "### docusign-gitops plan for account {} ({})\n",
            code(&origin.account_id),
            text(&origin.environment)
        );
    }
    if plan.steps.is_empty() {
        let _ = writeln!(head, "No changes: the account matches the YAML.\n");
    } else {
        let _ = writeln!(head, "| change | count |\n| --- | ---: |");
        for (kind, count) in &plan.summary {
            let _ = writeln!(head, "| {} | {count} |", kind_words(kind));
        }
        let _ = writeln!(head, "\n{}.\n", plan.totals());
    }
    for check in plan.guards.iter().filter(|check| check.exceeded) {
        let _ = writeln!(head, "{}\n", guard_line(check));
    }
    head
}

fn guard_line(check: &GuardCheck) -> String {
    let flag = check.class.flag();
    if check.allowed_by_operator {
        format!(
            "**Allowed:** {} {flag} (limit {} of {} live), by `--allow {flag}`.",
            check.count, check.limit, check.base
        )
    } else {
        let raise = check.how_to_raise(code);
        let mut line = format!(
            "**Refused:** {} {flag} (limit {} of {} live). To go ahead, {raise} in this pull request, or set the CI variable `DOCUSIGN_GITOPS_ALLOW={flag}` for one run.",
            check.count, check.limit, check.base
        );
        for change in &check.changes {
            let _ = write!(line, "\n- {}", text(change));
        }
        let more = check.unlisted();
        if more > 0 {
            let _ = write!(line, "\n- … and {more} more");
        }
        line
    }
}

/// The lists, most important first.
fn lists(plan: &Plan) -> Vec<Section<'static>> {
    let mut lists = Vec::new();
    if !plan.escalations.is_empty() {
        lists.push(Section {
            open: format!("**Admin-capable grants ({}):**\n\n", plan.escalations.len()),
            lines: plan
                .escalations
                .iter()
                .map(|escalation| format!("- {}", text(escalation)))
                .collect(),
            close: "\n\n",
            cut: Cut::End,
            left_out: left_out(("admin-capable grant", "admin-capable grants")),
        });
    }
    let closures: Vec<String> = plan
        .steps
        .iter()
        .filter(|step| matches!(step.operation, Operation::CloseUser { .. }))
        .map(|step| item(&step.operation))
        .collect();
    if !closures.is_empty() {
        lists.push(Section {
            open: format!("**Closures ({}):**\n\n", closures.len()),
            lines: closures,
            close: "\n\n",
            cut: Cut::End,
            left_out: left_out(("closure", "closures")),
        });
    }
    if !plan.steps.is_empty() {
        lists.push(Section {
            open: format!(
                "<details><summary>All {} changes</summary>\n\n",
                plan.steps.len()
            ),
            lines: by_subject(plan),
            close: "\n</details>\n\n",
            // Cut in the middle, so the first and the last people and objects both show.
            cut: Cut::Middle,
            left_out: left_out(("change", "changes")),
        });
    }
    if !plan.reports.is_empty() {
        lists.push(Section {
            open: format!(
                "<details><summary>Left alone ({})</summary>\n\n",
                plan.reports.len()
            ),
            lines: plan
                .reports
                .iter()
                .map(|report| format!("- {}: {}", text(&report.email), text(&report.note)))
                .collect(),
            close: "\n</details>\n",
            cut: Cut::End,
            left_out: left_out(("entry", "entries")),
        });
    }
    lists
}

/// Every step as a list item, each person's and each object's together (users, then groups,
/// permission profiles and signing groups, as the text view), in step order within them, with
/// the step number and, where the change doesn't explain itself, its reason.
fn by_subject(plan: &Plan) -> Vec<String> {
    let mut order: Vec<usize> = (0..plan.steps.len()).collect();
    order.sort_by_cached_key(|&index| {
        (describe::subject(&plan.steps[index].operation).key(), index)
    });
    // A user `sync` generated says where from on their first line.
    let mut said_provenance = BTreeSet::new();
    order
        .into_iter()
        .map(|index| {
            let step = &plan.steps[index];
            let mut line = format!("{} (step {})", item(&step.operation), index + 1);
            if !step.reason.is_routine() {
                let _ = write!(line, " — {}", text(&step.reason.to_string()));
            }
            let subject = describe::subject(&step.operation);
            if subject.part == Part::Users
                && let Some(from) = plan.provenance.get(subject.name)
                && said_provenance.insert(subject.name)
            {
                let _ = write!(line, " — {}", from.sentence(code));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::markdown::COMMENT_BUDGET;
    use crate::plan::{Change, Reason, Stated};

    fn plan_of(steps: usize) -> Plan {
        let operations = (0..steps)
            .map(|n| Operation::AddMember {
                group: format!("Team {}", n % 50),
                group_id: None,
                email: format!("person.number{n}@example.com"),
                user_id: None,
            })
            .collect();
        Plan {
            api_calls: 50,
            hourly_remaining: Some(2900),
            escalations: vec![
                "ana@example.com: `DocuSign Sender` → `Account Administrator`".to_owned(),
            ],
            ..crate::plan::fixtures::plan(operations, &Stated::MemberInYaml.into())
        }
    }

    #[test]
    fn a_huge_plan_fits_a_comment_with_its_summary_whole() {
        let text = markdown(&plan_of(20_000));
        assert!(text.len() <= COMMENT_BUDGET, "{} characters", text.len());
        assert!(
            text.contains("| group memberships added | 20000 |"),
            "{text}"
        );
        assert!(text.contains("**Admin-capable grants (1):**"));
        assert!(text.contains("more changes, cut to fit a comment"));
        // Each person's changes together, in the order of their emails: the first and the
        // last are kept.
        assert!(text.contains("person.number0@example.com"));
        assert!(text.contains("person.number9999@example.com"));
    }

    #[test]
    fn renderings_are_byte_identical_for_the_same_plan() {
        let plan = plan_of(30);
        assert_eq!(markdown(&plan), markdown(&plan));
        assert_eq!(super::super::json(&plan), super::super::json(&plan));
        assert!(!markdown(&plan).contains("more changes, cut"));
    }

    fn change(text: &str) -> Change {
        Change {
            field: "job_title".to_owned(),
            from: Some(text.to_owned()),
            to: Some(format!("{text} 2")),
        }
    }

    /// Every kind of operation, naming `name` (and `n` so the lines differ).
    fn operation(n: usize, name: &str) -> Operation {
        if n % 22 < 9 {
            object_operation(n, name)
        } else {
            person_operation(n, name)
        }
    }

    /// The operations on profiles, groups and signing groups, by `n % 22` from 0 to 8.
    fn object_operation(n: usize, name: &str) -> Operation {
        let email = format!("{name}.{n}@example.com");
        let text = format!("{name} {n}");
        let change = || change(&text);
        match n % 22 {
            0 => Operation::CreateProfile {
                name: text.clone(),
                settings: BTreeMap::new(),
            },
            1 => Operation::RenameProfile {
                id: None,
                from: text.clone(),
                to: format!("{text} 2"),
            },
            2 => Operation::UpdateProfileSettings {
                profile: text.clone(),
                id: None,
                changes: vec![change(), change()],
            },
            3 => Operation::CreateGroup {
                name: text.clone(),
                permission_profile: Some(text.clone()),
            },
            4 => Operation::RenameGroup {
                id: None,
                from: text.clone(),
                to: format!("{text} 2"),
            },
            5 => Operation::SetGroupProfile {
                group: text.clone(),
                id: None,
                from: Some(text.clone()),
                to: Some(text.clone()),
            },
            6 => Operation::CreateSigningGroup {
                name: text.clone(),
                email: Some(email),
            },
            7 => Operation::RenameSigningGroup {
                id: None,
                from: text.clone(),
                to: format!("{text} 2"),
            },
            _ => Operation::SetSigningGroupEmail {
                signing_group: text.clone(),
                id: None,
                from: Some(email.clone()),
                to: Some(email),
            },
        }
    }

    /// The other operations, by `n % 22` from 9 to 21.
    fn person_operation(n: usize, name: &str) -> Operation {
        let email = format!("{name}.{n}@example.com");
        let text = format!("{name} {n}");
        let change = || change(&text);
        match n % 22 {
            9 => Operation::CreateUser {
                email,
                first_name: text.clone(),
                last_name: text.clone(),
                job_title: Some(text.clone()),
                permission_profile: text.clone(),
            },
            10 => Operation::ReactivateUser {
                email,
                id: None,
                permission_profile: text.clone(),
            },
            11 => Operation::AddMember {
                group: text.clone(),
                group_id: None,
                email,
                user_id: None,
            },
            12 => Operation::AddSigningGroupMember {
                signing_group: text.clone(),
                id: None,
                name: text.clone(),
                email,
            },
            13 => Operation::UpdateUser {
                email,
                id: None,
                changes: vec![change(), change(), change()],
            },
            14 => Operation::ChangeProfile {
                email,
                id: None,
                from: text.clone(),
                to: text.clone(),
            },
            15 => Operation::RemoveMember {
                group: text.clone(),
                group_id: None,
                email,
                user_id: None,
            },
            16 => Operation::RemoveSigningGroupMember {
                signing_group: text.clone(),
                id: None,
                email,
            },
            17 | 18 => Operation::CloseUser { email, id: None },
            19 => Operation::DeleteGroup {
                name: text.clone(),
                id: None,
            },
            20 => Operation::DeleteSigningGroup {
                name: text.clone(),
                id: None,
            },
            _ => Operation::DeleteProfile {
                name: text.clone(),
                id: None,
                move_users_to: text.clone(),
            },
        }
    }

    /// A plan of these operations, with a summary, `escalations` grants, `reports` users left
    /// alone and a refused guard, as the planner would make it.
    fn plan_with(operations: Vec<Operation>, escalations: usize, reports: usize) -> Plan {
        let closures = operations
            .iter()
            .filter(|operation| matches!(operation, Operation::CloseUser { .. }))
            .count() as u64;
        Plan {
            hourly_remaining: Some(2900),
            reports: (0..reports)
                .map(|n| crate::plan::Report {
                    email: format!("left.alone.{n}@example.com"),
                    note: "not in the YAML (policy: report)".to_owned(),
                })
                .collect(),
            escalations: (0..escalations)
                .map(|n| format!("admin.{n}@example.com joins `Administrators`"))
                .collect(),
            guards: vec![GuardCheck {
                class: crate::plan::GuardClass::UserClosures,
                count: closures,
                limit: 10,
                base: 3_100,
                exceeded: closures > 10,
                allowed_by_operator: false,
                set_at: None,
                changes: Vec::new(),
            }],
            ..crate::plan::fixtures::plan(operations, &Reason::Noted(String::new()))
        }
    }

    /// The count a cut list says it left out (`… and N more {noun}`, the noun singular when N
    /// is 1), or 0 when it wasn't cut. `nouns` is the plural.
    fn left_out(markdown: &str, nouns: &str) -> usize {
        let one = match nouns {
            "entries" => "entry",
            plural => plural.strip_suffix('s').unwrap_or(plural),
        };
        markdown
            .lines()
            .find_map(|line| {
                let rest = line.strip_prefix("- … and ")?;
                let (count, after) = rest.split_once(' ')?;
                let noun = if count == "1" { one } else { nouns };
                after
                    .starts_with(&format!("more {noun},"))
                    .then(|| count.parse().expect("a count"))
            })
            .unwrap_or(0)
    }

    /// How many lines of the section after `heading` (up to its blank line or `</details>`)
    /// start with `prefix`.
    fn shown(markdown: &str, heading: &str, prefix: &str) -> usize {
        let start = markdown.find(heading).expect("the heading") + heading.len();
        markdown[start..]
            .lines()
            .skip_while(|line| line.is_empty())
            .take_while(|line| !line.is_empty() && *line != "</details>")
            .filter(|line| line.starts_with(prefix) && !line.starts_with("- … and "))
            .count()
    }

    #[test]
    fn three_thousand_closures_fit_and_say_how_many_are_left_out() {
        let operations = (0..3_000)
            .map(|n| Operation::CloseUser {
                email: format!("unmanaged.person.number{n}@example.com"),
                id: Some(format!("0d9b1c2e-0000-4000-8000-{n:012}")),
            })
            .collect();
        let text = markdown(&plan_with(operations, 3, 0));
        assert!(text.len() <= COMMENT_BUDGET, "{} characters", text.len());
        assert!(text.contains("| users closed | 3000 |"), "{text}");
        assert!(
            text.contains("**Refused:** 3000 user-closures (limit 10 of 3100 live)"),
            "{text}"
        );
        assert!(text.contains("admin.2@example.com joins"), "{text}");
        let closures_left_out = left_out(&text, "closures");
        assert!(closures_left_out > 0, "{text}");
        assert_eq!(
            shown(&text, "**Closures (3000):**", "- `-` ") + closures_left_out,
            3_000
        );
        let changes_left_out = left_out(&text, "changes");
        assert_eq!(
            shown(&text, "<summary>All 3000 changes</summary>", "- `") + changes_left_out,
            3_000
        );
        // The end of the list (people in the order of their emails) is kept too.
        assert!(text.contains("unmanaged.person.number999@example.com"));
    }

    #[test]
    fn ten_thousand_mixed_steps_fit_with_every_list_counted() {
        let operations = (0..10_000).map(|n| operation(n, "Person")).collect();
        let plan = plan_with(operations, 400, 2_000);
        let text = markdown(&plan);
        assert!(text.len() <= COMMENT_BUDGET, "{} characters", text.len());
        for (kind, count) in &plan.summary {
            assert!(
                text.contains(&format!("| {} | {count} |", kind_words(kind))),
                "{kind}"
            );
        }
        assert!(text.contains("**Refused:**"), "{text}");
        assert_eq!(
            shown(&text, "**Admin-capable grants (400):**", "- admin.")
                + left_out(&text, "admin-capable grants"),
            400
        );
        let closures = plan.summary["close_user"];
        assert_eq!(
            shown(&text, &format!("**Closures ({closures}):**"), "- `-` ")
                + left_out(&text, "closures"),
            closures
        );
        assert_eq!(
            shown(&text, "<summary>All 10000 changes</summary>", "- `")
                + left_out(&text, "changes"),
            10_000
        );
        let reports = shown(&text, "<summary>Left alone (2000)</summary>", "- left");
        assert!(reports > 0, "the last list keeps room of its own: {text}");
        assert_eq!(reports + left_out(&text, "entries"), 2_000);
    }

    #[test]
    fn names_at_their_longest_still_fit_shortened() {
        // DocuSign takes 100 characters in a name; a hostile server can send any length.
        for length in [100, 10_000] {
            let name: String = "N".repeat(length);
            let operations = (0..10_000).map(|n| operation(n, &name)).collect();
            let plan = plan_with(operations, 50, 50);
            let text = markdown(&plan);
            assert!(text.len() <= COMMENT_BUDGET, "{length}: {}", text.len());
            assert!(left_out(&text, "changes") > 0);
            if length > crate::markdown::MAX_VALUE_CHARS {
                assert!(
                    !text.contains(&name),
                    "a {length}-character name is shortened"
                );
                assert!(text.contains('…'));
            }
        }
    }

    /// A name an attacker might type: markdown, HTML, backticks, pipes, line breaks and control
    /// characters.
    fn hostile_name() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex(
            "[a-zA-Z `|<>*_\\[\\]()!#&$~\\\\\n\r\t\u{1b}\u{0}\u{9b}\u{202e}\u{2066}]{0,300}",
        )
        .expect("a regex")
    }

    /// A pull-request comment names the account and environment, says each kind of change in
    /// words, and lists each person's changes together with the reasons that need saying.
    #[test]
    fn a_comment_names_the_account_and_groups_each_persons_changes_with_their_reasons() {
        let join = |email: &str| Operation::AddMember {
            group: "Sales".to_owned(),
            group_id: None,
            email: email.to_owned(),
            user_id: None,
        };
        let mut plan = plan_with(
            vec![
                join("zoe@example.com"),
                join("ana@example.com"),
                Operation::CloseUser {
                    email: "zoe@example.com".to_owned(),
                    id: None,
                },
            ],
            0,
            0,
        );
        plan.origin.account_id = "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36".to_owned();
        plan.origin.environment = "demo".to_owned();
        plan.steps[2].reason = Stated::RemovedFromYaml.into();
        let text = markdown(&plan);
        assert!(
            text.starts_with(
                "### docusign-gitops plan for account `3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36` (demo)\n"
            ),
            "{text}"
        );
        assert!(text.contains("| group memberships added | 2 |"), "{text}");
        assert!(!text.contains("add_member"), "{text}");
        // Zoe's two changes are next to each other.
        let changes = &text[text.find("All 3 changes").expect("the list")..];
        let lines: Vec<&str> = changes
            .lines()
            .filter(|line| line.starts_with("- `"))
            .collect();
        assert_eq!(lines.len(), 3, "{changes}");
        assert!(lines[0].contains("ana@example.com"), "{changes}");
        assert!(lines[1].contains("zoe@example.com") && lines[2].contains("zoe@example.com"));
        assert!(
            lines[2].ends_with("(step 3) — removed from the YAML"),
            "{changes}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        #[test]
        fn any_plan_fits_a_comment_and_shows_no_control_character(
            names in proptest::collection::vec(hostile_name(), 1..8),
            steps in 0usize..12_000,
            escalations in 0usize..600,
            reports in 0usize..3_000,
        ) {
            let operations = (0..steps)
                .map(|n| operation(n, &names[n % names.len()]))
                .collect();
            let mut plan = plan_with(operations, escalations, reports);
            plan.escalations = plan
                .escalations
                .iter()
                .enumerate()
                .map(|(n, grant)| format!("{grant} {}", names[n % names.len()]))
                .collect();
            let text = markdown(&plan);
            proptest::prop_assert!(text.len() <= COMMENT_BUDGET, "{}", text.len());
            proptest::prop_assert!(
                !text.chars().any(|c| crate::model::controls::is_control(c) && c != '\n'),
                "a raw control character"
            );
            let total = shown(&text, &format!("<summary>All {steps} changes</summary>"), "- `")
                + left_out(&text, "changes");
            if steps > 0 {
                proptest::prop_assert_eq!(total, steps);
            }
        }
    }
}
