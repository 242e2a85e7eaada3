//! Plans for people (text, markdown) and machines (JSON). (Text and JSON so far.)

use std::fmt::Write as _;

use super::{Operation, Plan};

/// The plan as pretty JSON, ending with a newline.
#[must_use]
pub fn json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}

/// The plan for a terminal: escalations and guards first, then each step in order.
#[must_use]
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.escalations.is_empty() {
        let _ = writeln!(out, "!! Admin-capable grants:");
        for escalation in &plan.escalations {
            let _ = writeln!(out, "   {escalation}");
        }
        let _ = writeln!(out);
    }
    for refusal in plan.refusals() {
        let _ = writeln!(
            out,
            "!! refused: {} {} (limit {}, of {} live); pass `--allow {}` to allow",
            refusal.count,
            refusal.class.flag(),
            refusal.limit,
            refusal.base,
            refusal.class.flag()
        );
    }
    if plan.steps.is_empty() {
        let _ = writeln!(out, "No changes: the account matches the YAML.");
    }
    let mut phase = None;
    for step in &plan.steps {
        if phase != Some(step.phase) {
            phase = Some(step.phase);
            let _ = writeln!(out, "\n# {:?}", step.phase);
        }
        let _ = writeln!(out, "  {}", line(&step.operation));
    }
    if !plan.reports.is_empty() {
        let _ = writeln!(out, "\n# Left alone");
        for report in &plan.reports {
            let _ = writeln!(out, "  {}: {}", report.email, report.note);
        }
    }
    let _ = writeln!(
        out,
        "\nPlan: {} changes in about {} API calls{}.",
        plan.steps.len(),
        plan.api_calls,
        plan.hourly_remaining
            .map_or_else(String::new, |left| format!(" ({left} left this hour)"))
    );
    out
}

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

fn changes_text(changes: &[super::Change]) -> String {
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
