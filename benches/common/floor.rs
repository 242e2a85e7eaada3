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

/// The client's share of a cap, as `pacing.rs` computes it: the cap less the reserve.
pub fn paced(cap: u32, reserve_share: f64) -> u32 {
    let allowed = (f64::from(cap) * (1.0 - reserve_share)).floor().max(1.0);
    // `allowed` is a whole number no larger than `cap`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let allowed = allowed as u32;
    allowed
}

/// The margin `pacing.rs` adds to the window before a slot is free again.
pub const PACE_MARGIN: Duration = Duration::from_millis(250);

/// Floor (b): what the client's own pace allows: its share of the cap at once, the next share
/// one window (and the margin) later; the last answer comes one latency after the last call.
pub fn paced_floor(calls: u64, cap: u32, reserve_share: f64, latency: Duration) -> Duration {
    rounds_floor(
        &[calls],
        cap,
        Some(Pace::of_client(cap, reserve_share)),
        latency,
    )
}

/// The client's own limiter: at most `allowed` calls in any `window` (a sliding log).
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub allowed: u32,
    pub window: Duration,
}

impl Pace {
    /// The pace `pacing.rs` sets under `cap`, keeping `reserve_share` for other integrations.
    pub fn of_client(cap: u32, reserve_share: f64) -> Self {
        Self {
            allowed: paced(cap, reserve_share),
            window: WINDOW + PACE_MARGIN,
        }
    }
}

/// The floor of calls made in dependent rounds: a round's calls can only be sent once the
/// round before has been answered (a snapshot learns how many pages there are from the first
/// page; apply's phases are barriers). Every call goes as early as the cap allows (never more
/// than `cap` in any 30 s) and, given a `pace`, as early as that limiter allows too; the last
/// answer comes one latency after the last call.
/// With one round and no pace this is [`cap_floor`].
pub fn rounds_floor(rounds: &[u64], cap: u32, pace: Option<Pace>, latency: Duration) -> Duration {
    let cap = usize::try_from(cap).expect("a cap fits in usize");
    let mut sent: Vec<Duration> = Vec::new();
    let mut ready = Duration::ZERO;
    for &calls in rounds.iter().filter(|&&calls| calls > 0) {
        let mut last = ready;
        for _ in 0..calls {
            let mut at = ready;
            if sent.len() >= cap {
                at = at.max(sent[sent.len() - cap] + WINDOW);
            }
            if let Some(pace) = pace {
                let allowed = usize::try_from(pace.allowed).expect("fits");
                if sent.len() >= allowed {
                    at = at.max(sent[sent.len() - allowed] + pace.window);
                }
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
    // The client's pace under the production cap: 400 at once, the rest a window later.
    let pace = Pace::of_client(500, 0.2);
    assert_eq!(pace.allowed, 400);
    assert_eq!(rounds_floor(&[60], 500, Some(pace), latency), latency);
    assert_eq!(
        rounds_floor(&[410], 500, Some(pace), latency),
        WINDOW + PACE_MARGIN + latency
    );
}
