//! How long `validate` takes on a big account: reads, parses and checks a generated desired
//! state of 50,000 users spread over ten files, as `docusign-gitops validate DIR` would.
//!
//! Run with `cargo bench --bench validate`. Prints the minimum, median and maximum wall time
//! of `desired::load` over several runs after a warm-up; it asserts that the generated state
//! is valid (so the success path is what is measured) but makes no assertion about time.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use docusign_gitops::desired::{self, Level, Outcome, files, parse, validate};

const USERS: usize = 50_000;
const CUSTOM_PROFILES: usize = 20;
/// Groups with no permission profile; users join up to five of them.
const PLAIN_GROUPS: usize = 460;
/// Groups carrying a custom profile: only users holding that profile join them, so the
/// "profile differs from the group's" warning stays out of the measurement.
const PROFILE_GROUPS: usize = 40;
const SIGNING_GROUPS: usize = 50;
const MAX_SIGNING_GROUP_MEMBERS: usize = 50;
const DEPARTMENTS: [&str; 6] = [
    "engineering",
    "sales",
    "finance",
    "legal",
    "operations",
    "support",
];
const WARM_UPS: usize = 1;
const RUNS: usize = 7;

const FIRST_NAMES: &[&str] = &[
    "Ann", "Bob", "Carla", "Dmitri", "Émile", "Fatima", "Günther", "Hana", "Ines", "José", "Kwame",
    "Li", "Mónica", "Noah", "Olga", "Priya", "Quentin", "Rūta", "Søren", "Zoë",
];
const LAST_NAMES: &[&str] = &[
    "Lee",
    "O'Neil",
    "García",
    "Müller",
    "Nakamura",
    "Okafor",
    "Smith",
    "Dubois",
    "Kowalski",
    "Rossi",
    "Andersson",
    "Nguyen",
    "Silva",
    "Cohen",
    "Papadopoulos",
    "Ivanova",
    "Kim",
];
const JOB_TITLES: &[&str] = &[
    "Account Executive",
    "Paralegal",
    "Engineer",
    "Controller",
    "Support Specialist",
    "Recruiter",
];

/// A small deterministic generator (`SplitMix64`), so every run measures the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).expect("n fits in u64");
        usize::try_from(self.next() % n).expect("below n")
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn profile_name(index: usize) -> String {
    format!("Custom Profile {index:02}")
}

fn plain_group_name(index: usize) -> String {
    format!("Team {index:03}")
}

fn profile_group_name(index: usize) -> String {
    format!("Profile Group {index:02}")
}

fn user_email(index: usize) -> String {
    format!("user{index:05}@example.com")
}

/// A YAML double-quoted scalar (the generated text has no control characters).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The desired-state files: name → YAML text.
fn generate() -> Vec<(String, String)> {
    let mut rng = Rng(0x00d0_c051_9e00_0001);
    let mut files = Vec::new();

    files.push((
        "account.yaml".to_owned(),
        format!(
            "# The account these files manage.\n\
             account:\n  id: 0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5f\n  environment: production\n\
             defaults:\n  permission_profile: DocuSign Viewer\n\
             policy:\n  unmanaged_users: report\n  limits:\n    user_closures: 25\n    \
             membership_removals: \"5%\"\n    admin_grants: 3\n  protected_users:\n    \
             - {}\n    - {}\n",
            user_email(0),
            user_email(1)
        ),
    ));

    let mut text = String::from("permission_profiles:\n");
    for index in 0..CUSTOM_PROFILES {
        let _ = write!(
            text,
            "  - name: {}\n    settings:\n      allowBulkSending: {}\n      \
             allowedTemplateAccess: {}\n      powerFormRole: {}\n      \
             allowSendersToSetRecipientEmailLanguage: \"true\"\n",
            quoted(&profile_name(index)),
            index % 2 == 0,
            ["none", "use", "create", "share"][index % 4],
            ["none", "user", "admin"][index % 3],
        );
        if index % 5 == 0 {
            let _ = writeln!(
                text,
                "    previously: [{}]",
                quoted(&format!("Old Profile {index}"))
            );
        }
    }
    files.push(("permission_profiles.yaml".to_owned(), text));

    let mut text = String::from("groups:\n");
    for index in 0..PLAIN_GROUPS {
        let _ = writeln!(text, "  - name: {}", quoted(&plain_group_name(index)));
        if index % 50 == 0 {
            let _ = writeln!(
                text,
                "    previously: [{}]",
                quoted(&format!("Old Team {index}"))
            );
        }
    }
    for index in 0..PROFILE_GROUPS {
        let _ = write!(
            text,
            "  - name: {}\n    permission_profile: {}\n",
            quoted(&profile_group_name(index)),
            quoted(&profile_name(index % CUSTOM_PROFILES)),
        );
    }
    files.push(("groups.yaml".to_owned(), text));

    let mut text = String::from("signing_groups:\n");
    for index in 0..SIGNING_GROUPS {
        let _ = write!(
            text,
            "  - name: {}\n    email: signing-{index:02}@example.com\n    members:\n",
            quoted(&format!("Signing Group {index:02}"))
        );
        let members = 1 + rng.below(MAX_SIGNING_GROUP_MEMBERS);
        let first = rng.below(USERS - MAX_SIGNING_GROUP_MEMBERS);
        for member in first..first + members {
            let _ = write!(
                text,
                "      - name: {}\n        email: {}\n",
                quoted(&format!(
                    "{} {}",
                    rng.pick(FIRST_NAMES),
                    rng.pick(LAST_NAMES)
                )),
                user_email(member)
            );
        }
    }
    files.push(("signing_groups.yaml".to_owned(), text));

    let per_department = USERS.div_ceil(DEPARTMENTS.len());
    for (department, name) in DEPARTMENTS.iter().enumerate() {
        let mut text = format!("# Users of the {name} department.\nusers:\n");
        let start = department * per_department;
        for index in start..USERS.min(start + per_department) {
            write_user(&mut text, index, &mut rng);
        }
        files.push((format!("users/{name}.yaml"), text));
    }
    files
}

