//! What the store does, as narrow traits (one per table, so each handler
//! names only what it uses), and how it fails.

use std::future::Future;

use thiserror::Error;

use crate::model::client::OAuthClient;
use crate::model::code::{AuthorizationCode, Redemption};
use crate::model::consent::Consent;
use crate::model::counter::Counter;
use crate::model::key::{AccountKey, KeyUse};
use crate::model::mfa::{AfterProof, Charged, Proof, Redeemed};
use crate::model::passkey::{Added, Ceremony, CeremonyKind, PasskeyUse, StoredPasskey};
use crate::model::session::Session;
use crate::model::token::{Revocation, Rotation, TokenState};
use crate::model::user::{HashCosts, User, UserChange};
use crate::settings::LoginBy;

/// The store could not answer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Unreachable, too slow or throttling (a 503: try again).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item that does not read as what it should be (a 500).
    #[error("corrupt item in {table}: {reason}")]
    Corrupt { table: String, reason: String },
    /// A request we could not build or an item we could not serialize: a
    /// bug (a 500).
    #[error("store request failed: {0}")]
    Internal(String),
}

#[derive(Debug, Error)]
pub enum CreateUserError {
    #[error("a user with that username already exists")]
    UsernameTaken,
    #[error("another user has that address")]
    EmailTaken,
    /// A user created holding a passkey: another user holds its credential.
    #[error("another user has that passkey")]
    CredentialTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Error)]
