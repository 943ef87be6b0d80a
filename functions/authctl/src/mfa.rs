//! `authctl mfa status|disable|unlock`: a user's two-factor
//! authentication, for support.

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::settings::MfaSettings;
use auth::store::{DynamoStore, MfaState, SecondStep, UserChange};
use clap::Subcommand;

use crate::failure::Failure;
use crate::users::{update, user};

#[derive(Subcommand)]
pub enum Command {
    /// Whether TOTP is on (or an enrolment pending), how many recovery
    /// codes are left, and the consecutive wrong codes (and any lock of
    /// the second step). Never shows a secret.
    Status { username: String },
    /// Turn TOTP off (secret and recovery codes removed) and log the user
    /// out everywhere: every session and token issued so far is refused.
    Disable { username: String },
    /// Open a second step locked after too many wrong codes
    /// (MFA_TOTP_MAX_FAILURES, or for good at 100): the consecutive
    /// failures are forgotten. TOTP stays on.
    Unlock { username: String },
}

impl Command {
    pub async fn run(self, store: &DynamoStore) -> Result<(), Failure> {
        match self {
            Command::Status { username } => {
                let u = user(store, &username).await?;
                let state = match (u.mfa.is_on(), u.mfa.pending.is_some()) {
                    (true, _) => "on",
                    (false, true) => "off (enrolment pending)",
                    (false, false) => "off",
                };
                let mut line = format!(
                    "{username}: TOTP {state}; {} recovery codes left",
                    u.mfa.recovery.len()
                );
                if u.mfa.is_on() {
                    line = format!("{line}; {}", failures(&u.mfa));
                }
                println!("{line}");
            }
            Command::Disable { username } => {
                let u = user(store, &username).await?;
                update(store, &u, UserChange::DisableMfa).await?;
                audit::emit(Event::MfaDisabled, Subject::UserId(u.id), "authctl");
                println!("{username}: TOTP off; every session and token issued so far is refused");
            }
            Command::Unlock { username } => {
                let u = user(store, &username).await?;
                update(store, &u, UserChange::UnlockMfa).await?;
                println!(
                    "{username}: second step open ({} consecutive wrong codes forgotten)",
                    u.mfa.failures
                );
            }
        }
        Ok(())
    }
}

/// The consecutive wrong codes, and whether they lock the second step.
fn failures(state: &MfaState) -> String {
    let wrong = state.failures;
    let max = MfaSettings::from_env().map_or(10, |s| s.totp_max_failures);
    match SecondStep::after(wrong, state.locked_until, max, now()) {
        SecondStep::Open => format!("{wrong} consecutive wrong codes"),
        SecondStep::LockedFor(s) => {
            format!("{wrong} consecutive wrong codes; second step locked for {s} s")
        }
        SecondStep::LockedUntilCleared => format!(
            "{wrong} consecutive wrong codes; second step locked until `authctl mfa unlock`"
        ),
    }
}
