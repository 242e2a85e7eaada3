//! List shapes the emulator doesn't produce, from a tiny server on loopback: a list without
//! `totalSetSize` is read whole, a server whose pages don't advance is an error and not a
//! hang, and pages that hold fewer items than `totalSetSize` promised are an error, never a
//! short list.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::snapshot::user_usage;
use docusign_gitops::docusign::{Client, ClientError, ClientSettings, Secret};
use serde_json::{Value, json};

/// How the server pages its users.
#[derive(Clone, Copy, Debug)]
struct Shape {
    /// Users the list really holds.
    users: usize,
    /// Most users a page holds, whatever `count` asks.
    cap: usize,
    /// What `totalSetSize` says, or nothing.
    total: Option<usize>,
    /// Whether pages carry `startPosition` and `endPosition`.
    positions: bool,
    /// Every page answers the first page's users, wherever it is asked to start.
    stuck: bool,
}

struct Server {
    shape: Shape,
    calls: AtomicU64,
}

async fn users(
    State(server): State<Arc<Server>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    server.calls.fetch_add(1, Ordering::SeqCst);
    let shape = server.shape;
    let number = |name: &str| query.get(name).and_then(|text| text.parse::<usize>().ok());
    let asked = if shape.stuck {
        0
    } else {
        number("start_position").unwrap_or(0)
    };
    let count = number("count").unwrap_or(20).min(shape.cap);
    let start = asked.min(shape.users);
    let end = (asked + count).min(shape.users);
    let records: Vec<Value> = (start..end)
        .map(|n| json!({"userId": format!("user-{n}"), "email": format!("u{n}@example.com")}))
        .collect();
    let mut page = json!({"resultSetSize": records.len().to_string()});
    if !records.is_empty() {
        page["users"] = json!(records);
    }
    if let Some(total) = shape.total {
        page["totalSetSize"] = json!(total.to_string());
    }
    if shape.positions {
        page["startPosition"] = json!(start.to_string());
        if end > start {
            page["endPosition"] = json!((end - 1).to_string());
        }
    }
    Json(page)
}

/// Reads every user of a server of `shape`: the user IDs in order, or the error, and the calls.
async fn read_users(shape: Shape) -> (Result<Vec<String>, ClientError>, u64) {
    let server = Arc::new(Server {
        shape,
        calls: AtomicU64::new(0),
    });
    let app = axum::Router::new()
        .route(
            "/restapi/v2.1/accounts/{account}/users",
            axum::routing::get(users),
        )
        .with_state(Arc::clone(&server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let serving = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &url,
        Credentials::AccessToken(Secret::new("paging-test-token")),
    ));
    let settings = ClientSettings {
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        max_attempts: 2,
        ..ClientSettings::default()
    };
    let client = Arc::new(Client::new(
        http,
        &format!("{url}/restapi/v2.1/accounts/a"),
        auth,
        settings,
    ));
    let read = tokio::time::timeout(Duration::from_secs(60), user_usage(&client))
        .await
        .unwrap_or_else(|_| panic!("{shape:?}: the read did not end"));
    serving.abort();
    let ids = read.map(|(usage, _)| usage.into_iter().map(|user| user.user_id).collect());
    (ids, server.calls.load(Ordering::SeqCst))
}

fn ids(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("user-{n}")).collect()
}

const WHOLE: Shape = Shape {
    users: 250,
    cap: 100,
    total: Some(250),
    positions: true,
    stuck: false,
};

#[tokio::test]
async fn full_pages_take_the_minimum_calls() {
    let (read, calls) = read_users(WHOLE).await;
    assert_eq!(read.expect("the users"), ids(250));
    assert_eq!(calls, 3);
}

/// Short pages before the end, with and without their positions: every user, in order, each
/// stretch of 100 read in pages of the cap.
#[tokio::test]
async fn short_pages_are_made_up_with_or_without_positions() {
    for positions in [true, false] {
        let shape = Shape {
            cap: 30,
            positions,
            ..WHOLE
        };
        let (read, calls) = read_users(shape).await;
        assert_eq!(read.expect("the users"), ids(250), "{shape:?}");
        // 100 = 30 + 30 + 30 + 10, twice, and 50 = 30 + 20.
        assert_eq!(calls, 4 + 4 + 2, "{shape:?}");
    }
}

/// Without `totalSetSize` the list is followed from each page's end until a page comes back
/// empty, with or without `endPosition`, in full pages and short ones.
#[tokio::test]
async fn a_list_without_its_size_is_read_whole() {
    for (cap, positions) in [(100, true), (30, true), (30, false), (7, false)] {
        let shape = Shape {
            cap,
            total: None,
            positions,
            ..WHOLE
        };
        let (read, calls) = read_users(shape).await;
        assert_eq!(read.expect("the users"), ids(250), "{shape:?}");
        // Every page of the cap, then the empty one that ends the list.
        assert_eq!(calls, 250u64.div_ceil(cap as u64) + 1, "{shape:?}");
    }
}

/// A server that answers the first page (and says so by its positions) wherever it is asked
/// to start: an error naming the list, whether the read follows pages one by one, fills the
/// gaps of short ones or reads the pages of 100 after the first.
#[tokio::test]
async fn pages_that_do_not_advance_are_an_error_not_a_loop() {
    for (cap, total) in [(10, None), (10, Some(250)), (100, Some(250))] {
        let shape = Shape {
            cap,
            total,
            stuck: true,
            ..WHOLE
        };
        let (read, calls) = read_users(shape).await;
        let err = read.expect_err("a stuck server is an error");
        let said = err.to_string();
        assert!(
            matches!(err, ClientError::InconsistentList { .. }),
            "{shape:?}: {said}"
        );
        assert!(said.contains("GET /users?additional_info=true"), "{said}");
        assert!(said.contains("would not advance"), "{shape:?}: {said}");
        assert!(calls <= 10, "{shape:?}: {calls} calls");
    }
}

/// `totalSetSize` promises more users than the pages hold (the list shrank while it was read,
/// or the count is wrong): an error that says run again, never the short list.
#[tokio::test]
async fn fewer_users_than_the_list_said_is_an_error() {
    for cap in [100, 30] {
        let shape = Shape {
            users: 180,
            cap,
            ..WHOLE
        };
        let (read, _) = read_users(shape).await;
        let err = read.expect_err("a short list is an error");
        let said = err.to_string();
        assert!(
            said.contains("250 items") && said.contains("held 180"),
            "{shape:?}: {said}"
        );
        let help = miette::Diagnostic::help(&err).map(|help| help.to_string());
        assert!(
            help.is_some_and(|help| help.contains("run again")),
            "{shape:?}"
        );
    }
}
