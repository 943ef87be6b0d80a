//! `authctl fill-events`: the sample events, ready to invoke.

use std::path::{Path, PathBuf};

use auth::fixtures::Credentials;
use auth::settings::Settings;
use auth::store::DynamoStore;
use clap::Subcommand;

use crate::failure::{Failure, bad};
use crate::users::user;

#[derive(Subcommand)]
pub enum Command {
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

impl Command {
    pub async fn run(self, store: DynamoStore) -> Result<(), Failure> {
        let Command::FillEvents {
            from,
            to,
            user: name,
        } = self;

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
                std::fs::create_dir_all(dir).map_err(|e| bad(format!("{}: {e}", dir.display())))?;
            }
            std::fs::write(&out, text).map_err(|e| bad(format!("{}: {e}", out.display())))?;
        }
        println!(
            "wrote {} with {filled} events given fresh credentials of {name}",
            to.display()
        );
        Ok(())
    }
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
