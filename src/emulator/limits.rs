//! DocuSign's rate limits, per account: an hourly budget that resets at the top of each clock
//! hour, and a burst cap over the last 30 seconds.
//!
//! Hand-written rather than taken from a rate-limiting crate on purpose: crates such as
//! `governor` implement smooth GCRA limits, while the emulator must reproduce DocuSign's
//! visible counters (`X-RateLimit-Remaining`, a reset at the clock hour) exactly.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BURST_WINDOW: Duration = Duration::from_secs(30);
const HOUR: u64 = 3_600;

/// Which limit a call ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
    Hourly,
    Burst,
}

impl Exceeded {
    #[must_use]
    pub const fn error_code(self) -> &'static str {
        match self {
            Self::Hourly => "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
            Self::Burst => "BURST_APIINVOCATION_LIMIT_EXCEEDED",
        }
    }

    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Hourly => "The maximum number of hourly API invocations has been exceeded",
            Self::Burst => "The maximum number of burst API invocations has been exceeded",
        }
    }
}

/// The counters DocuSign reports on every answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub hourly_limit: u32,
    pub hourly_remaining: u32,
    /// Epoch seconds of the next top of the hour.
    pub reset: u64,
    pub burst_limit: u32,
    pub burst_remaining: u32,
}

/// One account's windows.
#[derive(Debug)]
pub struct Limiter {
    hourly_limit: u32,
    burst_limit: u32,
    hour: u64,
    hour_count: u32,
    burst: VecDeque<Instant>,
}

impl Limiter {
    #[must_use]
    pub fn new(hourly_limit: u32, burst_limit: u32) -> Self {
        Self {
            hourly_limit,
            burst_limit,
            hour: 0,
            hour_count: 0,
            burst: VecDeque::new(),
        }
    }

    /// Counts one call and says whether it may go ahead. A refused call still counts: DocuSign
    /// counts every invocation, so retrying in a tight loop keeps an account locked out.
    pub fn admit(&mut self) -> (Result<(), Exceeded>, Budget) {
        let now = Instant::now();
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let hour = epoch / HOUR;
        if hour != self.hour {
            self.hour = hour;
            self.hour_count = 0;
        }
        while self
            .burst
            .front()
            .is_some_and(|&at| now.duration_since(at) >= BURST_WINDOW)
        {
            self.burst.pop_front();
        }
        let verdict = if self.hour_count >= self.hourly_limit {
            Err(Exceeded::Hourly)
        } else if self.burst.len() >= self.burst_limit as usize {
            Err(Exceeded::Burst)
        } else {
            Ok(())
        };
        self.hour_count = self.hour_count.saturating_add(1);
        self.burst.push_back(now);
        let burst_used = u32::try_from(self.burst.len()).unwrap_or(u32::MAX);
        let budget = Budget {
            hourly_limit: self.hourly_limit,
            hourly_remaining: self.hourly_limit.saturating_sub(self.hour_count),
            reset: (hour + 1) * HOUR,
            burst_limit: self.burst_limit,
            burst_remaining: self.burst_limit.saturating_sub(burst_used),
        };
        (verdict, budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_refuses_past_the_cap_and_counts_the_refusal() {
        let mut limiter = Limiter::new(100, 3);
        for remaining in [2, 1, 0] {
            let (verdict, budget) = limiter.admit();
            assert_eq!(verdict, Ok(()));
            assert_eq!(budget.burst_remaining, remaining);
        }
        let (verdict, budget) = limiter.admit();
        assert_eq!(verdict, Err(Exceeded::Burst));
        assert_eq!(budget.hourly_remaining, 96);
    }

    #[test]
    fn hourly_budget_is_checked_before_the_burst() {
        let mut limiter = Limiter::new(2, 10);
        assert!(limiter.admit().0.is_ok());
        assert!(limiter.admit().0.is_ok());
        let (verdict, budget) = limiter.admit();
        assert_eq!(verdict, Err(Exceeded::Hourly));
        assert_eq!(budget.hourly_remaining, 0);
        assert_eq!(budget.reset % 3_600, 0);
    }
}
