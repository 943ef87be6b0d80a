//! `authctl mfa status|disable`: a user's two-factor authentication, for
//! support.

use auth::base::audit::{self, Event, Subject};
use auth::store::{DynamoStore, UserChange};
use clap::Subcommand;

use crate::failure::Failure;
use crate::users::{update, user};

#[derive(Subcommand)]
pub enum Command {
    /// Whether TOTP is on (or an enrolment pending), and how many recovery
    /// codes are left. Never shows a secret.
    Status { username: String },
    /// Turn TOTP off (secret and recovery codes removed) and log the user
    /// out everywhere: every session and token issued so far is refused.
    Disable { username: String },
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
                println!(
                    "{username}: TOTP {state}; {} recovery codes left",
                    u.mfa.recovery.len()
                );
            }
            Command::Disable { username } => {
                let u = user(store, &username).await?;
                update(store, &u, UserChange::DisableMfa).await?;
                audit::emit(Event::MfaDisabled, Subject::UserId(u.id), "authctl");
                println!("{username}: TOTP off; every session and token issued so far is refused");
            }
        }
        Ok(())
    }
}
