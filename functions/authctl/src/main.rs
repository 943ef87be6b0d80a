//! `authctl`: administer the auth tables from a terminal or a script.
//!
//! Works against whatever the standard AWS configuration points at: real
//! DynamoDB, or a local server through `AWS_ENDPOINT_URL_DYNAMODB`. Table
//! names come from `USERS_TABLE`, `SESSIONS_TABLE`, `BLACKLIST_TABLE`,
//! `THROTTLE_TABLE`. Passwords are only ever read from standard input.
//!
//! This file parses the command line and dispatches; each command group
//! is a module: [`tables`], [`users`], [`throttle`], [`import`], [`mfa`],
//! [`passkeys`], [`clients`], [`keys`], [`events`].

mod clients;
mod events;
mod failure;
mod import;
mod keys;
mod mfa;
mod passkeys;
mod tables;
mod throttle;
mod users;

use std::process::ExitCode;

use auth::settings::Tables;
use auth::store::DynamoStore;
use clap::{Parser, Subcommand};

use failure::{EXIT_CODES, Failure, bad};

#[derive(Parser)]
#[command(
    name = "authctl",
    version,
    about = "Administer the auth service's DynamoDB tables",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Tables(tables::Command),
    #[command(flatten)]
    Users(users::Command),
    #[command(flatten)]
    Throttle(throttle::Command),
    #[command(flatten)]
    Import(import::Command),
    /// Two-factor authentication of a user, for support.
    Mfa {
        #[command(subcommand)]
        command: mfa::Command,
    },
    /// A user's passkeys, for support.
    Passkeys {
        #[command(subcommand)]
        command: passkeys::Command,
    },
    /// The OAuth provider's clients (OAUTH_ENABLED).
    Clients {
        #[command(subcommand)]
        command: clients::Command,
    },
    /// Signing keys for ALGORITHM=RS256, ES256 or EdDSA.
    Keys {
        #[command(subcommand)]
        command: keys::Command,
    },
    #[command(flatten)]
    Events(events::Command),
}

async fn run(command: Command) -> Result<(), Failure> {
    if let Command::Keys { command } = command {
        return command.run();
    }
    let tables = Tables::from_env().map_err(bad)?;
    let store = DynamoStore::from_env(tables.clone()).await;
    match command {
        Command::Tables(command) => command.run(&store, &tables).await,
        Command::Users(command) => command.run(&store).await,
        Command::Throttle(command) => command.run(&store).await,
        Command::Import(command) => command.run(&store).await,
        Command::Mfa { command } => command.run(&store).await,
        Command::Passkeys { command } => command.run(&store).await,
        Command::Clients { command } => command.run(&store).await,
        Command::Events(command) => command.run(store).await,
        Command::Keys { .. } => unreachable!("needs no table: handled above"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (message, code) = failure.report();
            eprintln!("authctl: {message}");
            ExitCode::from(code)
        }
    }
}
