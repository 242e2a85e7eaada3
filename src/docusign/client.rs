//! Calling the eSignature API: one place that authenticates, paces, reads the rate-limit
//! headers, renews a token DocuSign refused (a 401, or a 400 saying the token is bad), and
//! retries what is safe to retry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::Authenticator;
use super::error::ClientError;
use super::pacing::{Budget, HourlyRoom, HourlySpent, Pacer, Turn};
use super::secret::Secret;
use super::wire::ErrorDetails;

/// How the client treats limits and faults.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// Share (0–1) of the burst cap and the hourly budget left to other integrations.
    pub reserve_share: f64,
    /// Attempts per call, the first included.
    pub max_attempts: usize,
    /// First and largest wait between attempts after a 5xx or a dropped connection.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Wait after a burst-limit refusal (the window is 30 s).
    pub burst_wait: Duration,
    /// The longest wait for the hourly window to reset; past it, fail with a clear message.
    pub max_hourly_wait: Duration,
    /// The burst cap assumed until DocuSign's first answer tells (500 production, 200 demo).
    pub assumed_burst_limit: u64,
    /// The longest wait for a connection to DocuSign (API and userinfo) to open: a healthy
    /// host opens one in well under a second, so 10 s is a host that is down or unroutable
    /// (the token client's own is the same). Like `request_timeout`, it ends the attempt as a
    /// transport failure, retried only as the call's `Retry` allows.
    pub connect_timeout: Duration,
    /// The longest a whole call (API or userinfo) may take, answer included, so a server that
    /// stalls can't hang the run while holding a place under the burst cap. 5 minutes is
    /// generous for the slowest call the tool makes: a bulk write of 500 users, which DocuSign
    /// can take a minute or more to answer. A call that runs out of it is a transport failure,
    /// retried only as its `Retry` allows.
    pub request_timeout: Duration,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            reserve_share: 0.2,
            max_attempts: 6,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            burst_wait: Duration::from_secs(30),
            max_hourly_wait: Duration::from_secs(120),
            assumed_burst_limit: 200,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// Whether a call may be sent again after it failed without a clear answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Reads, and writes that are harmless to repeat.
    Safe,
    /// A write whose lost answer may hide a done deed (a create): retried only when DocuSign
    /// refused it before acting (a rate limit) or the connection never opened.
    OnlyIfNotSent,
}

/// An answer DocuSign gave with a 2xx status.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// An answer as it came, before it is read: a 2xx, or a bulk refusal with per-item results.
struct Sent {
    status: StatusCode,
    bytes: Vec<u8>,
}

impl Sent {
    /// No body (or only white space): read as JSON `null`.
    fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

/// What DocuSign answered to one attempt, whatever its status: for `probe`, which records
/// answers instead of acting on them.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub status: StatusCode,
    /// The JSON body, `Null` when empty or not JSON; secrets scrubbed.
    pub body: Value,
    /// The `X-RateLimit-*` and `X-BurstLimit-*` headers, names in lower case, in order.
    pub rate_headers: Vec<(String, String)>,
}

/// Whether [`Client::exchange`] waits for a place under the burst cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    Paced,
    /// Sent at once: for spending the burst on purpose, to see how DocuSign refuses.
    Unpaced,
}

/// A client for one account's eSignature API.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `{base_uri}/restapi/v2.1/accounts/{accountId}`
    api_base: String,
    auth: Arc<Authenticator>,
    settings: ClientSettings,
    pacer: Pacer,
    calls: AtomicU64,
}

/// Why one attempt failed, and whether (and when) to try again.
#[derive(Debug)]
struct Failure {
    error: ClientError,
    retry: bool,
    wait: Option<Duration>,
}

impl Failure {
    fn fatal(error: ClientError) -> Self {
        Self {
            error,
            retry: false,
            wait: None,
        }
    }

    /// A refusal that goes again once `wait` has passed.
    fn retry_after(error: ClientError, wait: Duration) -> Self {
        Self {
            error,
            retry: true,
            wait: Some(wait),
        }
    }
}

