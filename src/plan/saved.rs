//! Checking a saved plan (`apply --plan FILE`) against the plan made now.
//!
//! The file is untrusted input: in CI it comes from a pull request, and apply runs with an
//! administrator's credentials. So apply never executes the file's steps. It plans again from
//! the checkout and the live account, and executes that plan, after these checks show the
//! file is the same plan: made for this account from these files, against the same account
//! state and recorded state, with the same steps in the same order and the same figures.
//! Everything quoted from the file is escaped and cut short, so the file can't write to the
//! terminal through an error.

use std::collections::BTreeMap;
use std::path::Path;

use super::{GuardCheck, Plan};

/// Why a saved plan is refused. Each says nothing was applied and how to go on.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Refusal {
    #[error(
        "this plan was made from a desired state with digest {plan_digest}{plan_commit}, and `{dir}` holds digest {here_digest}{here_commit}; nothing was applied"
    )]
    #[diagnostic(
        code(plan::saved::other_desired_state),
        help(
            "the YAML changed since the plan was made, or the plan was made from another directory; plan again from this checkout and review that plan"
        )
    )]
    OtherDesiredState {
        plan_digest: String,
        plan_commit: String,
        dir: String,
        here_digest: String,
        here_commit: String,
    },

    #[error(
        "this plan was made for account {plan_account} ({plan_environment}), and apply is connected to account {account} ({environment}); nothing was applied"
    )]
    #[diagnostic(
        code(plan::saved::other_account),
        help(
            "apply the plan made for this account, or check DOCUSIGN_ACCOUNT_ID, DOCUSIGN_AUTH_SERVER and `account` in the YAML; then plan again and review that plan"
        )
    )]
    OtherAccount {
        plan_account: String,
        plan_environment: String,
        account: String,
        environment: String,
    },

    #[error(
        "the plan was made against {then}, and `{state_path}` now holds {now}; nothing was applied"
    )]
    #[diagnostic(
        code(plan::saved::other_recorded_state),
        help("another apply ran since this plan was made; plan again and review that plan")
    )]
    OtherRecordedState {
        then: String,
        state_path: String,
        now: String,
    },

    #[error(
        "the account changed since the plan was made (fingerprint {then} then, {now} now); nothing was applied.\n{detail}"
    )]
    #[diagnostic(
        code(plan::saved::account_changed),
        help("plan again and review the new plan")
    )]
    AccountChanged {
        then: String,
        now: String,
        detail: String,
    },

    #[error(
        "the plan's steps are not the ones this checkout and the account give; nothing was applied.\n{differences}"
    )]
    #[diagnostic(
        code(plan::saved::other_steps),
        help(
            "the plan file was changed after `plan` wrote it, or was written by another version of docusign-gitops; plan again and review that plan"
        )
    )]
    OtherSteps { differences: String },

    #[error(
        "the plan's figures are not what its steps give on this account (they differ in: {fields}); nothing was applied"
    )]
    #[diagnostic(
        code(plan::saved::other_figures),
        help(
            "the plan file was changed after `plan` wrote it, or was written by another version of docusign-gitops; plan again and review that plan"
        )
    )]
    OtherFigures { fields: String },
}

/// Refuses a plan made from other desired-state files than those in `dir` (digest `here`).
/// Needs no connection, so it runs before apply calls DocuSign at all.
pub fn check_desired_state(
    saved: &Plan,
    dir: &Path,
    here_digest: &str,
    here_commit: Option<&str>,
) -> Result<(), Refusal> {
    if saved.origin.desired_digest == here_digest {
        return Ok(());
    }
    let commit = |commit: Option<&str>| {
        commit.map_or_else(String::new, |commit| format!(" (commit {})", short(commit)))
    };
    Err(Refusal::OtherDesiredState {
        plan_digest: short(&saved.origin.desired_digest),
        plan_commit: commit(saved.desired_commit.as_deref()),
        dir: shown(&dir.display().to_string(), 200),
        here_digest: short(here_digest),
        here_commit: commit(here_commit),
    })
}

