//! `/restapi/v2.1/accounts/{accountId}/…`: the eSignature endpoints, behind one gate that
//! authenticates, checks the account, applies rate limits and faults, and keeps statistics.

mod account_info;
mod bulk;
mod envelopes;
mod groups;
mod paging;
mod profiles;
mod signing_groups;
mod users;
mod write;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use super::config::RateLimitStatus;
use super::error::ApiError;
use super::faults::{Drawn, Fault, RequestKey};
use super::limits::{Budget, Exceeded};
use super::{Shared, lock};

const PREFIX: &str = "/restapi/v2.1/accounts/{accountId}";

/// The user whose token made the call.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub user_name: String,
    /// Whether the caller's profile can administer the account, as the call arrived.
    pub is_admin: bool,
}

pub fn routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let api = Router::new()
        .route("/", get(account_info::get))
        .route("/envelopes", get(envelopes::list))
        .route(
            "/users",
            get(users::list)
                .post(users::create)
                .put(users::update_many)
                .delete(users::close),
        )
        .route(
            "/users/{userId}",
            get(users::get_one).put(users::update_one),
        )
        .route(
            "/users/{userId}/profile",
            get(users::get_profile).put(users::put_profile),
        )
        .route(
            "/groups",
            get(groups::list)
                .post(groups::create)
                .put(groups::update)
                .delete(groups::delete),
        )
        .route(
            "/groups/{groupId}/users",
            get(groups::members)
                .put(groups::add_members)
                .delete(groups::remove_members),
        )
        .route(
            "/permission_profiles",
            get(profiles::list).post(profiles::create),
        )
        .route(
            "/permission_profiles/{permissionProfileId}",
            get(profiles::get_one)
                .put(profiles::update)
                .delete(profiles::delete),
        )
        .merge(signing_groups::routes(shared))
        .route_layer(middleware::from_fn_with_state(Arc::clone(shared), gate));
    Router::new().nest(PREFIX, api)
}

/// Everything DocuSign does before and after an API call's own work.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let template = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |path| path.as_str().to_owned(),
    );
    let method = request.method().clone();
    shared.record_call(&method, &template);
    let (request, drawn) = match draw_fate(&shared, format!("{method} {template}"), request).await {
        Ok(drawn) => drawn,
        Err(response) => return response,
    };
    let timing = shared.timing(drawn.as_ref());
    timing.way_in().await;
    let answer = answer(&shared, request, drawn, &method, next).await;
    timing.way_back().await;
    answer
}

/// The call at DocuSign: who asks, within which limits, the faults drawn for it, the route's
/// own work.
async fn answer(
    shared: &Shared,
    mut request: Request,
    drawn: Option<Drawn>,
    method: &Method,
    next: Next,
) -> Response {
    let user_id = match lock(&shared.tokens).authenticate(request.headers()) {
        Ok(user_id) => user_id,
        Err(error) => return error.into_response(),
    };
    // Inside the nested router the URI has lost its prefix; the original still has it.
    let path = request.extensions().get::<OriginalUri>().map_or_else(
        || request.uri().path().to_owned(),
        |uri| uri.path().to_owned(),
    );
    let Some(account_id) = account_in_path(&path) else {
        return ApiError::bad_request("INVALID_ACCOUNT_ID", "Invalid account ID.").into_response();
    };
    let injected = drawn.as_ref().and_then(Drawn::injected);
    let fault = injected.as_ref().map(|injected| injected.fault);
    let (caller, budget) = {
        let Some(mut slot) = shared.slot(&account_id) else {
            return lacks_membership().into_response();
        };
        let Some(user) = slot
            .account
            .user(&user_id)
            .filter(|user| user.status != super::account::UserStatus::Closed)
        else {
            return lacks_membership().into_response();
        };
        let caller = Caller {
            user_id: user.id.clone(),
            user_name: user.user_name.clone(),
            is_admin: slot.account.is_admin(&user.id),
        };
        let (verdict, budget) = slot.limiter.admit(shared.now());
        drop(slot);
        if let Err(exceeded) = verdict {
            shared.record_rejection();
            return with_budget(rate_limited(shared, exceeded), budget);
        }
        if fault == Some(Fault::RateLimited) {
            shared.record_fault(injected);
            return with_budget(rate_limited(shared, Exceeded::Burst), budget);
        }
        (caller, budget)
    };
    if method != Method::GET && !caller.is_admin {
        // Managing users, groups, profiles and signing groups is an administrator's: the spec
        // says so of signing groups, and DocuSign's codes for a caller who isn't one are these.
        return with_budget(lacks_permissions().into_response(), budget);
    }
    request.extensions_mut().insert(caller);

    shared.record_fault(injected);
    let response = match fault {
        Some(Fault::ServerError(status)) => {
            return with_budget(server_error(status), budget);
        }
        Some(Fault::DropBefore) => return dropped(),
        Some(Fault::DropAfter | Fault::RateLimited) | None => {
            as_error_details(next.run(request).await).await
        }
    };
    if method != Method::GET {
        shared.check_invariants(&account_id);
        shared.persist();
    }
    if matches!(fault, Some(Fault::DropAfter)) {
        return dropped();
    }
    with_budget(response, budget)
}

