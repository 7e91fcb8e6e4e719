//! Per-client-address rate limits for public POSTs and lookups (SPEC §10),
//! using `governor`'s GCRA: `n` requests per hour, refilled smoothly.

use std::{net::IpAddr, num::NonZeroU32};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::config::Security;
use crate::error::AppError;

/// Keys kept before old ones are dropped, bounding memory on a small box.
const MAX_KEYS: usize = 10_000;

pub struct Limiter(DefaultKeyedRateLimiter<IpAddr>);

impl Limiter {
    pub fn per_hour(n: u32) -> Limiter {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Limiter(RateLimiter::keyed(Quota::per_hour(n)))
    }

    /// `Ok` if `ip` may go ahead now; a 429 with `Retry-After` otherwise.
    pub fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        if self.0.len() > MAX_KEYS {
            self.0.retain_recent();
        }
        self.0.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

/// The limiters of the public endpoints.
pub struct RateLimits {
    /// Booking creation.
    pub bookings: Limiter,
    /// Booking lookups and self-cancellations (so refs cannot be guessed).
    pub lookups: Limiter,
    /// Vehicle inquiries.
    pub inquiries: Limiter,
}

impl RateLimits {
    pub fn new(security: &Security) -> RateLimits {
        RateLimits {
            bookings: Limiter::per_hour(security.bookings_per_hour.0),
            lookups: Limiter::per_hour(security.lookups_per_hour.0),
            inquiries: Limiter::per_hour(security.inquiries_per_hour.0),
        }
    }
}
