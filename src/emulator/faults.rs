//! Faults on demand: latency with jitter, server errors, dropped connections and rate-limit
//! refusals. Each request's fate is drawn from its own seeded hash, so a seeded run injects the
//! same faults into the same requests however a concurrent client's calls interleave.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use sha2::{Digest, Sha256};

/// One injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// A 500 or 503 before the call takes effect.
    ServerError(StatusCode),
    /// The connection drops before the call takes effect.
    DropBefore,
    /// The call takes effect, then the connection drops before the answer arrives: the case
    /// where a client must check before retrying a create.
    DropAfter,
    /// A burst-limit refusal, as when other integrations on the account used the burst up.
    RateLimited,
}

/// What a request is, whoever sends it and whenever it arrives: its method, its path with the
/// query, and its body. A retry of a request is the same request.
///
/// Why not arrival order, or a counter per route: concurrent calls arrive in whatever order
/// the scheduler lets them, so any counter they share hands its numbers out differently from run
/// to run and two calls could swap fates. A request's own content is the same in every run;
/// headers are left out because they carry tokens, which a renewal changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestKey([u8; 32]);

impl RequestKey {
    #[must_use]
    pub fn of(method: &Method, path_and_query: &str, body: &[u8]) -> Self {
        let mut hash = Sha256::new();
        for part in [method.as_str().as_bytes(), path_and_query.as_bytes(), body] {
            // Length-prefixed, so no two different requests hash the same bytes.
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        Self(hash.finalize().into())
    }
}

/// The first bytes in hex: enough to tell requests apart in a log.
impl fmt::Display for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0[..8]
            .iter()
            .try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// How many times each request has been seen: the attempt number that makes a retry's fate a
/// fresh draw, while the set of faulted requests stays independent of interleaving. Two
/// byte-identical requests in flight at once may swap attempt numbers, which no one can tell
/// apart.
#[derive(Debug, Default)]
pub struct Attempts(HashMap<RequestKey, u64>);

impl Attempts {
    /// The attempt number of this arrival of `request`: 0 the first time.
    pub fn next(&mut self, request: RequestKey) -> u64 {
        let seen = self.0.entry(request).or_default();
        let attempt = *seen;
        *seen += 1;
        attempt
    }
}

/// What befalls one attempt of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fate {
    pub fault: Option<Fault>,
    /// Added to the configured latency.
    pub jitter: Duration,
}

/// Told apart from every other use of SHA-256, and versioned: changing how fates are drawn
/// changes every seeded run.
const FATE_DOMAIN: &[u8] = b"docusign-gitops emulator fate v1";

impl Fate {
    /// A pure function of the seed, the route (`METHOD /path/{template}`), the request and its
    /// attempt number: SHA-256 over them, cut into independent 64-bit draws.
    #[must_use]
    pub fn draw(
        seed: u64,
        route: &str,
        request: RequestKey,
        attempt: u64,
        (fault_rate, rate_limited_share): (f64, f64),
        max_jitter: Duration,
    ) -> Self {
        let mut hash = Sha256::new();
        hash.update(FATE_DOMAIN);
        hash.update(seed.to_le_bytes());
        hash.update((route.len() as u64).to_le_bytes());
        hash.update(route.as_bytes());
        hash.update(request.0);
        hash.update(attempt.to_le_bytes());
        let digest: [u8; 32] = hash.finalize().into();
        let word = |index: usize| {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(&digest[index * 8..index * 8 + 8]);
            u64::from_le_bytes(bytes)
        };
        let fault = (fault_rate > 0.0 && unit(word(0)) < fault_rate).then(|| match word(1) % 5 {
            0 => Fault::ServerError(StatusCode::INTERNAL_SERVER_ERROR),
            1 => Fault::ServerError(StatusCode::SERVICE_UNAVAILABLE),
            2 => Fault::DropBefore,
            3 => Fault::DropAfter,
            _ => Fault::RateLimited,
        });
        // A draw of its own, made only when asked for, so the faults of a seeded run stay
        // what they were without it.
        let fault = fault.or_else(|| {
            (rate_limited_share > 0.0 && unit(word(3)) < rate_limited_share)
                .then_some(Fault::RateLimited)
        });
        let jitter_nanos = u64::try_from(max_jitter.as_nanos()).unwrap_or(u64::MAX);
        let jitter = Duration::from_nanos(match jitter_nanos.checked_add(1) {
            Some(span) => word(2) % span,
            None => word(2),
        });
        Self { fault, jitter }
    }
}

/// A uniform number in [0, 1) from 64 random bits (the 53 an `f64` holds).
fn unit(bits: u64) -> f64 {
    const TWO_TO_THE_53: f64 = 9_007_199_254_740_992.0;
    #[allow(clippy::cast_precision_loss)] // 53 bits: exact
    let top = (bits >> 11) as f64;
    top / TWO_TO_THE_53
}

/// One arrival of a request, and what the dice said for it.
#[derive(Clone, Debug)]
pub struct Drawn {
    /// `METHOD /path/{template}`.
    pub route: String,
    pub request: RequestKey,
    pub attempt: u64,
    pub fate: Fate,
}

