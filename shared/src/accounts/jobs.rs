//! The mailer's side of the account emails: each [`Job`] looks up whom
//! it is for, writes the link's key, and yields the email to send (or
//! none: an unknown address, an address verified meanwhile, a flow that
//! is off). A retried job writes a new key; only the one in the email
//! that went out is ever used (a reset's replaces the earlier one).

use super::keys::{new_secret, secret_hash, uid_of};
use crate::base::url::origin_of;
use crate::mail::{Email, Job};
use crate::model::key::{AccountKey, KeyKind};
use crate::model::user::{User, email_identity};
use crate::settings::AccountSettings;
use crate::store::{KeyStore, StoreError, UserAdmin};

/// Runs `job` at time `now`: the email it yields, if any.
pub async fn run<S: UserAdmin + KeyStore>(
    store: &S,
    settings: &AccountSettings,
    job: &Job,
    now: i64,
) -> Result<Option<Email>, StoreError> {
    match job {
        Job::Confirm { user_id, email } => {
            let user = store.user_by_id(*user_id).await?;
            match user.filter(|u| email_identity(&u.email) == email_identity(email)) {
                Some(user) if !user.email_verified => {
                    confirmation(store, settings, &user, &user.email, now).await
                }
                _ => Ok(None),
            }
        }
        Job::Resend { email } => match store.user_by_email(email).await? {
            Some(user) if !user.email_verified => {
                confirmation(store, settings, &user, &user.email, now).await
            }
            _ => Ok(None),
        },
        Job::ChangeEmail { user_id, email } => {
            let Some(user) = store.user_by_id(*user_id).await? else {
                return Ok(None);
            };
            if email_identity(&user.email) == email_identity(email) {
                return Ok(None);
            }
            match store.user_by_email(email).await? {
                // Another account's address: its owner is told, as a
                // sign-up with it would tell them.
                Some(holder) => Ok(Some(Email::AccountAlreadyExists {
                    to: holder.email.clone(),
                    email: holder.email,
                    password_reset_url: page_of(settings),
                })),
                None => confirmation(store, settings, &user, email, now).await,
            }
        }
        Job::EmailChanged {
            user_id,
            from_email,
            to_email,
        } => {
            let Some(user) = store.user_by_id(*user_id).await? else {
                return Ok(None);
            };
            Ok(Some(Email::EmailChanged {
                to: from_email.clone(),
                username: user.username,
                from_email: from_email.clone(),
                to_email: to_email.clone(),
            }))
        }
        Job::AccountExists { email } => {
            let Some(user) = store.user_by_email(email).await? else {
                return Ok(None);
            };
            Ok(Some(Email::AccountAlreadyExists {
                to: user.email.clone(),
                email: user.email,
                password_reset_url: page_of(settings),
            }))
        }
        Job::PasswordReset { email } => reset(store, settings, email, now).await,
    }
}

/// The front's page an "account already exists" email points to.
fn page_of(accounts: &AccountSettings) -> String {
    (accounts.password_reset_confirm_url.0.as_deref())
        .or(accounts.activation_url.0.as_deref())
        .map(page_origin)
        .unwrap_or_default()
}

/// A verification link for `address`, sent to it: `user`'s own address
/// (sign-up, resend) or the one they asked to change to.
async fn confirmation<S: KeyStore>(
    store: &S,
    settings: &AccountSettings,
    user: &User,
    address: &str,
    now: i64,
) -> Result<Option<Email>, StoreError> {
    let accounts = settings;
    if address.is_empty() || !user.is_active {
        return Ok(None);
    }
    let key = new_secret();
    let Some(activate_url) = accounts.activation_url.fill(&[("{key}", &key)]) else {
        return Ok(None);
    };
    let days = accounts.email_confirmation_expire_days;
    store
        .put_key(&AccountKey {
            id: AccountKey::confirmation_id(&secret_hash(&key)),
            kind: KeyKind::Confirmation,
            user_id: user.id,
            email: address.to_owned(),
            secret_hash: None,
            password_mark: None,
            expires_at: now.saturating_add((days as i64).saturating_mul(86_400)),
        })
        .await?;
    Ok(Some(Email::EmailConfirmation {
        to: address.to_owned(),
        username: user.username.clone(),
        activate_url,
        expire_days: days,
    }))
}

/// A reset link for the active user holding `email`, replacing any
/// earlier one of theirs.
async fn reset<S: UserAdmin + KeyStore>(
    store: &S,
    settings: &AccountSettings,
    email: &str,
    now: i64,
) -> Result<Option<Email>, StoreError> {
    let accounts = settings;
    if accounts.password_reset_confirm_url.0.is_none() {
        return Ok(None);
    }
    let Some(user) = store.user_by_email(email).await?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    let token = new_secret();
    let uid = uid_of(user.id);
    let url = (accounts.password_reset_confirm_url)
        .fill(&[("{uid}", &uid), ("{token}", &token)])
        .unwrap_or_default();
    let timeout = accounts.password_reset_timeout.get();
    store
        .put_key(&AccountKey {
            id: AccountKey::reset_id(user.id),
            kind: KeyKind::Reset,
            user_id: user.id,
            email: user.email.clone(),
            secret_hash: Some(secret_hash(&token)),
            password_mark: Some(secret_hash(&user.password)),
            expires_at: now.saturating_add(timeout),
        })
        .await?;
    Ok(Some(Email::PasswordResetKey {
        to: user.email.clone(),
        username: user.username,
        password_reset_url: url,
        expire_minutes: (timeout / 60).max(1) as u64,
    }))
}

/// `scheme://host[:port]/` of an absolute URL (`https` if it names none).
fn page_origin(url: &str) -> String {
    match url.contains("://") {
        true => format!("{}/", origin_of(url)),
        false => format!("https://{}/", origin_of(url)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn origin_of_a_page() {
        assert_eq!(
            super::page_origin("https://app.example/r/{uid}/{token}"),
            "https://app.example/"
        );
        assert_eq!(
            super::page_origin("http://localhost:3000/?k={key}"),
            "http://localhost:3000/"
        );
    }
}
