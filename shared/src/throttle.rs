//! Throttling of password guessing, on every path that checks a password
//! (login, login/jwt, obtain pair, Basic authentication, password change).
//!
//! Two counters per fixed window of `THROTTLE_WINDOW` seconds (default 15
//! minutes): one per username, one per client address (API Gateway's
//! `sourceIp`). Each attempt adds one to both *before* any hashing, with an
//! atomic `ADD`, so racing attempts cannot slip past the limit. Over either
//! limit (defaults 5 per username, 50 per address): 429
//! `{"detail":"Request was throttled. Expected available in N seconds."}`
//! with `Retry-After: N`, N the seconds until the window ends — even for
//! the right password. A successful check resets the username's counter
//! and gives the address its attempt back. Counters are items with a TTL at
//! the window's end.

use thiserror::Error;

use crate::app::App;
use crate::store::{StoreError, ThrottleStore, bounded_key};
use crate::time::now;

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
    username_key: String,
    address_key: String,
}

fn key(kind: &str, window: i64, value: &str) -> String {
    bounded_key(&format!("{kind}#{window}#"), value, 200)
}

/// The username counters of the current and the previous window (what
/// `authctl unthrottle` clears).
pub fn username_keys(window: crate::settings::Seconds, username: &str) -> Vec<String> {
    let window = now().div_euclid(window.get());
    vec![
        key("user", window, username),
        key("user", window - 1, username),
    ]
}

/// Charges one attempt to `username` and `address`; 429 when over a limit.
pub async fn begin<S: ThrottleStore>(
    app: &App<S>,
    username: &str,
    address: &str,
) -> Result<Attempt, ThrottleError> {
    let s = &app.settings.throttle;
    let now = now();
    let window = now.div_euclid(s.window.get());
    let window_end = (window + 1) * s.window.get();
    let attempt = Attempt {
        username_key: key("user", window, username),
        address_key: key("ip", window, address),
    };
    let counts = app
        .store
        .hit(
            &[attempt.username_key.clone(), attempt.address_key.clone()],
            window_end,
        )
        .await?;
    if counts[0] > s.username_limit || counts[1] > s.ip_limit {
        tracing::warn!(
            username_attempts = counts[0],
            address_attempts = counts[1],
            "password attempts throttled"
        );
        return Err(ThrottleError::Throttled {
            wait: (window_end - now).max(1) as u64,
        });
    }
    Ok(attempt)
}

/// After the right password: the username starts afresh and the address
/// gets its attempt back.
pub async fn succeeded<S: ThrottleStore>(app: &App<S>, attempt: Attempt) -> Result<(), StoreError> {
    app.store
        .release(&[attempt.username_key], &[attempt.address_key])
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_window_and_stay_short() {
        assert_eq!(key("user", 7, "alice"), "user#7#alice");
        let long = key("user", 7, &"x".repeat(1000));
        assert!(long.starts_with("user#7#sha256:") && long.len() < 100);
        let keys = username_keys(crate::settings::Seconds::new(900), "bob");
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
    }
}
