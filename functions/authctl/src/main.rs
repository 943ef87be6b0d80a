//! `authctl`: administer the auth tables from a terminal or a script.
//!
//! Works against whatever the standard AWS configuration points at: real
//! DynamoDB, or a local server through `AWS_ENDPOINT_URL_DYNAMODB`. Table
//! names come from `USERS_TABLE`, `SESSIONS_TABLE`, `BLACKLIST_TABLE`,
//! `THROTTLE_TABLE`. Passwords are only ever read from standard input.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auth::credentials::django;
use auth::credentials::password::{
    OUR_ARGON2_WORK, hash_format, hash_password_blocking, verification_memory_kib,
};
use auth::fixtures::Credentials;
use auth::secrecy::{ExposeSecret, SecretString};
use auth::settings::{Settings, Tables};
use auth::store::{
    CreateUserError, DynamoStore, HashCosts, ImportRefused, Imported, StoreError, Unthrottle,
    UpdateUserError, User, UserAdmin, UserChange, UserStore, create_tables, valid_username,
};
use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "Exit codes: 0 success, 1 bad input, 2 usage error, 3 no such user, \
4 username taken, 5 DynamoDB unavailable, 6 import finished with records skipped.";

#[derive(Parser)]
#[command(
    name = "authctl",
    version,
    about = "Administer the auth service's DynamoDB tables",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the users, sessions, blacklist and throttle tables (if missing) and enable TTL.
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
    /// Clear password-attempt counters (429 throttling): a username's, from
    /// every address, or with --address an address's, for every username.
    #[command(group(clap::ArgGroup::new("who").required(true).args(["username", "address"])))]
    Unthrottle {
        username: Option<String>,
        /// A client address (an IPv6 address clears its /64).
        #[arg(long)]
        address: Option<String>,
    },
    /// Import users from Django's `manage.py dumpdata users.User` (or auth.User)
    /// JSON, keeping ids, usernames, active flags and password hashes (upgraded
    /// to Argon2id at each user's next login). Safe to run again.
    ImportDjango {
        file: PathBuf,
        /// Report what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace users whose stored password or active flag differs.
        #[arg(long)]
        overwrite: bool,
        /// MemorySize (MB) of the functions that check passwords: a hash
        /// needing more than half of it to verify (Django's Argon2 with a
        /// large `m`) is refused, as it could not be checked there.
        #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(128..=10240))]
        function_memory: u32,
    },
    /// Show the hash-cost marks: the costliest stored hash of each kind,
    /// which every failed password check spends (so that failures take the
    /// same time whoever the username names). With --recompute, set them to
    /// what the active users' hashes need now (after imported users have
    /// logged in and moved to Argon2id).
    HashCosts {
        #[arg(long)]
        recompute: bool,
    },
    /// Two-factor authentication of a user, for support.
    Mfa {
        #[command(subcommand)]
        command: MfaCommand,
    },
    /// Signing keys for ALGORITHM=RS256, ES256 or EdDSA.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Write ready-to-invoke copies of the sample events, their placeholders
    /// filled with fresh tokens and a new session of USER (needs SIGNING_KEY;
    /// for `cargo lambda invoke` against a local stack).
    FillEvents {
        /// Directory of event templates.
        #[arg(long, default_value = "events")]
        from: PathBuf,
        /// Where the filled copies go (same layout).
        #[arg(long, default_value = "target/events")]
        to: PathBuf,
        /// Whose credentials to mint.
        #[arg(long, default_value = "alice")]
        user: String,
    },
}

