//! The one way the commands write to stdout and stderr.
//!
//! `println!` panics when the reader has gone (`docusign-gitops apply | head -1`), and a panic
//! after DocuSign has been changed would lose the record of what was done. Here a write that
//! fails is dropped: the reader of a pipe has gone, or the terminal has; either way the work
//! goes on, and the exit code still says how it went.

use std::fmt::Arguments;
use std::io::Write as _;

/// Writes to stdout, dropping what can't be written.
pub fn stdout(text: Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_fmt(text);
    let _ = stdout.flush();
}

/// Writes to stderr, dropping what can't be written.
pub fn stderr(text: Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// `print!`, without the panic on a closed stdout.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::stdout(format_args!($($arg)*))
    };
}

/// `println!`, without the panic on a closed stdout.
macro_rules! outln {
    () => {
        $crate::cli::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!`, without the panic on a closed stderr.
macro_rules! errout {
    ($($arg:tt)*) => {
        $crate::cli::out::stderr(format_args!($($arg)*))
    };
}

/// `eprintln!`, without the panic on a closed stderr.
macro_rules! errln {
    () => {
        $crate::cli::out::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}