pub enum UpdateUserError {
    #[error("no such user")]
    NotFound,
    #[error("the password changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Error)]
pub enum SetEmailError {
    #[error("another user has that address")]
    Taken,
    #[error("not an address")]
    Invalid,
    #[error("no such user")]
    NotFound,
    #[error("the address changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Two-factor state: every change one conditional write (or transaction).
pub trait MfaStore: Send + Sync {
    /// Stores `sealed` as user `id`'s pending secret, replacing any earlier
    /// one; false (nothing written) if TOTP is on or the user is gone.
    fn begin_totp(
        &self,
        id: u64,
        sealed: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Turns TOTP on with the pending secret `sealed` (only if it is still
    /// the pending one and TOTP is off), its first accepted `step` and the
    /// recovery-code hashes, and moves the credential generation on (every
    /// session and token issued before is ended); false if not written.
    fn confirm_totp(
        &self,
        id: u64,
        sealed: &str,
        step: u64,
        recovery: &[String],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Consumes `proof` for user `id` at credential generation
    /// `generation` (TOTP on), doing `then` in the same write, and with
    /// `token` (`mfa_token` id, expiry) marks that token used in the same
    /// transaction: all or nothing. The user's consecutive second-factor
    /// failures are forgotten in the same write (the code came with the
    /// password: a login, disabling, new recovery codes).
    fn redeem(
        &self,
        id: u64,
        generation: u64,
        proof: &Proof,
        token: Option<(&str, i64)>,
        then: &AfterProof,
    ) -> impl Future<Output = Result<Redeemed, StoreError>> + Send;

    /// Replaces user `id`'s sealed secret `old` with `new` (the same secret
    /// sealed under the current key), only if `old` is still the one
    /// stored; false if not written.
    fn reseal_totp(
        &self,
        id: u64,
        old: &str,
        new: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Charges one attempt at `user`'s second factor, before any code is
    /// compared: their consecutive failures move from the `user.mfa.failures`
    /// read to one more (and the step locks until `locked_until`, if given,
    /// should the code be wrong), only if TOTP is on, the generation is
    /// `user.generation` and no other attempt was charged since. With
    /// `token` (`mfa_token` id, expiry), one of the token's attempts too,
    /// only if it is unused and has attempts left. All or nothing.
    fn charge_second_factor(
        &self,
        user: &User,
        locked_until: Option<i64>,
        token: Option<(&str, i64)>,
    ) -> impl Future<Output = Result<Charged, StoreError>> + Send;
}

pub trait UserStore: Send + Sync {
    fn user_by_id(&self, id: u64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    fn user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// What a password check needs: the user `login` names (by
    /// username, address or either, as `by` says; a user holding the
    /// address first) and the table's [`HashCosts`] marks. The round trips
    /// are the same whether or not the user exists.
    fn login_candidate(
        &self,
        login: &str,
        by: LoginBy,
    ) -> impl Future<Output = Result<(Option<User>, HashCosts), StoreError>> + Send;

    /// Applies `change` in one conditional write; the user afterwards.
    fn update_user(
        &self,
        id: u64,
        change: UserChange,
    ) -> impl Future<Output = Result<User, UpdateUserError>> + Send;
}

pub trait UserAdmin: UserStore {
    /// Gives `user` the address `email` (`""`: none), verified or not, in
    /// one transaction: the address item only if no other user holds the
    /// address (compared case-insensitively), the user's item only if its
    /// address is still `user.email`, and the old address's item deleted.
    /// The user afterwards.
    fn set_email(
        &self,
        user: &User,
        email: &str,
        verified: bool,
    ) -> impl Future<Output = Result<User, SetEmailError>> + Send;

    /// Deletes `user` in one transaction: its username and address items
    /// go, and its id item becomes a tombstone holding nothing but the id
    /// and a generation moved on (no credential, second factor, address
    /// or name), so the id is never handed out again and nothing issued
    /// to the user is accepted. `NotFound` if it is already gone.
    fn delete_user(&self, user: &User) -> impl Future<Output = Result<(), UpdateUserError>> + Send;

    /// The user holding `email` (compared case-insensitively), if any.
    fn user_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Creates a user with the next id; the username must be free.
    fn create_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<User, CreateUserError>> + Send {
        self.create_user_with_email(username, password_hash, "", false)
    }

    /// Creates a user with the next id and the address `email` (`""`:
    /// none), verified or not, in one transaction: the username and the
    /// address (compared case-insensitively) must be free.
    fn create_user_with_email(
        &self,
        username: &str,
        password_hash: &str,
        email: &str,
        verified: bool,
    ) -> impl Future<Output = Result<User, CreateUserError>> + Send;
}

pub trait SessionStore: Send + Sync {
    /// The live session with this key; expired sessions are absent.
    fn session(
        &self,
        session_key: &str,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Stores a new session and, in the same write, deletes the session
    /// `replaces` (the one the client had, as Django's `cycle_key`/`flush`).
    /// False if the new key is already taken (nothing is written then).
    fn create_session(
        &self,
        session: &Session,
        replaces: Option<&str>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn delete_session(
        &self,
        session_key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait TokenStore: Send + Sync {
    /// The user `user_id`, the blacklist entry of `jti` and whether family
    /// `fam` is revoked (each if given): one round trip.
    fn token_state(
        &self,
        user_id: Option<u64>,
        jti: Option<&str>,
        fam: Option<&str>,
    ) -> impl Future<Output = Result<TokenState, StoreError>> + Send;

    /// The live blacklist entry of `jti`.
    fn revocation(
        &self,
        jti: &str,
    ) -> impl Future<Output = Result<Option<Revocation>, StoreError>> + Send;

    fn is_blacklisted(&self, jti: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move { Ok(self.revocation(jti).await?.is_some()) }
    }

    /// Blacklists `jti` until `expires_at`; false if it already was.
    fn blacklist(
        &self,
        jti: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Blacklists `jti` as rotated into `rotation.next_jti`; false (and
    /// nothing written) if it already was: of racing rotations one wins.
    fn rotate(
        &self,
        jti: &str,
        expires_at: i64,
        rotation: &Rotation,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes every refresh token of family `fam` until `expires_at`.
    fn revoke_family(
        &self,
        fam: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Counters of password attempts, per (username, address), username and
/// address, in fixed windows (see `crate::policy::throttle`), of refreshes
/// per family, and the clients that succeeded for a username.
pub trait ThrottleStore: Send + Sync {
    /// Adds one to each counter (atomically, one round trip), whatever its
    /// count; the new counts, in order. The counters expire at `expires_at`.
    fn hit(
        &self,
        counters: &[Counter],
        expires_at: i64,
    ) -> impl Future<Output = Result<Vec<u64>, StoreError>> + Send;

    /// Adds one to each counter only if every one is below its limit (the
    /// pair's second): all or none, so an attempt one counter refuses
    /// charges no other. The indexes of the counters that refused (empty:
    /// all charged). The counters expire at `expires_at`.
    fn charge(
        &self,
        counters: &[(&Counter, u64)],
        expires_at: i64,
    ) -> impl Future<Output = Result<Vec<usize>, StoreError>> + Send;

    /// Takes the slot `key` if it was last taken `gap` seconds or more
    /// before `now` (or never), and charges `counters` (each only below
    /// its limit), all or none, in one transaction: whether taken. A
    /// slot contended at the same moment counts as not taken. The slot and
    /// counters expire at `expires_at`.
    fn take_slot(
        &self,
        key: &str,
        gap: i64,
        now: i64,
        counters: &[(&Counter, u64)],
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Whether `key` is remembered (and not expired): see `release`.
    fn remembers(&self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// After a successful check: forgets the counters `reset`, takes the
    /// attempt back from each of `undo`, and remembers `remember`'s key
    /// until its time.
    fn release(
        &self,
        reset: &[String],
        undo: &[String],
        remember: Option<(&str, i64)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The keys of email links (`crate::model::key`), in the throttle table.
pub trait KeyStore: Send + Sync {
    /// Stores `key`, replacing any of the same id (a newer reset voids
    /// the older one).
    fn put_key(&self, key: &AccountKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The live key `id` (a consistent read), if any.
    fn key(&self, id: &str) -> impl Future<Output = Result<Option<AccountKey>, StoreError>> + Send;

    /// Uses `key` (as read; with a reset, `secret_hash` is the presented
    /// token's) and does `then` to its user in the same transaction: the
    /// key is deleted only if it is still live and the same, and the user
    /// changed only as `then` says. False (nothing written) if either
    /// condition fails: the key was used, replaced or expired meanwhile,
    /// or the user changed.
    fn use_key(
        &self,
        key: &AccountKey,
        then: &KeyUse,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Passkeys (on their user's item, with a `credential#<id>` item naming
/// the user) and the state of WebAuthn ceremonies (in the throttle table,
/// until taken or expired). Every change is one conditional write.
pub trait PasskeyStore: Send + Sync {
    /// Adds `passkey` to `user`, only if the user is live at generation
    /// `user.generation` and holds fewer than `MAX_PASSKEYS`, and claims
    /// its credential id for them, only if no one holds it: one
    /// transaction.
    fn add_passkey(
        &self,
        user: &User,
        passkey: &StoredPasskey,
    ) -> impl Future<Output = Result<Added, StoreError>> + Send;

    /// A new user id, handed out once (a passkey sign-up names the account
    /// in its ceremony before the account exists; an id not used is
    /// skipped, as an aborted insert skips a sequence value).
    fn reserve_user_id(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Creates `user` (its id from `reserve_user_id`) holding `passkey`,
    /// its only credential, in one transaction: the id, the username, the
    /// address (case-insensitively) and the credential id must be free.
    fn create_user_with_passkey(
        &self,
        user: &User,
        passkey: &StoredPasskey,
    ) -> impl Future<Output = Result<(), CreateUserError>> + Send;

    /// Renames user `user_id`'s passkey `id`; false if they have none.
    fn rename_passkey(
        &self,
        user_id: u64,
        id: &str,
        name: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes user `user_id`'s passkey `id` and its credential item in
    /// one transaction; false if they have none.
    fn remove_passkey(
        &self,
        user_id: u64,
        id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Who holds the passkey with credential id `id`, if anyone.
    fn passkey_owner(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// Records a login with one of user `user_id`'s passkeys, only if the
    /// passkey is still as it was checked (`PasskeyUse`); false if not
    /// written.
    fn use_passkey(
        &self,
        user_id: u64,
        used: &PasskeyUse,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a new ceremony's state, until `ceremony.expires_at`.
    fn put_ceremony(
        &self,
        ceremony: &Ceremony,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes the live ceremony of `kind` whose challenge is `challenge`:
    /// deleted and returned in one conditional write, so of two takers one
    /// gets it and a used or expired challenge gets `None`.
    fn take_ceremony(
        &self,
        challenge: &str,
        kind: CeremonyKind,
        now: i64,
    ) -> impl Future<Output = Result<Option<Ceremony>, StoreError>> + Send;
}

/// OAuth clients (`client#<id>` items in the users table).
pub trait ClientStore: Send + Sync {
    /// The client `client_id`, if registered.
    fn oauth_client(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<OAuthClient>, StoreError>> + Send;

    /// Registers `client`; false (and nothing written) if its id is taken.
    fn add_client(
        &self,
        client: &OAuthClient,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Replaces a confidential client's secret hash; false if there is no
    /// such confidential client.
    fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes the client; false if there was none.
    fn remove_client(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every registered client (an operator's listing: a scan).
    fn clients(&self) -> impl Future<Output = Result<Vec<OAuthClient>, StoreError>> + Send;

    /// Stores a new authorization code (never overwriting one).
    fn put_code(
        &self,
        code: &AuthorizationCode,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records `consent` on user `user_id`'s item by one conditional
    /// write: a first one only if they have none for its client
    /// (`replacing` `None`), a wider one only if the one they have is
    /// still the one given at `replacing` (its `granted_at`); false if
    /// not written (it changed meanwhile, or the user is gone).
    fn give_consent(
        &self,
        user_id: u64,
        consent: &Consent,
        replacing: Option<i64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Withdraws user `user_id`'s consent to client `client_id`; false
    /// if they had none.
    fn withdraw_consent(
        &self,
        user_id: u64,
        client_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Redeems the code item `id`: marked used by one conditional write if
    /// live and unused ([`Redemption::Fresh`]); a used one is
    /// [`Redemption::Reused`]; of two redeemers one gets it fresh.
    fn redeem_code(
        &self,
        id: &str,
        now: i64,
    ) -> impl Future<Output = Result<Redemption, StoreError>> + Send;
}

/// Everything the functions use; both stores implement it.
pub trait Store:
    UserStore
    + UserAdmin
    + SessionStore
    + TokenStore
    + ThrottleStore
    + MfaStore
    + KeyStore
    + PasskeyStore
    + ClientStore
{
}
impl<T> Store for T where
    T: UserStore
        + UserAdmin
        + SessionStore
        + TokenStore
        + ThrottleStore
        + MfaStore
        + KeyStore
        + PasskeyStore
        + ClientStore
{
}
