//! What a new password must pass (sign-up, reset, change): Django's
//! default validators, and with `PASSWORD_BREACH_CHECK` Have I Been
//! Pwned's Pwned Passwords. A password found there is refused as "This
//! password is too common." (pwned-passwords-django's wording; said once,
//! whichever found it). When the range API fails or is too slow,
//! `PASSWORD_BREACH_CHECK_FAIL` decides: `open` judges by the validators
//! alone (and logs a warning), `closed` refuses with 503.

use secrecy::{ExposeSecret, SecretString};

use crate::app::App;
use crate::credentials::breach::BreachError;
use crate::credentials::validators::{Weakness, validate};
use crate::settings::FailMode;

/// Everything wrong with `password` for `username`, in Django's order.
pub async fn weaknesses<S>(
    app: &App<S>,
    password: &SecretString,
    username: &str,
) -> Result<Vec<Weakness>, BreachError> {
    let mut found = validate(password.expose_secret(), username);
    let Some(check) = &app.breach else {
        return Ok(found);
    };
    if found.contains(&Weakness::TooCommon) {
        return Ok(found);
    }
    match check.times_seen(password).await {
        Ok(0) => {}
        Ok(_) => {
            // Django's order: the common-password finding comes before the
            // entirely-numeric one.
            let at = found
                .iter()
                .position(|w| *w == Weakness::EntirelyNumeric)
                .unwrap_or(found.len());
            found.insert(at, Weakness::TooCommon);
        }
        Err(e) if check.fail == FailMode::Open => {
            tracing::warn!(error = %e, "breached-password check skipped");
        }
        Err(e) => return Err(e),
    }
    Ok(found)
}
