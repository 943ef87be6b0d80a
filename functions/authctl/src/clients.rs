//! `authctl clients add|list|remove|rotate-secret`: the OAuth provider's
//! clients (`OAUTH_ENABLED`). A confidential client's secret is printed
//! once, when it is made, and stored only as its SHA-256.

use auth::base::time::{iso8601, now};
use auth::credentials::oauth::{
    check_redirect_uri, new_client_id, new_client_secret, parse_scope, secret_hash,
};
use auth::model::client::{Grant, OAuthClient};
use auth::secrecy::ExposeSecret;
use auth::store::{ClientStore, DynamoStore};
use clap::Subcommand;

use crate::failure::{Failure, bad};

#[derive(Subcommand)]
pub enum Command {
    /// Register a client; prints `client_id=…` and, for a confidential
    /// client, `client_secret=…` (shown this once).
    Add {
        /// What the consent page calls it.
        name: String,
        /// An exact redirect URI (repeat for several): https, http on a
        /// loopback host, or a private-use scheme (com.example.app:/cb).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client (a SPA, a mobile app): no secret, PKCE alone.
        #[arg(long)]
        public: bool,
        /// A first-party client: its users are not asked for consent.
        #[arg(long)]
        first_party: bool,
        /// The scopes it may be granted, space-separated.
        #[arg(long, default_value = "openid profile email")]
        scope: String,
        /// A grant it may use (repeat for several): authorization_code,
        /// refresh_token, client_credentials (confidential clients only).
        /// Default: authorization_code and refresh_token.
        #[arg(long = "grant")]
        grants: Vec<String>,
    },
    /// One line per client: id, kind, party, grants, scopes, redirect URIs, name.
    List,
    /// Remove a client: it gets no more tokens, and those it holds stop
    /// being active at introspection.
    Remove { client_id: String },
    /// A new secret for a confidential client, printed once; the old one
    /// stops working at once.
    RotateSecret { client_id: String },
}

impl Command {
    pub async fn run(self, store: &DynamoStore) -> Result<(), Failure> {
        match self {
            Command::Add {
                name,
                redirect_uris,
                public,
                first_party,
                scope,
                grants,
            } => {
                let client = new_client(name, redirect_uris, public, first_party, &scope, &grants)?;
                let secret = (!public).then(new_client_secret);
                let client = OAuthClient {
                    secret_hash: secret.as_ref().map(secret_hash),
                    ..client
                };
                if !store.add_client(&client).await? {
                    return Err(bad("a client with that id exists already; try again"));
                }
                println!("client_id={}", client.client_id);
                if let Some(secret) = secret {
                    println!("client_secret={}", secret.expose_secret());
                }
            }
            Command::List => {
                for c in store.clients().await? {
                    let grants: Vec<&str> = c.grants.iter().map(|g| g.as_str()).collect();
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\tadded {}\t{}",
                        c.client_id,
                        if c.is_confidential() {
                            "confidential"
                        } else {
                            "public"
                        },
                        if c.first_party {
                            "first-party"
                        } else {
                            "third-party"
                        },
                        grants.join(","),
                        c.scopes.join(" "),
                        c.redirect_uris.join(" "),
                        iso8601(c.created),
                        c.name,
                    );
                }
            }
            Command::Remove { client_id } => {
                if !store.remove_client(&client_id).await? {
                    return Err(bad(format!("no such client: {client_id}")));
                }
                println!("{client_id}: removed");
            }
            Command::RotateSecret { client_id } => {
                let secret = new_client_secret();
                if !store
                    .set_client_secret(&client_id, &secret_hash(&secret))
                    .await?
                {
                    return Err(bad(format!("no confidential client {client_id}")));
                }
                println!("client_secret={}", secret.expose_secret());
            }
        }
        Ok(())
    }
}

/// The client `add` describes (without its secret), checked.
fn new_client(
    name: String,
    redirect_uris: Vec<String>,
    public: bool,
    first_party: bool,
    scope: &str,
    grants: &[String],
) -> Result<OAuthClient, Failure> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(bad("a client's name is 1 to 100 characters"));
    }
    let grants: Vec<Grant> = match grants.is_empty() {
        true => vec![Grant::AuthorizationCode, Grant::RefreshToken],
        false => grants
            .iter()
            .map(|g| Grant::parse(g).ok_or_else(|| bad(format!("no such grant: {g}"))))
            .collect::<Result<_, _>>()?,
    };
    if public && grants.contains(&Grant::ClientCredentials) {
        return Err(bad("client_credentials is for confidential clients only"));
    }
    if grants.contains(&Grant::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(bad("authorization_code needs at least one --redirect-uri"));
    }
    for uri in &redirect_uris {
        check_redirect_uri(uri).map_err(|why| bad(format!("{uri}: {why}")))?;
    }
    let scopes = parse_scope(scope).ok_or_else(|| bad(format!("not a scope: {scope:?}")))?;
    Ok(OAuthClient {
        client_id: new_client_id(),
        name,
        secret_hash: None,
        redirect_uris,
        first_party,
        scopes: scopes.into_iter().map(str::to_owned).collect(),
        grants,
        created: now(),
    })
}
