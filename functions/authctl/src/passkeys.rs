//! `authctl passkeys list|remove`: a user's passkeys, for support (a lost
//! phone, a passkey the user no longer recognises). Never shows a key.

use auth::base::audit::{self, Event, Subject};
use auth::base::time::iso8601;
use auth::store::{DynamoStore, PasskeyStore};
use clap::Subcommand;

use crate::failure::{Failure, bad};
use crate::users::user;

#[derive(Subcommand)]
pub enum Command {
    /// One line per passkey, oldest first: its id, when it was added and
    /// last used, whether it is backed up (synced), and its name.
    List { username: String },
    /// Remove the passkey `id` (from `list`), or every passkey of the user
    /// without one: it no longer logs in.
    Remove {
        username: String,
        id: Option<String>,
    },
}

impl Command {
    pub async fn run(self, store: &DynamoStore) -> Result<(), Failure> {
        match self {
            Command::List { username } => {
                let u = user(store, &username).await?;
                if u.passkeys.is_empty() {
                    println!("{username}: no passkeys");
                }
                for p in &u.passkeys {
                    let used = p.last_used.map_or("never".to_owned(), iso8601);
                    let synced = if p.backed_up {
                        "backed up"
                    } else {
                        "device-bound"
                    };
                    println!(
                        "{}\tadded {}\tlast used {used}\t{synced}\t{}",
                        p.id,
                        iso8601(p.created),
                        p.name
                    );
                }
            }
            Command::Remove { username, id } => {
                let u = user(store, &username).await?;
                let ids: Vec<&str> = match &id {
                    Some(id) if u.passkey(id).is_none() => {
                        return Err(bad(format!("{username} has no passkey {id}")));
                    }
                    Some(id) => vec![id.as_str()],
                    None => u.passkeys.iter().map(|p| p.id.as_str()).collect(),
                };
                for id in &ids {
                    if store.remove_passkey(u.id, id).await? {
                        audit::emit(Event::PasskeyRemoved, Subject::UserId(u.id), id);
                    }
                }
                println!("{username}: {} passkey(s) removed", ids.len());
            }
        }
        Ok(())
    }
}
