//! `authctl unthrottle`.

use auth::store::{DynamoStore, Unthrottle};
use clap::Subcommand;

use crate::failure::Failure;

#[derive(Subcommand)]
pub enum Command {
    /// Clear password-attempt counters (429 throttling): a username's, from
    /// every address, or with --address an address's, for every username.
    #[command(group(clap::ArgGroup::new("who").required(true).args(["username", "address"])))]
    Unthrottle {
        username: Option<String>,
        /// A client address (an IPv6 address clears its /64).
        #[arg(long)]
        address: Option<String>,
    },
}

impl Command {
    pub async fn run(self, store: &DynamoStore) -> Result<(), Failure> {
        match self {
            Command::Unthrottle { username, address } => {
                let (who, name) = match (&username, &address) {
                    (Some(u), _) => (Unthrottle::Username(u), u.as_str()),
                    (None, Some(a)) => (Unthrottle::Address(a), a.as_str()),
                    (None, None) => unreachable!("clap requires one"),
                };
                let cleared = store.unthrottle(who).await?;
                println!("{name} may try passwords again ({cleared} counters cleared)");
            }
        }
        Ok(())
    }
}
