//! How fast the in-process emulator serves 100-user pages with latency off, to back the claim
//! that it is never the bottleneck of a test: DocuSign itself allows 500 calls per 30 seconds.
//!
//! Run with `cargo bench --bench emulator`. Builds an account of 10,000 active users (DocuSign
//! Sender, most in one or two custom groups so `groupList` has content), starts the emulator on
//! a free loopback port with the rate limits lifted, and walks every page of
//! `GET /users?count=100&additional_info=true` and `GET /groups/{Everyone}/users?count=100`,
//! first with one client page after page, then with eight clients at once. Prints pages and
//! users per second and the latency per page. It asserts that every answer is a 200 with 100
//! users (so the success path is what is measured) but makes no assertion about time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use docusign_gitops::emulator::account::{Account, Group, GroupKind, User, UserStatus};
use docusign_gitops::emulator::{self, Config, Running};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

const ACCOUNT_ID: &str = "5b7e2d94-3c1a-4f08-9e6d-2a4c8b0f7e13";
const ADMIN_ID: &str = "0d9b1c2e-0000-4000-8000-00000000a001";
const TOKEN: &str = "emulator-bench-token";
const STAMP: &str = "2026-01-05T09:00:00.0000000Z";

/// Users in the account, the administrator included: exactly [`PAGES`] full pages.
const USERS: usize = 10_000;
const PAGE_SIZE: usize = 100;
const PAGES: usize = USERS / PAGE_SIZE;
const CUSTOM_GROUPS: [&str; 4] = ["Sales", "Legal", "Finance", "Engineering"];
/// Rounds of all [`PAGES`] pages for the one sequential client, after one warm-up round.
const SEQUENTIAL_ROUNDS: usize = 20;
const CLIENTS: usize = 8;
/// Rounds of all [`PAGES`] pages for each of the [`CLIENTS`] concurrent clients.
const CONCURRENT_ROUNDS: usize = 5;

/// The part of a list answer the benchmark checks; the users themselves are read but not kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageBody {
    result_set_size: String,
    #[serde(default)]
    users: Vec<IgnoredAny>,
}

/// One of the two listings measured.
#[derive(Clone)]
struct Endpoint {
    label: &'static str,
    /// The path after `/accounts/{id}`.
    path: String,
    /// Query parameters after `count` and `start_position`.
    extra_query: &'static str,
}

/// What one phase measured.
struct Figures {
    pages: usize,
    bytes: usize,
    elapsed: Duration,
    /// Per page, sorted.
    latencies: Vec<Duration>,
}

impl Figures {
    fn new(bytes: usize, elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Self {
            pages: latencies.len(),
            bytes,
            elapsed,
            latencies,
        }
    }

    fn pages_per_second(&self) -> f64 {
        count(self.pages) / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, percent: usize) -> Duration {
        let index = (self.latencies.len() * percent / 100).min(self.latencies.len() - 1);
        self.latencies[index]
    }

    fn median(&self) -> Duration {
        self.percentile(50)
    }
}