impl Drawn {
    /// The log entry of this arrival's fault, if it drew one.
    #[must_use]
    pub fn injected(&self) -> Option<InjectedFault> {
        self.fate.fault.map(|fault| InjectedFault {
            route: self.route.clone(),
            request: self.request,
            attempt: self.attempt,
            fault,
        })
    }
}

/// One fault the emulator injected, for tests that compare two runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InjectedFault {
    /// `METHOD /path/{template}`.
    pub route: String,
    pub request: RequestKey,
    pub attempt: u64,
    pub fault: Fault,
}

/// The time one call takes, as its caller sees it: the configured latency plus the call's
/// jitter, from the request's arrival to its answer, DocuSign's own work included. Half the
/// latency and the jitter pass before the work (the request's way in: the jitter reorders
/// concurrent requests, as a network does), the rest after it. So the emulator's own CPU time
/// falls inside the latency, as DocuSign's does inside a real call's, instead of adding to it
/// (`assumptions.rs`, "Latency includes DocuSign's work").
pub struct Timing {
    arrived: tokio::time::Instant,
    latency: Duration,
    jitter: Duration,
}

impl Timing {
    /// The timing of a call arriving now.
    pub fn from_now(latency: Duration, jitter: Duration) -> Self {
        Self {
            arrived: tokio::time::Instant::now(),
            latency,
            jitter,
        }
    }

    /// The request's way in: half the latency and the jitter, from its arrival.
    pub async fn way_in(&self) {
        self.until(self.latency / 2 + self.jitter).await;
    }

    /// The answer's way back: the call ends one latency (and its jitter) after it arrived,
    /// however long the work took within it.
    pub async fn way_back(&self) {
        self.until(self.latency + self.jitter).await;
    }