#[derive(Subcommand)]
enum MfaCommand {
    /// Whether TOTP is on (or an enrolment pending), and how many recovery
    /// codes are left. Never shows a secret.
    Status { username: String },
    /// Turn TOTP off (secret and recovery codes removed) and log the user
    /// out everywhere: every session and token issued so far is refused.
    Disable { username: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new private key (PKCS#8 PEM: RSA 2048 for RS256, P-256 for
    /// ES256, Ed25519 for EdDSA) on standard output, to put into the SSM
    /// parameter or SIGNING_KEYS. It is written nowhere else.
    Generate {
        #[arg(long, value_parser = ["RS256", "ES256", "EdDSA"])]
        alg: String,
    },
}

enum Failure {
    BadInput(String),
    NoSuchUser(String),
    Taken(String),
    Store(StoreError),
    Skipped(usize),
}

impl Failure {
    /// What to tell the user, and the exit code.
    fn report(self) -> (String, u8) {
        match self {
            Failure::BadInput(msg) => (msg, 1),
            Failure::NoSuchUser(name) => (format!("no such user: {name}"), 3),
            Failure::Taken(name) => (format!("username already taken: {name}"), 4),
            Failure::Store(e) => (e.to_string(), 5),
            Failure::Skipped(n) => (format!("{n} records skipped (listed above)"), 6),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

fn bad(e: impl std::fmt::Display) -> Failure {
    Failure::BadInput(e.to_string())
}

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

async fn user(store: &DynamoStore, username: &str) -> Result<User, Failure> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| Failure::NoSuchUser(username.to_owned()))
}

async fn update(store: &DynamoStore, user: &User, change: UserChange) -> Result<User, Failure> {
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

/// The marks, and what they add to every failed password check.
fn describe_costs(c: HashCosts) -> String {
    let mut lines = vec!["every failed password check spends:".to_owned()];
    lines.push(format!(
        "  argon2: {} KiB x passes{}",
        c.argon2_work.max(OUR_ARGON2_WORK),
        if c.argon2_work > OUR_ARGON2_WORK {
            ""
        } else {
            " (one Argon2id check of ours)"
        }
    ));
    if c.pbkdf2_iterations > 0 {
        lines.push(format!(
            "  pbkdf2_sha256: {} iterations",
            c.pbkdf2_iterations
        ));
    }
    if c.bcrypt_cost > 0 {
        lines.push(format!("  bcrypt_sha256: cost {}", c.bcrypt_cost));
    }
    if c.beyond_ours() {
        lines.push(
            "  (more than ours while imported hashes are stored; once those users have logged in, \
             `authctl hash-costs --recompute` lowers it)"
                .to_owned(),
        );
    }
    lines.join("\n")
}

fn describe(u: &User) -> String {
    format!(
        "id: {}\nusername: {}\nactive: {}\npassword: {}\ngeneration: {}",
        u.id,
        u.username,
        u.is_active,
        hash_format(&u.password),
        u.generation
    )
}

async fn run(command: Command) -> Result<(), Failure> {
    if let Command::Keys {
        command: KeysCommand::Generate { alg },
    } = &command
    {
        let alg = auth::base::jwt::Alg::parse(alg).ok_or_else(|| bad("unknown algorithm"))?;
        let pem = auth::base::jwt::generate_private_key(alg)
            .ok_or_else(|| bad("HS256 keys are secrets"))?;
        print!("{}", pem.expose_secret());
        return Ok(());
    }
    let tables = Tables::from_env().map_err(bad)?;
    let store = DynamoStore::from_env(tables.clone()).await;
    match command {
        Command::CreateTables => {
            create_tables(store.client(), &tables).await?;
            println!(
                "tables ready: {}, {}, {}, {}",
                tables.users, tables.sessions, tables.blacklist, tables.throttle
            );
        }
        Command::CreateUser { username, .. } => {
            if !valid_username(&username) {
                return Err(bad(format!(
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
            let u = user(&store, &username).await?;
            let hash = hash(read_password()?).await?;
            update(&store, &u, UserChange::password(hash)).await?;
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
        Command::Show { username } => println!("{}", describe(&user(&store, &username).await?)),
        Command::Activate { username } => set_active(&store, &username, true).await?,
        Command::Deactivate { username } => set_active(&store, &username, false).await?,
        Command::Delete { username } => {
            let u = user(&store, &username).await?;
            store.delete_user(&u).await.map_err(|e| match e {
                UpdateUserError::Store(e) => Failure::Store(e),
                _ => Failure::NoSuchUser(username.clone()),
            })?;
            let ended = store.end_sessions(u.id).await?;
            println!("{username} (id {}) deleted; {ended} sessions ended", u.id);
        }
        Command::Mfa {
            command: MfaCommand::Status { username },
        } => {
            let u = user(&store, &username).await?;
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
        Command::Mfa {
            command: MfaCommand::Disable { username },
        } => {
            let u = user(&store, &username).await?;
            update(&store, &u, UserChange::DisableMfa).await?;
            auth::base::audit::emit(
                auth::base::audit::Event::MfaDisabled,
                auth::base::audit::Subject::UserId(u.id),
                "authctl",
            );
            println!("{username}: TOTP off; every session and token issued so far is refused");
        }
        Command::Revoke { username } => {
            update(&store, &user(&store, &username).await?, UserChange::Revoke).await?;
            println!("{username}: every session and token issued so far is refused");
        }
        Command::Unthrottle { username, address } => {
            let (who, name) = match (&username, &address) {
                (Some(u), _) => (Unthrottle::Username(u), u.as_str()),
                (None, Some(a)) => (Unthrottle::Address(a), a.as_str()),
                (None, None) => unreachable!("clap requires one"),
            };
            let cleared = store.unthrottle(who).await?;
            println!("{name} may try passwords again ({cleared} counters cleared)");
        }
        Command::ImportDjango {
            file,
            dry_run,
            overwrite,
            function_memory,
        } => import(&store, &file, dry_run, overwrite, function_memory).await?,
        Command::HashCosts { recompute } => {
            let costs = match recompute {
                true => store.recompute_hash_costs().await?,
                false => store.hash_costs().await?,
            };
            println!("{}", describe_costs(costs));
        }
        Command::Keys { .. } => unreachable!("handled above"),
        Command::FillEvents {
            from,
            to,
            user: name,
        } => {
            let settings = Settings::from_env().map_err(bad)?;
            let u = user(&store, &name).await?;
            let app = auth::App::new(settings, store);
            let mut filled = 0;
            for path in json_files(&from).map_err(|e| bad(format!("{}: {e}", from.display())))? {
                let template = std::fs::read_to_string(&path)
                    .map_err(|e| bad(format!("{}: {e}", path.display())))?;
                let text = if Credentials::needed(&template) {
                    filled += 1;
                    Credentials::mint(&app, &u).await?.fill(&template)
                } else {
                    template
                };
                let out = to.join(path.strip_prefix(&from).unwrap_or(&path));
                if let Some(dir) = out.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| bad(format!("{}: {e}", dir.display())))?;
                }
                std::fs::write(&out, text).map_err(|e| bad(format!("{}: {e}", out.display())))?;
            }
            println!(
                "wrote {} with {filled} events given fresh credentials of {name}",
                to.display()
            );
        }
    }
    Ok(())
}

async fn import(
    store: &DynamoStore,
    file: &Path,
    dry_run: bool,
    overwrite: bool,
    function_memory_mb: u32,
) -> Result<(), Failure> {
    let memory_limit_kib = function_memory_mb * 1024 / 2;
    let text =
        std::fs::read_to_string(file).map_err(|e| bad(format!("{}: {e}", file.display())))?;
    let records = django::read(&text).map_err(|e| bad(format!("{}: {e}", file.display())))?;
    let progress = indicatif::ProgressBar::new(records.len() as u64);
    if !std::io::stderr().is_terminal() {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let (mut created, mut unchanged, mut updated) = (0, 0, 0);
    let mut skipped = Vec::new();
    let (mut max_id, mut too_big, mut costs) = (0, 0, HashCosts::default());
    for record in records {
        progress.inc(1);
        let user = match record {
            django::Record::User(u) => u,
            django::Record::Bad { label, reason } => {
                skipped.push((label, reason));
                continue;
            }
        };
        let memory_kib = verification_memory_kib(&user.password);
        if memory_kib > memory_limit_kib {
            too_big += 1;
            skipped.push((
                format!("{:?} (id {})", user.username, user.id),
                format!(
                    "its hash needs {} MiB to verify, more than half of the password functions' \
                     {function_memory_mb} MB (--function-memory); the user can reset the password",
                    memory_kib / 1024
                ),
            ));
            continue;
        }
        match store.import_user(&user, overwrite, dry_run).await? {
            Ok(outcome) => {
                max_id = max_id.max(user.id);
                if user.is_active {
                    costs = costs.max(HashCosts::of(&user.password));
                }
                match outcome {
                    Imported::Created => created += 1,
                    Imported::Unchanged => unchanged += 1,
                    Imported::Updated => updated += 1,
                }
            }
            Err(refused) => skipped.push((
                format!("{:?} (id {})", user.username, user.id),
                refused_reason(&refused),
            )),
        }
    }
    progress.finish_and_clear();
    if !dry_run && max_id > 0 {
        store.raise_id_counter(max_id).await?;
        store.raise_hash_costs(costs).await?;
    }
    let verb = if dry_run { "would be " } else { "" };
    println!(
        "{}: {created} {verb}created, {unchanged} unchanged, {updated} {verb}updated, {} skipped",
        file.display(),
        skipped.len()
    );
    if created + updated == 0 && skipped.is_empty() && !dry_run {
        println!("nothing to do: every user is already there");
    }
    for (label, reason) in &skipped {
        println!("  skipped {label}: {reason}");
    }
    if too_big > 0 {
        println!(
            "{too_big} {} refused: {} would not fit the password functions' memory",
            if too_big == 1 {
                "user was"
            } else {
                "users were"
            },
            if too_big == 1 {
                "its hash"
            } else {
                "their hashes"
            },
        );
    }
    if costs.beyond_ours() && !dry_run {
        println!("{}", describe_costs(store.hash_costs().await?));
    }
    if skipped.is_empty() {
        Ok(())
    } else {
        Err(Failure::Skipped(skipped.len()))
    }
}

fn refused_reason(r: &ImportRefused) -> String {
    r.to_string()
}

/// Every `*.json` under `dir`, sorted.
fn json_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (message, code) = failure.report();
            eprintln!("authctl: {message}");
            ExitCode::from(code)
        }
    }
}
