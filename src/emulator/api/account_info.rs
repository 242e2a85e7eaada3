//! `GET /accounts/{accountId}`: the account's plan, seats and billing-period figures
//! (`accountInformation`), the usage ones counted from the account as it stands.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::{account_slot, flag, reply};
use crate::emulator::account::{Account, UserStatus};
use crate::emulator::dates;
use crate::emulator::error::ApiError;
use crate::emulator::{Config, Shared};

pub async fn get(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let account_id = params.get("accountId").map_or("", String::as_str);
    let slot = account_slot(&shared, account_id)?;
    let mut body = information(&slot.account, &shared.config, Timestamp::now());
    if flag(&query, "include_account_settings") {
        // A few of the hundreds of settings DocuSign sends, as strings like the rest.
        body.insert(
            "accountSettings".to_owned(),
            json!({
                "accountName": slot.account.account_name,
                "allowSigningGroups": "true",
                "allowBulkSend": "true",
                "sessionTimeout": "20",
            }),
        );
    }
    Ok(reply(StatusCode::OK, Value::Object(body)))
}

/// The account's `accountInformation` at `now`, every value a string as DocuSign sends it.
#[must_use]
pub fn information(account: &Account, config: &Config, now: Timestamp) -> Map<String, Value> {
    let billing = &account.billing;
    let created = billing
        .created
        .clone()
        .or_else(|| account.users.first().map(|user| user.created.clone()))
        .unwrap_or_else(|| dates::format(now));
    let anchor = billing
        .period_anchor
        .as_deref()
        .and_then(dates::parse)
        .or_else(|| dates::parse(&created))
        .unwrap_or(now);
    let (start, end) = dates::period_holding(anchor, billing.period_months, now);
    let days_remaining = end.duration_since(now).as_hours().max(0) / 24;
    let sent = account
        .envelopes
        .iter()
        .filter_map(|envelope| envelope.sent.as_deref().and_then(dates::parse))
        .filter(|sent| (start..end).contains(sent))
        .count();
    let mut body = Map::new();
    let mut put = |key: &str, value: String| {
        body.insert(key.to_owned(), Value::String(value));
    };
    put("currentPlanId", billing.plan_id.clone());
    put("planName", billing.plan_name.clone());
    put("planClassification", billing.plan_classification.clone());
    put(
        "planStartDate",
        billing
            .plan_start
            .clone()
            .unwrap_or_else(|| created.clone()),
    );
    if let Some(plan_end) = &billing.plan_end {
        put("planEndDate", plan_end.clone());
    }
    put("billingPeriodStartDate", dates::format(start));
    put("billingPeriodEndDate", dates::format(end));
    put("billingPeriodDaysRemaining", days_remaining.to_string());
    put(
        "billingPeriodEnvelopesAllowed",
        billing.envelopes_allowed.wire(),
    );
    put("billingPeriodEnvelopesSent", sent.to_string());
    put("seatsAllowed", billing.seats_allowed.wire());
    put(
        "seatsInUse",
        seats_in_use(account, config.pending_hold_seats).to_string(),
    );
    put("accountName", account.account_name.clone());
    put("accountIdGuid", account.account_id.clone());
    put("externalAccountId", account.external_account_id());
    put("createdDate", created);
    put("currencyCode", "USD".to_owned());
    put("envelopeSendingBlocked", "false".to_owned());
    put("isDowngrade", "false".to_owned());
    put("allowTransactionRooms", "false".to_owned());
    body
}

/// The users holding a seat: every membership that isn't closed, or only the active ones.
#[must_use]
pub fn seats_in_use(account: &Account, pending_hold_seats: bool) -> usize {
    account
        .users
        .iter()
        .filter(|user| match user.status {
            UserStatus::Active => true,
            UserStatus::ActivationSent | UserStatus::ActivationRequired | UserStatus::Disabled => {
                pending_hold_seats
            }
            UserStatus::Closed => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::account::{Allowance, Envelope, EnvelopeStatus};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    fn account() -> Account {
        let mut rng = fastrand::Rng::with_seed(3);
        let seed: crate::emulator::seed::Seed = serde_json::from_value(json!({
            "account": {
                "id": "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36",
                "name": "Figures",
                "plan": "Business Pro",
                "seats_allowed": 5,
                "envelopes_allowed": "unlimited",
                "billing_period_start": "2026-01-10",
                "created": "2024-02-01",
            },
            "users": [
                { "email": "a@x.com", "first_name": "A", "last_name": "A",
                  "permission_profile": "Account Administrator" },
                { "email": "b@x.com", "first_name": "B", "last_name": "B", "status": "ActivationSent" },
                { "email": "c@x.com", "first_name": "C", "last_name": "C", "status": "Closed" },
            ],
        }))
        .expect("a seed");
        seed.build(&mut rng, "2026-06-15T12:00:00.0000000Z")
            .expect("builds")
            .account
    }

    #[test]
    fn figures_are_strings_and_usage_is_counted() {
        let mut account = account();
        let sender = account.users[0].id.clone();
        for (sent, status) in [
            (Some("2026-06-10T00:00:00.0000000Z"), EnvelopeStatus::Sent),
            (
                Some("2026-06-09T23:59:59.0000000Z"),
                EnvelopeStatus::Completed,
            ),
            (None, EnvelopeStatus::Created),
        ] {
            account.envelopes.push(Envelope {
                id: format!("e{}", account.envelopes.len()),
                sender_id: sender.clone(),
                status,
                subject: "S".to_owned(),
                created: "2026-06-01T00:00:00.0000000Z".to_owned(),
                sent: sent.map(str::to_owned),
                status_changed: "2026-06-12T00:00:00.0000000Z".to_owned(),
            });
        }
        let body = information(&account, &Config::default(), at("2026-06-15T12:00:00Z"));
        assert!(body.values().all(Value::is_string), "{body:?}");
        assert_eq!(body["planName"], "Business Pro");
        assert_eq!(body["seatsAllowed"], "5");
        assert_eq!(body["billingPeriodEnvelopesAllowed"], "unlimited");
        assert_eq!(
            body["billingPeriodStartDate"],
            "2026-06-10T00:00:00.0000000Z"
        );
        assert_eq!(body["billingPeriodEndDate"], "2026-07-10T00:00:00.0000000Z");
        assert_eq!(body["billingPeriodDaysRemaining"], "24");
        // The one sent before the period began and the draft don't count.
        assert_eq!(body["billingPeriodEnvelopesSent"], "1");
        assert_eq!(body["createdDate"], "2024-02-01T00:00:00.0000000Z");
        assert_eq!(body["planStartDate"], body["createdDate"]);
        assert!(!body.contains_key("planEndDate"));
        // The admin and the invitation; not the closed user.
        assert_eq!(body["seatsInUse"], "2");
        let strict = Config {
            pending_hold_seats: false,
            ..Config::default()
        };
        let body = information(&account, &strict, at("2026-06-15T12:00:00Z"));
        assert_eq!(body["seatsInUse"], "1");
        assert_eq!(account.billing.seats_allowed, Allowance::Limited(5));
    }
}
