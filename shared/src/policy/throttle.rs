//! Throttling of password guessing, on every path that checks a password
//! (login, login/jwt, obtain pair, Basic authentication, password change).
//!
//! Three counters per fixed window of `THROTTLE_WINDOW` seconds (default 15
//! minutes), so that guessing is bounded without letting anyone lock a
//! victim out:
//!
//! * per (username, client address): the lock, `THROTTLE_USERNAME_ADDRESS_LIMIT`
//!   (5) — a guesser is stopped at its own address, while the account's
//!   owner, elsewhere, still logs in;
//! * per username across all addresses: a ceiling,
//!   `THROTTLE_USERNAME_LIMIT` (100), bounding guessing spread over many
//!   addresses;
//! * per client address across usernames: `THROTTLE_IP_LIMIT` (50),
//!   bounding one address trying many accounts.
//!
//! The client address is API Gateway's `sourceIp`; an IPv6 address counts
//! per /64 (what one subscriber is usually given). Each attempt adds one to
//! all three *before* any hashing, with one atomic `ADD` each (one round
//! trip), so racing attempts cannot slip past a limit. Over any: 429
//! `{"detail":"Request was throttled. Expected available in N seconds."}`
//! with `Retry-After: N`, N the seconds until the window ends — even for
//! the right password, and the same whether or not the user exists. A
//! successful check clears the (username, address) counter and gives the
//! username's and the address's counters their attempt back. Counters are
//! items with a TTL at the window's end; each names its username and
//! address, for `authctl unthrottle`.

use thiserror::Error;

use crate::app::App;
use crate::base::address::address_bucket;
use crate::base::audit::{self, Event, Subject};
use crate::base::time::now;
use crate::model::counter::{Counter, bounded_key};
use crate::settings::Seconds;
use crate::store::api::{StoreError, ThrottleStore};

/// Why a password check may not go ahead.
#[derive(Debug, Error)]
pub enum ThrottleError {
    /// Over a limit: try again in `wait` seconds (DRF's `Throttled`).
    #[error("throttled for {wait} s")]
    Throttled { wait: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The counters one password check was charged to.
pub struct Attempt {
    pair: Counter,
    username: Counter,
    address: Counter,
}

fn window_of(window: Seconds, now: i64) -> i64 {
    now.div_euclid(window.get())
}

fn pair(window: i64, username: &str, bucket: &str) -> Counter {
    Counter {
        key: bounded_key(
            &format!("pair#{window}#"),
            &format!("{bucket}#{username}"),
            400,
        ),
        username: Some(username.to_owned()),
        address: Some(bucket.to_owned()),
    }
}

fn user(window: i64, username: &str) -> Counter {
    Counter {
        key: bounded_key(&format!("user#{window}#"), username, 200),
        username: Some(username.to_owned()),
        address: None,
    }
}

fn ip(window: i64, bucket: &str) -> Counter {
    Counter {
        key: bounded_key(&format!("ip#{window}#"), bucket, 200),
        username: None,
        address: Some(bucket.to_owned()),
    }
}

/// The username's own counters of the current and the previous window
/// (`authctl unthrottle NAME` clears these and its per-address ones).
pub fn username_keys(window: Seconds, username: &str) -> Vec<String> {
    let w = window_of(window, now());
    vec![user(w, username).key, user(w - 1, username).key]
}

/// The address's own counters of the current and the previous window
/// (`authctl unthrottle --address` clears these and its per-username ones).
pub fn address_keys(window: Seconds, address: &str) -> Vec<String> {
    let (w, bucket) = (window_of(window, now()), address_bucket(address));
    vec![ip(w, &bucket).key, ip(w - 1, &bucket).key]
}

/// The three counters an attempt for `username` at `address` is charged
/// to now: (username, address), username, address.
pub fn counters(window: Seconds, username: &str, address: &str) -> [Counter; 3] {
    let (w, bucket) = (window_of(window, now()), address_bucket(address));
    [
        pair(w, username, &bucket),
        user(w, username),
        ip(w, &bucket),
    ]
}

/// Charges one attempt to `username` at `address`; 429 when over a limit.
pub async fn begin<S: ThrottleStore>(
    app: &App<S>,
    name: &str,
    address: &str,
) -> Result<Attempt, ThrottleError> {
    let s = &app.settings.throttle;
    let now = now();
    let window = window_of(s.window, now);
    let window_end = (window + 1) * s.window.get();
    let counters = counters(s.window, name, address);
    let counts = app.store.hit(&counters, window_end).await?;
    let [pair, username, address] = counters;
    let attempt = Attempt {
        pair,
        username,
        address,
    };
    let over = [
        (
            counts[0],
            s.username_address_limit,
            "username_address_limit",
        ),
        (counts[1], s.username_limit, "username_limit"),
        (counts[2], s.ip_limit, "address_limit"),
    ]
    .into_iter()
    .find(|(count, limit, _)| count > limit);
    if let Some((_, _, which)) = over {
        audit::emit(Event::LoginThrottled, Subject::Username(name), which);
        return Err(ThrottleError::Throttled {
            wait: (window_end - now).max(1) as u64,
        });
    }
    Ok(attempt)
}

/// After the right password: this (username, address) starts afresh, and
/// the username and the address get this attempt back.
pub async fn succeeded<S: ThrottleStore>(app: &App<S>, attempt: Attempt) -> Result<(), StoreError> {
    app.store
        .release(
            &[attempt.pair.key],
            &[attempt.username.key, attempt.address.key],
        )
        .await
}

/// After the right password of a user who still owes a second factor: the
/// attempt is taken back from every counter, but nothing starts afresh
/// (the code's check is charged on its own; only a full login resets).
pub async fn refunded<S: ThrottleStore>(app: &App<S>, attempt: Attempt) -> Result<(), StoreError> {
    app.store
        .release(
            &[],
            &[attempt.pair.key, attempt.username.key, attempt.address.key],
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_window_and_stay_short() {
        assert_eq!(user(7, "alice").key, "user#7#alice");
        assert_eq!(pair(7, "alice", "10.0.0.1").key, "pair#7#10.0.0.1#alice");
        assert_eq!(ip(7, "10.0.0.1").key, "ip#7#10.0.0.1");
        let long = user(7, &"x".repeat(1000)).key;
        assert!(long.starts_with("user#7#sha256:") && long.len() < 100);
        let long = pair(7, &"x".repeat(1000), "10.0.0.1").key;
        assert!(long.starts_with("pair#7#sha256:") && long.len() < 100);
        let keys = username_keys(Seconds::new(900), "bob");
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
    }
}
