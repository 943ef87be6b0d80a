//! `authctl keys generate`: a new private key for RS256, ES256 or EdDSA.

use auth::base::jwt::{Alg, generate_private_key};
use auth::secrecy::ExposeSecret;
use clap::Subcommand;

use crate::failure::{Failure, bad};

#[derive(Subcommand)]
pub enum Command {
    /// Print a new private key (PKCS#8 PEM: RSA 2048 for RS256, P-256 for
    /// ES256, Ed25519 for EdDSA) on standard output, to put into the SSM
    /// parameter or SIGNING_KEYS. It is written nowhere else.
    Generate {
        #[arg(long, value_parser = ["RS256", "ES256", "EdDSA"])]
        alg: String,
    },
}

impl Command {
    /// Needs no table.
    pub fn run(self) -> Result<(), Failure> {
        match self {
            Command::Generate { alg } => {
                let alg = Alg::parse(&alg).ok_or_else(|| bad("unknown algorithm"))?;
                let pem = generate_private_key(alg).ok_or_else(|| bad("HS256 keys are secrets"))?;
                print!("{}", pem.expose_secret());
            }
        }
        Ok(())
    }
}