fn count(n: usize) -> f64 {
    f64::from(u32::try_from(n).expect("counts fit in u32"))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn user(n: usize, id: &str, name: &str, profile_id: u64) -> User {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    User {
        id: id.to_owned(),
        user_name: name.to_owned(),
        email: if n == 0 {
            "admin@example.com".to_owned()
        } else {
            format!("user{n:05}@example.com")
        },
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        job_title: if n.is_multiple_of(3) {
            "Account Executive".to_owned()
        } else {
            String::new()
        },
        status: UserStatus::Active,
        profile_id,
        created: STAMP.to_owned(),
        modified: STAMP.to_owned(),
        added: None,
        last_login: None,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

/// The administrator (Account Administrator, in Administrators) and 9,999 active users on
/// DocuSign Sender; user `n` is in custom group `n % 4`, and every third also in the next one.
/// One custom group carries a permission profile, so some `groupList` entries name one.
fn account() -> Account {
    let mut account = Account::new(ACCOUNT_ID, "Benchmark Account", STAMP);
    let admin_profile = account
        .profile_named("Account Administrator")
        .expect("built-in")
        .id;
    let sender = account
        .profile_named("DocuSign Sender")
        .expect("built-in")
        .id;
    account.push_user(user(0, ADMIN_ID, "Ada Admin", admin_profile));
    let admins = account.group_named("Administrators").expect("built-in").id;
    account
        .groups
        .get_mut(&admins)
        .expect("group")
        .members
        .insert(ADMIN_ID.to_owned());
    let groups: Vec<u64> = CUSTOM_GROUPS
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let id = account.take_id();
            account.groups.insert(
                id,
                Group {
                    id,
                    name: (*name).to_owned(),
                    kind: GroupKind::Custom,
                    profile_id: (index == 0).then_some(sender),
                    members: std::collections::BTreeSet::new(),
                },
            );
            id
        })
        .collect();
    for n in 1..USERS {
        let id = format!("0d9b1c2e-0000-4000-8000-{n:012}");
        account.push_user(user(n, &id, &format!("User {n}"), sender));
        let mut join = |group: usize| {
            account
                .groups
                .get_mut(&groups[group % groups.len()])
                .expect("group")
                .members
                .insert(id.clone());
        };
        join(n);
        if n.is_multiple_of(3) {
            join(n + 1);
        }
    }
    account
}

async fn start() -> Running {
    let mut config = Config {
        hourly_limit: u32::MAX,
        burst_limit: u32::MAX,
        ..Config::default()
    };
    assert!(
        config.latency.is_zero() && config.jitter.is_zero() && config.fault_rate == 0.0,
        "the default emulator must have no latency, jitter or faults for this benchmark"
    );
    config
        .credentials
        .static_tokens
        .push((TOKEN.to_owned(), ADMIN_ID.to_owned()));
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    emulator::start(config, vec![account()], addr)
        .await
        .expect("start the emulator")
}

fn page_url(base: &str, endpoint: &Endpoint, page: usize) -> String {
    format!(
        "{base}{}?count={PAGE_SIZE}&start_position={}{}",
        endpoint.path,
        page * PAGE_SIZE,
        endpoint.extra_query
    )
}

/// Fetches one page and checks it is a full one; returns its size in bytes.
async fn fetch(client: &reqwest::Client, url: &str) -> usize {
    let response = client
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|err| panic!("GET {url}: the emulator didn't answer: {err}"));
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|err| panic!("GET {url}: the body didn't arrive whole: {err}"));
    assert_eq!(
        status,
        StatusCode::OK,
        "GET {url} must answer 200 so that the success path is measured; body: {}",
        String::from_utf8_lossy(&bytes)
    );
    let body: PageBody = serde_json::from_slice(&bytes)
        .unwrap_or_else(|err| panic!("GET {url}: not a list answer: {err}"));
    assert!(
        body.users.len() == PAGE_SIZE && body.result_set_size == PAGE_SIZE.to_string(),
        "GET {url} must return {PAGE_SIZE} users, got {} (resultSetSize {})",
        body.users.len(),
        body.result_set_size
    );
    bytes.len()
}

/// Walks every page `rounds` times with one client, one page after another.
async fn walk(
    client: &reqwest::Client,
    base: &str,
    endpoint: &Endpoint,
    rounds: usize,
    first_page: usize,
) -> (usize, Vec<Duration>) {
    let mut bytes = 0;
    let mut latencies = Vec::with_capacity(rounds * PAGES);
    for _ in 0..rounds {
        for page in 0..PAGES {
            let url = page_url(base, endpoint, (first_page + page) % PAGES);
            let start = Instant::now();
            bytes += fetch(client, &url).await;
            latencies.push(start.elapsed());
        }
    }
    (bytes, latencies)
}

async fn sequential(base: &str, endpoint: &Endpoint) -> Figures {
    let client = reqwest::Client::new();
    walk(&client, base, endpoint, 1, 0).await; // warm-up: connection, caches
    let start = Instant::now();
    let (bytes, latencies) = walk(&client, base, endpoint, SEQUENTIAL_ROUNDS, 0).await;
    Figures::new(bytes, start.elapsed(), latencies)
}

async fn concurrent(base: &str, endpoint: &Endpoint) -> Figures {
    let clients: Vec<reqwest::Client> = (0..CLIENTS).map(|_| reqwest::Client::new()).collect();
    // Warm-up: every client opens its connection.
    for client in &clients {
        fetch(client, &page_url(base, endpoint, 0)).await;
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(index, client)| {
            let base = base.to_owned();
            let endpoint = endpoint.clone();
            // Each client starts elsewhere in the list, as independent readers would.
            let first_page = index * PAGES / CLIENTS;
            tokio::spawn(async move {
                walk(&client, &base, &endpoint, CONCURRENT_ROUNDS, first_page).await
            })
        })
        .collect();
    let mut bytes = 0;
    let mut latencies = Vec::with_capacity(CLIENTS * CONCURRENT_ROUNDS * PAGES);
    for task in tasks {
        let (task_bytes, task_latencies) = task.await.expect("a client task panicked");
        bytes += task_bytes;
        latencies.extend(task_latencies);
    }
    Figures::new(bytes, start.elapsed(), latencies)
}

