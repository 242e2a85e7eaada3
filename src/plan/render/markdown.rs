//! The plan as a pull-request comment, within GitHub's size limit.

use std::fmt::Write as _;

use crate::plan::{Change, Operation, Plan};

/// One step as a line: a sign (`+`, `~`, `-`) and what changes.
fn line(operation: &Operation) -> String {
    match operation {
        Operation::CreateProfile { name, settings } => {
            format!("+ profile `{name}` ({} settings)", settings.len())
        }
        Operation::RenameProfile { from, to, .. } => format!("~ profile `{from}` → `{to}`"),
        Operation::UpdateProfileSettings {
            profile, changes, ..
        } => format!("~ profile `{profile}`: {}", changes_text(changes)),
        Operation::CreateGroup {
            name,
            permission_profile,
        } => match permission_profile {
            Some(profile) => format!("+ group `{name}` (profile `{profile}`)"),
            None => format!("+ group `{name}`"),
        },
        Operation::RenameGroup { from, to, .. } => format!("~ group `{from}` → `{to}`"),
        Operation::SetGroupProfile {
            group, from, to, ..
        } => format!(
            "~ group `{group}` profile: {} → {}",
            shown(from.as_ref()),
            shown(to.as_ref())
        ),
        Operation::CreateSigningGroup { name, .. } => format!("+ signing group `{name}`"),
        Operation::RenameSigningGroup { from, to, .. } => {
            format!("~ signing group `{from}` → `{to}`")
        }
        Operation::SetSigningGroupEmail {
            signing_group,
            from,
            to,
            ..
        } => {
            format!(
                "~ signing group `{signing_group}` email: {} → {}",
                shown(from.as_ref()),
                shown(to.as_ref())
            )
        }
        Operation::CreateUser {
            email,
            permission_profile,
            ..
        } => format!("+ user {email} (`{permission_profile}`)"),
        Operation::ReactivateUser {
            email,
            permission_profile,
            ..
        } => format!("+ reactivate {email} (`{permission_profile}`)"),
        Operation::AddMember { group, email, .. } => format!("+ {email} → group `{group}`"),
        Operation::AddSigningGroupMember {
            signing_group,
            email,
            ..
        } => format!("+ {email} → signing group `{signing_group}`"),
        Operation::UpdateUser { email, changes, .. } => {
            format!("~ {email}: {}", changes_text(changes))
        }
        Operation::ChangeProfile {
            email, from, to, ..
        } => format!("~ {email} profile: `{from}` → `{to}`"),
        Operation::RemoveMember { group, email, .. } => format!("- {email} from group `{group}`"),
        Operation::RemoveSigningGroupMember {
            signing_group,
            email,
            ..
        } => format!("- {email} from signing group `{signing_group}`"),
        Operation::CloseUser { email, .. } => format!("- close {email}"),
        Operation::DeleteGroup { name, .. } => format!("- group `{name}`"),
        Operation::DeleteSigningGroup { name, .. } => format!("- signing group `{name}`"),
        Operation::DeleteProfile {
            name,
            move_users_to,
            ..
        } => format!("- profile `{name}` (holders to `{move_users_to}`)"),
    }
}

fn shown(value: Option<&String>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |value| format!("`{value}`"))
}

