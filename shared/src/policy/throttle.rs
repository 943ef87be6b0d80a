//! Throttling of password guessing, on every path that checks a password
//! (login, login/jwt, obtain pair, Basic authentication, password change,
//! re-authentication) and on `login/mfa`.
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
//! per /64 (what one subscriber is usually given). Each attempt is charged
//! *before* any hashing, to all three at once or to none: one transaction
//! of conditional `ADD`s, each only while its counter is below its limit,
//! so racing attempts cannot slip past a limit and an attempt one counter
//! refuses charges no other (guessing at one address's lock does not fill
//! the ceiling). Refused: 429
//! `{"detail":"Request was throttled. Expected available in N seconds."}`
//! with `Retry-After: N`, N the seconds until the window ends — even for
//! the right password, and the same whether or not the user exists.
//!
//! A full ceiling refuses only clients it does not recognise (ASVS 2.2.1:
//! no one locks the owner out). A client is recognised when its address
//! (its /64) succeeded for the username in the last 30 days, or, with
//! `THROTTLE_DEVICE_COOKIE`, when it presents the device cookie a login as
//! that username gave it (`credentials::device`; from any address). A
//! recognised attempt is charged to the lock and the address's counter —
//! and the device's own counter, with the lock's limit — but not the
//! ceiling.
//!
//! A successful check clears the (username, address) counter (and the
//! device's), gives the username's and the address's counters their
//! attempt back, and remembers the address for the username. Counters are
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

/// Who is attempting: the client address and the device cookie it sent
/// (with `THROTTLE_DEVICE_COOKIE`).
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub address: &'a str,
    pub device: Option<&'a str>,
}

/// What one password check was charged to: what a success clears, what it
/// takes the attempt back from, and the key remembering the client.
pub struct Attempt {
    reset: Vec<String>,
    undo: Vec<String>,
    known: String,
}

impl Attempt {
    /// Also deletes the throttle-table item `key` when the attempt
    /// succeeds, in the same round trip (a login voids its user's reset
    /// token, as Django's `last_login` does).
    pub fn also_forget(&mut self, key: String) {
        self.reset.push(key);
    }
}

/// How long a client's success for a username recognises it.
const REMEMBERED_SECONDS: i64 = 30 * 86_400;

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

fn device(window: i64, username: &str, nonce: &str) -> Counter {
    Counter {
        key: format!("dev#{window}#{nonce}"),
        username: Some(username.to_owned()),
        address: None,
    }
}

/// The key remembering that `bucket` succeeded for `username`.
fn known(username: &str, bucket: &str) -> String {
    bounded_key("known#", &format!("{bucket}#{username}"), 400)
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

/// Charges one attempt to `name` from `client`; 429 when over a limit.
pub async fn begin<S: ThrottleStore>(
    app: &App<S>,
    name: &str,
    client: &Client<'_>,
) -> Result<Attempt, ThrottleError> {
    let s = &app.settings.throttle;
    let now = now();
    let window = window_of(s.window, now);
    let window_end = (window + 1) * s.window.get();
    let throttled = |which: &str| {
        audit::emit(Event::LoginThrottled, Subject::Username(name), which);
        ThrottleError::Throttled {
            wait: (window_end - now).max(1) as u64,
        }
    };
    let bucket = address_bucket(client.address);
    let [pair, username, address] = counters(s.window, name, client.address);
    let known = known(name, &bucket);
    let limits = [
        (&pair, s.username_address_limit),
        (&username, s.username_limit),
        (&address, s.ip_limit),
    ];
    let names = ["username_address_limit", "username_limit", "address_limit"];
    let refused = app.store.charge(&limits, window_end).await?;
    match refused.as_slice() {
        [] => {
            return Ok(Attempt {
                reset: vec![pair.key],
                undo: vec![username.key, address.key],
                known,
            });
        }
        // Only the ceiling: a recognised client goes on.
        [1] => {}
        [first, ..] => return Err(throttled(names[*first])),
    }
    let nonce = client
        .device
        .and_then(|c| app.devices.recognises(c, name, now));
    let device = nonce.map(|nonce| device(window, name, nonce));
    let recognised = device.is_some() || app.store.remembers(&known).await?;
    if !recognised {
        return Err(throttled(names[1]));
    }
    let mut limits = vec![limits[0], limits[2]];
    limits.extend(device.as_ref().map(|d| (d, s.username_address_limit)));
    let refused = app.store.charge(&limits, window_end).await?;
    let names = ["username_address_limit", "address_limit", "device_limit"];
    if let Some(first) = refused.first() {
        return Err(throttled(names[*first]));
    }
    let mut reset = vec![pair.key];
    reset.extend(device.map(|d| d.key));
    Ok(Attempt {
        reset,
        undo: vec![address.key],
        known,
    })
}

/// After the right password: this (username, address) starts afresh, the
/// username and the address get this attempt back, and the address is
/// remembered for the username.
pub async fn succeeded<S: ThrottleStore>(app: &App<S>, attempt: Attempt) -> Result<(), StoreError> {
    let until = now() + REMEMBERED_SECONDS;
    app.store
        .release(&attempt.reset, &attempt.undo, Some((&attempt.known, until)))
        .await
}

/// After the right password of a user who still owes a second factor: the
/// attempt is taken back from every counter, but nothing starts afresh
/// and nothing is remembered (the code's check is charged on its own; only
/// a full login resets).
pub async fn refunded<S: ThrottleStore>(app: &App<S>, attempt: Attempt) -> Result<(), StoreError> {
    let mut undo = attempt.reset;
    undo.extend(attempt.undo);
    app.store.release(&[], &undo, None).await
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
        assert_eq!(known("alice", "10.0.0.1"), "known#10.0.0.1#alice");
        assert_eq!(device(7, "alice", "n0nce").key, "dev#7#n0nce");
        let keys = username_keys(Seconds::new(900), "bob");
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
    }
}
