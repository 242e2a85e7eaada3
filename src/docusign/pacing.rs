//! Keeping under DocuSign's limits: a pace for the 30-second burst cap, and the hourly budget
//! as the last answer reported it. A configurable share of both is left for the other
//! integrations on the account.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;

const BURST_WINDOW: Duration = Duration::from_secs(30);

/// The counters DocuSign reported on its latest answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub hourly_limit: Option<u64>,
    pub hourly_remaining: Option<u64>,
    /// Epoch seconds when the hourly window resets.
    pub hourly_reset: Option<u64>,
    pub burst_limit: Option<u64>,
    pub burst_remaining: Option<u64>,
}

impl Budget {
    /// Reads `X-RateLimit-*` and `X-BurstLimit-*`; a missing header leaves its field empty.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
        };
        Self {
            hourly_limit: number("x-ratelimit-limit"),
            hourly_remaining: number("x-ratelimit-remaining"),
            hourly_reset: number("x-ratelimit-reset"),
            burst_limit: number("x-burstlimit-limit"),
            burst_remaining: number("x-burstlimit-remaining"),
        }
    }

    /// Seconds until the hourly window resets (0 when unknown or past).
    #[must_use]
    pub fn seconds_to_reset(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        self.hourly_reset
            .map_or(0, |reset| reset.saturating_sub(now))
    }
}

/// Paces calls below the burst cap and watches the hourly budget.
#[derive(Debug)]
pub struct Pacer {
    reserve_share: f64,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    burst_limit: u64,
    limiter: Arc<DefaultDirectRateLimiter>,
    budget: Budget,
}

/// Whether a call may go ahead as far as the hourly budget goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hourly {
    Go,
    /// Only the reserve for other integrations is left; it resets in this many seconds.
    ReserveReached {
        reset_in: u64,
    },
}

impl Pacer {
    /// A pacer for an account whose burst cap is assumed to be `burst_limit` until DocuSign
    /// says otherwise, leaving `reserve_share` (0–1) of each limit to others.
    #[must_use]
    pub fn new(burst_limit: u64, reserve_share: f64) -> Self {
        let reserve_share = reserve_share.clamp(0.0, 0.9);
        Self {
            reserve_share,
            state: Mutex::new(PacerState {
                burst_limit,
                limiter: Arc::new(limiter_for(burst_limit, reserve_share)),
                budget: Budget::default(),
            }),
        }
    }

    /// Waits until a call fits under our share of the burst cap.
    pub async fn wait_turn(&self) {
        let limiter = Arc::clone(&self.lock().limiter);
        limiter.until_ready().await;
    }

    /// Whether our share of the hourly budget has room, by the latest answer.
    #[must_use]
    pub fn hourly(&self) -> Hourly {
        let budget = self.lock().budget;
        match (budget.hourly_limit, budget.hourly_remaining) {
            (Some(limit), Some(remaining)) if remaining <= self.reserve(limit) => {
                Hourly::ReserveReached {
                    reset_in: budget.seconds_to_reset(),
                }
            }
            _ => Hourly::Go,
        }
    }

    /// Takes in an answer's counters; a burst cap other than the assumed one re-paces.
    pub fn observe(&self, budget: Budget) {
        let mut state = self.lock();
        if let Some(limit) = budget
            .burst_limit
            .filter(|limit| *limit > 0 && *limit != state.burst_limit)
        {
            state.burst_limit = limit;
            state.limiter = Arc::new(limiter_for(limit, self.reserve_share));
        }
        // Answers to concurrent calls arrive out of order: within one hourly window the
        // smallest remaining count is the latest truth.
        let same_window =
            budget.hourly_reset.is_some() && budget.hourly_reset == state.budget.hourly_reset;
        if let Some(remaining) = budget.hourly_remaining {
            let lower = state
                .budget
                .hourly_remaining
                .is_none_or(|known| remaining < known);
            if !same_window || lower {
                state.budget = budget;
            }
        }
    }

    /// The latest counters DocuSign reported.
    #[must_use]
    pub fn budget(&self) -> Budget {
        self.lock().budget
    }

    fn reserve(&self, limit: u64) -> u64 {
        // Precision loss is irrelevant at API-limit magnitudes.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let reserve = (limit as f64 * self.reserve_share).ceil() as u64;
        reserve
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A GCRA limiter that never lets more than the burst cap through in any 30 s: it allows
/// `share` of the cap per window, evenly spaced, plus an initial burst no larger than half the
/// reserve, so `allowed + burst` stays under the cap.
fn limiter_for(burst_limit: u64, reserve_share: f64) -> DefaultDirectRateLimiter {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let allowed = ((burst_limit as f64) * (1.0 - reserve_share))
        .floor()
        .max(1.0) as u64;
    let reserve = burst_limit.saturating_sub(allowed);
    let burst = u32::try_from((reserve / 2).max(1)).unwrap_or(u32::MAX);
    let period = BURST_WINDOW / u32::try_from(allowed).unwrap_or(u32::MAX).max(1);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
    RateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_reserve_is_kept_for_others() {
        let pacer = Pacer::new(200, 0.2);
        assert_eq!(pacer.hourly(), Hourly::Go);
        pacer.observe(Budget {
            hourly_limit: Some(3000),
            hourly_remaining: Some(600),
            hourly_reset: None,
            burst_limit: Some(200),
            burst_remaining: Some(150),
        });
        assert!(matches!(pacer.hourly(), Hourly::ReserveReached { .. }));
        pacer.observe(Budget {
            hourly_remaining: Some(601),
            ..pacer.budget()
        });
        assert_eq!(pacer.hourly(), Hourly::Go);
    }

    #[test]
    fn only_half_the_reserve_goes_out_at_once() {
        // Cap 10, keep half: 5 calls per 30 s, and a first burst of (10 - 5) / 2 = 2.
        let limiter = limiter_for(10, 0.5);
        let at_once = (0..10).take_while(|_| limiter.check().is_ok()).count();
        assert_eq!(at_once, 2);
        // Cap 200, keep 20%: 160 per window, burst 20, so at most 180 in any 30 s.
        let limiter = limiter_for(200, 0.2);
        let at_once = (0..200).take_while(|_| limiter.check().is_ok()).count();
        assert_eq!(at_once, 20);
    }
}
