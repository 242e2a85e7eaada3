//! Faults on demand: latency with jitter, server errors, dropped connections and rate-limit
//! refusals, drawn from a
//! seeded generator so a failing run can be repeated.

use axum::http::StatusCode;

/// One injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl Fault {
    /// Draws whether this call fails, and how.
    pub fn draw(rng: &mut fastrand::Rng, rate: f64) -> Option<Self> {
        if rate <= 0.0 || rng.f64() >= rate {
            return None;
        }
        Some(match rng.u8(0..5) {
            0 => Self::ServerError(StatusCode::INTERNAL_SERVER_ERROR),
            1 => Self::ServerError(StatusCode::SERVICE_UNAVAILABLE),
            2 => Self::DropBefore,
            3 => Self::DropAfter,
            _ => Self::RateLimited,
        })
    }
}
