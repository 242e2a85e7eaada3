//! An emulator served on a runtime of the test's own, so it keeps answering while the test waits
//! for the binary; a recording proxy that can stand in front of it; and the binary connected to
//! it through the environment alone, as a user would run it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::Response;
use docusign_gitops::docusign::{Client, Retry};
use docusign_gitops::emulator::seed::Seeded;
use docusign_gitops::emulator::{Config, Running, Stats};

use crate::apply_support::{client_for, emulated, quick_settings, seeded, write_count};
/// The account every seed here describes (the seed format's default).
pub use crate::emulator_support::ACCOUNT_ID;
use crate::harness::Cli;

/// An emulator on a free loopback port, accepting [`TOKEN`] for the seed's integration user.
pub struct Served {
    // Dropped before the runtime: stopping the server needs no runtime.
    pub running: Running,
    runtime: tokio::runtime::Runtime,
}

impl Served {
    pub fn start(config: Config, seeded: Seeded) -> Self {
        Self::start_at(config, seeded, "127.0.0.1:0".parse().expect("address"))
    }

    /// Serving the account the seed `yaml` describes, its user IDs drawn from one fixed
    /// generator seed, so a test's IDs are the same on every run.
    pub fn of_seed(config: Config, yaml: &str) -> Self {
        Self::start(config, seeded(yaml, 11))
    }

    /// As [`Served::start`], listening on `addr`: for a JWT audience, which names the auth
    /// server's host and port before the emulator starts.
    pub fn start_at(config: Config, seeded: Seeded, addr: std::net::SocketAddr) -> Self {
        Self::hosting(crate::apply_support::start_at(config, seeded, addr))
    }

    /// Serves the emulator `starting` starts, on a runtime of its own.
    pub fn hosting(starting: impl Future<Output = Running>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let running = runtime.block_on(starting);
        Self { running, runtime }
    }

    /// Runs `future` on this emulator's runtime, to its end.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn stats(&self) -> Stats {
        self.running.shared.stats()
    }

    /// The binary connected to this emulator by the environment alone; see
    /// [`Cli::emulator`].
    pub fn cli(&self) -> Cli {
        Cli::emulator(&self.running)
    }

    /// Writes the emulator has counted so far.
    pub fn writes(&self) -> u64 {
        write_count(&self.stats())
    }

    /// A client for changing the account by hand, as someone in DocuSign's web app would.
    pub fn by_hand(&self) -> Arc<Client> {
        let _guard = self.runtime.enter();
        client_for(&self.running, quick_settings())
    }

    /// One API call made by hand; answers the body.
    pub fn call(&self, method: Method, path: &str, body: &serde_json::Value) -> serde_json::Value {
        let client = self.by_hand();
        self.runtime
            .block_on(client.call(method, path, Some(body), Retry::OnlyIfNotSent))
            .unwrap_or_else(|err| panic!("{path}: {err}"))
            .body
    }

    /// The ID of the user with `email`.
    pub fn user_id(&self, email: &str) -> String {
        emulated(&self.running)
            .users
            .iter()
            .find(|user| user.email.eq_ignore_ascii_case(email))
            .unwrap_or_else(|| panic!("no user {email}"))
            .id
            .clone()
    }

    /// A proxy in front of this emulator, served on the same runtime; `observe` is called with
    /// each request's method and path before the request is passed on.
    pub fn proxy(&self, observe: impl Fn(&Method, &str) + Send + Sync + 'static) -> Proxy {
        self.runtime
            .block_on(Proxy::start(&self.running.url, Box::new(observe)))
    }
}

type Observer = Box<dyn Fn(&Method, &str) + Send + Sync>;

/// Passes every request through to the emulator and counts them per `METHOD /path`.
pub struct Proxy {
    pub url: String,
    inner: Arc<Inner>,
}

struct Inner {
    target: String,
    http: reqwest::Client,
    observe: Observer,
    calls: Mutex<BTreeMap<String, u64>>,
}

impl Proxy {
    async fn start(target: &str, observe: Observer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let inner = Arc::new(Inner {
            target: target.to_owned(),
            http: reqwest::Client::new(),
            observe,
            calls: Mutex::new(BTreeMap::new()),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&inner));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, inner }
    }

    /// How many `METHOD /path` requests (e.g. `GET /oauth/userinfo`) came through.
    pub fn calls(&self, call: &str) -> u64 {
        self.all_calls().get(call).copied().unwrap_or(0)
    }

    pub fn all_calls(&self) -> BTreeMap<String, u64> {
        self.inner.calls.lock().expect("the counts").clone()
    }
}

async fn forward(State(proxy): State<Arc<Inner>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    (proxy.observe)(&parts.method, path);
    *proxy
        .calls
        .lock()
        .expect("the counts")
        .entry(format!("{} {path}", parts.method))
        .or_default() += 1;
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the request body");
    let path_and_query = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut forwarded = proxy
        .http
        .request(
            parts.method.clone(),
            format!("{}{path_and_query}", proxy.target),
        )
        .body(body);
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            forwarded = forwarded.header(name, value);
        }
    }
    let answer = forwarded.send().await.expect("the emulator answers");
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    let bytes = answer.bytes().await.expect("the emulator's body");
    response.body(Body::from(bytes)).expect("a response")
}
