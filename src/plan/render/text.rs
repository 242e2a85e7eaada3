//! The plan for a reviewer at a terminal: grouped by person, then by group, permission profile
//! and signing group, each line carrying its step number so the grouped view can be matched to
//! the order apply uses.
//!
//! Names come from DocuSign, where anyone can type anything: every piece of live text passes
//! through [`visible`] on its way in, so a control character shows as `<U+001B>` instead of
//! steering the terminal.
//!
//! Colour only adds escape codes: the coloured text with its escapes removed is the plain text,
//! byte for byte. So the inline diffs keep git's `[-removed-]{+added+}` markup in colour too,
//! and a reader who can't tell red from green loses nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use crate::model::controls::visible;
use crate::plan::Plan;
use crate::plan::describe::{self, Entry, Part, Sign, joined};

/// The plan for a terminal: admin-capable grants and exceeded guards first, then the changes
/// by person and by object, then what was left alone, then the summary. `colour` adds ANSI
/// styles; without it the text holds no escape byte.
#[must_use]
pub fn text(plan: &Plan, colour: bool) -> String {
    let paint = Paint { colour };
    // Sections, each a block of lines; printed with one blank line between them.
    let mut sections: Vec<String> = Vec::new();
    if !plan.escalations.is_empty() {
        let mut block = paint.line(Tone::Alarm, "!! Admin-capable grants:");
        for escalation in &plan.escalations {
            let _ = writeln!(block, "   {}", visible(escalation));
        }
        sections.push(block);
    }
    let mut guards = String::new();
    for check in plan.guards.iter().filter(|check| check.exceeded) {
        let (verb, hint, tone) = if check.allowed_by_operator {
            (
                "allowed",
                format!("by `--allow {}`", check.class.flag()),
                Tone::Changed,
            )
        } else {
            let raise = check.how_to_raise(|place| visible(place).into_owned());
            (
                "refused",
                format!(
                    "{raise}, or pass `--allow {}` (in CI: DOCUSIGN_GITOPS_ALLOW)",
                    check.class.flag()
                ),
                Tone::Alarm,
            )
        };
        let line = format!(
            "!! {verb}: {} {} (limit {}, of {} live); {hint}",
            check.count,
            check.class.flag(),
            check.limit,
            check.base,
        );
        guards.push_str(&paint.line(tone, &line));
        for change in &check.changes {
            let _ = writeln!(guards, "   {}", visible(change));
        }
        let more = check.unlisted();
        if more > 0 {
            let _ = writeln!(guards, "   … and {more} more");
        }
    }
    if !guards.is_empty() {
        sections.push(guards);
    }
    if plan.steps.is_empty() {
        sections.push(if plan.reports.is_empty() {
            "No changes: the account matches the YAML.\n".to_owned()
        } else {
            "No changes to make.\n".to_owned()
        });
    }
    sections.extend(changes(plan, paint));
    if !plan.reports.is_empty() {
        let mut block = paint.line(Tone::Heading, "# Left alone");
        for report in &plan.reports {
            let _ = writeln!(
                block,
                "  {}: {}",
                visible(&report.email),
                visible(&report.note)
            );
        }
        sections.push(block);
    }
    sections.push(format!("Plan: {}.\n", plan.totals()));
    sections.join("\n")
}

/// The steps about one person or object, in step order.
struct Block<'a> {
    /// As the first step spells it; the key it is sorted by is case-folded.
    name: &'a str,
    steps: Vec<usize>,
}

/// One section per part that has changes: a header per person or object, then its steps.
fn changes(plan: &Plan, paint: Paint) -> Vec<String> {
    // Keyed by the model's own keys (emails and names compared case-insensitively), so a
    // person's or object's steps meet in one block however each step spells the name, and
    // the order is the same on every run.
    let mut blocks: BTreeMap<(Part, String), Block<'_>> = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        let subject = describe::subject(&step.operation);
        blocks
            .entry(subject.key())
            .or_insert_with(|| Block {
                name: subject.name,
                steps: Vec::new(),
            })
            .steps
            .push(index);
    }
    let layout = Layout {
        number_width: format!("[{}]", plan.steps.len()).len(),
        paint,
    };
    let mut sections: Vec<String> = Vec::new();
    let mut current = None;
    for ((part, _), block) in &blocks {
        if current != Some(*part) {
            current = Some(*part);
            sections.push(paint.line(Tone::Heading, &format!("# {}", part.title())));
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        let operations = block
            .steps
            .iter()
            .map(|&index| &plan.steps[index].operation);
        let sign = describe::overall_sign(operations);
        // A user `sync` generated says where from, once, beside their name.
        let provenance = (*part == Part::Users)
            .then(|| plan.provenance.get(block.name))
            .flatten()
            .map_or_else(String::new, |from| {
                format!(
                    "  {}",
                    paint.text(Tone::Note, &format!("({})", visible(&from.to_string())))
                )
            });
        let _ = writeln!(
            section,
            "  {} {}{provenance}",
            paint.sign(sign),
            paint.text(Tone::Heading, &visible(block.name))
        );
        for &index in &block.steps {
            let step = &plan.steps[index];
            // The reason is said when the change alone doesn't explain itself.
            let reason = step.reason.to_string();
            let mut note = (!step.reason.is_routine()).then_some(reason.as_str());
            for entry in describe::entries(&step.operation) {
                layout.write(section, index + 1, &entry, note.take());
            }
        }
    }
    sections
}

