//! Keeping under DocuSign's limits: a pace for the 30-second burst cap, and the hourly budget
//! as the last answer reported it. A configurable share of both is left for the other
//! integrations on the account.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

const BURST_WINDOW: Duration = Duration::from_secs(30);
/// Added to the window before a slot counts as free again: our clock and DocuSign's see a call
/// at slightly different moments.
const WINDOW_MARGIN: Duration = Duration::from_millis(250);

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
///
/// The burst cap is DocuSign's count of calls in any 30 seconds. The pacer lets our share of it
/// (the cap less the reserve) go out as soon as it is asked for, and holds the next call until
/// the oldest one in the window is 30 s old: a small job runs at full speed, a big one at the cap.
/// A GCRA limiter (`governor`) can't do this: its burst and its steady rate add up within one
/// window, so it must either space calls evenly from the start or overshoot the cap.
#[derive(Debug)]
pub struct Pacer {
    reserve_share: f64,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    burst_limit: u64,
    /// Calls we may send in any 30 s.
    allowed: usize,
    /// When each call of the last 30 s was sent, oldest first.
    sent: VecDeque<Instant>,
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
                allowed: allowed(burst_limit, reserve_share),
                sent: VecDeque::new(),
                budget: Budget::default(),
            }),
        }
    }

    /// Waits until a call fits under our share of the burst cap, and counts it as sent.
    pub async fn wait_turn(&self) {
        loop {
            let wait =
                {
                    let mut state = self.lock();
                    let now = Instant::now();
                    while state.sent.front().is_some_and(|sent| {
                        now.duration_since(*sent) >= BURST_WINDOW + WINDOW_MARGIN
                    }) {
                        state.sent.pop_front();
                    }
                    if state.sent.len() < state.allowed {
                        state.sent.push_back(now);
                        return;
                    }
                    state.sent.front().map_or(Duration::ZERO, |oldest| {
                        (BURST_WINDOW + WINDOW_MARGIN).saturating_sub(now.duration_since(*oldest))
                    })
                };
            tokio::time::sleep(wait).await;
        }
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
            state.allowed = allowed(limit, self.reserve_share);
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

/// Our share of a burst cap: the cap less the reserve, at least one call.
fn allowed(burst_limit: u64, reserve_share: f64) -> usize {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let allowed = ((burst_limit as f64) * (1.0 - reserve_share))
        .floor()
        .max(1.0) as usize;
    allowed
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

    #[tokio::test(start_paused = true)]
    async fn our_share_goes_out_at_once_and_the_next_call_waits_for_the_window() {
        // Cap 10, keep half: 5 calls at once, the sixth when the first is 30 s old.
        let pacer = Pacer::new(10, 0.5);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait_turn().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.wait_turn().await;
        assert_eq!(start.elapsed(), BURST_WINDOW + WINDOW_MARGIN);
        // In any 30 s, never more than our share: the next four go now, the fifth waits.
        for _ in 0..4 {
            pacer.wait_turn().await;
        }
        assert_eq!(start.elapsed(), BURST_WINDOW + WINDOW_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cap_learnt_from_an_answer_changes_the_share() {
        let pacer = Pacer::new(10, 0.2);
        pacer.observe(Budget {
            burst_limit: Some(100),
            ..Budget::default()
        });
        let start = Instant::now();
        for _ in 0..80 {
            pacer.wait_turn().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
