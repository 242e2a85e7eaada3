//! The seats report for people (text; markdown for an issue or a wiki) and machines (JSON, every
//! figure with its `source`). Names and emails come from DocuSign, where anyone can type
//! anything: text shows control characters as `<U+…>`, markdown escapes every value.

use std::fmt::Write as _;

use super::{Figure, Report};
use crate::markdown::{code, text as md_text};
use crate::model::controls::visible;
use crate::model::usage::Quantity;
use crate::words::counted;

#[must_use]
pub fn json(report: &Report) -> String {
    crate::plan::render::pretty_json(report)
}

fn shown<T: std::fmt::Display>(figure: &Figure<T>) -> String {
    figure
        .value
        .as_ref()
        .map_or_else(|| "not given".to_owned(), ToString::to_string)
}

/// "22 of 25", "22 (no seat count given)", and so on.
fn seats_line(report: &Report) -> String {
    let seats = &report.seats;
    match (&seats.in_use.value, &seats.allowed.value) {
        (Some(used), Some(Quantity::Count(allowed))) => format!("{used} of {allowed} used"),
        (Some(used), Some(allowed)) => format!("{used} used, {allowed} allowed"),
        (Some(used), None) => format!("{used} used (DocuSign gave no seat count)"),
        (None, Some(allowed)) => format!("{allowed} bought (DocuSign gave no count in use)"),
        (None, None) => "DocuSign gave no seat figures".to_owned(),
    }
}

fn title(report: &Report) -> String {
    match &report.account_name {
        Some(name) => format!("{} (account {})", name, report.account_id),
        None => format!("account {}", report.account_id),
    }
}

/// Every figure as (label, value, source), in the order both forms show them.
fn figure_rows(report: &Report) -> Vec<(&'static str, String, &str)> {
    let seats = &report.seats;
    let billing = &report.billing_period;
    vec![
        ("plan", shown(&report.plan.name), &report.plan.name.source),
        (
            "plan ends",
            shown(&report.plan.end),
            &report.plan.end.source,
        ),
        ("seats bought", shown(&seats.allowed), &seats.allowed.source),
        ("seats in use", shown(&seats.in_use), &seats.in_use.source),
        ("active users", shown(&seats.active), &seats.active.source),
        (
            "invited, pending",
            shown(&seats.pending),
            &seats.pending.source,
        ),
        ("disabled", shown(&seats.disabled), &seats.disabled.source),
        ("closed", shown(&seats.closed), &seats.closed.source),
        (
            "period starts",
            shown(&billing.start),
            &billing.start.source,
        ),
        ("period ends", shown(&billing.end), &billing.end.source),
        (
            "envelopes allowed",
            shown(&billing.envelopes_allowed),
            &billing.envelopes_allowed.source,
        ),
        (
            "envelopes sent",
            shown(&billing.envelopes_sent),
            &billing.envelopes_sent.source,
        ),
        (
            "closed this period",
            shown(&report.closed_this_period.count),
            &report.closed_this_period.count.source,
        ),
    ]
}

/// An invitation's age in words, and what reclaim would make of it.
fn pending_words(pending: &super::Pending) -> (String, Option<String>) {
    let age = pending
        .age_days
        .map_or_else(|| "age unknown".to_owned(), |days| counted(days, "day"));
    let flag = match (&pending.exempt, pending.stale) {
        (Some(why), _) => Some(format!("never reclaimed: {why}")),
        (None, true) => Some("stale".to_owned()),
        (None, false) => None,
    };
    (age, flag)
}

