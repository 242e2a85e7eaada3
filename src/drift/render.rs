//! Drift reports for people (text; markdown fit for an issue) and machines (JSON).

use std::fmt::Write as _;

use super::{Class, Difference, Report};

/// GitHub refuses issue bodies over 65,536 characters; stay well under.
const MARKDOWN_BUDGET: usize = 60_000;

#[must_use]
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}

fn line(difference: &Difference) -> String {
    let mut line = format!(
        "{} {}: {}",
        difference.kind.label().replace('_', " "),
        difference.object,
        difference.change
    );
    if let Some(accepted) = &difference.accepted {
        let _ = write!(
            line,
            " (accepted until {}: {})",
            accepted.until, accepted.reason
        );
    } else if !difference.counts {
        line.push_str(" (not drift)");
    }
    line
}

fn summary(report: &Report) -> String {
    let open = report.open().count();
    let accepted = report
        .differences
        .iter()
        .filter(|difference| difference.accepted.is_some())
        .count();
    let verdict = if open == 0 {
        "No drift".to_owned()
    } else if open == 1 {
        "Drift: 1 difference".to_owned()
    } else {
        format!("Drift: {open} differences")
    };
    let accepted = match accepted {
        0 => String::new(),
        1 => ", 1 accepted".to_owned(),
        n => format!(", {n} accepted"),
    };
    format!(
        "{verdict}{accepted} in account {} since the apply of {} (serial {}).",
        report.account_id, report.applied_at, report.serial
    )
}

/// For a terminal or a CI log.
#[must_use]
pub fn text(report: &Report) -> String {
    let mut sections = Vec::new();
    for class in Class::ALL {
        let lines: Vec<String> = report
            .differences
            .iter()
            .filter(|difference| difference.class == class)
            .map(|difference| format!("  {}\n", line(difference)))
            .collect();
        if !lines.is_empty() {
            sections.push(format!("# {}\n{}", class.title(), lines.concat()));
        }
    }
    if !report.expired_acceptances.is_empty() {
        let mut block = "# Expired acceptances (no longer silencing)\n".to_owned();
        for expired in &report.expired_acceptances {
            let _ = writeln!(
                block,
                "  {} (until {}: {})",
                expired.object, expired.until, expired.reason
            );
        }
        sections.push(block);
    }
    sections.push(format!("{}\n", summary(report)));
    sections.join("\n")
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// For an issue body: a summary table, then each class in a `<details>` block; never over
/// 60,000 characters (the lists are cut, with a count; the summary never is).
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut head = format!(
        "## docusign-gitops drift\n\n{}\n\n",
        escape(&summary(report))
    );
    head.push_str("| class | drift | accepted | not drift |\n|---|---:|---:|---:|\n");
    for class in Class::ALL {
        let of_class = || {
            report
                .differences
                .iter()
                .filter(move |difference| difference.class == class)
        };
        let _ = writeln!(
            head,
            "| {} | {} | {} | {} |",
            class.title(),
            of_class()
                .filter(|d| d.counts && d.accepted.is_none())
                .count(),
            of_class().filter(|d| d.accepted.is_some()).count(),
            of_class()
                .filter(|d| !d.counts && d.accepted.is_none())
                .count()
        );
    }
    head.push('\n');
    let mut body = String::new();
    let room = MARKDOWN_BUDGET.saturating_sub(head.len() + 200);
    let mut cut = 0usize;
    for class in Class::ALL {
        let lines: Vec<String> = report
            .differences
            .iter()
            .filter(|difference| difference.class == class)
            .map(|difference| format!("- {}\n", escape(&line(difference))))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let mut block = format!(
            "<details><summary>{} ({})</summary>\n\n",
            class.title(),
            lines.len()
        );
        for (index, entry) in lines.iter().enumerate() {
            if body.len() + block.len() + entry.len() + 40 > room {
                cut += lines.len() - index;
                break;
            }
            block.push_str(entry);
        }
        block.push_str("\n</details>\n\n");
        body.push_str(&block);
    }
    if !report.expired_acceptances.is_empty() {
        body.push_str("**Expired acceptances** (no longer silencing):\n\n");
        for expired in &report.expired_acceptances {
            let entry = format!(
                "- `{}` until {}: {}\n",
                escape(&expired.object),
                expired.until,
                escape(&expired.reason)
            );
            if body.len() + entry.len() + 40 > room {
                cut += 1;
                continue;
            }
            body.push_str(&entry);
        }
        body.push('\n');
    }
    if cut > 0 {
        let _ = writeln!(
            body,
            "_{cut} more not shown; run `docusign-gitops drift --format json` for all._"
        );
    }
    head + &body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::Kind;

    fn report(count: usize) -> Report {
        Report {
            account_id: "acct".to_owned(),
            serial: 4,
            applied_at: "2026-11-20T10:00:00Z".to_owned(),
            differences: (0..count)
                .map(|n| Difference {
                    class: Class::NewUnmanaged,
                    kind: Kind::User,
                    object: format!("person.number{n}@example.com"),
                    recorded_name: None,
                    change: "added outside git with `DocuSign Sender`".to_owned(),
                    counts: true,
                    accepted: None,
                })
                .collect(),
            expired_acceptances: Vec::new(),
        }
    }

    #[test]
    fn a_huge_report_stays_under_the_budget_with_its_summary() {
        let text = markdown(&report(20_000));
        assert!(text.len() <= MARKDOWN_BUDGET, "{}", text.len());
        assert!(text.contains("Drift: 20000 differences"));
        assert!(text.contains("more not shown"));
    }

    #[test]
    fn no_drift_says_so() {
        let text = text(&report(0));
        assert!(text.starts_with("No drift in account acct"), "{text}");
    }
}