fn write_user(text: &mut String, index: usize, rng: &mut Rng) {
    let _ = write!(
        text,
        "  - email: {}\n    first_name: {}\n    last_name: {}\n",
        user_email(index),
        quoted(rng.pick(FIRST_NAMES)),
        quoted(rng.pick(LAST_NAMES)),
    );
    if rng.chance(40) {
        let _ = writeln!(text, "    job_title: {}", quoted(rng.pick(JOB_TITLES)));
    }
    // Most users hold the default profile; some a custom or another built-in one.
    let roll = rng.below(100);
    let custom = (roll < 20).then(|| rng.below(CUSTOM_PROFILES));
    if let Some(profile) = custom {
        let _ = writeln!(
            text,
            "    permission_profile: {}",
            quoted(&profile_name(profile))
        );
    } else if roll < 35 {
        text.push_str("    permission_profile: DocuSign Sender\n");
    } else if roll < 36 {
        text.push_str("    permission_profile: Account Administrator\n");
    }
    let mut groups: Vec<String> = Vec::new();
    for _ in 0..rng.below(6) {
        let group = plain_group_name(rng.below(PLAIN_GROUPS));
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    if let Some(profile) = custom.filter(|_| rng.chance(50)) {
        groups.push(profile_group_name(profile));
    }
    if !groups.is_empty() {
        text.push_str("    groups:\n");
        for group in &groups {
            let _ = writeln!(text, "      - {}", quoted(group));
        }
    }
    if rng.chance(1) {
        text.push_str("    status: closed\n");
    }
}

fn write_files(dir: &Path, files: &[(String, String)]) -> usize {
    let mut bytes = 0;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("files are in a directory"))
            .expect("create the benchmark directory");
        std::fs::write(&path, text).expect("write a benchmark file");
        bytes += text.len();
    }
    bytes
}

/// Fails the benchmark loudly unless the generated state validated cleanly.
fn assert_valid(outcome: &Outcome) -> usize {
    let errors: Vec<String> = outcome
        .problems
        .iter()
        .filter(|problem| problem.level() == Level::Error)
        .take(5)
        .map(|problem| format!("{}: {}", problem.code(), problem.message()))
        .collect();
    assert!(
        errors.is_empty(),
        "the generated desired state must be valid, so that the success path is measured; \
         first errors: {errors:#?}"
    );
    let desired = outcome
        .desired
        .as_ref()
        .expect("a desired state without errors");
    assert_eq!(
        desired.state.users.len(),
        USERS,
        "every generated user is loaded"
    );
    desired.state.users.len()
}

/// One more load, timed stage by stage with the loader's own parts, to show where time goes.
fn breakdown(dir: &Path) -> (Duration, Duration, Duration) {
    let start = Instant::now();
    let sources: Vec<_> = files::find(dir)
        .expect("the benchmark directory has files")
        .files
        .iter()
        .map(|path| files::read(path).expect("a readable file"))
        .collect();
    let read = start.elapsed();
    let start = Instant::now();
    let parsed: Vec<_> = sources
        .into_iter()
        .map(|file| {
            let document = parse::parse(&file).expect("a file that parses");
            (file, document)
        })
        .collect();
    let parsing = start.elapsed();
    let start = Instant::now();
    let outcome = validate::validate(&parsed, true);
    let checking = start.elapsed();
    assert_valid(&outcome);
    (read, parsing, checking)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::TempDir::new().expect("a temporary directory");
    let files = generate();
    let bytes = write_files(dir.path(), &files);
    println!(
        "desired state: {} files, {bytes} bytes ({:.1} MiB), in {}",
        files.len(),
        f64::from(u32::try_from(bytes).unwrap_or(u32::MAX)) / (1024.0 * 1024.0),
        dir.path().display()
    );

    let mut users = 0;
    let mut warnings = 0;
    for _ in 0..WARM_UPS {
        let outcome = desired::load(dir.path());
        users = assert_valid(&outcome);
        warnings = outcome.problems.len();
        assert_eq!(outcome.files, files.len(), "every generated file is read");
    }
    println!(
        "{users} users, {CUSTOM_PROFILES} custom profiles, {} groups, {SIGNING_GROUPS} signing groups; {warnings} warnings",
        PLAIN_GROUPS + PROFILE_GROUPS
    );

    let mut times = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let start = Instant::now();
        let outcome = desired::load(dir.path());
        let elapsed = start.elapsed();
        assert_valid(&outcome);
        drop(outcome);
        println!("run {run}: {:.1} ms", millis(elapsed));
        times.push(elapsed);
    }
    let (read, parsing, checking) = breakdown(dir.path());
    println!(
        "one more run by stage: find+read {:.1} ms, parse {:.1} ms, validate {:.1} ms",
        millis(read),
        millis(parsing),
        millis(checking)
    );
    times.sort();
    let (min, median, max) = (times[0], times[RUNS / 2], times[RUNS - 1]);
    println!(
        "load+validate {users} users: median {:.0} ms (min {:.0} ms, max {:.0} ms) over {RUNS} runs",
        millis(median),
        millis(min),
        millis(max)
    );
}
