//! DocuSign's rate limits, per account: an hourly budget that resets at the top of each clock
//! hour, and a burst cap over the last 30 seconds.
//!
//! Hand-written rather than taken from a rate-limiting crate on purpose: crates such as
//! `governor` implement smooth GCRA limits, while the emulator must reproduce DocuSign's
//! visible counters (`X-RateLimit-Remaining`, a reset at the clock hour) exactly.
//!
//! The limiter never reads a clock: every call brings its [`Moment`], taken from the emulator's
//! [`Clock`], so tests can pin the hour and unit tests can name each time.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::config::Clock;

const BURST_WINDOW: Duration = Duration::from_secs(30);
const HOUR: u64 = 3_600;

/// When a call arrived: monotonic time for the 30-second burst window, and wall-clock Unix
/// seconds for the clock-hour window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    pub at: Instant,
    pub epoch_seconds: u64,
}

/// The emulator's clock as started: reads a [`Moment`] for each call.
#[derive(Debug)]
pub struct Timepiece {
    clock: Clock,
    started: Instant,
}

impl Timepiece {
    /// Starts `clock` now (on the runtime's clock, so paused test time moves it too).
    #[must_use]
    pub fn start(clock: Clock) -> Self {
        Self {
            clock,
            started: Instant::now(),
        }
    }

    #[must_use]
    pub fn now(&self) -> Moment {
        let at = Instant::now();
        let epoch_seconds = match self.clock {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
            Clock::StartingAt { epoch } => {
                epoch.saturating_add(at.duration_since(self.started).as_secs())
            }
        };
        Moment { at, epoch_seconds }
    }
}

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
    /// Epoch seconds when the call arrived: DocuSign's `Date` header.
    pub now: u64,
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

    /// Counts one call arriving at `now` and says whether it may go ahead. A refused call
    /// still counts: DocuSign counts every invocation, so retrying in a tight loop keeps an
    /// account locked out.
    pub fn admit(&mut self, now: Moment) -> (Result<(), Exceeded>, Budget) {
        let Moment { at, epoch_seconds } = now;
        let hour = epoch_seconds / HOUR;
        if hour != self.hour {
            self.hour = hour;
            self.hour_count = 0;
        }
        while self
            .burst
            .front()
            .is_some_and(|&counted| at.duration_since(counted) >= BURST_WINDOW)
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
        self.burst.push_back(at);
        let burst_used = u32::try_from(self.burst.len()).unwrap_or(u32::MAX);
        let budget = Budget {
            hourly_limit: self.hourly_limit,
            hourly_remaining: self.hourly_limit.saturating_sub(self.hour_count),
            reset: (hour + 1) * HOUR,
            now: epoch_seconds,
            burst_limit: self.burst_limit,
            burst_remaining: self.burst_limit.saturating_sub(burst_used),
        };
        (verdict, budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-05 09:20:00 UTC: mid-hour.
    const MID_HOUR: u64 = 1_767_604_800;

    /// A limiter on a clock the tests move by hand, started at [`MID_HOUR`].
    struct Clocked {
        start: Instant,
        limiter: Limiter,
    }

    impl Clocked {
        fn new(hourly_limit: u32, burst_limit: u32) -> Self {
            Self {
                start: Instant::now(),
                limiter: Limiter::new(hourly_limit, burst_limit),
            }
        }

        /// A call arriving `elapsed` after the start.
        fn call_at(&mut self, elapsed: Duration) -> (Result<(), Exceeded>, Budget) {
            self.limiter.admit(Moment {
                at: self.start + elapsed,
                epoch_seconds: MID_HOUR + elapsed.as_secs(),
            })
        }
    }

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    #[test]
    fn the_test_start_is_mid_hour() {
        assert_eq!(MID_HOUR % HOUR, 20 * 60);
    }

    #[test]
    fn burst_refuses_past_the_cap_and_counts_the_refusal() {
        let mut limiter = Clocked::new(100, 3);
        for remaining in [2, 1, 0] {
            let (verdict, budget) = limiter.call_at(Duration::ZERO);
            assert_eq!(verdict, Ok(()));
            assert_eq!(budget.burst_remaining, remaining);
        }
        let (verdict, budget) = limiter.call_at(Duration::ZERO);
        assert_eq!(verdict, Err(Exceeded::Burst));
        assert_eq!(budget.hourly_remaining, 96);
    }

    #[test]
    fn a_call_leaves_the_burst_window_thirty_seconds_after_it_arrived() {
        let mut limiter = Clocked::new(100, 2);
        assert!(limiter.call_at(secs(0)).0.is_ok());
        assert!(limiter.call_at(secs(10)).0.is_ok());
        // Both still in the window a moment before the first is 30 s old: refused.
        let just_before = Duration::from_millis(29_999);
        assert_eq!(limiter.call_at(just_before).0, Err(Exceeded::Burst));
        // The refusal counted too (at 29.999 s): at 30 s only the first call has left, and
        // the second and the refusal fill the window.
        assert_eq!(limiter.call_at(secs(30)).0, Err(Exceeded::Burst));
        // At 40 s the second has left; the refusals at 29.999 s and 30 s still fill it.
        assert_eq!(limiter.call_at(secs(40)).0, Err(Exceeded::Burst));
        // Thirty seconds after the last refusal the window is empty again.
        let (verdict, budget) = limiter.call_at(secs(70));
        assert_eq!(verdict, Ok(()));
        assert_eq!(budget.burst_remaining, 1);
    }

    #[test]
    fn hourly_budget_is_checked_before_the_burst() {
        let mut limiter = Clocked::new(2, 10);
        assert!(limiter.call_at(secs(0)).0.is_ok());
        assert!(limiter.call_at(secs(1)).0.is_ok());
        let (verdict, budget) = limiter.call_at(secs(2));
        assert_eq!(verdict, Err(Exceeded::Hourly));
        assert_eq!(budget.hourly_remaining, 0);
        assert_eq!(budget.reset, MID_HOUR + 40 * 60, "the next top of the hour");
        assert_eq!(budget.now, MID_HOUR + 2);
    }

    #[test]
    fn the_hourly_budget_comes_back_at_the_top_of_the_hour() {
        let mut limiter = Clocked::new(2, 100);
        let to_the_hour = secs(40 * 60);
        assert!(limiter.call_at(secs(0)).0.is_ok());
        assert!(limiter.call_at(secs(60)).0.is_ok());
        let last_second = secs(40 * 60 - 1);
        let (verdict, budget) = limiter.call_at(last_second);
        assert_eq!(verdict, Err(Exceeded::Hourly));
        assert_eq!(budget.reset, MID_HOUR + 40 * 60);
        // The clock hour turns: the count starts again and the reset moves an hour on.
        let (verdict, budget) = limiter.call_at(to_the_hour);
        assert_eq!(verdict, Ok(()));
        assert_eq!(budget.hourly_remaining, 1);
        assert_eq!(budget.reset, MID_HOUR + 40 * 60 + HOUR);
    }
}
