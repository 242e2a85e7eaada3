//! "Did you mean …?": the closest known word to a misspelt one.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let similarity =
                strsim::normalized_damerau_levenshtein(&word, &candidate.to_lowercase());
            (similarity, candidate)
        })
        .filter(|(similarity, _)| *similarity >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// A help line for a misspelt key or value: the suggestion if there is one, else the list of
/// valid words (keys and values come from short, fixed lists).
pub fn did_you_mean(word: &str, candidates: &[&str], what: &str) -> String {
    match closest(word, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("valid {what}s: {}", backticked(candidates)),
    }
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
}
