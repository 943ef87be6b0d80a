//! Security events: one structured log line each, with the event's name in
//! `event` and the message `audit` — what the template's CloudWatch metric
//! filters count (`{ $.fields.message = "audit" && $.fields.event = … }`)
//! and its alarms watch. Every line is written inside the request's span,
//! which names the function (`span.function`) and the client address
//! (`span.address`, API Gateway's `sourceIp`); the line itself adds who
//! (`username` or `user_id`) and why (`reason`).
//!
//! Lines hold usernames, user ids, addresses, endpoints, key ids and
//! reasons — never a password, token, cookie, session key or TOTP secret.
//! They are written whatever the log level.

/// The tracing target of audit lines.
pub const TARGET: &str = "audit";

/// Every kind of security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A password check passed.
    LoginSucceeded,
    /// A password check failed (`reason`: `unknown_user`, `wrong_password`,
    /// `inactive_user`).
    LoginFailed,
    /// A password check was refused by the throttle (`reason`: the limit).
    LoginThrottled,
    /// A rotated refresh token was presented again: its family is revoked.
    RefreshReuse,
    /// A refresh token bound to an address came from another one: its
    /// family is revoked.
    BindingMismatch,
    /// A refresh family refreshed more often than `REFRESH_TOKEN_RATE_LIMIT`.
    RefreshRateExceeded,
    /// A caller ended every session and token of theirs.
    LogoutAll,
    /// A caller changed their password.
    PasswordChanged,
    /// A token named a key we do not hold (`reason`: the `kid`).
    UnknownKid,
    /// Django's CSRF check refused a request (`reason`: Django's).
    CsrfFailure,
    /// A right password of a user with two-factor authentication on: an
    /// `mfa_token` was handed out.
    MfaRequired,
    /// A two-factor code was wrong (`reason`: where: `login`, `disable`,
    /// `recovery_codes`).
    MfaCodeFailed,
    /// A wrong code reached `MFA_TOTP_MAX_FAILURES` consecutive failures
    /// or more: the user's second step is refused (`reason`: for how long).
    MfaLocked,
    /// A login was completed with a recovery code.
    RecoveryCodeUsed,
    /// A user turned TOTP on.
    MfaEnabled,
    /// TOTP was turned off (`reason`: how the caller authenticated, or
    /// `authctl`).
    MfaDisabled,
    /// A user signed up.
    Signup,
    /// A user proved their address (a verification link).
    EmailVerified,
    /// A password reset was asked for (`reason`: `sent`, or why not; the
    /// subject is nobody: the answer never says whether the address is
    /// known, and neither does the trail).
    PasswordResetRequested,
    /// A password was reset with a reset link: every session and token
    /// of the user ended.
    PasswordResetDone,
    /// A user's address changed (`user` PATCH, once the new one is
    /// verified).
    EmailChanged,
    /// A user deleted their account (`user` DELETE).
    AccountDeleted,
    /// A user added a passkey (`reason`: its credential id).
    PasskeyAdded,
    /// A passkey was removed (`reason`: its credential id).
    PasskeyRemoved,
    /// A login was completed with a passkey (`reason`: its credential id).
    PasskeyLogin,
    /// A passkey's signature counter went backwards (a cloned
    /// authenticator): the login was refused (`reason`: its credential id).
    PasskeyCounterRegressed,
    /// An OAuth client failed to authenticate at the token, revocation or
    /// introspection endpoint (a wrong secret, or an unknown client).
    OAuthClientFailed,
    /// The OAuth provider issued tokens (`reason`: the grant type).
    OAuthTokenIssued,
    /// An authorization code was presented again: every token issued
    /// from it is revoked (RFC 6749 §4.1.2).
    OAuthCodeReused,
    /// A client revoked a token (`reason`: `access` or `refresh`, a
    /// refresh token's whole family).
    OAuthTokenRevoked,
    /// A user consented to a third-party client (`reason`: its client id).
    OAuthConsentGiven,
    /// A user withdrew their consent to a client (`reason`: its client id).
    OAuthConsentWithdrawn,
}