fn report(label: &str, mode: &str, figures: &Figures) {
    let pages_per_second = figures.pages_per_second();
    println!(
        "{label}, {mode}: {} pages in {:.2} s: {pages_per_second:.0} pages/s ({:.0} users/s, {:.1} MiB/s); \
         per page median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} KiB/page",
        figures.pages,
        figures.elapsed.as_secs_f64(),
        pages_per_second * count(PAGE_SIZE),
        count(figures.bytes) / figures.elapsed.as_secs_f64() / (1024.0 * 1024.0),
        millis(figures.median()),
        millis(figures.percentile(90)),
        millis(figures.percentile(99)),
        millis(figures.latencies.last().copied().unwrap_or_default()),
        count(figures.bytes) / count(figures.pages) / 1024.0,
    );
}

/// Checks once, outside the timed loops, that user records do carry a `groupList` with custom
/// groups in it, so the measured pages are the full ones.
async fn check_group_list(base: &str) {
    let url = format!("{base}/users?count=5&start_position=3&additional_info=true");
    let body: Value = reqwest::Client::new()
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("a JSON body");
    let custom = body["users"][0]["groupList"]
        .as_array()
        .map_or(0, |groups| {
            groups
                .iter()
                .filter(|group| group["groupType"] == "CustomGroup")
                .count()
        });
    assert!(
        custom >= 2,
        "user records must list their custom groups in `groupList`; got {body:#}"
    );
}

async fn run() {
    let running = start().await;
    let base = format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}", running.url);
    let everyone = running
        .shared
        .slot(ACCOUNT_ID)
        .expect("the account is served")
        .account
        .everyone_id();
    check_group_list(&base).await;
    println!(
        "emulator at {}: {USERS} active users, {} custom groups; latency off, rate limits lifted; \
         nproc {} (= tokio worker threads); {CLIENTS} concurrent clients",
        running.url,
        CUSTOM_GROUPS.len(),
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    );

    let endpoints = [
        Endpoint {
            label: "GET /users?additional_info=true",
            path: "/users".to_owned(),
            extra_query: "&additional_info=true",
        },
        Endpoint {
            label: "GET /groups/{Everyone}/users",
            path: format!("/groups/{everyone}/users"),
            extra_query: "",
        },
    ];
    let mut results = Vec::new();
    for endpoint in &endpoints {
        let one = sequential(&base, endpoint).await;
        report(endpoint.label, "1 client", &one);
        let many = concurrent(&base, endpoint).await;
        report(endpoint.label, &format!("{CLIENTS} clients"), &many);
        results.push((one, many));
    }

    let stats = running.shared.stats();
    assert_eq!(
        stats.rate_limit_rejections, 0,
        "no call may be refused by the rate limits"
    );
    assert_eq!(
        stats.invariant_breaches, 0,
        "the emulator reported an invariant breach"
    );
    // Per endpoint: a warm-up round, the measured rounds, one warm-up page per concurrent
    // client and their rounds; plus the one `groupList` check.
    let per_endpoint = PAGES * (1 + SEQUENTIAL_ROUNDS) + CLIENTS * (1 + CONCURRENT_ROUNDS * PAGES);
    assert_eq!(
        stats.total_calls,
        u64::try_from(1 + endpoints.len() * per_endpoint).expect("fits"),
        "the emulator must have served exactly the calls the benchmark made"
    );
    println!(
        "the emulator counted {} calls, {} refused",
        stats.total_calls, stats.rate_limit_rejections
    );
    let [(users_one, users_many), (everyone_one, everyone_many)] = &results[..] else {
        unreachable!("two endpoints");
    };
    // DocuSign's own burst cap: 500 calls per 30 seconds.
    let docusign = 500.0 / 30.0;
    println!(
        "DocuSign's burst cap is 500 calls/30 s = {docusign:.1} calls/s: the emulator serves \
         user pages {:.0}x that sequentially, {:.0}x with {CLIENTS} clients",
        users_one.pages_per_second() / docusign,
        users_many.pages_per_second() / docusign,
    );
    println!(
        "emulator: {:.0} pages/s ({:.0} users/s) sequential, {:.0} pages/s with {CLIENTS} clients; \
         median page {:.2} ms (Everyone members: {:.0} pages/s sequential, {:.0} with {CLIENTS} \
         clients; median page {:.2} ms)",
        users_one.pages_per_second(),
        users_one.pages_per_second() * count(PAGE_SIZE),
        users_many.pages_per_second(),
        millis(users_one.median()),
        everyone_one.pages_per_second(),
        everyone_many.pages_per_second(),
        millis(everyone_one.median()),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}