impl Client {
    #[must_use]
    pub fn new(
        http: reqwest::Client,
        api_base: &str,
        auth: Arc<Authenticator>,
        settings: ClientSettings,
    ) -> Self {
        let pacer = Pacer::new(settings.assumed_burst_limit, settings.reserve_share);
        Self {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            auth,
            settings,
            pacer,
            calls: AtomicU64::new(0),
        }
    }

    /// Calls made so far (every attempt counts: DocuSign counts them all).
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The latest rate-limit counters DocuSign reported.
    #[must_use]
    pub fn budget(&self) -> Budget {
        self.pacer.budget()
    }

    /// What is left of the hourly budget, and how much of it is ours, by the latest answer;
    /// `None` until DocuSign reported it.
    #[must_use]
    pub fn hourly_room(&self) -> Option<HourlyRoom> {
        self.pacer.hourly_room()
    }

    /// `GET {api_base}{path}`, decoded.
    ///
    /// A page of user records is the most the tool reads, so it is decoded straight into `T`
    /// when no secret can be in it (see [`Redactor::clean_as_sent`]), and only otherwise
    /// through a JSON tree whose every string is scrubbed first.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let sent = self
            .send_reading(Method::GET, path, None, Retry::Safe, None)
            .await?;
        let unreadable = |err: serde_json::Error| ClientError::unreadable("GET", path, err);
        if self.auth.redactor().clean_as_sent(&sent.bytes) && !sent.is_empty() {
            return serde_json::from_slice(&sent.bytes).map_err(unreadable);
        }
        let answer = self.read(&sent, &Method::GET, path)?;
        serde_json::from_value(answer.body).map_err(unreadable)
    }

    /// One API call with pacing, token renewal when refused, and retries as `retry` allows.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Answer, ClientError> {
        let sent = self
            .send_reading(method.clone(), path, body, retry, None)
            .await?;
        self.read(&sent, &method, path)
    }

    /// A bulk call, whose answer lists one result per item under `field`. A refusal (4xx)
    /// whose body lists such results, at least one with its own `errorDetails`, is an answer
    /// with its refusal status: the items without an error were done, so the call did not
    /// fail as a whole. A refusal without per-item results is an error, as for [`Self::call`].
    pub async fn call_bulk(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
        field: &str,
    ) -> Result<Answer, ClientError> {
        let sent = self
            .send_reading(method.clone(), path, body, retry, Some(field))
            .await?;
        self.read(&sent, &method, path)
    }

    /// The body of an answer as JSON, every string in it scrubbed: items of a bulk answer
    /// carry DocuSign's own messages, shown when an item fails.
    fn read(&self, sent: &Sent, method: &Method, path: &str) -> Result<Answer, ClientError> {
        let redactor = self.auth.redactor();
        let mut body = if sent.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&sent.bytes)
                .map_err(|err| redactor.scrub_error(ClientError::unreadable(method, path, err)))?
        };
        if !redactor.clean_as_sent(&sent.bytes) {
            redactor.scrub_json(&mut body);
        }
        Ok(Answer {
            status: sent.status,
            body,
        })
    }

    /// The call, retried as `retry` allows; the answer as it came.
    async fn send_reading(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
        items_field: Option<&str>,
    ) -> Result<Sent, ClientError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.max_attempts.saturating_sub(1))
            .with_jitter();
        let attempts = AtomicU64::new(0);
        let outcome = (|| async {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(&method, path, body, retry, items_field).await
        })
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|failure: &Failure| failure.retry)
        // `planned` is `None` once the attempts are used up: then no wait of the failure's own
        // (a rate limit's) may start another one.
        .adjust(|failure: &Failure, planned| planned.map(|planned| failure.wait.unwrap_or(planned)))
        .await;
        let redactor = self.auth.redactor();
        outcome.map_err(|failure| {
            let tries = u32::try_from(attempts.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
            let error = if failure.retry && tries > 1 {
                ClientError::RetriesExhausted {
                    method: method.to_string(),
                    path: path.to_owned(),
                    attempts: tries,
                    last: failure.error.to_string(),
                }
            } else {
                failure.error
            };
            redactor.scrub_error(error)
        })
    }

    /// One attempt and its answer as it came, any status: no retry, and the token renewed
    /// once when refused (as every call does). Only a call that got no answer is an `Err`.
    pub async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        pacing: Pacing,
    ) -> Result<Exchange, ClientError> {
        let redactor = self.auth.redactor();
        let mut token = self.auth.token().await?;
        let mut renewed = false;
        loop {
            let turn = match pacing {
                Pacing::Paced => Some(self.turn().await.map_err(|failure| failure.error)?),
                Pacing::Unpaced => None,
            };
            let request = self.request(&method, path, &token, body);
            let unreachable = |err: &reqwest::Error| {
                redactor.scrub_error(ClientError::Unreachable {
                    url: format!("{}{path}", self.api_base),
                    reason: describe(err),
                })
            };
            let response = request.send().await.map_err(|err| unreachable(&err))?;
            let status = response.status();
            let budget = Budget::from_headers(response.headers());
            match turn {
                Some(turn) => turn.answered(budget),
                None => self.pacer.observe(budget),
            }
            let rate_headers = response
                .headers()
                .iter()
                .filter(|(name, _)| {
                    let name = name.as_str();
                    name.starts_with("x-ratelimit-") || name.starts_with("x-burstlimit-")
                })
                .map(|(name, value)| {
                    let value = redactor.scrub(&String::from_utf8_lossy(value.as_bytes()));
                    (name.as_str().to_owned(), value)
                })
                .collect();
            let bytes = response.bytes().await.map_err(|err| unreachable(&err))?;
            if !renewed && refuses_the_token(status, &bytes) {
                token = self.auth.renew(&token).await?;
                renewed = true;
                continue;
            }
            let mut body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if !redactor.clean_as_sent(&bytes) {
                redactor.scrub_json(&mut body);
            }
            return Ok(Exchange {
                status,
                body,
                rate_headers,
            });
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
        items_field: Option<&str>,
    ) -> Result<Sent, Failure> {
        let mut token = self.auth.token().await.map_err(Failure::fatal)?;
        let mut renewed = false;
        loop {
            let turn = self.turn().await?;
            let request = self.request(method, path, &token, body);
            let response = match request.send().await {
                Ok(response) => response,
                Err(err) => return Err(self.transport_failure(path, &err, retry)),
            };
            let status = response.status();
            let retry_after = retry_after(status, response.headers());
            // The count the answer carries goes in as the call's place is given back.
            turn.answered(Budget::from_headers(response.headers()));
            let bytes = match response.bytes().await {
                Ok(bytes) => bytes,
                Err(err) => return Err(self.transport_failure(path, &err, retry)),
            };
            if !renewed && refuses_the_token(status, &bytes) {
                // One renewal per call: a token that expired (or was revoked) mid-run.
                token = self.auth.renew(&token).await.map_err(Failure::fatal)?;
                renewed = true;
                continue;
            }
            if status.is_success() {
                // Read once the call is done: a body that is not JSON is final, not retried.
                return Ok(Sent {
                    status,
                    bytes: bytes.into(),
                });
            }
            let failure = self.refusal(method, path, status, &bytes, retry, retry_after);
            if !failure.retry
                && status.is_client_error()
                && items_field.is_some_and(|field| has_item_refusals(&bytes, field))
            {
                return Ok(Sent {
                    status,
                    bytes: bytes.into(),
                });
            }
            return Err(failure);
        }
    }

    /// One attempt's request, counted as it goes out (DocuSign counts every attempt).
    fn request(
        &self,
        method: &Method,
        path: &str,
        token: &Secret,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.api_base))
            .bearer_auth(token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        request
    }

    /// A place under the burst cap, once our share of the hour's budget has room: waits for
    /// a reset that is near, and fails at once when it is further than `max_hourly_wait`.
    async fn turn(&self) -> Result<Turn<'_>, Failure> {
        loop {
            match self.pacer.wait_turn().await {
                Ok(turn) => return Ok(turn),
                Err(HourlySpent { reset_in }) => {
                    // Past the reset the old count holds nothing back.
                    tokio::time::sleep(self.hourly_wait(reset_in)?).await;
                }
            }
        }
    }

    /// The wait for the hourly budget to reset in `reset_in` seconds, or a failure when that
    /// is further off than `max_hourly_wait`.
    fn hourly_wait(&self, reset_in: u64) -> Result<Duration, Failure> {
        let wait = Duration::from_secs(reset_in);
        if wait > self.settings.max_hourly_wait {
            return Err(Failure::fatal(ClientError::HourlyBudgetSpent {
                wait_seconds: reset_in,
            }));
        }
        Ok(wait)
    }

    /// A non-2xx answer: a rate limit (wait and retry), a 5xx (retry if safe), or final.
    /// `retry_after` is the wait a 429 or 503 asked for, which stands in for the client's own.
    fn refusal(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        bytes: &[u8],
        retry: Retry,
        retry_after: Option<Duration>,
    ) -> Failure {
        let details: ErrorDetails = serde_json::from_slice(bytes).unwrap_or_default();
        let code = details.error_code.map(|code| code.0).unwrap_or_default();
        // Scrubbed before it is cut, so a cut can't leave part of a secret behind.
        let redactor = self.auth.redactor();
        let message = details.message.map_or_else(
            || {
                redactor
                    .scrub(&String::from_utf8_lossy(bytes))
                    .chars()
                    .take(200)
                    .collect()
            },
            |message| redactor.scrub(&message.0),
        );
        // DocuSign has answered rate limits with 400 and is moving to 429: key on the code, or
        // on the hourly refusal's documented message when it comes without one.
        let upper = code.to_ascii_uppercase();
        let by_code = upper.contains("APIINVOCATION") && upper.contains("LIMIT");
        let by_message =
            code.trim().is_empty() && message.to_ascii_lowercase().contains(HOURLY_LIMIT_MESSAGE);
        let error = ClientError::Api {
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            code,
            message,
        };
        if (by_code && upper.starts_with("HOURLY")) || by_message {
            // Retry-After, when given, says when the window resets better than our reckoning.
            let reset_in = retry_after
                .map_or_else(
                    || self.pacer.budget().seconds_to_reset(),
                    |wait| wait.as_secs(),
                )
                .max(1);
            return match self.hourly_wait(reset_in) {
                Ok(wait) => Failure::retry_after(error, wait),
                Err(failure) => failure,
            };
        }
        if by_code || status == StatusCode::TOO_MANY_REQUESTS {
            // The longest wait the client takes for a limit bounds what a server may ask.
            let wait = retry_after.map_or(self.settings.burst_wait, |wait| {
                wait.min(self.settings.max_hourly_wait)
            });
            return Failure::retry_after(error, wait);
        }
        if status.is_server_error() {
            // A 5xx may come after the work was done; only safe calls go again, after the wait
            // a 503 asked for (at most the longest backoff) or the usual backoff.
            return Failure {
                error,
                retry: retry == Retry::Safe,
                wait: retry_after.map(|wait| wait.min(self.settings.max_backoff)),
            };
        }
        Failure::fatal(error)
    }

    fn transport_failure(&self, path: &str, err: &reqwest::Error, retry: Retry) -> Failure {
        let error = ClientError::Unreachable {
            url: format!("{}{path}", self.api_base),
            reason: describe(err),
        };
        // A connection that never opened carried nothing; anything later may have.
        let retry = retry == Retry::Safe || err.is_connect();
        Failure {
            error,
            retry,
            wait: None,
        }
    }
}

