//! Users: `create-user`, `set-password`, `list`, `show`, `activate`,
//! `deactivate`, `delete`, `revoke`; and the helpers the other commands
//! share (finding a user, changing one, reading a password from stdin).

use std::io::Read;

use auth::credentials::password::{hash_format, hash_password_blocking};
use auth::secrecy::{ExposeSecret, SecretString};
use auth::store::{
    CreateUserError, DynamoStore, HashCosts, UpdateUserError, User, UserAdmin, UserChange,
    UserStore, valid_email, valid_username,
};
use clap::Subcommand;

use crate::failure::{Failure, bad};

#[derive(Subcommand)]
pub enum Command {
    /// Create a user; prints the new user's id.
    CreateUser {
        username: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Its address (no other user may hold it, compared case-insensitively).
        #[arg(long)]
        email: Option<String>,
        /// The address is known to be the user's (no verification email needed).
        #[arg(long, requires = "email")]
        email_verified: bool,
    },
    /// Set a user's password; ends every session and token of the user.
    SetPassword {
        username: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List every user: id, username, active, password hash format.
    List,
    /// Show one user.
    Show { username: String },
    /// Let an inactive user log in and authenticate again.
    Activate { username: String },
    /// Mark a user inactive: it can no longer log in or authenticate.
    Deactivate { username: String },
    /// Delete a user and end its sessions (its tokens are refused: no such user).
    Delete { username: String },
    /// Log a user out everywhere: every session and token issued so far is refused.
    Revoke { username: String },
}

impl Command {
    pub async fn run(self, store: &DynamoStore) -> Result<(), Failure> {
        match self {
            Command::CreateUser {
                username,
                email,
                email_verified,
                ..
            } => {
                if !valid_username(&username) {
                    return Err(bad(format!(
                        "invalid username {username:?}: 1-150 letters, digits and @/./+/-/_ only"
                    )));
                }
                let email = email.unwrap_or_default();
                if !email.is_empty() && !valid_email(&email) {
                    return Err(bad(format!("invalid address {email:?}")));
                }
                let hash = hash(read_password()?).await?;
                match (store.create_user_with_email(&username, &hash, &email, email_verified)).await
                {
                    Ok(user) => println!("{}", user.id),
                    Err(CreateUserError::UsernameTaken) => return Err(Failure::Taken(username)),
                    Err(CreateUserError::EmailTaken) => return Err(Failure::EmailTaken(email)),
                    Err(CreateUserError::Store(e)) => return Err(e.into()),
                    // Only a user created holding a passkey can clash on one.
                    Err(e @ CreateUserError::CredentialTaken) => {
                        return Err(auth::store::StoreError::Internal(e.to_string()).into());
                    }
                }
            }
            Command::SetPassword { username, .. } => {
                let u = user(store, &username).await?;
                let hash = hash(read_password()?).await?;
                update(store, &u, UserChange::password(hash)).await?;
                println!("password set for {username}; its sessions and tokens have ended");
            }
            Command::List => {
                println!("{:>6}  {:<24} {:<7} password", "id", "username", "active");
                for u in store.list_users().await? {
                    println!(
                        "{:>6}  {:<24} {:<7} {}",
                        u.id,
                        u.username,
                        if u.is_active { "yes" } else { "no" },
                        hash_format(&u.password)
                    );
                }
            }
            Command::Show { username } => println!("{}", describe(&user(store, &username).await?)),
            Command::Activate { username } => set_active(store, &username, true).await?,
            Command::Deactivate { username } => set_active(store, &username, false).await?,
            Command::Delete { username } => {
                let u = user(store, &username).await?;
                store.delete_user(&u).await.map_err(|e| match e {
                    UpdateUserError::Store(e) => Failure::Store(e),
                    _ => Failure::NoSuchUser(username.clone()),
                })?;
                let ended = store.end_sessions(u.id).await?;
                println!("{username} (id {}) deleted; {ended} sessions ended", u.id);
            }
            Command::Revoke { username } => {
                update(store, &user(store, &username).await?, UserChange::Revoke).await?;
                println!("{username}: every session and token issued so far is refused");
            }
        }
        Ok(())
    }
}

/// The password on standard input (one trailing newline dropped).
fn read_password() -> Result<SecretString, Failure> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| bad(format!("cannot read the password from stdin: {e}")))?;
    let input = SecretString::from(input);
    let password = input
        .expose_secret()
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(input.expose_secret());
    if password.is_empty() {
        return Err(bad("the password on stdin is empty"));
    }
    Ok(SecretString::from(password.to_owned()))
}

async fn hash(password: SecretString) -> Result<String, Failure> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(bad)?
        .map_err(bad)
}

/// The user named `username`.
pub async fn user(store: &DynamoStore, username: &str) -> Result<User, Failure> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| Failure::NoSuchUser(username.to_owned()))
}

/// Applies `change` to `user`.
pub async fn update(store: &DynamoStore, user: &User, change: UserChange) -> Result<User, Failure> {
    store
        .update_user(user.id, change)
        .await
        .map_err(|e| match e {
            UpdateUserError::NotFound => Failure::NoSuchUser(user.username.clone()),
            UpdateUserError::Conflict => bad("the user changed meanwhile; try again"),
            UpdateUserError::Store(e) => Failure::Store(e),
        })
}

/// Lets a user log in and authenticate, or not.
async fn set_active(store: &DynamoStore, username: &str, active: bool) -> Result<(), Failure> {
    let u = user(store, username).await?;
    update(store, &u, UserChange::Active(active)).await?;
    if active {
        // Its hash is checked again: failed checks must cost as much.
        store.raise_hash_costs(HashCosts::of(&u.password)).await?;
    }
    let done = if active { "activated" } else { "deactivated" };
    println!("{username} {done}");
    Ok(())
}

fn describe(u: &User) -> String {
    let email = match (u.email.as_str(), u.email_verified) {
        ("", _) => "(none)".to_owned(),
        (email, true) => format!("{email} (verified)"),
        (email, false) => format!("{email} (not verified)"),
    };
    format!(
        "id: {}\nusername: {}\nemail: {email}\nactive: {}\npassword: {}\ngeneration: {}",
        u.id,
        u.username,
        u.is_active,
        hash_format(&u.password),
        u.generation
    )
}