    /// Waits until `since_arrival` has passed since the call arrived (no wait at all for none).
    async fn until(&self, since_arrival: Duration) {
        if !since_arrival.is_zero() {
            tokio::time::sleep_until(self.arrived + since_arrival).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(body: &str) -> RequestKey {
        RequestKey::of(
            &Method::PUT,
            "/restapi/v2.1/accounts/a/users",
            body.as_bytes(),
        )
    }

    const ROUTE: &str = "PUT /restapi/v2.1/accounts/{accountId}/users";
    const JITTER: Duration = Duration::from_millis(20);

    #[test]
    fn a_fate_is_a_pure_function_of_seed_route_request_and_attempt() {
        let fates = |seed| -> Vec<Fate> {
            (0..200)
                .map(|n| Fate::draw(seed, ROUTE, key(&n.to_string()), n % 3, (0.5, 0.0), JITTER))
                .collect()
        };
        assert_eq!(fates(7), fates(7));
        // Drawn in another order (as concurrent calls arrive), each request keeps its fate.
        let backwards: Vec<Fate> = (0..200)
            .rev()
            .map(|n| Fate::draw(7, ROUTE, key(&n.to_string()), n % 3, (0.5, 0.0), JITTER))
            .collect();
        assert_eq!(backwards.into_iter().rev().collect::<Vec<_>>(), fates(7));
        // Every input matters.
        assert_ne!(fates(7), fates(8));
        let one = |route: &str, body: &str, attempt| {
            Fate::draw(7, route, key(body), attempt, (0.5, 0.0), JITTER)
        };
        let differs = |other: &dyn Fn(u64) -> Fate| {
            (0..50).any(|n| other(n) != one(ROUTE, &n.to_string(), 0))
        };
        assert!(differs(&|n| one("PUT /other", &n.to_string(), 0)));
        assert!(differs(&|n| one(ROUTE, &format!("{n} "), 0)));
        assert!(differs(&|n| one(ROUTE, &n.to_string(), 1)));
    }

    /// The draw is plain SHA-256 over fixed bytes, so a seed's faults are the same on every
    /// platform and in every build; changing how fates are drawn shows up here.
    #[test]
    fn a_fate_is_the_same_on_every_platform() {
        let request = RequestKey::of(&Method::POST, "/restapi/v2.1/accounts/a/users", b"{}");
        assert_eq!(request.to_string(), "b7cbe69a520343ae");
        // Worked out independently (Python's hashlib) from the layout `Fate::draw` describes:
        // the first word is 0.727 of the way up, so a rate of 0.7 spares this attempt.
        let fate = Fate::draw(42, ROUTE, request, 1, (1.0, 0.0), JITTER);
        assert_eq!(
            (fate.fault, fate.jitter),
            (
                Some(Fault::ServerError(StatusCode::INTERNAL_SERVER_ERROR)),
                Duration::from_nanos(5_922_652)
            )
        );
        assert_eq!(
            Fate::draw(42, ROUTE, request, 1, (0.7, 0.0), JITTER).fault,
            None
        );
        assert!(
            Fate::draw(42, ROUTE, request, 1, (0.73, 0.0), JITTER)
                .fault
                .is_some()
        );
    }

    #[test]
    fn the_request_key_covers_method_path_query_and_body() {
        let base = RequestKey::of(&Method::GET, "/users?start_position=0", b"");
        assert_eq!(
            base,
            RequestKey::of(&Method::GET, "/users?start_position=0", b"")
        );
        let others: [(Method, &str, &[u8]); 3] = [
            (Method::DELETE, "/users?start_position=0", b""),
            (Method::GET, "/users?start_position=20", b""),
            (Method::GET, "/users?start_position=0", b"{}"),
        ];
        for (method, path, body) in others {
            let key = RequestKey::of(&method, path, body);
            assert_ne!(base, key, "{method} {path} {body:?}");
        }
        // The length prefixes keep a path's end and a body's start apart.
        assert_ne!(
            RequestKey::of(&Method::PUT, "/users", b"x"),
            RequestKey::of(&Method::PUT, "/usersx", b"")
        );
    }

    #[test]
    fn retries_are_fresh_draws_counted_per_request() {
        let mut attempts = Attempts::default();
        let (a, b) = (key("a"), key("b"));
        assert_eq!(
            [
                attempts.next(a),
                attempts.next(b),
                attempts.next(a),
                attempts.next(a)
            ],
            [0, 0, 1, 2]
        );
        // A request faulted on every attempt would never get through: attempts draw anew.
        let fates: Vec<Fate> = (0..40)
            .map(|attempt| Fate::draw(1, ROUTE, a, attempt, (0.5, 0.0), JITTER))
            .collect();
        assert!(fates.iter().any(|fate| fate.fault.is_some()));
        assert!(fates.iter().any(|fate| fate.fault.is_none()));
    }

    #[test]
    fn rates_and_jitter_are_honoured() {
        let draws = |rate| -> Vec<Fate> {
            (0..10_000)
                .map(|n| Fate::draw(3, ROUTE, key(&n.to_string()), 0, (rate, 0.0), JITTER))
                .collect()
        };
        assert!(draws(0.0).iter().all(|fate| fate.fault.is_none()));
        assert!(draws(1.0).iter().all(|fate| fate.fault.is_some()));
        let faulted = draws(0.2)
            .iter()
            .filter(|fate| fate.fault.is_some())
            .count();
        assert!(
            (1_800..2_200).contains(&faulted),
            "{faulted} of 10000 at rate 0.2"
        );
        let fates = draws(0.2);
        for kind in [
            Fault::ServerError(StatusCode::INTERNAL_SERVER_ERROR),
            Fault::ServerError(StatusCode::SERVICE_UNAVAILABLE),
            Fault::DropBefore,
            Fault::DropAfter,
            Fault::RateLimited,
        ] {
            let count = fates.iter().filter(|fate| fate.fault == Some(kind)).count();
            assert!((300..500).contains(&count), "{kind:?}: {count}");
        }
        assert!(fates.iter().all(|fate| fate.jitter <= JITTER));
        assert!(fates.iter().any(|fate| fate.jitter > JITTER / 2));
        let still = Fate::draw(3, ROUTE, key("x"), 0, (0.2, 0.0), Duration::ZERO);
        assert_eq!(still.jitter, Duration::ZERO);
    }

    #[test]
    fn a_rate_limited_share_refuses_that_share_and_leaves_the_other_faults_as_they_were() {
        let draws = |rates| -> Vec<Fate> {
            (0..10_000)
                .map(|n| Fate::draw(5, ROUTE, key(&n.to_string()), 0, rates, JITTER))
                .collect()
        };
        let refused = draws((0.0, 0.25))
            .iter()
            .filter(|fate| fate.fault == Some(Fault::RateLimited))
            .count();
        assert!(
            (2_300..2_700).contains(&refused),
            "{refused} of 10000 at share 0.25"
        );
        assert!(
            draws((0.0, 0.25))
                .iter()
                .all(|fate| { matches!(fate.fault, None | Some(Fault::RateLimited)) })
        );
        // Every fault the rate alone draws is drawn with the share too.
        for (alone, with_share) in draws((0.2, 0.0)).iter().zip(draws((0.2, 0.25))) {
            if alone.fault.is_some() {
                assert_eq!(alone.fault, with_share.fault);
            }
            assert_eq!(alone.jitter, with_share.jitter);
        }
    }

    /// A call answers one latency and its jitter after it arrived, the work inside it: the
    /// work starts half a latency (and the jitter) in, and however long it takes up to the
    /// rest, the answer leaves on time; work that takes longer than that is answered at once.
    #[tokio::test(start_paused = true)]
    async fn a_call_takes_its_latency_with_the_work_inside_it() {
        use std::time::Duration;
        use tokio::time::{Instant, sleep};

        let ms = Duration::from_millis;
        for (work, answered_after) in [(ms(0), ms(60)), (ms(20), ms(60)), (ms(40), ms(75))] {
            let arrived = Instant::now();
            let timing = super::Timing::from_now(ms(50), ms(10));
            timing.way_in().await;
            assert_eq!(
                arrived.elapsed(),
                ms(35),
                "the work starts after the way in"
            );
            sleep(work).await;
            timing.way_back().await;
            assert_eq!(arrived.elapsed(), answered_after, "work taking {work:?}");
        }
    }
}
