//! The state a function builds once per cold start and every request shares.

use crate::credentials::breach::BreachCheck;
use crate::credentials::device::DeviceCookies;
use crate::credentials::mfa::Mfa;
use crate::credentials::session::SessionHasher;
use crate::credentials::tokens::Tokens;
use crate::mail::Outbox;
use crate::settings::Settings;

pub struct App<S> {
    pub settings: Settings,
    pub store: S,
    /// Signs and checks both token styles, with the configured lifetimes.
    pub tokens: Tokens,
    /// The session's auth-hash HMAC.
    pub sessions: SessionHasher,
    /// Two-factor authentication's keys: sealed secrets, recovery-code
    /// hashes, `mfa_token`s.
    pub mfa: Mfa,
    /// Device cookies (`THROTTLE_DEVICE_COOKIE`): issued at login, they
    /// recognise the browser at the throttle's ceiling.
    pub devices: DeviceCookies,
    /// Where emails go (`EMAIL_BACKEND`, `MAIL_QUEUE_URL`); the runtime
    /// gives it its SQS client ([`App::with_outbox`]).
    pub mail: Outbox,
    /// The breached-password check (`PASSWORD_BREACH_CHECK`), if on.
    pub breach: Option<BreachCheck>,
}

impl<S> App<S> {
    pub fn new(settings: Settings, store: S) -> Self {
        let keys = settings.signing_key_bytes();
        let tokens = Tokens::new(settings.jwt.clone(), settings.tokens.clone(), &keys);
        let sessions = SessionHasher::new(&keys);
        let mfa = Mfa::new(&keys, &settings.mfa.totp_issuer);
        let devices = DeviceCookies::new(&keys);
        let mail = Outbox::from_settings(&settings.mail, None);
        let breach = BreachCheck::from_settings(&settings.accounts);
        App {
            settings,
            store,
            tokens,
            sessions,
            mfa,
            devices,
            mail,
            breach,
        }
    }

    /// The app with `mail` as its outbox.
    pub fn with_outbox(mut self, mail: Outbox) -> Self {
        self.mail = mail;
        self
    }
}
