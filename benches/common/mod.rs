//! What the benchmarks share: the synthetic accounts (served by the emulator, or built as the
//! planner's inputs), the synthetic company `sync` reads (`directory`), the fewest calls the
//! API allows for each piece of work, the apply scenarios, the floors DocuSign's burst cap
//! sets, measuring in fresh processes through `/proc`, a workspace of several accounts run
//! through the release binary (`workspace`), and the seats benchmark's account with its users'
//! dates and envelopes (`seats`). Each benchmark uses part of it, and `tests/bench_checks.rs`
//! runs the correctness checks on a small account.

pub mod calls;
pub mod child;
pub mod directory;
pub mod emulated;
pub mod floor;
pub mod machine;
pub mod planning;
pub mod procfs;
pub mod scenarios;
pub mod seats;
pub mod workspace;

/// `n` with a comma between each group of three digits, as the tables show counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