/// Refuses a plan made for another account or environment than the one connected to.
pub fn check_account(saved: &Plan, account_id: &str, environment: &str) -> Result<(), Refusal> {
    let origin = &saved.origin;
    if origin.account_id == account_id && origin.environment == environment {
        return Ok(());
    }
    Err(Refusal::OtherAccount {
        plan_account: shown(&origin.account_id, 80),
        plan_environment: shown(&origin.environment, 20),
        account: shown(account_id, 80),
        environment: shown(environment, 20),
    })
}

/// Refuses a plan once the recorded state moved on: another apply ran since it was made.
/// `now` is the lineage and serial of the recorded state, `None` before the first apply.
pub fn check_recorded_state(
    saved: &Plan,
    now: Option<(&str, u64)>,
    state_path: &Path,
) -> Result<(), Refusal> {
    let then = saved
        .recorded
        .as_ref()
        .map(|base| (base.lineage.as_str(), base.serial));
    if now == then {
        return Ok(());
    }
    let describe = |base: Option<(&str, u64)>| {
        base.map_or_else(
            || "no recorded state".to_owned(),
            |(lineage, serial)| format!("serial {serial} of lineage {}", shown(lineage, 40)),
        )
    };
    Err(Refusal::OtherRecordedState {
        then: describe(then),
        state_path: state_path.display().to_string(),
        now: describe(now),
    })
}

/// Refuses a plan that is not `fresh`, the plan made now from the checkout and the live
/// account: first the account's fingerprint, then the steps, then every figure apply or a
/// reviewer reads (escalations, guards, summary, API calls, reports, each step's reason).
///
/// Two fields may differ: the commit (the merge commit CI applies from is not the pull
/// request's, though it holds the same files, which the digest checks) and the hourly API
/// budget DocuSign reported (it moves with every call). Guards are compared without the
/// operator's allowances: apply's own `--allow` decides, as plan's did for the plan.
pub fn check_same_plan(saved: &Plan, fresh: &Plan) -> Result<(), Refusal> {
    if saved.fingerprint != fresh.fingerprint {
        let changes = step_differences(saved, fresh);
        let detail = if changes.is_empty() {
            "The steps a new plan would take are the same, but the account is not the one reviewed."
                .to_owned()
        } else {
            format!("A plan made now differs:\n{}", changes.join("\n"))
        };
        return Err(Refusal::AccountChanged {
            then: short(&saved.fingerprint),
            now: short(&fresh.fingerprint),
            detail,
        });
    }
    let same_operations = saved.steps.len() == fresh.steps.len()
        && saved
            .steps
            .iter()
            .zip(&fresh.steps)
            .all(|(saved, fresh)| saved.operation == fresh.operation);
    if !same_operations {
        return Err(Refusal::OtherSteps {
            differences: step_differences(saved, fresh).join("\n"),
        });
    }
    let fields = figure_differences(saved, fresh);
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Refusal::OtherFigures {
            fields: fields.join(", "),
        })
    }
}

/// The fields besides the operations where `saved` and `fresh` differ, by their JSON names.
fn figure_differences(saved: &Plan, fresh: &Plan) -> Vec<&'static str> {
    // Every field named, so a field added to `Plan` must be placed here, compared or not.
    let Plan {
        format_version: _,
        fingerprint: _,
        origin: _,
        desired_commit: _,
        recorded: _,
        steps,
        reports,
        escalations,
        guards,
        summary,
        api_calls,
        hourly_remaining: _,
        // Said for the reviewer; the YAML it comes from is checked by its digest.
        provenance: _,
    } = saved;
    let details = |steps: &[super::Step]| {
        steps
            .iter()
            .map(|step| (step.phase, step.reason.clone()))
            .collect::<Vec<_>>()
    };
    let limits = |guards: &[GuardCheck]| {
        guards
            .iter()
            .map(|check| GuardCheck {
                allowed_by_operator: false,
                ..check.clone()
            })
            .collect::<Vec<_>>()
    };
    [
        (
            "step phases or reasons",
            details(steps) != details(&fresh.steps),
        ),
        ("reports", reports != &fresh.reports),
        ("escalations", escalations != &fresh.escalations),
        ("guards", limits(guards) != limits(&fresh.guards)),
        ("summary", summary != &fresh.summary),
        ("api_calls", api_calls != &fresh.api_calls),
    ]
    .into_iter()
    .filter_map(|(what, differs)| differs.then_some(what))
    .collect()
}

