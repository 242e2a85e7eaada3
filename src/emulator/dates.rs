//! Dates as DocuSign writes and reads them: its answer format, its "never" value, the dates a
//! request may send (`from_date`, `to_date`), and the dates a seed may give (absolute or
//! relative to the emulator's start).

use jiff::{SignedDuration, Timestamp, ToSpan as _};

/// DocuSign's value for a date it doesn't hold: .NET's `DateTime.MinValue`, midnight on its
/// servers' clock (Pacific standard time) written as UTC. The spec's own examples carry it
/// (`userAddedToAccountDateTime` of `GET /users/{userId}`, `createdDateTime` of a user that
/// failed to be created).
pub const NEVER: &str = "0001-01-01T08:00:00.0000000Z";

/// The offset DocuSign reads a date without one at: its servers' time zone, Pacific, as
/// [`NEVER`] shows. Daylight saving is not modelled.
const SERVER_OFFSET_HOURS: i8 = -8;

/// A moment in DocuSign's answer format: `2026-11-23T18:40:15.0000000Z` (seven fractional
/// digits, UTC).
#[must_use]
pub fn format(at: Timestamp) -> String {
    let ticks = at.subsec_nanosecond() / 100;
    format!("{}.{ticks:07}Z", at.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// A moment the emulator itself wrote (any RFC 3339 timestamp).
#[must_use]
pub fn parse(text: &str) -> Option<Timestamp> {
    text.trim().parse().ok()
}

/// A date a request sends (`from_date`, `to_date`). DocuSign reads whatever .NET's
/// `DateTime.Parse` reads; the emulator takes the forms its reference shows: a timestamp with
/// `Z` or an offset (`2017-05-02T01:44Z`, `2017-05-01T21:44-04:00`), and a date or date-time
/// without one (`2017-05-02`, `2017/05/02`, `2017-05-02T01:44:00`), which is read on the
/// server's clock as DocuSign says it does.
#[must_use]
pub fn parse_request(text: &str) -> Option<Timestamp> {
    let text = text.trim().replace('/', "-");
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    // `2017-05-02T01:44Z`: RFC 3339 wants seconds; .NET doesn't.
    if let Some(rest) = text.strip_suffix('Z')
        && let Ok(civil) = rest.parse::<jiff::civil::DateTime>()
    {
        return civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|at| at.timestamp());
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        text.parse::<jiff::civil::Date>()
            .ok()
            .map(|date| date.to_datetime(jiff::civil::Time::midnight()))
    })?;
    let server = jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(SERVER_OFFSET_HOURS));
    civil.to_zoned(server).ok().map(|at| at.timestamp())
}

/// A date in a seed: `now`, `N days ago`, `in N days`, a timestamp (`2026-01-05T09:00:00Z`) or a
/// date (`2026-01-05`, midnight UTC). Relative ones count from `now`, the emulator's start.
pub fn parse_seed(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let trimmed = text.trim();
    let days = |number: &str| -> Result<i64, String> {
        number
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("`{trimmed}` is not a date: the days must be a whole number"))
    };
    let shifted = |days: i64| {
        now.checked_add(SignedDuration::from_hours(days.saturating_mul(24)))
            .map_err(|_| format!("`{trimmed}` is out of range"))
    };
    if trimmed.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(number) = trimmed
        .strip_suffix("days ago")
        .or_else(|| trimmed.strip_suffix("day ago"))
    {
        return shifted(-days(number)?);
    }
    if let Some(number) = trimmed.strip_prefix("in ").and_then(|rest| {
        rest.trim()
            .strip_suffix("days")
            .or_else(|| rest.trim().strip_suffix("day"))
    }) {
        return shifted(days(number)?);
    }
    if let Ok(at) = trimmed.parse::<Timestamp>() {
        return Ok(at);
    }
    if let Ok(date) = trimmed.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|at| at.timestamp())
            .map_err(|err| format!("`{trimmed}`: {err}"));
    }
    Err(format!(
        "`{trimmed}` is not a date: write `2026-01-05`, `2026-01-05T09:00:00Z`, `now`, `N days ago` or `in N days`"
    ))
}

