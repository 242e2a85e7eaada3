//! Asking the operator before the account is changed.

use std::io::{BufRead as _, IsTerminal as _};

use super::error::CliError;

/// Asks on a terminal (`ask` prints the question) and answers whether the operator typed `yes`.
/// Anywhere else nobody can answer, and `unasked` is the error.
pub fn agreed(ask: impl FnOnce(), unasked: CliError) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(unasked);
    }
    ask();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|err| CliError::Answer {
            reason: err.to_string(),
        })?;
    Ok(answer.trim() == "yes")
}
