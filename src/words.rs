//! Counting things in English, one way for every output.

use std::fmt::Display;

/// `1 user`, `2 users`: the count and the noun, plural unless the count is one.
pub fn counted<N: Copy + PartialEq + From<u8> + Display>(count: N, noun: &str) -> String {
    if count == N::from(1) {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(super::counted(1_u64, "API call"), "1 API call");
        assert_eq!(super::counted(0_u64, "API call"), "0 API calls");
        assert_eq!(super::counted(14_usize, "user"), "14 users");
    }
}
