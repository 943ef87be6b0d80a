//! The state a function builds once per cold start and every request shares.

use lambda_http::Request;

use crate::jwt::JwtBackend;
use crate::session::SessionHasher;
use crate::settings::Settings;
use crate::web::{Cx, View};

pub struct App<S> {
    pub settings: Settings,
    pub store: S,
    /// Signs and checks both token styles.
    pub jwt: JwtBackend,
    /// The session's password-hash HMAC.
    pub sessions: SessionHasher,
}

impl<S> App<S> {
    pub fn new(settings: Settings, store: S) -> Self {
        let keys = settings.signing_key_bytes();
        let jwt = JwtBackend::new(&keys);
        let sessions = SessionHasher::new(&keys);
        App {
            settings,
            store,
            jwt,
            sessions,
        }
    }

    /// Starts the exchange for one request to `view`.
    pub fn cx<'r>(&self, view: &'static View, req: &'r Request) -> Cx<'r> {
        Cx::new(view, req, self.settings.session_cookie_secure)
    }
}
