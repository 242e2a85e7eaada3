//! What the benchmarks share: the synthetic accounts (served by the emulator, or built as the
//! planner's inputs), the floors DocuSign's burst cap sets, and measuring in fresh processes
//! through `/proc`. Each benchmark uses part of it.

pub mod child;
pub mod emulated;
pub mod floor;
pub mod planning;
pub mod procfs;
