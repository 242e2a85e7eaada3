//! What the benchmarks say about the machine they ran on, and where they write their tables.

use super::child::as_f64;

/// The CPU as `/proc/cpuinfo` names it.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The machine's memory.
pub fn memory_gb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0.0, |kb| as_f64(kb) / 1024.0 / 1024.0)
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The compiler's version, as `rustc --version` says.
pub fn rustc_version() -> String {
    std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .arg("--version")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|version| !version.is_empty())
        .unwrap_or_else(|| "rustc (unknown)".to_owned())
}

/// Writes the table under the target directory.
pub fn write_out(name: &str, out: &str) {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join(name);
    match std::fs::write(&target, out) {
        Ok(()) => eprintln!("written to {}", target.display()),
        Err(err) => eprintln!("can't write {}: {err}", target.display()),
    }
}

/// Prints the tables and writes them under the target directory; then fails the run if
/// anything in `failed` (each `what`) went wrong, so the tables are out either way.
pub fn finish(name: &str, out: &str, failed: &[String], what: &str) {
    print!("\n{out}");
    write_out(name, out);
    assert!(failed.is_empty(), "{} {what}: {failed:#?}", failed.len());
}
