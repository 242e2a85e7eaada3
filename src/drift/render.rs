//! Drift reports for people (text; markdown fit for an issue) and machines (JSON).
//!
//! Objects and changes name what DocuSign holds, where anyone can type anything: the text
//! shows control characters as `<U+…>`, and the markdown puts every value through
//! [`code`] or [`text`] so none can add markup or end its place.

use std::fmt::Write as _;

use super::{Class, Difference, Report};
use crate::markdown::{Cut, Section, code, comment, text as md_text};
use crate::model::controls::visible;

#[must_use]
pub fn json(report: &Report) -> String {
    crate::plan::render::pretty_json(report)
}

/// A difference in one line: `object` shows the object's name, `words` the rest.
fn said(
    difference: &Difference,
    object: impl Fn(&str) -> String,
    words: impl Fn(&str) -> String,
) -> String {
    let mut line = format!(
        "{} {}: {}",
        difference.kind.noun(),
        object(&difference.object),
        words(&difference.change)
    );
    if let Some(accepted) = &difference.accepted {
        let _ = write!(
            line,
            " (accepted until {}: {})",
            words(&accepted.until),
            words(&accepted.reason)
        );
    } else if !difference.counts {
        line.push_str(" (not drift)");
    }
    line
}

/// Control characters shown as `<U+…>`.
fn line(difference: &Difference) -> String {
    let shown = |value: &str| visible(value).into_owned();
    said(difference, shown, shown)
}

/// The same line as markdown: the object as a code span, the rest as escaped text.
fn markdown_line(difference: &Difference) -> String {
    format!("- {}", said(difference, code, md_text))
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
    let since = if report.imported {
        "the import"
    } else {
        "the apply"
    };
    format!(
        "{verdict}{accepted} in account {} since {since} of {} (serial {}).",
        report.account_id, report.applied_at, report.serial
    )
}

/// For a terminal or a CI log.
#[must_use]
pub fn text(report: &Report) -> String {
    let mut sections = Vec::new();
    for class in Class::ALL {
        let lines: Vec<String> = report
            .of_class(class)
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
                visible(&expired.object),
                expired.until,
                visible(&expired.reason)
            );
        }
        sections.push(block);
    }
    sections.push(format!("{}\n", visible(&summary(report))));
    sections.join("\n")
}

/// For an issue body: the summary and a table of counts, always whole, then each class in a
/// `<details>` block and the expired acceptances; never over 60,000 characters. Each list
/// takes what it needs in that order while leaving the ones after it room of their own; a
/// list that doesn't fit is cut and says how many it left out.
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut out = format!(
        "## docusign-gitops drift\n\n{}\n\n",
        md_text(&summary(report))
    );
    out.push_str("| class | drift | accepted | not drift |\n|---|---:|---:|---:|\n");
    for class in Class::ALL {
        let of_class = || report.of_class(class);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            class.title(),
            of_class().filter(|d| d.is_open()).count(),
            of_class().filter(|d| d.accepted.is_some()).count(),
            of_class()
                .filter(|d| !d.counts && d.accepted.is_none())
                .count()
        );
    }
    out.push('\n');
    comment(out, &lists(report))
}

/// The line a cut list ends with.
fn left_out(count: usize) -> String {
    format!(
        "- … and {count} more, cut to fit (`docusign-gitops drift --format json` lists them all)"
    )
}

/// The lists: one per class with differences, then the expired acceptances.
fn lists(report: &Report) -> Vec<Section<'static>> {
    let mut lists = Vec::new();
    for class in Class::ALL {
        let lines: Vec<String> = report.of_class(class).map(markdown_line).collect();
        if lines.is_empty() {
            continue;
        }
        lists.push(Section {
            open: format!(
                "<details><summary>{} ({})</summary>\n\n",
                class.title(),
                lines.len()
            ),
            lines,
            close: "\n</details>\n\n",
            cut: Cut::End,
            left_out: Box::new(left_out),
        });
    }
    if !report.expired_acceptances.is_empty() {
        lists.push(Section {
            open: format!(
                "**Expired acceptances** ({}, no longer silencing):\n\n",
                report.expired_acceptances.len()
            ),
            lines: report
                .expired_acceptances
                .iter()
                .map(|expired| {
                    format!(
                        "- {} until {}: {}",
                        code(&expired.object),
                        md_text(&expired.until),
                        md_text(&expired.reason)
                    )
                })
                .collect(),
            close: "\n",
            cut: Cut::End,
            left_out: Box::new(left_out),
        });
    }
    lists
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::COMMENT_BUDGET;
    use crate::plan::describe::Part;

    fn report(count: usize) -> Report {
        Report {
            account_id: "acct".to_owned(),
            serial: 4,
            applied_at: "2026-11-20T10:00:00Z".to_owned(),
            imported: false,
            differences: (0..count)
                .map(|n| Difference {
                    class: Class::NewUnmanaged,
                    kind: Part::Users,
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
        assert!(text.len() <= COMMENT_BUDGET, "{}", text.len());
        assert!(text.contains("Drift: 20000 differences"));
        assert!(text.contains("- … and "), "{text}");
    }

    #[test]
    fn no_drift_says_so() {
        let text = text(&report(0));
        assert!(text.starts_with("No drift in account acct"), "{text}");
    }
}
