//! `authctl create-tables`.

use auth::settings::Tables;
use auth::store::{DynamoStore, create_tables};
use clap::Subcommand;

use crate::failure::Failure;

#[derive(Subcommand)]
pub enum Command {
    /// Create the users, sessions, blacklist and throttle tables (if missing) and enable TTL.
    CreateTables,
}

impl Command {
    pub async fn run(self, store: &DynamoStore, tables: &Tables) -> Result<(), Failure> {
        match self {
            Command::CreateTables => {
                create_tables(store.client(), tables).await?;
                println!(
                    "tables ready: {}, {}, {}, {}",
                    tables.users, tables.sessions, tables.blacklist, tables.throttle
                );
            }
        }
        Ok(())
    }
}