/// The billing period that holds `now`: periods of `months` months, one of which starts at
/// `anchor` (any of them). Returns its start and end (the next period's start).
#[must_use]
pub fn period_holding(anchor: Timestamp, months: u32, now: Timestamp) -> (Timestamp, Timestamp) {
    let months = i64::from(months.max(1));
    let utc = jiff::tz::TimeZone::UTC;
    let base = anchor.to_zoned(utc);
    let at = |periods: i64| -> Option<Timestamp> {
        base.checked_add(periods.saturating_mul(months).months())
            .ok()
            .map(|zoned| zoned.timestamp())
    };
    // A first guess from the months between, then a step either way until it holds.
    let now_zoned = now.to_zoned(jiff::tz::TimeZone::UTC);
    let apart = (i64::from(now_zoned.year()) - i64::from(base.year())) * 12
        + (i64::from(now_zoned.month()) - i64::from(base.month()));
    let mut periods = apart.div_euclid(months);
    for _ in 0..4 {
        match (at(periods), at(periods + 1)) {
            (Some(start), _) if start > now => periods -= 1,
            (_, Some(end)) if end <= now => periods += 1,
            _ => break,
        }
    }
    let start = at(periods).unwrap_or(anchor);
    let end = at(periods + 1).unwrap_or(now);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    #[test]
    fn answers_carry_seven_fractional_digits() {
        assert_eq!(
            format(at("2026-11-01T00:00:00Z")),
            "2026-11-01T00:00:00.0000000Z"
        );
        assert_eq!(
            format(at("2016-10-05T01:04:58.777Z")),
            "2016-10-05T01:04:58.7770000Z"
        );
        assert_eq!(parse(NEVER), Some(at("0001-01-01T08:00:00Z")));
    }

    #[test]
    fn request_dates_without_an_offset_are_read_on_the_servers_clock() {
        // The spec's three ways of writing one instant.
        let instant = at("2017-05-02T01:44:00Z");
        for text in [
            "2017-05-02T01:44Z",
            "2017-05-01T21:44-04:00",
            "2017-05-01T18:44-07:00",
        ] {
            assert_eq!(parse_request(text), Some(instant), "{text}");
        }
        assert_eq!(
            parse_request("2017-05-02"),
            Some(at("2017-05-02T08:00:00Z"))
        );
        assert_eq!(
            parse_request("2017/05/02"),
            Some(at("2017-05-02T08:00:00Z"))
        );
        assert_eq!(parse_request("yesterday"), None);
    }

    #[test]
    fn seed_dates_may_count_from_the_start() {
        let now = at("2026-06-15T12:00:00Z");
        assert_eq!(
            parse_seed("45 days ago", now),
            Ok(at("2026-05-01T12:00:00Z"))
        );
        assert_eq!(parse_seed("in 1 day", now), Ok(at("2026-06-16T12:00:00Z")));
        assert_eq!(parse_seed("now", now), Ok(now));
        assert_eq!(
            parse_seed("2026-01-05", now),
            Ok(at("2026-01-05T00:00:00Z"))
        );
        assert!(parse_seed("soon", now).is_err());
        assert!(parse_seed("many days ago", now).is_err());
    }

    #[test]
    fn the_billing_period_is_the_one_holding_now() {
        let anchor = at("2024-01-10T00:00:00Z");
        let now = at("2026-06-15T12:00:00Z");
        assert_eq!(
            period_holding(anchor, 1, now),
            (at("2026-06-10T00:00:00Z"), at("2026-07-10T00:00:00Z"))
        );
        assert_eq!(
            period_holding(anchor, 12, now),
            (at("2026-01-10T00:00:00Z"), at("2027-01-10T00:00:00Z"))
        );
        // An anchor in the future counts back.
        assert_eq!(
            period_holding(at("2027-03-10T00:00:00Z"), 1, now),
            (at("2026-06-10T00:00:00Z"), at("2026-07-10T00:00:00Z"))
        );
        // On the boundary, the new period.
        assert_eq!(
            period_holding(anchor, 1, at("2026-06-10T00:00:00Z")).0,
            at("2026-06-10T00:00:00Z")
        );
    }
}
