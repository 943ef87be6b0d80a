//! Policies over the credentials and the store: password-guessing
//! throttles, refresh-family limits and Django's CSRF check.

pub mod csrf;
pub mod families;
pub mod passwords;
pub mod throttle;