impl Event {
    /// Every kind, for tests and docs.
    pub const ALL: [Event; 32] = [
        Event::LoginSucceeded,
        Event::LoginFailed,
        Event::LoginThrottled,
        Event::RefreshReuse,
        Event::BindingMismatch,
        Event::RefreshRateExceeded,
        Event::LogoutAll,
        Event::PasswordChanged,
        Event::UnknownKid,
        Event::CsrfFailure,
        Event::MfaEnabled,
        Event::MfaRequired,
        Event::MfaCodeFailed,
        Event::MfaLocked,
        Event::RecoveryCodeUsed,
        Event::MfaDisabled,
        Event::Signup,
        Event::EmailVerified,
        Event::PasswordResetRequested,
        Event::PasswordResetDone,
        Event::EmailChanged,
        Event::AccountDeleted,
        Event::PasskeyAdded,
        Event::PasskeyRemoved,
        Event::PasskeyLogin,
        Event::PasskeyCounterRegressed,
        Event::OAuthClientFailed,
        Event::OAuthTokenIssued,
        Event::OAuthCodeReused,
        Event::OAuthTokenRevoked,
        Event::OAuthConsentGiven,
        Event::OAuthConsentWithdrawn,
    ];

    /// The name in the log line (`fields.event`).
    pub fn name(self) -> &'static str {
        match self {
            Event::LoginSucceeded => "login_succeeded",
            Event::LoginFailed => "login_failed",
            Event::LoginThrottled => "login_throttled",
            Event::RefreshReuse => "refresh_reuse",
            Event::BindingMismatch => "binding_mismatch",
            Event::RefreshRateExceeded => "refresh_rate_exceeded",
            Event::LogoutAll => "logout_all",
            Event::PasswordChanged => "password_changed",
            Event::UnknownKid => "unknown_kid",
            Event::CsrfFailure => "csrf_failure",
            Event::MfaRequired => "mfa_required",
            Event::MfaCodeFailed => "mfa_code_failed",
            Event::MfaLocked => "mfa_locked",
            Event::RecoveryCodeUsed => "recovery_code_used",
            Event::MfaEnabled => "mfa_enabled",
            Event::MfaDisabled => "mfa_disabled",
            Event::Signup => "signup",
            Event::EmailVerified => "email_verified",
            Event::PasswordResetRequested => "password_reset_requested",
            Event::PasswordResetDone => "password_reset_done",
            Event::EmailChanged => "email_changed",
            Event::AccountDeleted => "account_deleted",
            Event::PasskeyAdded => "passkey_added",
            Event::PasskeyRemoved => "passkey_removed",
            Event::PasskeyLogin => "passkey_login",
            Event::PasskeyCounterRegressed => "passkey_counter_regressed",
            Event::OAuthClientFailed => "oauth_client_failed",
            Event::OAuthTokenIssued => "oauth_token_issued",
            Event::OAuthCodeReused => "oauth_code_reused",
            Event::OAuthTokenRevoked => "oauth_token_revoked",
            Event::OAuthConsentGiven => "oauth_consent_given",
            Event::OAuthConsentWithdrawn => "oauth_consent_withdrawn",
        }
    }

    /// Events that signal an attack in progress are warnings.
    fn is_warning(self) -> bool {
        matches!(
            self,
            Event::LoginThrottled
                | Event::RefreshReuse
                | Event::BindingMismatch
                | Event::RefreshRateExceeded
                | Event::UnknownKid
                | Event::MfaCodeFailed
                | Event::MfaLocked
                | Event::PasskeyCounterRegressed
                | Event::OAuthClientFailed
                | Event::OAuthCodeReused
        )
    }
}

/// Who an event is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A password check: the username as given (at most 150 characters are
    /// logged, Django's limit).
    Username(&'a str),
    /// A known user.
    UserId(u64),
    /// An OAuth client, by its `client_id` (as given: at most 100
    /// characters are logged).
    Client(&'a str),
    /// Nobody known (a token naming an unknown key, a CSRF failure).
    Nobody,
}

/// Writes one audit line.
pub fn emit(event: Event, subject: Subject<'_>, reason: &str) {
    let name = event.name();
    let reason = truncated(reason, 100);
    macro_rules! line {
        ($level:expr, $($who:tt)*) => {
            match $level {
                true => tracing::warn!(target: TARGET, event = name, $($who)*, reason, "audit"),
                false => tracing::info!(target: TARGET, event = name, $($who)*, reason, "audit"),
            }
        };
    }
    match subject {
        Subject::Username(username) => {
            line!(event.is_warning(), username = truncated(username, 150))
        }
        Subject::UserId(user_id) => line!(event.is_warning(), user_id),
        Subject::Client(client_id) => {
            line!(event.is_warning(), client_id = truncated(client_id, 100))
        }
        Subject::Nobody => line!(event.is_warning(), subject = "none"),
    }
}

/// At most `max` characters of `s` (attacker-chosen values stay short).
fn truncated(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_attacker_values_stay_short() {
        let mut names: Vec<_> = Event::ALL.iter().map(|e| e.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Event::ALL.len());
        assert_eq!(truncated("ab", 100), "ab");
        assert_eq!(truncated(&"é".repeat(200), 150).chars().count(), 150);
    }
}
