//! Before the first write: does the plan fit in what the hour's API budget has left for us?
//! Apply would otherwise stop part-way, at the reserve kept for other integrations, with the
//! account half changed for an hour.

use miette::Diagnostic;
use thiserror::Error;

use crate::docusign::pacing::HourlyRoom;

/// A plan that needs more calls than our share of the hour's budget has left.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
#[error(
    "the plan needs about {needed} API calls (reading the account back included) and the account's hourly budget has {ours} left for it ({remaining} left, {reserve} of them kept for other integrations), which resets {reset}; nothing was applied"
)]
#[diagnostic(
    code(docusign::hourly_budget),
    help(
        "apply again after the reset, or apply part of the change now and the rest after it; other integrations share the account's hourly limit, which DocuSign can raise"
    )
)]
pub struct OverBudget {
    pub needed: u64,
    pub ours: u64,
    pub remaining: u64,
    pub reserve: u64,
    /// When, in words: `at 10:00 UTC (in 40 min)`.
    pub reset: String,
}

/// Refuses a plan needing `needed` calls when DocuSign's last answer (`room`) leaves fewer for
/// us; a budget DocuSign didn't report lets the plan go.
pub fn check(needed: u64, room: Option<HourlyRoom>) -> Result<(), OverBudget> {
    let Some(room) = room else {
        return Ok(());
    };
    if needed <= room.ours() {
        return Ok(());
    }
    Err(OverBudget {
        needed,
        ours: room.ours(),
        remaining: room.remaining,
        reserve: room.reserve,
        reset: when(room),
    })
}

/// When the hour's budget resets, in words: `at 10:00 UTC (in 40 min)`.
#[must_use]
pub fn when(room: HourlyRoom) -> String {
    let clock = room
        .resets_at
        .and_then(|epoch| i64::try_from(epoch).ok())
        .and_then(|epoch| jiff::Timestamp::from_second(epoch).ok())
        .map(|at| at.strftime("%H:%M UTC").to_string());
    let wait = if room.reset_in < 60 {
        format!("{} s", room.reset_in)
    } else {
        format!("{} min", room.reset_in.div_ceil(60))
    };
    match clock {
        Some(clock) => format!("at {clock} (in {wait})"),
        None => format!("in {wait}"),
    }
}

/// What apply says when the hour's budget ran out part-way (`room` has nothing left for us):
/// how far it got, and when to apply again.
#[must_use]
pub fn ran_out(done: usize, steps: usize, room: HourlyRoom) -> String {
    format!(
        "the account's hourly API budget ran out during apply (other integrations share it): {done} of {steps} changes were made and are recorded, the rest were not; the budget resets {}, so apply again then",
        when(room)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(remaining: u64, reserve: u64) -> HourlyRoom {
        HourlyRoom {
            remaining,
            reserve,
            // 2026-01-05 10:00:00 UTC, forty minutes away.
            resets_at: Some(1_767_607_200),
            reset_in: 40 * 60,
        }
    }

    #[test]
    fn a_plan_that_fits_our_share_goes() {
        assert_eq!(check(40, Some(room(100, 60))), Ok(()));
        assert_eq!(check(0, Some(room(0, 0))), Ok(()));
    }

    #[test]
    fn an_unreported_budget_lets_the_plan_go() {
        assert_eq!(check(1_000_000, None), Ok(()));
    }

    #[test]
    fn a_plan_past_our_share_is_refused_with_the_numbers_and_the_reset() {
        let refused = check(41, Some(room(100, 60))).expect_err("over the budget");
        assert_eq!(
            refused.to_string(),
            "the plan needs about 41 API calls (reading the account back included) and the \
             account's hourly budget has 40 left for it \
             (100 left, 60 of them kept for other integrations), which resets at 10:00 UTC \
             (in 40 min); nothing was applied"
        );
    }

    #[test]
    fn the_reserve_alone_left_is_nothing_for_us() {
        let refused = check(1, Some(room(50, 60))).expect_err("only the reserve is left");
        assert_eq!(refused.ours, 0);
    }

    #[test]
    fn a_reset_less_than_a_minute_away_is_said_in_seconds() {
        let soon = HourlyRoom {
            resets_at: None,
            reset_in: 42,
            ..room(0, 0)
        };
        assert_eq!(when(soon), "in 42 s");
    }
}