/// Plain text: figures first, then the lists, then the signals and their cost.
#[must_use]
pub fn text(report: &Report) -> String {
    let v = |text: &str| visible(text).into_owned();
    let mut out = format!("Seats of {} as of {}\n\n", v(&title(report)), report.as_of);
    let _ = writeln!(out, "Seats: {}", seats_line(report));
    for (label, value, source) in figure_rows(report) {
        let _ = writeln!(out, "  {label:<20} {:<24} {source}", v(&value));
    }
    let _ = writeln!(
        out,
        "\nInvitations not accepted: {} ({} older than {} days)",
        report.pending.len(),
        report
            .pending
            .iter()
            .filter(|pending| pending.stale)
            .count(),
        report.pending_days
    );
    for pending in &report.pending {
        let (age, flag) = pending_words(pending);
        let invited = pending.invited.as_deref().unwrap_or("date not given");
        let flag = flag.map_or_else(String::new, |flag| format!(" ({flag})"));
        let _ = writeln!(
            out,
            "  {}  invited {}, {age}{flag}",
            v(&pending.email),
            v(invited)
        );
    }
    let _ = writeln!(
        out,
        "\nIdle: {} active with no sign of use for {} days",
        counted(report.idle.len(), "user"),
        report.idle_days
    );
    for idle in &report.idle {
        let days = idle
            .idle_days
            .map_or_else(String::new, |days| format!(" ({days} days)"));
        let scim = if idle.managed_by_scim {
            "; managed by SCIM: reclaim through the identity provider"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {}  no sign of use since {}{days}: {}{scim}",
            v(&idle.email),
            v(&idle.no_sign_since),
            v(&idle.evidence.join(", "))
        );
    }
    if !report.not_judged.is_empty() {
        let _ = writeln!(
            out,
            "Not judged: {} (no candidates among them)",
            counted(report.not_judged.len(), "user")
        );
        for user in &report.not_judged {
            let _ = writeln!(out, "  {}  {}", v(&user.email), v(&user.reason));
        }
    }
    let _ = writeln!(out, "\nSignals:");
    for signal in &report.signals {
        let used = if signal.used { "used" } else { "not used" };
        let _ = writeln!(
            out,
            "  {} ({used}, {}): {}\n    {}",
            signal.name,
            counted(signal.calls, "call"),
            signal.note,
            signal.source
        );
    }
    let _ = writeln!(
        out,
        "API calls: {} ({} reading the users, {} for the plan figures, {} for envelopes)",
        report.calls.total, report.calls.users, report.calls.account, report.calls.envelopes
    );
    out
}

/// Markdown: a table of figures with their sources, then the lists and the signals.
#[must_use]
pub fn markdown(report: &Report) -> String {
    let mut out = format!("## Seats of {}\n\n", md_text(&title(report)));
    let _ = writeln!(
        out,
        "As of {}: {}.\n\n| figure | value | source |\n| --- | --- | --- |",
        report.as_of,
        md_text(&seats_line(report))
    );
    for (label, value, source) in figure_rows(report) {
        let _ = writeln!(out, "| {label} | {} | {} |", md_text(&value), code(source));
    }
    let _ = writeln!(
        out,
        "\n### Invitations not accepted ({})\n",
        report.pending.len()
    );
    for pending in &report.pending {
        let (age, flag) = pending_words(pending);
        let flag = flag.map_or_else(String::new, |flag| format!(" ({})", md_text(&flag)));
        let _ = writeln!(
            out,
            "- {} invited {}, {age}{flag}",
            code(&pending.email),
            md_text(pending.invited.as_deref().unwrap_or("date not given"))
        );
    }
    let _ = writeln!(
        out,
        "\n### Idle for {} days ({})\n",
        report.idle_days,
        report.idle.len()
    );
    for idle in &report.idle {
        let _ = writeln!(
            out,
            "- {} no sign of use since {}: {}",
            code(&idle.email),
            md_text(&idle.no_sign_since),
            md_text(&idle.evidence.join(", "))
        );
    }
    if !report.not_judged.is_empty() {
        let _ = writeln!(out, "\n### Not judged ({})\n", report.not_judged.len());
        for user in &report.not_judged {
            let _ = writeln!(out, "- {}: {}", code(&user.email), md_text(&user.reason));
        }
    }
    let _ = writeln!(
        out,
        "\n### Signals\n\n| signal | used | calls | note |\n| --- | --- | --- | --- |"
    );
    for signal in &report.signals {
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {} |",
            md_text(&signal.name),
            code(&signal.source),
            if signal.used { "yes" } else { "no" },
            signal.calls,
            md_text(&signal.note)
        );
    }
    let _ = writeln!(out, "\n{} API calls in all.", report.calls.total);
    out
}