/// At most this many lines of differences; the rest are counted.
const MAX_LINES: usize = 20;
/// At most this many characters of one step's JSON.
const MAX_STEP_CHARS: usize = 200;

/// How the steps of the two plans differ, one line each (at most 20, then a count): the steps
/// only one plan has (counting repeats, so a step written twice shows), or, when both have the
/// same steps, the first place their order differs.
#[must_use]
pub fn step_differences(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let keys = |plan: &Plan| -> Vec<String> {
        plan.steps
            .iter()
            .map(|step| serde_json::to_string(&step.operation).unwrap_or_default())
            .collect()
    };
    let (then, now) = (keys(saved), keys(fresh));
    let mut lines: Vec<String> = surplus(&then, &now)
        .map(|step| format!("  no longer: {}", shown(step, MAX_STEP_CHARS)))
        .chain(
            surplus(&now, &then)
                .map(|step| format!("  now also:  {}", shown(step, MAX_STEP_CHARS))),
        )
        .collect();
    if lines.is_empty()
        && let Some(at) = then.iter().zip(&now).position(|(then, now)| then != now)
    {
        lines.push(format!(
            "  the same steps in another order, from step {}: the plan has {}, a plan made now has {}",
            at + 1,
            shown(&then[at], MAX_STEP_CHARS),
            shown(&now[at], MAX_STEP_CHARS)
        ));
    }
    if lines.len() > MAX_LINES {
        let more = lines.len() - MAX_LINES;
        lines.truncate(MAX_LINES);
        lines.push(format!("  … and {more} more"));
    }
    lines
}

/// The steps of `these` beyond those `others` has, repeats counted, in `these`'s order.
fn surplus<'a>(these: &'a [String], others: &[String]) -> impl Iterator<Item = &'a String> {
    let mut room: BTreeMap<&str, usize> = BTreeMap::new();
    for step in others {
        *room.entry(step.as_str()).or_insert(0) += 1;
    }
    these
        .iter()
        .filter(move |step| match room.get_mut(step.as_str()) {
            Some(left) if *left > 0 => {
                *left -= 1;
                false
            }
            _ => true,
        })
}

/// The first 12 characters of a digest or fingerprint, escaped.
fn short(hex: &str) -> String {
    shown(&hex.chars().take(12).collect::<String>(), 12)
}