/// Bodies the gate reads to tell requests apart: axum's default limit, the most a handler
/// accepts anyway.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Tells which request this is (its body is read and put back) and draws its fate; reads
/// nothing when there is no fate to draw.
async fn draw_fate(
    shared: &Shared,
    route: String,
    request: Request,
) -> Result<(Request, Option<Drawn>), Response> {
    if !shared.draws_fates() {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        let error = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_REQUEST_BODY",
            "The request body is too large or was cut short.",
        );
        return Err(error.into_response());
    };
    // Inside the nested router the URI has lost its prefix; the original still has it.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |uri| &uri.0);
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let key = RequestKey::of(&parts.method, path, &body);
    let drawn = shared.draw(route, key);
    Ok((Request::from_parts(parts, Body::from(body)), Some(drawn)))
}

/// The account's slot, locked for this call.
pub fn account_slot<'a>(
    shared: &'a Shared,
    account_id: &str,
) -> Result<std::sync::MutexGuard<'a, super::Slot>, ApiError> {
    shared.slot(account_id).ok_or_else(lacks_membership)
}

/// axum answers a path or query it can't decode with a plain-text 400 before any handler
/// runs; DocuSign answers every error as `errorDetails` JSON.
async fn as_error_details(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let status = response.status();
    if !status.is_client_error()
        || is_json
        || response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none()
    {
        return response;
    }
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = String::from_utf8_lossy(&bytes).trim().to_owned();
    ApiError::new(
        status,
        "INVALID_REQUEST_PARAMETER",
        format!("The request contained at least one invalid parameter. {message}"),
    )
    .into_response()
}

/// DocuSign's refusal past a limit: 400 by default, 429 when so configured.
fn rate_limited(shared: &Shared, exceeded: Exceeded) -> Response {
    let status = match shared.config.rate_limit_status {
        RateLimitStatus::BadRequest => StatusCode::BAD_REQUEST,
        RateLimitStatus::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
    };
    ApiError::new(status, exceeded.error_code(), exceeded.message()).into_response()
}

/// A caller whose profile doesn't allow the call.
pub fn lacks_permissions() -> ApiError {
    ApiError::bad_request(
        "USER_LACKS_PERMISSIONS",
        "This user lacks sufficient permissions to access this resource.",
    )
}

pub fn lacks_membership() -> ApiError {
    ApiError::bad_request(
        "USER_LACKS_MEMBERSHIP",
        "The UserID does not have a valid membership in this Account.",
    )
}

fn server_error(status: StatusCode) -> Response {
    ApiError::new(
        status,
        "UNSPECIFIED_ERROR",
        "An internal error occurred; please retry the request.",
    )
    .into_response()
}

/// A response whose body fails at once: the server abandons the connection mid-answer, as
/// when a load balancer or DocuSign itself drops it.
fn dropped() -> Response {
    Response::new(Body::new(BrokenBody))
}

struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulated dropped connection",
        ))))
    }
}

