//! `authctl`: administer the auth tables from a terminal or a script.
//!
//! Works against whatever the standard AWS configuration points at: real
//! DynamoDB, or a local server through `AWS_ENDPOINT_URL_DYNAMODB`. Table
//! names come from `USERS_TABLE`, `SESSIONS_TABLE`, `BLACKLIST_TABLE`.
//!
//! Exit codes: 0 success, 1 bad input, 2 usage error, 3 no such user,
//! 4 username taken, 5 DynamoDB unavailable.

use std::io::Read;
use std::process::ExitCode;

use auth::fixtures::Credentials;
use auth::password::hash_password_blocking;
use auth::secrecy::{ExposeSecret, SecretString};
use auth::settings::Tables;
use auth::store::{
    CreateUserError, DynamoStore, StoreError, UpdateUserError, UserAdmin, UserChange, UserStore,
    create_tables, valid_username,
};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "authctl",
    version,
    about = "Administer the auth service's DynamoDB tables"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the users, sessions and blacklist tables (if missing) and enable TTL.
    CreateTables,
    /// Create a user; prints the new user's id.
    CreateUser {
        username: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a user's password; ends every session and token of the user.
    SetPassword {
        username: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Mark a user inactive: it can no longer log in or authenticate.
    Deactivate { username: String },
    /// Write ready-to-invoke copies of the sample events, their placeholders
    /// filled with fresh tokens and a new session of USER (needs SIGNING_KEY;
    /// for `cargo lambda invoke` against a local stack).
    FillEvents {
        /// Directory of event templates.
        #[arg(long, default_value = "events")]
        from: std::path::PathBuf,
        /// Where the filled copies go (same layout).
        #[arg(long, default_value = "target/events")]
        to: std::path::PathBuf,
        /// Whose credentials to mint.
        #[arg(long, default_value = "alice")]
        user: String,
    },
}

enum Failure {
    BadInput(String),
    NoSuchUser(String),
    Taken(String),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<UpdateUserError> for Failure {
    fn from(e: UpdateUserError) -> Self {
        match e {
            UpdateUserError::NotFound => Failure::NoSuchUser(String::new()),
            UpdateUserError::Conflict => {
                Failure::BadInput("the user changed meanwhile; try again".into())
            }
            UpdateUserError::Store(e) => Failure::Store(e),
        }
    }
}

fn read_password() -> Result<SecretString, Failure> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Failure::BadInput(format!("cannot read the password from stdin: {e}")))?;
    let input = SecretString::from(input);
    let password = input
        .expose_secret()
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(input.expose_secret());
    if password.is_empty() {
        return Err(Failure::BadInput("the password on stdin is empty".into()));
    }
    Ok(SecretString::from(password.to_owned()))
}

async fn hash(password: SecretString) -> Result<String, Failure> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| Failure::BadInput(e.to_string()))?
        .map_err(|e| Failure::BadInput(e.to_string()))
}

async fn user_id(store: &DynamoStore, username: &str) -> Result<u64, Failure> {
    store
        .user_by_username(username)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| Failure::NoSuchUser(username.to_owned()))
}

async fn run(command: Command) -> Result<(), Failure> {
    let tables = Tables::from_env().map_err(|e| Failure::BadInput(e.to_string()))?;
    let store = DynamoStore::from_env(tables.clone()).await;
    match command {
        Command::FillEvents { from, to, user } => {
            let settings = auth::settings::Settings::from_env()
                .map_err(|e| Failure::BadInput(e.to_string()))?;
            let user = store
                .user_by_username(&user)
                .await?
                .ok_or_else(|| Failure::NoSuchUser(user.clone()))?;
            let app = auth::App::new(settings, store);
            let mut filled = 0;
            for path in json_files(&from)
                .map_err(|e| Failure::BadInput(format!("{}: {e}", from.display())))?
            {
                let template = std::fs::read_to_string(&path)
                    .map_err(|e| Failure::BadInput(format!("{}: {e}", path.display())))?;
                let text = if Credentials::needed(&template) {
                    filled += 1;
                    Credentials::mint(&app, &user).await?.fill(&template)
                } else {
                    template
                };
                let out = to.join(path.strip_prefix(&from).unwrap_or(&path));
                if let Some(dir) = out.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Failure::BadInput(format!("{}: {e}", dir.display())))?;
                }
                std::fs::write(&out, text)
                    .map_err(|e| Failure::BadInput(format!("{}: {e}", out.display())))?;
            }
            println!(
                "wrote {} with {filled} events given fresh credentials of {}",
                to.display(),
                user.username
            );
        }
        Command::CreateTables => {
            create_tables(store.client(), &tables).await?;
            println!(
                "tables ready: {}, {}, {}",
                tables.users, tables.sessions, tables.blacklist
            );
        }
        Command::CreateUser { username, .. } => {
            if !valid_username(&username) {
                return Err(Failure::BadInput(format!(
                    "invalid username {username:?}: 1-150 letters, digits and @/./+/-/_ only"
                )));
            }
            let hash = hash(read_password()?).await?;
            match store.create_user(&username, &hash).await {
                Ok(user) => println!("{}", user.id),
                Err(CreateUserError::UsernameTaken) => return Err(Failure::Taken(username)),
                Err(CreateUserError::Store(e)) => return Err(e.into()),
            }
        }
        Command::SetPassword { username, .. } => {
            let id = user_id(&store, &username).await?;
            let hash = hash(read_password()?).await?;
            store
                .update_user(id, UserChange::password(hash))
                .await
                .map_err(|e| with_name(e.into(), &username))?;
            println!("password set for {username}");
        }
        Command::Deactivate { username } => {
            let id = user_id(&store, &username).await?;
            store
                .update_user(id, UserChange::Active(false))
                .await
                .map_err(|e| with_name(e.into(), &username))?;
            println!("{username} deactivated");
        }
    }
    Ok(())
}

/// Every `*.json` under `dir`, sorted.
fn json_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(json_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn with_name(f: Failure, username: &str) -> Failure {
    match f {
        Failure::NoSuchUser(_) => Failure::NoSuchUser(username.to_owned()),
        other => other,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(msg)) => {
            eprintln!("authctl: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::NoSuchUser(name)) => {
            eprintln!("authctl: no such user: {name}");
            ExitCode::from(3)
        }
        Err(Failure::Taken(name)) => {
            eprintln!("authctl: username already taken: {name}");
            ExitCode::from(4)
        }
        Err(Failure::Store(e)) => {
            eprintln!("authctl: {e}");
            ExitCode::from(5)
        }
    }
}
