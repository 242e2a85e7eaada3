//! "Did you mean …?": the closest known word to a misspelt one.

/// How alike two words must be (0 to 1, letter case aside) to be taken for a typo.
const TYPO_SIMILARITY: f64 = 0.6;

/// Prefixes that turn a word into its opposite: "inactive", "unpublished", "non-production",
/// "deactivated", "disabled".
const NEGATIONS: [&str; 6] = ["non", "not", "un", "in", "de", "dis"];

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (similarity(word, candidate), candidate))
        .filter(|(similarity, _)| *similarity >= TYPO_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

fn similarity(word: &str, candidate: &str) -> f64 {
    strsim::normalized_damerau_levenshtein(&word.to_lowercase(), &candidate.to_lowercase())
}

/// A help line for a misspelt key or value: the suggestion if there is one, else the list of
/// valid words (keys and values come from short, fixed lists).
pub fn did_you_mean(word: &str, candidates: &[&str], what: &str) -> String {
    if let [first, second] = candidates
        && negates_either(word, first, second)
    {
        return format!("did you mean `{first}` or `{second}`?");
    }
    match closest(word, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("valid {what}s: {}", backticked(candidates)),
    }
}

/// Whether `word` reads as the opposite of one of a pair of values, like "inactive" for
/// `active` or `closed`: the writer meant the other value, or misspelt this one, and only
/// they know which, so both are suggested. The word without its prefix must be closer to the
/// value than the whole word is, so a plain typo ("deemo" for `demo`) stays a typo.
fn negates_either(word: &str, first: &str, second: &str) -> bool {
    let lower = word.to_lowercase();
    NEGATIONS.iter().any(|prefix| {
        let Some(rest) = lower.strip_prefix(prefix) else {
            return false;
        };
        let rest = rest.trim_start_matches(['-', '_', ' ']);
        [first, second].into_iter().any(|value| {
            let negated = similarity(rest, value);
            negated >= TYPO_SIMILARITY && negated > similarity(&lower, value)
        })
    })
}

/// The help for a reference to something undeclared: the likely typo, else where to declare it
/// and (when short) what could be referred to instead.
pub fn unknown_reference_help(word: &str, candidates: &[&str], section: &str) -> String {
    match closest(word, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? If not, declare it under `{section}`"),
        None if candidates.is_empty() || candidates.len() > 12 => {
            format!("declare it under `{section}`")
        }
        None => format!(
            "declare it under `{section}`, or use one of {}",
            backticked(candidates)
        ),
    }
}

/// `a`, `b`, `c`
pub fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_transposed_letters() {
        let keys = ["email", "first_name", "last_name", "job_title"];
        assert_eq!(closest("frist_name", keys), Some("first_name"));
        assert_eq!(closest("Salse", ["Sales", "Legal"]), Some("Sales"));
    }

    #[test]
    fn suggests_nothing_for_unrelated_words() {
        assert_eq!(closest("zzz", ["email", "groups"]), None);
    }

    #[test]
    fn the_opposite_of_one_of_two_values_suggests_both() {
        let status = ["active", "closed"];
        for word in [
            "inactive",
            "Inactive",
            "in-active",
            "deactivated",
            "unclosed",
        ] {
            assert_eq!(
                did_you_mean(word, &status, "value"),
                "did you mean `active` or `closed`?",
                "{word}"
            );
        }
        assert_eq!(
            did_you_mean("non-production", &["demo", "production"], "value"),
            "did you mean `demo` or `production`?"
        );
    }

    #[test]
    fn a_typo_that_starts_like_a_negation_stays_a_typo() {
        assert_eq!(
            did_you_mean("deemo", &["demo", "production"], "value"),
            "did you mean `demo`?"
        );
        assert_eq!(
            did_you_mean("close", &["active", "closed"], "value"),
            "did you mean `closed`?"
        );
        // With more than two values there is no one opposite to offer.
        assert_eq!(
            did_you_mean("unreport", &["ignore", "report", "reset", "close"], "value"),
            "did you mean `report`?"
        );
    }
}
