//! Live credentials for the sample events in `events/`.
//!
//! Events that must carry a valid token or session hold placeholders
//! (`{{ACCESS_TOKEN}}`, `{{REFRESH_TOKEN}}`, `{{EXPIRED_ACCESS_TOKEN}}`,
//! `{{EXPIRED_REFRESH_TOKEN}}`, `{{JWT_LOGIN_TOKEN}}`, `{{SESSION_ID}}`,
//! `{{CSRF_TOKEN}}`) instead of pasted secrets. `authctl fill-events` and the
//! event tests replace them with credentials minted here: tokens signed with
//! the configured key and a real session in the sessions table.

use crate::app::App;
use crate::base::time::now;
use crate::credentials::session::new_session_key;
use crate::policy::csrf;
use crate::store::{Session, SessionStore, StoreError, User};

/// The client address (`sourceIp`) of the sample events.
pub const EVENT_ADDRESS: &str = "127.0.0.1";

/// One set of credentials for one user.
pub struct Credentials {
    values: Vec<(&'static str, String)>,
}

impl Credentials {
    /// Mints fresh tokens for `user` and stores a new session for it.
    pub async fn mint<S: SessionStore>(app: &App<S>, user: &User) -> Result<Self, StoreError> {
        let now = now();
        let live = app.tokens.pair_for(user, now, EVENT_ADDRESS);
        // Issued long enough ago to have expired.
        let t = &app.settings.tokens;
        let past = t
            .refresh_token_lifetime
            .max(t.access_token_lifetime)
            .before(now)
            - 60;
        let expired = app.tokens.pair_for(user, past, EVENT_ADDRESS);
        let session = Session {
            session_key: new_session_key(),
            user_id: user.id,
            auth_hash: app.sessions.hash(user.id, user.generation),
            expires_at: app.settings.sessions.session_cookie_age.after(now),
            amr: vec!["pwd".into()],
        };
        if !app.store.create_session(&session, None).await? {
            return Err(StoreError::Internal("session key collision".into()));
        }
        Ok(Credentials {
            values: vec![
                ("{{ACCESS_TOKEN}}", live.access),
                ("{{REFRESH_TOKEN}}", live.refresh),
                ("{{EXPIRED_ACCESS_TOKEN}}", expired.access),
                ("{{EXPIRED_REFRESH_TOKEN}}", expired.refresh),
                ("{{JWT_LOGIN_TOKEN}}", app.tokens.tutorial_for(user, now)),
                ("{{SESSION_ID}}", session.session_key),
                ("{{CSRF_TOKEN}}", csrf::new_secret()),
            ],
        })
    }

    /// Whether `template` has any placeholder.
    pub fn needed(template: &str) -> bool {
        template.contains("{{")
    }

    /// `template` with every placeholder replaced.
    pub fn fill(&self, template: &str) -> String {
        self.values
            .iter()
            .fold(template.to_owned(), |text, (name, value)| {
                text.replace(name, value)
            })
    }
}