/// Where a block's lines start and how wide their step numbers are.
struct Layout {
    /// The widest `[n]`, so every sign lines up whatever the step's number.
    number_width: usize,
    paint: Paint,
}

impl Layout {
    fn write(&self, out: &mut String, number: usize, entry: &Entry<'_>, note: Option<&str>) {
        let width = self.number_width;
        let prefix = format!("    {:<width$} ", format!("[{number}]"));
        let note = note.map_or_else(String::new, |note| {
            format!(
                "  {}",
                self.paint.text(Tone::Note, &format!("({})", visible(note)))
            )
        });
        match entry {
            Entry::Said { sign, pieces } => {
                let text = joined(pieces, |name| format!("`{name}`"));
                let _ = writeln!(
                    out,
                    "{prefix}{} {}{note}",
                    self.paint.sign(*sign),
                    visible(&text)
                );
            }
            Entry::Field {
                label,
                from,
                to,
                inline,
            } => {
                let label = visible(label);
                let _ = writeln!(
                    out,
                    "{prefix}{} {label}: {} → {}{note}",
                    self.paint.sign(Sign::Change),
                    visible(from.unwrap_or("(none)")),
                    visible(to.unwrap_or("(none)"))
                );
                if let (true, Some(from), Some(to)) = (inline, from, to)
                    && let Some(diff) = inline_diff(from, to, self.paint)
                {
                    // Under the values, so the eye drops from the arrow line to the diff.
                    let column = prefix.chars().count() + 2 + label.chars().count() + 2;
                    let _ = writeln!(out, "{:column$}{diff}", "");
                }
            }
        }
    }
}

/// The share of tokens two values must have in common for an inline diff to help; below it,
/// the markup is mostly brackets and the arrow line says it better.
const INLINE_DIFF_MIN_RATIO: f32 = 0.5;

/// Git's word-diff markup of `from` → `to`, or `None` when the values share too little.
///
/// Words when either value has whitespace (a job title, a two-part surname): a changed word
/// shows whole, which reads better than a scatter of letters. Characters for single tokens (a
/// first name, a setting's value), where a word diff could only say "all of it changed":
/// `Jon` → `John` is `Jo{+h+}n`.
fn inline_diff(from: &str, to: &str, paint: Paint) -> Option<String> {
    let diff = if from.contains(char::is_whitespace) || to.contains(char::is_whitespace) {
        TextDiff::from_words(from, to)
    } else {
        TextDiff::from_chars(from, to)
    };
    if diff.ratio() < INLINE_DIFF_MIN_RATIO {
        return None;
    }
    let mut out = String::new();
    // Runs of one tag, so a changed word is one `[-…-]` rather than one per character.
    let mut run: Option<(ChangeTag, String)> = None;
    for change in diff.iter_all_changes() {
        match &mut run {
            Some((tag, text)) if *tag == change.tag() => text.push_str(change.value()),
            _ => {
                if let Some((tag, text)) = run.take() {
                    marked(&mut out, tag, &text, paint);
                }
                run = Some((change.tag(), change.value().to_owned()));
            }
        }
    }
    if let Some((tag, text)) = run {
        marked(&mut out, tag, &text, paint);
    }
    Some(out)
}

/// One run of a diff, in git's word-diff markup.
fn marked(out: &mut String, tag: ChangeTag, text: &str, paint: Paint) {
    let text = visible(text);
    match tag {
        ChangeTag::Equal => out.push_str(&text),
        ChangeTag::Delete => out.push_str(&paint.text(Tone::Removed, &format!("[-{text}-]"))),
        ChangeTag::Insert => out.push_str(&paint.text(Tone::Added, &format!("{{+{text}+}}"))),
    }
}

