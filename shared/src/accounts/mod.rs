//! Self-service accounts (dj-rest-auth with django-allauth): sign-up,
//! email verification, password reset. What the `registration` and
//! `password-reset` functions and every login path share:
//!
//! * [`send`]: an email's job, charged to its recipient's limits (at most
//!   one email a minute and five an hour per address, whatever their
//!   kind), then put on the mail queue (or run now and printed, with
//!   `EMAIL_BACKEND=console`). The request does the same work whether or
//!   not the address is known: the lookup, the key and the email are the
//!   mailer's ([`jobs`]).
//! * the links' keys: random, stored only as their SHA-256, used once;
//!   a reset token is one per user (`reset#<id>`): a newer reset, a login
//!   and a password change each void it.
//! * the limits: sign-ups per client address, reset confirmations per
//!   (uid, client address), emails per recipient, each one atomic write
//!   in the throttle table.

pub mod jobs;
pub mod keys;

pub use keys::{id_of, new_secret, same_hash, secret_hash, uid_of};

use crate::app::App;
use crate::base::address::address_bucket;
use crate::base::time::now;
use crate::mail::{Job, MailError, Outbox};
use crate::model::counter::{Counter, hashed_key};
use crate::model::user::{User, email_identity};
use crate::settings::EmailVerification;
use crate::store::{KeyStore, StoreError, ThrottleStore, UserAdmin};

/// Emails per recipient address per hour, each at least a minute after
/// the last (verification, resend and reset alike).
pub const EMAILS_PER_HOUR: u64 = 5;

/// Why an account email could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// Whether a login must wait for `user` to verify their address: the
/// verification is in force (`ACTIVATION_URL` set) and mandatory, and
/// the user has an address they have not proved.
pub fn must_verify<S>(app: &App<S>, user: &User) -> bool {
    let accounts = &app.settings.accounts;
    accounts.activation_url.0.is_some()
        && accounts.email_verification == EmailVerification::Mandatory
        && !user.email.is_empty()
        && !user.email_verified
}

/// The address a job's email goes to, as given (for the limits).
fn recipient(job: &Job) -> &str {
    match job {
        Job::Confirm { email, .. }
        | Job::Resend { email }
        | Job::AccountExists { email }
        | Job::PasswordReset { email }
        | Job::ChangeEmail { email, .. } => email,
        Job::EmailChanged { from_email, .. } => from_email,
    }
}

/// Charges one email to `address`'s limits, in one transaction: at least
/// a minute since its last email (a slot holding when that was), and
/// fewer than five in this hour (a counter); whether it may go.
async fn recipient_allows<S: ThrottleStore>(
    app: &App<S>,
    address: &str,
) -> Result<bool, StoreError> {
    let now = now();
    let identity = email_identity(address);
    let hour = now.div_euclid(3600);
    let per_hour = Counter {
        key: hashed_key(&format!("mailh#{hour}#"), &identity),
        username: None,
        address: None,
    };
    let slot = hashed_key("mail#", &identity);
    let expires = (hour + 1) * 3600;
    (app.store)
        .take_slot(&slot, 60, now, &[(&per_hour, EMAILS_PER_HOUR)], expires)
        .await
}

/// Hands `job` over: charged to its recipient's limits (over them,
/// nothing goes and nothing says so), then on the mail queue, or, with
/// the console backend, run now and its email printed to the log.
pub async fn send<S: ThrottleStore + UserAdmin + KeyStore>(
    app: &App<S>,
    job: Job,
) -> Result<(), AccountError> {
    // The notice of an address change always goes: others' requests must
    // not be able to use up the old address's limit to hide it (a change
    // needs a link to the new address, which is limited).
    let notice = matches!(job, Job::EmailChanged { .. });
    if !notice && !recipient_allows(app, recipient(&job)).await? {
        tracing::info!(job = job.name(), "email not sent: its recipient's limit");
        return Ok(());
    }
    match &app.mail {
        Outbox::Console => {
            if let Some(email) = jobs::run(&app.store, &app.settings.accounts, &job, now()).await? {
                print_email(&email);
            }
            Ok(())
        }
        outbox => Ok(outbox.enqueue(job.to_json()).await?),
    }
}

/// Django's console backend: the email on standard output (which is the
/// function's log), as its fields (the link among them), not rendered:
/// the templates are the mailer's, and only the mailer links them.
/// Development only: it shows the link.
fn print_email(email: &crate::mail::Email) {
    println!(
        "To: {}\nTemplate: {}\n{}\n{}",
        email.to(),
        email.template(),
        email.to_json(),
        "-".repeat(79)
    );
}

/// Charges a sign-up to the client's address (an IPv6 /64):
/// `THROTTLE_SIGNUP_ADDRESS_LIMIT` per `THROTTLE_WINDOW`; the seconds to
/// wait when over it.
pub async fn charge_signup<S: ThrottleStore>(
    app: &App<S>,
    client: &str,
) -> Result<Option<u64>, StoreError> {
    let window = app.settings.throttle.window.get();
    let limit = app.settings.accounts.signup_address_limit;
    let (now, bucket) = (now(), address_bucket(client));
    let w = now.div_euclid(window);
    let counter = Counter {
        key: format!("signup#{w}#{bucket}"),
        username: None,
        address: Some(bucket),
    };
    let end = (w + 1) * window;
    let refused = app.store.charge(&[(&counter, limit)], end).await?;
    Ok((!refused.is_empty()).then(|| (end - now).max(1) as u64))
}

/// Charges a reset confirmation to (user `id`, client address):
/// `THROTTLE_USERNAME_ADDRESS_LIMIT` per `THROTTLE_WINDOW` (guessing a
/// token is hopeless; this bounds the password hashing it costs); the
/// seconds to wait when over it.
pub async fn charge_reset<S: ThrottleStore>(
    app: &App<S>,
    id: u64,
    client: &str,
) -> Result<Option<u64>, StoreError> {
    let s = &app.settings.throttle;
    let (window, limit) = (s.window.get(), s.username_address_limit);
    let (now, bucket) = (now(), address_bucket(client));
    let w = now.div_euclid(window);
    let counter = Counter {
        key: format!("rcfm#{w}#{id}#{bucket}"),
        username: None,
        address: Some(bucket),
    };
    let end = (w + 1) * window;
    let refused = app.store.charge(&[(&counter, limit)], end).await?;
    Ok((!refused.is_empty()).then(|| (end - now).max(1) as u64))
}