/// Adds DocuSign's rate-limit headers, and the `Date` they were counted at (by the emulator's
/// clock, so a client reckons the reset against the same clock that placed it).
fn with_budget(mut response: Response, budget: Budget) -> Response {
    let headers = response.headers_mut();
    if let Some(date) = http_date(budget.now) {
        headers.insert(axum::http::header::DATE, date);
    }
    for (name, value) in [
        ("X-RateLimit-Limit", u64::from(budget.hourly_limit)),
        ("X-RateLimit-Remaining", u64::from(budget.hourly_remaining)),
        ("X-RateLimit-Reset", budget.reset),
        ("X-BurstLimit-Limit", u64::from(budget.burst_limit)),
        ("X-BurstLimit-Remaining", u64::from(budget.burst_remaining)),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    response
}

/// Unix seconds as an HTTP date: `Mon, 05 Jan 2026 09:20:00 GMT`.
fn http_date(epoch_seconds: u64) -> Option<HeaderValue> {
    let seconds = i64::try_from(epoch_seconds).ok()?;
    let timestamp = jiff::Timestamp::from_second(seconds).ok()?;
    let text = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&timestamp)
        .ok()?;
    HeaderValue::from_str(&text).ok()
}

/// The `{accountId}` of `/restapi/v2.1/accounts/{accountId}/…`.
fn account_in_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/restapi/v2.1/accounts/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// Refuses `name` when another record among `taken` has it (letter case aside); `except` is
/// the record being renamed. `what` names the kind of record in the message.
pub fn name_free<'a>(
    mut taken: impl Iterator<Item = (u64, &'a str)>,
    name: &str,
    except: Option<u64>,
    code: &'static str,
    what: &str,
) -> Result<(), ApiError> {
    if taken.any(|(id, other)| Some(id) != except && other.eq_ignore_ascii_case(name.trim())) {
        return Err(ApiError::bad_request(
            code,
            format!("A {what} named '{name}' already exists."),
        ));
    }
    Ok(())
}

/// A new record's name under `key`, trimmed; blank or left out is refused with `code`. `what`
/// names the kind of record in the message.
pub fn required_name(
    object: &Value,
    key: &str,
    code: &'static str,
    what: &str,
) -> Result<String, ApiError> {
    given(object, key)
        .ok_or_else(|| ApiError::bad_request(code, format!("A {what} name is required.")))
}

/// The JSON body of a write, or DocuSign's complaint about it.
pub fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "INVALID_REQUEST_BODY",
            "The request body is missing or improperly formatted.",
        )
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid());
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(invalid())
    }
}

/// A field of a request object as text: DocuSign sends and accepts numbers and booleans as
/// strings, and a lenient server takes either.
#[must_use]
pub fn text(object: &Value, key: &str) -> Option<String> {
    scalar_text(object.get(key)?)
}

/// A JSON string, number or boolean as text.
#[must_use]
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A field as text without the white space around it.
#[must_use]
pub fn trimmed(object: &Value, key: &str) -> Option<String> {
    text(object, key).map(|text| text.trim().to_owned())
}

/// A field that changes something only when written: trimmed, and none when blank.
#[must_use]
pub fn given(object: &Value, key: &str) -> Option<String> {
    trimmed(object, key).filter(|text| !text.is_empty())
}

/// A comma-separated query parameter's parts, trimmed and lower-cased (none when absent).
#[must_use]
pub fn list_param(query: &std::collections::HashMap<String, String>, key: &str) -> Vec<String> {
    query
        .get(key)
        .map(|list| {
            list.split(',')
                .map(|part| part.trim().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// The array under `key` (none when the key is absent or null); anything else there is a 400.
pub fn items<'a>(object: &'a Value, key: &str) -> Result<&'a [Value], ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items.as_slice()),
        Some(_) => Err(ApiError::bad_request(
            "INVALID_REQUEST_BODY",
            format!("The request body is missing or improperly formatted. '{key}' must be a list."),
        )),
    }
}

/// DocuSign's timestamp format, to the second: `2026-11-23T18:40:15.0000000Z`.
#[must_use]
pub fn now() -> String {
    let now = jiff::Timestamp::now();
    format!("{}.0000000Z", now.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// A boolean query parameter (`true`, any case).
#[must_use]
pub fn flag(query: &std::collections::HashMap<String, String>, key: &str) -> bool {
    query
        .get(key)
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// A JSON response with a status.
pub fn reply(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}