/// What a piece of text means, for its colour.
#[derive(Clone, Copy, Debug)]
enum Tone {
    Added,
    Removed,
    Changed,
    /// Admin-capable grants and refused guards: what must not be missed.
    Alarm,
    Heading,
    /// Why a step is planned, when the change doesn't say it.
    Note,
}

impl Tone {
    fn style(self) -> Style {
        match self {
            Self::Added => Style::new().fg_color(Some(AnsiColor::Green.into())),
            Self::Removed => Style::new().fg_color(Some(AnsiColor::Red.into())),
            Self::Changed => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            Self::Alarm => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            Self::Heading => Style::new().bold(),
            Self::Note => Style::new().dimmed(),
        }
    }
}

/// Paints text when colour is on, and leaves it untouched when it is off.
#[derive(Clone, Copy, Debug)]
struct Paint {
    colour: bool,
}

impl Paint {
    fn text(self, tone: Tone, text: &str) -> String {
        if !self.colour || text.is_empty() {
            return text.to_owned();
        }
        let style = tone.style();
        format!("{}{text}{}", style.render(), style.render_reset())
    }

    /// A whole line, newline included; the newline stays outside the style so a pager that
    /// cuts lines never carries a colour over.
    fn line(self, tone: Tone, text: &str) -> String {
        format!("{}\n", self.text(tone, text))
    }

