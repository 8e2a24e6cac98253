//! Per-client-IP request limit: a fixed one-minute window per client, opened by its first
//! request, with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix
//! seconds) on every response and a 429 `rate_limited` envelope with `Retry-After` beyond it.
//!
//! Health probes are not counted (an orchestrator polling them must never be refused).
//!
//! Counters live in this process's memory on purpose: they protect this process, need no
//! database write per request, and a restart resetting them is harmless. The client is the peer
//! address of the connection; `X-Forwarded-For` is not trusted (anyone can send it).

use super::error::ApiError;
use crate::config::RateLimitSettings;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;

const WINDOW_SECONDS: u64 = 60;
const SHARDS: usize = 16;
/// A shard this large drops its expired windows on the next request.
const PRUNE_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: u64,
    count: u32,
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time (seconds) when the window ends.
    pub reset: u64,
}

impl Decision {
    pub fn retry_after(&self, now: u64) -> u64 {
        self.reset.saturating_sub(now).max(1)
    }
}

/// Request counters per client address, sharded so that clients rarely wait on one lock.
#[derive(Debug)]
pub struct RateLimiter {
    shards: Vec<Mutex<HashMap<IpAddr, Window>>>,
    hasher: std::collections::hash_map::RandomState,
    prune_at: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
            prune_at: PRUNE_AT,
        }
    }
}

impl RateLimiter {
    /// Counts a request of `client` at unix time `now` against `limit` requests per minute.
    pub fn check(&self, client: IpAddr, limit: u32, now: u64) -> Decision {
        let shard = &self.shards[(self.hasher.hash_one(client) as usize) % SHARDS];
        let mut windows = match shard.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= self.prune_at {
            windows.retain(|_, w| now < w.started + WINDOW_SECONDS);
        }
        let window = windows.entry(client).or_insert(Window { started: now, count: 0 });
        if now >= window.started + WINDOW_SECONDS {
            *window = Window { started: now, count: 0 };
        }
        let allowed = window.count < limit;
        if allowed {
            window.count += 1;
        }
        Decision {
            allowed,
            limit,
            remaining: limit.saturating_sub(window.count),
            reset: window.started + WINDOW_SECONDS,
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn set_headers(headers: &mut actix_web::http::header::HeaderMap, decision: &Decision) {
    for (name, value) in [
        ("x-ratelimit-limit", decision.limit as u64),
        ("x-ratelimit-remaining", decision.remaining as u64),
        ("x-ratelimit-reset", decision.reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// What the limit makes of a request (see [`check_request`]).
pub enum RateCheck {
    /// Not counted: limits off, a health probe, or no peer address.
    NotCounted,
    /// Counted and allowed: the decision's headers go on the response.
    Allowed(Decision),
    /// Over the limit: the 429 answer, with its headers.
    Refused(HttpResponse),
}

/// The limit of the current (live) settings applied to a request (see [`super::gate`]).
pub fn check_request(req: &ServiceRequest, limiter: &RateLimiter, live: &RateLimitSettings) -> RateCheck {
    let client = req.peer_addr().map(|a| a.ip());
    let counted = live.enabled && !super::probes::is_probe_path(req.path());
    let (true, Some(client)) = (counted, client) else {
        return RateCheck::NotCounted;
    };
    let now = unix_now();
    let decision = limiter.check(client, live.requests_per_minute, now);
    if decision.allowed {
        return RateCheck::Allowed(decision);
    }
    let retry_after = decision.retry_after(now);
    let error = ApiError::rate_limited(
        format!("Rate limit exceeded. Retry after {retry_after} seconds."),
        retry_after,
    );
    let mut response = error.error_response();
    set_headers(response.headers_mut(), &decision);
    RateCheck::Refused(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_the_limit_then_refuses_until_it_resets() {
        let limiter = RateLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..3 {
            let d = limiter.check(ip, 3, 1000);
            assert!(d.allowed);
            assert_eq!(d.remaining, 2 - i);
            assert_eq!(d.reset, 1060);
        }
        let refused = limiter.check(ip, 3, 1010);
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.retry_after(1010)), (0, 50));
        assert!(limiter.check(other, 3, 1010).allowed, "clients are counted separately");
        let next_window = limiter.check(ip, 3, 1060);
        assert!(next_window.allowed);
        assert_eq!((next_window.remaining, next_window.reset), (2, 1120));
    }

    #[test]
    fn expired_windows_are_pruned_from_full_shards() {
        let limiter = RateLimiter {
            prune_at: 4,
            ..RateLimiter::default()
        };
        let clients = (SHARDS * 8) as u32;
        for i in 0..clients {
            limiter.check(IpAddr::from(i.to_be_bytes()), 10, 0);
        }
        // A minute later every old window has expired: each shard keeps at most what it saw since
        // its last prune.
        for i in 0..clients {
            limiter.check(IpAddr::from((i + 1_000_000).to_be_bytes()), 10, 100);
        }
        let total: usize = limiter.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total < 2 * clients as usize, "{total}");
        assert!(limiter.check("10.0.0.1".parse().unwrap(), 10, 100).allowed);
    }
}
