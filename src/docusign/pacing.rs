//! Keeping under DocuSign's limits: a pace for the 30-second burst cap, and the hourly budget
//! as the last answer reported it. A configurable share of both is left for the other
//! integrations on the account.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

const BURST_WINDOW: Duration = Duration::from_secs(30);
/// Added to the window before a place counts as free again: our clock and DocuSign's may run
/// at slightly different rates.
const WINDOW_MARGIN: Duration = Duration::from_millis(250);
/// How long an answered call holds its place.
const HELD_FOR: Duration = BURST_WINDOW.saturating_add(WINDOW_MARGIN);

/// The counters DocuSign reported on its latest answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub hourly_limit: Option<u64>,
    pub hourly_remaining: Option<u64>,
    /// Epoch seconds when the hourly window resets.
    pub hourly_reset: Option<u64>,
    pub burst_limit: Option<u64>,
    pub burst_remaining: Option<u64>,
    /// DocuSign's clock when it answered (its `Date` header), in epoch seconds.
    pub server_time: Option<u64>,
    /// When that answer arrived, by our clock.
    pub received: Option<Instant>,
}

impl Budget {
    /// Reads `X-RateLimit-*`, `X-BurstLimit-*` and `Date` from an answer arriving now; a
    /// missing header leaves its field empty.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let number = |name: &str| text(name).and_then(|value| value.trim().parse::<u64>().ok());
        let server_time = text("date")
            .and_then(|date| {
                jiff::fmt::rfc2822::DateTimeParser::new()
                    .parse_timestamp(date.trim())
                    .ok()
            })
            .and_then(|timestamp| u64::try_from(timestamp.as_second()).ok());
        Self {
            hourly_limit: number("x-ratelimit-limit"),
            hourly_remaining: number("x-ratelimit-remaining"),
            hourly_reset: number("x-ratelimit-reset"),
            burst_limit: number("x-burstlimit-limit"),
            burst_remaining: number("x-burstlimit-remaining"),
            server_time,
            received: Some(Instant::now()),
        }
    }

    /// Seconds until the hourly window resets (0 when unknown or past).
    #[must_use]
    pub fn seconds_to_reset(&self) -> u64 {
        self.hourly_reset
            .map_or(0, |reset| reset.saturating_sub(self.server_now()))
    }

    /// DocuSign's clock now: its `Date` on the answer plus the time since the answer arrived,
    /// so a local clock that is off can't misplace the reset DocuSign gave in its own time.
    /// Our clock stands in when the answer had no `Date`.
    fn server_now(&self) -> u64 {
        match (self.server_time, self.received) {
            (Some(date), Some(received)) => date.saturating_add(received.elapsed().as_secs()),
            _ => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
        }
    }
}

/// What is left of the hourly budget, by the latest answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourlyRoom {
    /// Calls DocuSign said are left this hour.
    pub remaining: u64,
    /// The part of the hour's budget kept for other integrations.
    pub reserve: u64,
    /// Epoch seconds when the hour's budget resets, when DocuSign said.
    pub resets_at: Option<u64>,
    /// Seconds until then.
    pub reset_in: u64,
}

impl HourlyRoom {
    /// Calls we may still make this hour.
    #[must_use]
    pub const fn ours(&self) -> u64 {
        self.remaining.saturating_sub(self.reserve)
    }
}

/// Paces calls below the burst cap and watches the hourly budget.
///
/// The burst cap is DocuSign's count of calls in any 30 seconds. The pacer lets our share of it
/// (the cap less the reserve) go out as soon as it is asked for, and holds the next call until
/// a place is free: a small job runs at full speed, a big one at the cap. A call holds its place
/// from when it is sent until 30 s after its answer arrived: DocuSign counts it at some moment
/// in between, and only the answer proves that moment has passed, however slow the way there.
/// A GCRA limiter (`governor`) can't do this: its burst and its steady rate add up within one
/// window, so it must either space calls evenly from the start or overshoot the cap.
#[derive(Debug)]
pub struct Pacer {
    reserve_share: f64,
    state: Mutex<PacerState>,
    /// Told when a waiting call may find a place without the clock moving on: an answer
    /// arrived while every place was in flight, or a larger cap was learnt.
    freed: Notify,
}