/// `text` safe to print: control characters shown as `<U+…>` like everywhere else, cut to
/// `max_chars` with an ellipsis. The file may say anything; the terminal shows it as text.
fn shown(text: &str, max_chars: usize) -> String {
    crate::excerpt::quoted(text, max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{GuardClass, Operation, Origin};

    fn close(email: &str) -> Operation {
        Operation::CloseUser {
            email: email.to_owned(),
            id: None,
        }
    }

    fn plan_of(operations: Vec<Operation>) -> Plan {
        Plan {
            fingerprint: "f".repeat(64),
            origin: Origin {
                account_id: "acct-1".to_owned(),
                environment: "demo".to_owned(),
                desired_digest: "d".repeat(64),
            },
            desired_commit: Some("c".repeat(40)),
            hourly_remaining: Some(2_900),
            escalations: vec!["ana@example.com: `A` → `Account Administrator`".to_owned()],
            guards: vec![GuardCheck {
                class: GuardClass::UserClosures,
                count: 2,
                limit: 3,
                base: 20,
                exceeded: false,
                allowed_by_operator: false,
                set_at: None,
                changes: Vec::new(),
            }],
            ..crate::plan::fixtures::plan(operations, &crate::plan::Stated::ClosedInYaml.into())
        }
    }

    fn two() -> Plan {
        plan_of(vec![close("ana@example.com"), close("ben@example.com")])
    }

    #[test]
    fn the_same_plan_passes_though_its_commit_and_budget_moved() {
        let fresh = two();
        let mut saved = two();
        saved.desired_commit = Some("e".repeat(40));
        saved.hourly_remaining = Some(10);
        saved.guards[0].allowed_by_operator = true;
        check_same_plan(&saved, &fresh).expect("the same plan");
    }

    #[test]
    fn an_added_step_is_named_even_when_it_repeats_one_the_plan_has() {
        let fresh = two();
        let mut saved = two();
        saved.steps.push(saved.steps[0].clone());
        let Err(Refusal::OtherSteps { differences }) = check_same_plan(&saved, &fresh) else {
            panic!("not refused for its steps");
        };
        assert_eq!(
            differences,
            r#"  no longer: {"kind":"close_user","email":"ana@example.com","id":null}"#
        );
    }

    #[test]
    fn a_removed_step_is_named() {
        let mut saved = two();
        saved.steps.pop();
        let lines = step_differences(&saved, &two());
        assert_eq!(
            lines,
            [r#"  now also:  {"kind":"close_user","email":"ben@example.com","id":null}"#]
        );
        assert!(matches!(
            check_same_plan(&saved, &two()),
            Err(Refusal::OtherSteps { .. })
        ));
    }

    #[test]
    fn reordered_steps_are_refused_and_say_where_the_order_differs() {
        let mut saved = two();
        saved.steps.reverse();
        let Err(Refusal::OtherSteps { differences }) = check_same_plan(&saved, &two()) else {
            panic!("not refused for its order");
        };
        assert!(
            differences.starts_with("  the same steps in another order, from step 1:")
                && differences.contains("ben@example.com"),
            "{differences}"
        );
    }

    #[test]
    fn a_changed_step_shows_as_one_gone_and_one_new() {
        let mut saved = two();
        saved.steps[1].operation = Operation::ChangeProfile {
            email: "ben@example.com".to_owned(),
            id: None,
            from: "DocuSign Sender".to_owned(),
            to: "Account Administrator".to_owned(),
        };
        let lines = step_differences(&saved, &two());
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines[0].starts_with("  no longer: ") && lines[0].contains("Account Administrator")
        );
        assert!(lines[1].starts_with("  now also:  ") && lines[1].contains("close_user"));
    }

    #[test]
    fn differences_up_to_the_bound_are_all_shown_with_no_more_line() {
        let saved = plan_of(
            (0..MAX_LINES)
                .map(|n| close(&format!("u{n}@example.com")))
                .collect(),
        );
        let lines = step_differences(&saved, &plan_of(Vec::new()));
        assert_eq!(lines.len(), MAX_LINES, "{lines:#?}");
        assert!(
            lines.iter().all(|line| !line.contains("more")),
            "{lines:#?}"
        );
    }

    #[test]
    fn differences_are_bounded_escaped_and_cut() {
        let fresh = plan_of(Vec::new());
        let saved = plan_of(
            (0..30)
                .map(|n| {
                    close(&format!(
                        "u{n}\u{1b}[2J\u{202e}@example.com{}",
                        "x".repeat(500)
                    ))
                })
                .collect(),
        );
        let lines = step_differences(&saved, &fresh);
        assert_eq!(lines.len(), MAX_LINES + 1);
        assert_eq!(lines[MAX_LINES], "  … and 10 more");
        for line in &lines[..MAX_LINES] {
            assert!(
                !line.contains('\u{1b}') && !line.contains('\u{202e}'),
                "{line:?}"
            );
            // JSON already escapes ESC; the override is escaped here.
            assert!(line.contains("\\u001b[2J<U+202E>"), "{line:?}");
            assert!(line.ends_with('…') && line.chars().count() < MAX_STEP_CHARS + 40);
        }
    }

    #[test]
    fn edited_figures_are_refused_by_name() {
        type Edit = fn(&mut Plan);
        let edits: [(&str, Edit); 6] = [
            ("escalations", |plan| plan.escalations.clear()),
            ("guards", |plan| plan.guards[0].limit = 1_000),
            ("guards", |plan| plan.guards.clear()),
            ("summary", |plan| {
                plan.summary.insert("close_user".to_owned(), 1);
            }),
            ("api_calls", |plan| plan.api_calls = 1),
            ("step phases or reasons", |plan| {
                plan.steps[0].reason =
                    crate::plan::Reason::Noted("the reviewer said so".to_owned());
            }),
        ];
        for (field, edit) in edits {
            let mut saved = two();
            edit(&mut saved);
            let Err(Refusal::OtherFigures { fields }) = check_same_plan(&saved, &two()) else {
                panic!("an edit to the {field} went through");
            };
            assert_eq!(fields, field);
        }
    }

    #[test]
    fn a_changed_account_is_refused_with_what_a_plan_made_now_would_do() {
        let mut saved = two();
        saved.fingerprint = "0".repeat(64);
        saved.steps.pop();
        let Err(refusal @ Refusal::AccountChanged { .. }) = check_same_plan(&saved, &two()) else {
            panic!("a changed account went through");
        };
        let message = refusal.to_string();
        assert!(
            message.contains("fingerprint 000000000000 then, ffffffffffff now"),
            "{message}"
        );
        assert!(message.contains("now also:"), "{message}");
    }

    #[test]
    fn another_account_or_environment_is_refused_by_name() {
        let saved = two();
        check_account(&saved, "acct-1", "demo").expect("its own account");
        let other = check_account(&saved, "acct-2", "demo").expect_err("another account");
        assert_eq!(
            other.to_string(),
            "this plan was made for account acct-1 (demo), and apply is connected to account acct-2 (demo); nothing was applied"
        );
        check_account(&saved, "acct-1", "production").expect_err("another environment");
    }

    #[test]
    fn another_desired_state_is_refused_by_its_digest() {
        let saved = two();
        let dir = Path::new("/repo/desired");
        check_desired_state(&saved, dir, &"d".repeat(64), None).expect("the same files");
        let other = check_desired_state(&saved, dir, &"e".repeat(64), Some(&"a".repeat(40)))
            .expect_err("other files");
        assert_eq!(
            other.to_string(),
            "this plan was made from a desired state with digest dddddddddddd (commit cccccccccccc), and `/repo/desired` holds digest eeeeeeeeeeee (commit aaaaaaaaaaaa); nothing was applied"
        );
    }

    #[test]
    fn what_the_file_says_is_escaped_in_every_refusal() {
        let mut saved = two();
        saved.origin.account_id = "\u{1b}]0;owned\u{7}".to_owned();
        saved.origin.desired_digest = "\u{9b}31m".to_owned();
        let account = check_account(&saved, "acct-1", "demo")
            .expect_err("another account")
            .to_string();
        assert!(account.contains("<U+001B>]0;owned<U+0007>"), "{account}");
        let desired = check_desired_state(&saved, Path::new("d"), "e", None)
            .expect_err("other files")
            .to_string();
        assert!(desired.contains("<U+009B>31m"), "{desired}");
        for text in [account, desired] {
            assert!(!text.chars().any(char::is_control), "{text:?}");
        }
    }
}