/// The hourly refusal's message, as DocuSign writes about its rate limits, in lower case: "The
/// maximum number of hourly API invocations has been exceeded".
const HOURLY_LIMIT_MESSAGE: &str = "maximum number of hourly api invocations has been exceeded";

/// The wait a 429 or 503 asks for in its `Retry-After`, when it is a number of seconds; `None`
/// for other statuses, and for a header that is absent or a date (the client's own waits then
/// hold).
fn retry_after(status: StatusCode, headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let seconds: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The `errorCode`s of a 400 that refuses the token itself: DocuSign's codes for a bad or
/// expired token, worth a refresh and one more try.
const TOKEN_REFUSALS: [&str; 2] = ["AUTHORIZATION_INVALID_TOKEN", "USER_AUTHENTICATION_FAILED"];

/// Whether an answer refuses the token rather than the call: a 401, or a 400 with one of
/// [`TOKEN_REFUSALS`] (every operation in DocuSign's spec declares only 400 as its error, so a
/// bad token may well come as one). Either is worth one renewal.
fn refuses_the_token(status: StatusCode, bytes: &[u8]) -> bool {
    if status == StatusCode::UNAUTHORIZED {
        return true;
    }
    if status != StatusCode::BAD_REQUEST {
        return false;
    }
    let details: ErrorDetails = serde_json::from_slice(bytes).unwrap_or_default();
    details.error_code.is_some_and(|code| {
        TOKEN_REFUSALS
            .iter()
            .any(|refusal| code.0.trim().eq_ignore_ascii_case(refusal))
    })
}

/// Whether a refusal's body lists results per item under `field`, at least one of them with
/// its own `errorDetails`: the refusal is about those items, not the whole call.
fn has_item_refusals(bytes: &[u8], field: &str) -> bool {
    let Ok(body) = serde_json::from_slice::<Value>(bytes) else {
        return false;
    };
    let Some(items) = body.get(field).and_then(Value::as_array) else {
        return false;
    };
    let refused = |item: &Value| {
        item.get("errorDetails")
            .and_then(|details| serde_json::from_value::<ErrorDetails>(details.clone()).ok())
            .is_some_and(|details| {
                let said =
                    |field: Option<super::wire::Text>| field.is_some_and(|text| !text.0.is_empty());
                said(details.error_code) || said(details.message)
            })
    };
    items.iter().any(refused)
}

/// A transport error in a few words, without the URL's query (which never holds secrets,
/// but stays short).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_connect() {
        "could not connect"
    } else if err.is_timeout() {
        "timed out"
    } else if err.is_body() || err.is_decode() {
        "the connection dropped mid-answer"
    } else if err.is_request() {
        "the connection dropped"
    } else {
        "transport error"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> bool {
        has_item_refusals(body.as_bytes(), "users")
    }

    #[test]
    fn a_refusal_with_an_item_error_lists_results_per_item() {
        let body = r#"{"users": [{"userId": "u-1"}, {"userId": "u-2", "errorDetails": {"errorCode": "INVALID_USERID", "message": "Invalid UserId."}}]}"#;
        assert!(read(body));
    }

    #[test]
    fn a_refusal_without_an_item_error_is_about_the_whole_call() {
        for body in [
            r#"{"errorCode": "USER_ALREADY_MEMBER_OF_GROUP", "message": "already"}"#,
            r#"{"errorCode": "INVALID_REQUEST_BODY", "message": "bad", "users": [{"userId": "u-1"}]}"#,
            r#"{"users": [{"userId": "u-1", "errorDetails": {}}]}"#,
            r#"{"users": [{"userId": "u-1", "errorDetails": {"errorCode": "", "message": ""}}]}"#,
            r#"{"users": {"userId": "u-1"}}"#,
            r#"{"groups": [{"groupId": "1", "errorDetails": {"errorCode": "X"}}]}"#,
            "not JSON",
            "",
        ] {
            assert!(!read(body), "{body}");
        }
    }
}