#[derive(Debug)]
struct PacerState {
    burst_limit: u64,
    /// Calls we may send in any 30 s.
    allowed: usize,
    /// Calls sent whose answer hasn't arrived.
    in_flight: usize,
    /// When the answers of the last 30 s arrived, oldest first.
    answered: VecDeque<Instant>,
    budget: Budget,
}

/// A call's place under the burst cap, held from when it is sent until its answer arrives:
/// dropping the turn says the answer (or the failure) is in.
#[derive(Debug)]
#[must_use = "the call's place is given back when the turn is dropped"]
pub struct Turn<'a> {
    pacer: &'a Pacer,
}

impl Turn<'_> {
    /// The call's answer is in, with the counters it carries. They go in and the call's place
    /// is given back in one step, so no call sees the hour's budget without this one, nor with
    /// it twice: in DocuSign's count and still on its way (which refused a call that fitted).
    pub fn answered(self, budget: Budget) {
        self.pacer.answered(Some(budget));
        // Its place is given back already.
        std::mem::forget(self);
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.pacer.answered(None);
    }
}

/// Our share of the hour's budget is used up: only the reserve for other integrations is
/// left, and it resets in `reset_in` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourlySpent {
    pub reset_in: u64,
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
                in_flight: 0,
                answered: VecDeque::new(),
                budget: Budget::default(),
            }),
            freed: Notify::new(),
        }
    }

    /// Waits until a call fits under our share of the burst cap, and counts it as sent until
    /// the returned turn is dropped. Answers at once when our share of the hour's budget has
    /// no room for it, counting the calls still on their way, which DocuSign's count may not
    /// show yet: checked under the same lock that counts the call, so calls sent together
    /// can't all take the last place.
    pub async fn wait_turn(&self) -> Result<Turn<'_>, HourlySpent> {
        loop {
            // Asked for before looking, so a place freed in between is not missed.
            let freed = self.freed.notified();
            let oldest_frees_in = {
                let mut state = self.lock();
                if let Some(room) = self.room(&state.budget)
                    && room.reset_in > 0
                    && room.ours() <= u64::try_from(state.in_flight).unwrap_or(u64::MAX)
                {
                    return Err(HourlySpent {
                        reset_in: room.reset_in,
                    });
                }
                let now = Instant::now();
                while state
                    .answered
                    .front()
                    .is_some_and(|answered| now.duration_since(*answered) >= HELD_FOR)
                {
                    state.answered.pop_front();
                }
                if state.in_flight + state.answered.len() < state.allowed {
                    state.in_flight += 1;
                    return Ok(Turn { pacer: self });
                }
                state
                    .answered
                    .front()
                    .map(|oldest| HELD_FOR.saturating_sub(now.duration_since(*oldest)))
            };
            match oldest_frees_in {
                Some(wait) => {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = freed => {}
                    }
                }
                // Every place is in flight: the first answer starts the first clock.
                None => freed.await,
            }
        }
    }

    /// A call's answer arrived, with its counters when it has any (or the call failed): its
    /// place frees 30 s from now.
    fn answered(&self, budget: Option<Budget>) {
        let mut state = self.lock();
        let larger = budget.is_some_and(|budget| self.take_in(&mut state, budget));
        state.in_flight = state.in_flight.saturating_sub(1);
        let first_clock = state.answered.is_empty();
        state.answered.push_back(Instant::now());
        drop(state);
        if first_clock || larger {
            self.freed.notify_waiters();
        }
    }

    /// What is left of the hourly budget, by the latest answer; `None` until DocuSign said.
    #[must_use]
    pub fn hourly_room(&self) -> Option<HourlyRoom> {
        self.room(&self.lock().budget)
    }

    fn room(&self, budget: &Budget) -> Option<HourlyRoom> {
        let (limit, remaining) = (budget.hourly_limit?, budget.hourly_remaining?);
        Some(HourlyRoom {
            remaining,
            reserve: self.reserve(limit),
            resets_at: budget.hourly_reset,
            reset_in: budget.seconds_to_reset(),
        })
    }

    /// Takes in an answer's counters; a burst cap other than the assumed one re-paces.
    pub fn observe(&self, budget: Budget) {
        let mut state = self.lock();
        let larger = self.take_in(&mut state, budget);
        drop(state);
        if larger {
            self.freed.notify_waiters();
        }
    }

    /// Takes an answer's counters into `state`; true when the burst cap turned out larger
    /// than assumed (waiting calls may go).
    fn take_in(&self, state: &mut PacerState, budget: Budget) -> bool {
        let mut larger = false;
        if let Some(limit) = budget
            .burst_limit
            .filter(|limit| *limit > 0 && *limit != state.burst_limit)
        {
            let now_allowed = allowed(limit, self.reserve_share);
            larger = now_allowed > state.allowed;
            state.burst_limit = limit;
            state.allowed = now_allowed;
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
        larger
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
    use std::sync::Arc;

    use super::*;

    /// One call whose answer arrives at once.
    async fn call(pacer: &Pacer) {
        drop(pacer.wait_turn().await.expect("room this hour"));
    }

    /// `n` calls in a row, all of which go at once; when they went.
    async fn all_at_once(pacer: &Pacer, n: usize) -> Instant {
        let start = Instant::now();
        for _ in 0..n {
            call(pacer).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        start
    }

    /// A call made from another task, which may have to wait; its answer is when it went.
    fn waiting_call(pacer: &Arc<Pacer>) -> tokio::task::JoinHandle<Instant> {
        let pacer = Arc::clone(pacer);
        tokio::spawn(async move {
            drop(pacer.wait_turn().await.expect("room this hour"));
            Instant::now()
        })
    }

    /// An answer that states only the burst cap, `limit`.
    fn burst(limit: u64) -> Budget {
        Budget {
            burst_limit: Some(limit),
            ..Budget::default()
        }
    }

    /// The hour's counters as DocuSign reports them, with the reset ten minutes away.
    fn hour(limit: u64, remaining: u64) -> Budget {
        let mut headers = HeaderMap::new();
        headers.insert(
            "date",
            "Mon, 05 Jan 2026 09:50:00 GMT".parse().expect("header"),
        );
        headers.insert("x-ratelimit-reset", "1767607200".parse().expect("header"));
        headers.insert("x-ratelimit-limit", limit.into());
        headers.insert("x-ratelimit-remaining", remaining.into());
        Budget::from_headers(&headers)
    }

    #[tokio::test(start_paused = true)]
    async fn hourly_reserve_is_kept_for_others() {
        // 3,000 an hour, 600 kept: with 600 left nothing is ours, and a call is refused at once
        // with the time to the reset.
        let pacer = Pacer::new(200, 0.2);
        pacer.observe(hour(3000, 600));
        let room = pacer.hourly_room().expect("reported");
        assert_eq!((room.remaining, room.reserve, room.ours()), (600, 600, 0));
        assert_eq!(
            pacer.wait_turn().await.map(drop),
            Err(HourlySpent { reset_in: 600 })
        );
        // With 601 left, one call is ours.
        let pacer = Pacer::new(200, 0.2);
        pacer.observe(hour(3000, 601));
        assert_eq!(pacer.hourly_room().expect("reported").ours(), 1);
        call(&pacer).await;
    }

    #[tokio::test(start_paused = true)]
    async fn calls_on_their_way_count_against_our_share_of_the_hour() {
        // 100 an hour, 20 kept, 23 left: three are ours, and the fourth call is refused while
        // the three are still on their way, before DocuSign's count shows any of them.
        let pacer = Pacer::new(200, 0.2);
        pacer.observe(hour(100, 23));
        let turns: Vec<Turn<'_>> = vec![
            pacer.wait_turn().await.expect("first"),
            pacer.wait_turn().await.expect("second"),
            pacer.wait_turn().await.expect("third"),
        ];
        assert_eq!(
            pacer.wait_turn().await.map(drop),
            Err(HourlySpent { reset_in: 600 })
        );
        drop(turns);
        // The answers said 20 left: still nothing ours.
        pacer.observe(hour(100, 20));
        assert!(pacer.wait_turn().await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn an_answered_call_counts_once_against_our_share_of_the_hour() {
        // 100 an hour, 20 kept, 23 left: three are ours. Two go out, and the first one's
        // answer says 22 left: DocuSign's count holds it now, and only the second is on its
        // way, so a third still fits (counting the first twice refused it), and a fourth not.
        let pacer = Pacer::new(200, 0.2);
        pacer.observe(hour(100, 23));
        let first = pacer.wait_turn().await.expect("first");
        let second = pacer.wait_turn().await.expect("second");
        first.answered(hour(100, 22));
        let third = pacer.wait_turn().await.expect("the third fits");
        assert_eq!(
            pacer.wait_turn().await.map(drop),
            Err(HourlySpent { reset_in: 600 })
        );
        second.answered(hour(100, 21));
        third.answered(hour(100, 20));
        assert!(pacer.wait_turn().await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn once_the_reset_has_passed_the_old_count_holds_nothing_back() {
        let pacer = Pacer::new(200, 0.2);
        pacer.observe(hour(100, 0));
        assert!(pacer.wait_turn().await.is_err());
        tokio::time::advance(Duration::from_secs(600)).await;
        assert!(pacer.wait_turn().await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_reset_is_reckoned_on_docusigns_clock() {
        // DocuSign's Date says 09:20:00 and the reset is at 10:00; our own clock (whatever it
        // reads) plays no part. Ten minutes after the answer, thirty are left.
        let mut headers = HeaderMap::new();
        headers.insert(
            "date",
            "Mon, 05 Jan 2026 09:20:00 GMT".parse().expect("header"),
        );
        headers.insert("x-ratelimit-reset", "1767607200".parse().expect("header"));
        let budget = Budget::from_headers(&headers);
        assert_eq!(budget.server_time, Some(1_767_604_800));
        assert_eq!(budget.seconds_to_reset(), 40 * 60);
        tokio::time::advance(Duration::from_secs(10 * 60)).await;
        assert_eq!(budget.seconds_to_reset(), 30 * 60);
    }

    #[tokio::test(start_paused = true)]
    async fn our_share_goes_out_at_once_and_the_next_call_waits_for_the_window() {
        // Cap 10, keep half: 5 calls at once, the sixth when the first answer is 30 s old.
        let pacer = Pacer::new(10, 0.5);
        let start = all_at_once(&pacer, 5).await;
        call(&pacer).await;
        assert_eq!(start.elapsed(), HELD_FOR);
        // In any 30 s, never more than our share: the first five have left the window, so the
        // next four go now, and the fifth waits for the sixth call's answer to be 30 s old.
        for _ in 0..4 {
            call(&pacer).await;
        }
        assert_eq!(start.elapsed(), HELD_FOR);
        call(&pacer).await;
        assert_eq!(start.elapsed(), HELD_FOR * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cap_learnt_from_an_answer_changes_the_share() {
        // Assumed 10 (8 ours), told 100: 80 go at once, the 81st waits for the window.
        let pacer = Pacer::new(10, 0.2);
        pacer.observe(burst(100));
        let start = all_at_once(&pacer, 80).await;
        call(&pacer).await;
        assert_eq!(start.elapsed(), HELD_FOR);

        // Assumed 100 (80 ours), told 10: the ninth call already waits.
        let pacer = Pacer::new(100, 0.2);
        pacer.observe(burst(10));
        let start = all_at_once(&pacer, 8).await;
        call(&pacer).await;
        assert_eq!(start.elapsed(), HELD_FOR);
    }

    #[test]
    fn a_new_hours_count_replaces_the_last_hours_lower_one() {
        let window = |reset: u64, remaining: u64| Budget {
            hourly_limit: Some(3000),
            hourly_remaining: Some(remaining),
            hourly_reset: Some(reset),
            ..Budget::default()
        };
        let pacer = Pacer::new(200, 0.2);
        pacer.observe(window(1_767_607_200, 100));
        // A late answer from the same hour doesn't raise the count again.
        pacer.observe(window(1_767_607_200, 150));
        assert_eq!(pacer.budget().hourly_remaining, Some(100));
        // The next hour starts afresh: its count is the truth, however much higher.
        pacer.observe(window(1_767_610_800, 2_990));
        assert_eq!(pacer.budget().hourly_remaining, Some(2_990));
        assert_eq!(pacer.budget().hourly_reset, Some(1_767_610_800));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_cap_of_zero_in_an_answer_is_ignored() {
        // A header that says 0 is broken, not a cap: taken at its word it would pace the run
        // at one call every 30 seconds.
        let pacer = Pacer::new(10, 0.2);
        pacer.observe(burst(0));
        all_at_once(&pacer, 8).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_holds_its_place_until_30_s_after_its_answer() {
        // One place: the second call waits for the first answer (10 s coming), then 30 s more.
        let pacer = Arc::new(Pacer::new(1, 0.0));
        let start = Instant::now();
        let first = pacer.wait_turn().await.expect("room this hour");
        let second = waiting_call(&pacer);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(!second.is_finished(), "a call in flight holds its place");
        drop(first);
        let second_sent = second.await.expect("the second call");
        assert_eq!(second_sent - start, Duration::from_secs(10) + HELD_FOR);
    }

    #[tokio::test(start_paused = true)]
    async fn a_larger_cap_learnt_while_waiting_lets_the_waiting_call_go() {
        let pacer = Arc::new(Pacer::new(1, 0.0));
        let start = Instant::now();
        call(&pacer).await;
        let second = waiting_call(&pacer);
        tokio::time::sleep(Duration::from_secs(5)).await;
        pacer.observe(burst(2));
        let second_sent = second.await.expect("the second call");
        assert_eq!(second_sent - start, Duration::from_secs(5));
    }

    /// However long answers take, no 30-second window can hold more than our share of the
    /// calls DocuSign may have counted in it: a call counts anywhere from its send to its
    /// answer, so at each send every call answered less than 30 s ago, or not yet, may still
    /// be in DocuSign's window.
    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_our_share_whatever_the_answer_times() {
        const SHARE: usize = 6;
        let pacer = Arc::new(Pacer::new(SHARE as u64, 0.0));
        let mut rng = fastrand::Rng::with_seed(7);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..60 {
            let pacer = Arc::clone(&pacer);
            let latency = Duration::from_millis(rng.u64(0..8_000));
            let start_after = Duration::from_millis(rng.u64(0..90_000));
            tasks.spawn(async move {
                tokio::time::sleep(start_after).await;
                let turn = pacer.wait_turn().await.expect("room this hour");
                let sent = Instant::now();
                tokio::time::sleep(latency).await;
                drop(turn);
                (sent, Instant::now())
            });
        }
        let calls: Vec<(Instant, Instant)> = tasks.join_all().await;
        let mut busiest = 0;
        for &(sent, _) in &calls {
            let possibly_counted = calls
                .iter()
                .filter(|&&(other_sent, other_answered)| {
                    other_sent <= sent && other_answered + BURST_WINDOW > sent
                })
                .count();
            busiest = busiest.max(possibly_counted);
        }
        assert_eq!(busiest, SHARE, "the window was full, and never fuller");
    }
}