    fn sign(self, sign: Sign) -> String {
        match sign {
            Sign::Add => self.text(Tone::Added, "+"),
            Sign::Change => self.text(Tone::Changed, "~"),
            Sign::Remove => self.text(Tone::Removed, "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::fixtures::change_profile;
    use crate::plan::fixtures::join;
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::{Change, Operation, Reason};

    fn plan_of(operations: Vec<Operation>) -> Plan {
        Plan {
            summary: BTreeMap::new(),
            api_calls: 3,
            ..crate::plan::fixtures::plan(operations, &Reason::Noted(String::new()))
        }
    }

    fn update(email: &str, field: &str, from: Option<&str>, to: Option<&str>) -> Operation {
        Operation::UpdateUser {
            email: email.to_owned(),
            id: None,
            changes: vec![Change {
                field: field.to_owned(),
                from: from.map(str::to_owned),
                to: to.map(str::to_owned),
            }],
        }
    }

    /// The plan of one user update, as text without colour.
    fn update_text(email: &str, field: &str, from: Option<&str>, to: Option<&str>) -> String {
        text(&plan_of(vec![update(email, field, from, to)]), false)
    }

    /// The text with its ANSI escape sequences (`ESC [ … m`) taken out.
    fn without_escapes(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\x1b') {
            out.push_str(&rest[..at]);
            let end = rest[at..]
                .find('m')
                .expect("an escape sequence ends with `m`");
            rest = &rest[at + end + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn a_changed_job_title_shows_an_inline_word_diff_under_its_values() {
        let text = update_text(
            "ana@example.com",
            "job_title",
            Some("Sales Rep"),
            Some("Sales Manager"),
        );
        assert!(
            text.contains(
                "    [1] ~ job title: Sales Rep → Sales Manager\n                     Sales [-Rep-]{+Manager+}\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_single_word_value_is_diffed_by_characters() {
        let text = update_text("jon@example.com", "first_name", Some("Jon"), Some("John"));
        assert!(text.contains("~ first name: Jon → John\n"), "{text}");
        assert!(text.contains(" Jo{+h+}n\n"), "{text}");
    }

    #[test]
    fn values_with_little_in_common_show_no_inline_diff() {
        let text = update_text(
            "ben@example.com",
            "job_title",
            Some("Account Executive"),
            Some("Support Lead"),
        );
        assert!(
            text.contains("~ job title: Account Executive → Support Lead\n\n"),
            "{text}"
        );
        assert!(!text.contains("[-") && !text.contains("{+"), "{text}");
    }

    #[test]
    fn a_value_missing_before_shows_as_none() {
        let text = update_text("ana@example.com", "job_title", None, Some("Sales Rep"));
        assert!(
            text.contains("    [1] ~ job title: (none) → Sales Rep\n\n"),
            "{text}"
        );
        assert!(!text.contains("{+"), "no diff against nothing: {text}");
    }

    #[test]
    fn colour_off_writes_no_escape_byte() {
        let mut plan = plan_of(vec![
            update(
                "ana@example.com",
                "job_title",
                Some("Rep"),
                Some("Senior Rep"),
            ),
            join("ana@example.com", "Sales"),
            Operation::CloseUser {
                email: "ben@example.com".to_owned(),
                id: None,
            },
        ]);
        plan.escalations = vec!["ana@example.com joins `Administrators`".to_owned()];
        let text = text(&plan, false);
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn colour_on_wraps_additions_and_removals_in_ansi_styles_and_adds_nothing_else() {
        let plan = plan_of(vec![update(
            "ana@example.com",
            "job_title",
            Some("Account Executive"),
            Some("Senior Account Executive"),
        )]);
        let coloured = text(&plan, true);
        let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
        let added = format!("{}{{+Senior +}}{}", green.render(), green.render_reset());
        assert!(added.starts_with('\x1b'), "{added:?}");
        assert!(coloured.contains(&added), "{coloured:?}");
        assert_eq!(without_escapes(&coloured), text(&plan, false));

        let removal = plan_of(vec![update(
            "ana@example.com",
            "job_title",
            Some("Senior Account Executive"),
            Some("Account Executive"),
        )]);
        let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
        let removed = format!("{}[-Senior -]{}", red.render(), red.render_reset());
        assert!(text(&removal, true).contains(&removed), "{removal:?}");
    }

    #[test]
    fn a_persons_steps_meet_in_one_block_in_step_order() {
        // Phase order, as the planner sorts: the membership, then the user changes.
        let plan = plan_of(vec![
            join("ana@example.com", "Support"),
            join("ben@example.com", "Sales"),
            update("ana@example.com", "job_title", Some("Rep"), Some("Lead")),
            change_profile("ANA@example.com", "Sales Sender", "DocuSign Sender"),
        ]);
        let text = text(&plan, false);
        let expected = "\
# Users
  ~ ana@example.com
    [1] + join group `Support`
    [3] ~ job title: Rep → Lead
    [4] ~ profile: Sales Sender → DocuSign Sender
  ~ ben@example.com
    [2] + join group `Sales`
";
        assert!(text.starts_with(expected), "{text}");
    }

    #[test]
    fn users_come_first_then_groups_profiles_and_signing_groups() {
        let plan = plan_of(vec![
            Operation::RenameProfile {
                id: None,
                from: "Sales".to_owned(),
                to: "Sales Sender".to_owned(),
            },
            Operation::UpdateProfileSettings {
                profile: "Sales Sender".to_owned(),
                id: None,
                changes: vec![Change {
                    field: "allowBulkSending".to_owned(),
                    from: Some("false".to_owned()),
                    to: Some("true".to_owned()),
                }],
            },
            Operation::CreateGroup {
                name: "Legal".to_owned(),
                permission_profile: Some("Sales Sender".to_owned()),
            },
            Operation::CreateSigningGroup {
                name: "Countersign".to_owned(),
                email: None,
            },
            Operation::AddSigningGroupMember {
                signing_group: "Countersign".to_owned(),
                id: None,
                name: "Ana Lima".to_owned(),
                email: "ana@example.com".to_owned(),
            },
            Operation::DeleteProfile {
                name: "Old".to_owned(),
                id: None,
                move_users_to: "DocuSign Viewer".to_owned(),
            },
        ]);
        let text = text(&plan, false);
        let expected = "\
# Users
  ~ ana@example.com
    [5] + join signing group `Countersign`

# Groups
  + Legal
    [3] + create with profile `Sales Sender`

# Permission profiles
  - Old
    [6] - delete, moving any holders to `DocuSign Viewer`
  ~ Sales Sender
    [1] ~ name: Sales → Sales Sender
    [2] ~ allowBulkSending: false → true

# Signing groups
  + Countersign
    [4] + create

Plan: 6 changes in about 3 API calls.
";
        assert_eq!(text, expected);
    }

    #[test]
    fn step_numbers_are_padded_so_the_signs_line_up() {
        let operations = (0..10)
            .map(|n| join("ana@example.com", &format!("Team {n}")))
            .collect();
        let text = text(&plan_of(operations), false);
        assert!(text.contains("    [9]  + join group `Team 8`\n"), "{text}");
        assert!(text.contains("    [10] + join group `Team 9`\n"), "{text}");
    }

    #[test]
    fn the_same_plan_renders_byte_identical_every_time() {
        let mut operations: Vec<Operation> = (0..200)
            .map(|n| join(&format!("user{}@example.com", (n * 37) % 101), "Sales"))
            .collect();
        operations.push(update(
            "user5@example.com",
            "last_name",
            Some("Silva Santos"),
            Some("Silva"),
        ));
        let plan = plan_of(operations);
        for colour in [false, true] {
            assert_eq!(text(&plan, colour), text(&plan, colour));
        }
    }
}
