//! Moving users over from Django: `import-django`, and the hash-cost marks
//! imported hashes raise (`hash-costs`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use auth::credentials::django;
use auth::credentials::password::{OUR_ARGON2_WORK, verification_memory_kib};
use auth::store::{DynamoStore, HashCosts, Imported};
use clap::Subcommand;

use crate::failure::{Failure, bad};

#[derive(Subcommand)]
pub enum Command {
    /// Import users from Django's `manage.py dumpdata users.User` (or auth.User)
    /// JSON, keeping ids, usernames, active flags, addresses and password
    /// hashes (upgraded to Argon2id at each user's next login). With
    /// django-allauth's `account.EmailAddress` rows in the file (`dumpdata
    /// users.User account.EmailAddress`), each user's primary address and
    /// whether it is verified; else Django's `email`, unverified. Safe to
    /// run again.
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
}

impl Command {
    pub async fn run(self, store: &DynamoStore) -> Result<(), Failure> {
        match self {
            Command::ImportDjango {
                file,
                dry_run,
                overwrite,
                function_memory,
            } => import(store, &file, dry_run, overwrite, function_memory).await,
            Command::HashCosts { recompute } => {
                let costs = match recompute {
                    true => store.recompute_hash_costs().await?,
                    false => store.hash_costs().await?,
                };
                println!("{}", describe_costs(costs));
                Ok(())
            }
        }
    }
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
    let addresses = django::addresses(&records);
    let mut emails = 0;
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
            django::Record::EmailAddress(_) => continue,
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
                if let Some((email, verified)) = addresses.get(&user.id)
                    && !dry_run
                {
                    match store.import_email(user.id, email, *verified).await? {
                        Ok(true) => emails += 1,
                        Ok(false) => {}
                        Err(reason) => skipped.push((
                            format!("{:?} (id {}): address {email:?}", user.username, user.id),
                            reason,
                        )),
                    }
                }
            }
            Err(refused) => skipped.push((
                format!("{:?} (id {})", user.username, user.id),
                refused.to_string(),
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
    if emails > 0 {
        println!("{emails} addresses set");
    }
    if created + updated + emails == 0 && skipped.is_empty() && !dry_run {
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
