//! The fastest DocuSign's burst cap lets a run of calls finish, so that a wall time can be
//! read against it. The cap counts the calls of the last 30 s (500 in production, 200 in
//! demo); every answer is taken to come one latency after its call.

use std::time::Duration;

/// The burst window of DocuSign's cap.
pub const WINDOW: Duration = Duration::from_secs(30);

pub fn wide(n: usize) -> u64 {
    u64::try_from(n).expect("counts fit in u64")
}

pub fn narrow(n: u64) -> u32 {
    u32::try_from(n).expect("counts fit in u32")
}

/// Floor (a): what the cap itself allows. It counts the calls of the last 30 s, so the first
/// `cap` calls may go at once, the next `cap` 30 s later, and so on; the last answer comes one
/// latency after the last call.
pub fn cap_floor(calls: u64, cap: u32, latency: Duration) -> Duration {
    let later_windows = calls
        .saturating_sub(u64::from(cap))
        .div_ceil(u64::from(cap));
    WINDOW * narrow(later_windows) + latency
}

/// The client's pace under a cap: calls per window and the first burst, as `pacing.rs` sets
/// its limiter (our share of the cap, evenly spaced, after a burst of half the reserve).
pub fn paced(cap: u32, reserve_share: f64) -> (u32, u32) {
    let allowed = (f64::from(cap) * (1.0 - reserve_share)).floor().max(1.0);
    // `allowed` is a whole number no larger than `cap`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let allowed = allowed as u32;
    (allowed, (cap.saturating_sub(allowed) / 2).max(1))
}

/// Floor (b): what the client's own pace allows: the first `burst` calls at once, then one
/// every `30 s / allowed`; the last answer comes one latency after the last call.
pub fn paced_floor(calls: u64, cap: u32, reserve_share: f64, latency: Duration) -> Duration {
    let (allowed, burst) = paced(cap, reserve_share);
    let period = WINDOW / allowed;
    period * narrow(calls.saturating_sub(u64::from(burst))) + latency
}

/// The client's own limiter: a first burst, then one call per period (GCRA, as `governor`).
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub burst: u32,
    pub period: Duration,
}

impl Pace {
    /// The pace `pacing.rs` sets under `cap`, keeping `reserve_share` for other integrations.
    pub fn of_client(cap: u32, reserve_share: f64) -> Self {
        let (allowed, burst) = paced(cap, reserve_share);
        Self {
            burst,
            period: WINDOW / allowed,
        }
    }
}

/// The floor of calls made in dependent rounds: a round's calls can only be sent once the
/// round before has been answered (a snapshot learns how many pages there are from the first
/// page; apply's phases are barriers). Every call goes as early as the cap allows (never more
/// than `cap` in any 30 s) and, given a `pace`, as early as that limiter allows too; the last answer comes one latency after the last call.
/// With one round and no pace this is [`cap_floor`].
pub fn rounds_floor(rounds: &[u64], cap: u32, pace: Option<Pace>, latency: Duration) -> Duration {
    let cap = usize::try_from(cap).expect("a cap fits in usize");
    let mut sent: Vec<Duration> = Vec::new();
    let mut ready = Duration::ZERO;
    // The limiter's theoretical arrival time, and how far ahead of it a call may go.
    let mut tat = Duration::ZERO;
    let tolerance = pace.map_or(Duration::ZERO, |pace| {
        pace.period * pace.burst.saturating_sub(1)
    });
    for &calls in rounds.iter().filter(|&&calls| calls > 0) {
        let mut last = ready;
        for _ in 0..calls {
            let mut at = ready;
            if sent.len() >= cap {
                at = at.max(sent[sent.len() - cap] + WINDOW);
            }
            if let Some(pace) = pace {
                at = at.max(tat.saturating_sub(tolerance));
                tat = tat.max(at) + pace.period;
            }
            sent.push(at);
            last = last.max(at);
        }
        ready = last + latency;
    }
    ready
}

/// Checks the floor arithmetic on cases worked by hand; a benchmark has no test harness, so
/// it calls this before it measures anything.
pub fn check_by_hand() {
    let latency = Duration::from_millis(50);
    // One round under the cap: one latency, as the cap's own floor says.
    assert_eq!(rounds_floor(&[100], 500, None, latency), latency);
    assert_eq!(cap_floor(100, 500, latency), latency);
    // 4 calls, then 510: 496 go at 50 ms, 4 at 30 s (when the first 4 leave the window), the
    // last 10 at 30.05 s, answered at 30.1 s.
    assert_eq!(
        rounds_floor(&[4, 510], 500, None, latency),
        Duration::from_millis(30_100)
    );
    // The client's pace under the production cap: 50 at once, then one every 75 ms.
    let pace = Pace::of_client(500, 0.2);
    assert_eq!((pace.burst, pace.period), (50, Duration::from_millis(75)));
    assert_eq!(
        rounds_floor(&[60], 500, Some(pace), latency),
        Duration::from_millis(10 * 75 + 50)
    );
}