fn changes_text(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|change| {
            format!(
                "{} {} → {}",
                change.field,
                shown(change.from.as_ref()),
                shown(change.to.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// GitHub refuses comments over 65,536 characters; stay well under.
const MARKDOWN_BUDGET: usize = 60_000;

/// The plan as a pull-request comment: summary table first, then escalations, refusals and
/// closures, then every change in a `<details>` block. Never longer than 60,000 characters:
/// when the change list is too long, its middle is cut and counted; the summary never is.
#[must_use]
pub fn markdown(plan: &Plan) -> String {
    let mut head = String::new();
    let _ = writeln!(head, "### docusign-gitops plan\n");
    if plan.steps.is_empty() {
        let _ = writeln!(head, "No changes: the account matches the YAML.\n");
    } else {
        let _ = writeln!(head, "| change | count |\n| --- | ---: |");
        for (kind, count) in &plan.summary {
            let _ = writeln!(head, "| `{kind}` | {count} |");
        }
        let _ = writeln!(
            head,
            "\n{} in about {}{}.\n",
            counted(plan.steps.len(), "change"),
            counted(
                usize::try_from(plan.api_calls).unwrap_or(usize::MAX),
                "API call"
            ),
            plan.hourly_remaining
                .map_or_else(String::new, |left| format!(" ({left} left this hour)"))
        );
    }
    if !plan.escalations.is_empty() {
        let _ = writeln!(head, "**Admin-capable grants:**\n");
        for escalation in &plan.escalations {
            let _ = writeln!(head, "- {}", escape(escalation));
        }
        let _ = writeln!(head);
    }
    for refusal in plan.refusals() {
        let _ = writeln!(
            head,
            "**Refused:** {} {} (limit {} of {} live); re-run with `--allow {}` to allow.\n",
            refusal.count,
            refusal.class.flag(),
            refusal.limit,
            refusal.base,
            refusal.class.flag()
        );
    }
    let closures: Vec<String> = plan
        .steps
        .iter()
        .filter(|step| matches!(step.operation, Operation::CloseUser { .. }))
        .map(|step| item(&step.operation))
        .collect();
    if !closures.is_empty() {
        let _ = writeln!(head, "**Closures:**\n\n{}\n", closures.join("\n"));
    }
    let lines: Vec<String> = plan
        .steps
        .iter()
        .map(|step| item(&step.operation))
        .collect();
    let reports: Vec<String> = plan
        .reports
        .iter()
        .map(|report| format!("- {}: {}", escape(&report.email), escape(&report.note)))
        .collect();
    let mut body = String::new();
    if !lines.is_empty() {
        let room = MARKDOWN_BUDGET.saturating_sub(head.len() + 200);
        let _ = writeln!(
            body,
            "<details><summary>All {} changes</summary>\n\n{}\n</details>\n",
            lines.len(),
            fit(&lines, room / 2)
        );
    }
    if !reports.is_empty() {
        let room = MARKDOWN_BUDGET.saturating_sub(head.len() + body.len() + 200);
        let _ = writeln!(
            body,
            "<details><summary>Left alone ({})</summary>\n\n{}\n</details>",
            reports.len(),
            fit(&reports, room)
        );
    }
    head + &body
}

/// The lines, or their beginning and end with the middle cut and counted, within `room`.
fn fit(lines: &[String], room: usize) -> String {
    let whole = lines.join("\n");
    if whole.len() <= room {
        return whole;
    }
    let half = room.saturating_sub(100) / 2;
    let mut front = Vec::new();
    let mut used = 0;
    for line in lines {
        if used + line.len() + 1 > half {
            break;
        }
        used += line.len() + 1;
        front.push(line.as_str());
    }
    let mut back = Vec::new();
    used = 0;
    for line in lines.iter().rev() {
        if used + line.len() + 1 > half || front.len() + back.len() >= lines.len() {
            break;
        }
        used += line.len() + 1;
        back.push(line.as_str());
    }
    back.reverse();
    let cut = lines.len() - front.len() - back.len();
    format!(
        "{}\n- … {cut} more changes, cut to fit a comment (see the text or JSON plan) …\n{}",
        front.join("\n"),
        back.join("\n")
    )
}

/// A list item whose sign (`+`, `~`, `-`) can't be read as a nested list.
fn item(operation: &Operation) -> String {
    let text = line(operation);
    let (sign, rest) = text.split_at(text.find(' ').unwrap_or(0));
    format!("- `{sign}`{}", escape(rest))
}

/// Keeps names from turning into markdown or HTML.
fn escape(text: &str) -> String {
    text.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// `1 change`, `2 changes`.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::{FORMAT_VERSION, Origin, Phase, Step};

    fn plan_of(steps: usize) -> Plan {
        let steps: Vec<Step> = (0..steps)
            .map(|n| Step {
                phase: Phase::AddMemberships,
                operation: Operation::AddMember {
                    group: format!("Team {}", n % 50),
                    group_id: None,
                    email: format!("person.number{n}@example.com"),
                    user_id: None,
                },
                reason: "a member in the YAML".to_owned(),
            })
            .collect();
        Plan {
            format_version: FORMAT_VERSION,
            fingerprint: "0".repeat(64),
            origin: Origin::default(),
            desired_commit: None,
            recorded: None,
            summary: BTreeMap::from([("add_member".to_owned(), steps.len())]),
            api_calls: 50,
            hourly_remaining: Some(2900),
            steps,
            reports: Vec::new(),
            escalations: vec![
                "ana@example.com: `DocuSign Sender` → `Account Administrator`".to_owned(),
            ],
            guards: Vec::new(),
        }
    }

    #[test]
    fn a_huge_plan_fits_a_comment_with_its_summary_whole() {
        let text = markdown(&plan_of(20_000));
        assert!(text.len() <= MARKDOWN_BUDGET, "{} characters", text.len());
        assert!(text.contains("| `add_member` | 20000 |"));
        assert!(text.contains("**Admin-capable grants:**"));
        assert!(text.contains("more changes, cut to fit a comment"));
        assert!(text.contains("person.number0@example.com"));
        assert!(text.contains("person.number19999@example.com"));
    }

    #[test]
    fn renderings_are_byte_identical_for_the_same_plan() {
        let plan = plan_of(30);
        assert_eq!(markdown(&plan), markdown(&plan));
        assert_eq!(super::super::json(&plan), super::super::json(&plan));
        assert!(!markdown(&plan).contains("more changes, cut"));
    }
}
