//! Limits on a refresh family (the tokens one login started, through
//! every rotation): how often it may refresh. (Its other limits — reuse
//! detection, its lifetime from the login, its binding to an address —
//! are checked where the token is read: `credentials::tokens` and the
//! `token-refresh` function.)

use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::base::time::now;
use crate::credentials::tokens::Refresh;
use crate::model::counter::{Counter, bounded_key};
use crate::policy::throttle::ThrottleError;
use crate::store::api::ThrottleStore;

/// The window of refresh counting: one minute.
const REFRESH_WINDOW: i64 = 60;

/// Charges one refresh to the token's family (`REFRESH_TOKEN_RATE_LIMIT`
/// per minute, one atomic update); 429 and an audit event past the limit.
pub async fn charge_refresh<S: ThrottleStore>(
    app: &App<S>,
    token: &Refresh<'_>,
) -> Result<(), ThrottleError> {
    let Some(limit) = app.settings.tokens.refresh_token_rate_limit else {
        return Ok(());
    };
    let now = now();
    let window = now.div_euclid(REFRESH_WINDOW);
    let window_end = (window + 1) * REFRESH_WINDOW;
    let counter = Counter {
        key: bounded_key(&format!("fam#{window}#"), token.family(), 200),
        username: None,
        address: None,
    };
    let count = app.store.hit(&[counter], window_end).await?[0];
    if count > limit {
        let user = Subject::UserId(token.lookup_id().unwrap_or(0));
        audit::emit(Event::RefreshRateExceeded, user, "refresh_token_rate_limit");
        return Err(ThrottleError::Throttled {
            wait: (window_end - now).max(1) as u64,
        });
    }
    Ok(())
}
