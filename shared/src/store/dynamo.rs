//! The store on DynamoDB.
//!
//! Tables (names from the settings):
//!
//! * users, partition key `pk` (S), three kinds of item:
//!   - `id#<n>`: `id`, `username`, `password` (PHC), `is_active`, `gen` — the user;
//!   - `username#<name>`: `id` — makes usernames unique (conditional put);
//!   - `counter#user_id`: `value` — the last id handed out (atomic `ADD`).
//!
//!   A user's two items are written in one transaction, each conditioned on
//!   not existing, so concurrent sign-ups never share an id or a username.
//! * sessions, partition key `session_key` (S) — the SHA-256 of the key,
//!   never the key itself (`stored_session_key`): `user_id`, `auth_hash`,
//!   `expires_at` (TTL).
//! * blacklist, partition key `jti` (S): `expires_at` (TTL); a rotated
//!   token's entry also names its family and successor (`fam`, `next_jti`,
//!   `next_iat`, `next_exp`, `rotated_at`); `fam#<id>` items revoke a whole
//!   family of refresh tokens.
//!
//!   A user with two-factor authentication also has, on `id#<n>`:
//!   `totp_pending` (an enrolment's sealed secret), `totp` (the sealed
//!   secret once on), `totp_step` (the last time step accepted) and
//!   `recovery` (a map whose keys are the unused recovery codes' hashes).
//! * throttle, partition key `counter_key` (S): `hits`, `expires_at` (TTL) —
//!   password attempts per username or client address per window; and
//!   `mfa#<jti>` items: an `mfa_token`'s wrong codes (`hits`) and its use
//!   (`used`), until the token expires.
//!
//! Every read is strongly consistent. Items past `expires_at` count as absent.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType,
    KeysAndAttributes, Put, ReturnValue, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem,
};

use super::{
    Counter, CreateUserError, HashCosts, Revocation, Rotation, Session, SessionStore, StoreError,
    ThrottleStore, TokenState, TokenStore, UpdateUserError, User, UserAdmin, UserChange, UserStore,
    bounded_key, hashed_key, stored_session_key, valid_session_key, valid_username,
};
use crate::settings::Tables;
use crate::time::now;

mod admin;
mod mfa;
pub use admin::{ImportRefused, Imported, Unthrottle};

const USER_COUNTER: &str = "counter#user_id";
/// On a deleted user's `id#<n>` item, its tombstone: the id is never given
/// to another user, and an import onto it starts at its `gen`.
pub(super) const DELETED_AT: &str = "deleted_at";
const ID_ATTEMPTS: usize = 20;
/// The TTL attribute of the sessions and blacklist tables.
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
}

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn id_key(id: u64) -> String {
    format!("id#{id}")
}

/// The users-table item holding the [`HashCosts`] marks.
pub(crate) const HASH_COSTS_KEY: &str = "meta#hash-costs";

/// The marks in their item (absent attributes: nothing beyond ours).
pub(crate) fn hash_costs_from_item(item: &Item) -> HashCosts {
    let get = |name: &str| {
        number(item, name)
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0)
    };
    HashCosts {
        argon2_work: get("argon2_work"),
        pbkdf2_iterations: u32::try_from(get("pbkdf2_iterations")).unwrap_or(u32::MAX),
        bcrypt_cost: u32::try_from(get("bcrypt_cost")).unwrap_or(31),
    }
}

fn username_key(username: &str) -> String {
    format!("username#{username}")
}

/// A DynamoDB key for a jti: the jti itself, or its SHA-256 when it could not
/// be a key (empty, or longer than a partition key may be) or could be taken
/// for a family item.
fn jti_key(jti: &str) -> String {
    match jti.is_empty() || jti.starts_with(FAMILY_PREFIX) {
        true => hashed_key("", jti),
        false => bounded_key("", jti, 1024),
    }
}

fn unavailable<E, R>(op: &str, err: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("{op}: {}", DisplayErrorContext(err)))
}

/// A request that could not be built or an item that could not be
/// serialized: a bug, not an outage.
fn internal(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("{what}: {err}"))
}

/// A conditional write's outcome: `Ok(true)` if it was written, `Ok(false)`
/// if DynamoDB refused it because its condition was false.
fn written<T, E, R>(
    op: &str,
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().and_then(|e| e.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(op, e)),
    }
}

/// Whether a transaction was cancelled because the condition of its item
/// number `index` failed.
fn cancelled_by_condition(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, HttpResponse>,
    index: usize,
) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
            c.cancellation_reasons().get(index).and_then(|r| r.code())
                == Some("ConditionalCheckFailed")
        }
        _ => false,
    }
}

fn number(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables) -> Self {
        DynamoStore { client, tables }
    }

    /// A client from the standard `aws-config` chain (region, credentials,
    /// `AWS_ENDPOINT_URL_DYNAMODB`), with bounded timeouts and retries.
    pub async fn from_env(tables: Tables) -> Self {
        Self::new(Client::new(&crate::aws::sdk_config().await), tables)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    fn corrupt(&self, table: &str, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            table: table.to_owned(),
            reason: reason.into(),
        }
    }

    async fn get(&self, table: &str, key: &str, value: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key(key, s(value))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(out.item)
    }

    async fn next_user_id(&self) -> Result<u64, StoreError> {
        let counter = ("pk", USER_COUNTER);
        self.increment(&self.tables.users, counter, "value", &[])
            .await
    }

    /// Adds one to the number `attribute` of the item `key` in `table`
    /// (1 if the item is new) in one atomic `ADD`, setting the attributes
    /// `set` too; the new count.
    async fn increment(
        &self,
        table: &str,
        (key_name, key): (&str, &str),
        attribute: &str,
        set: &[(&str, AttributeValue)],
    ) -> Result<u64, StoreError> {
        let mut update = "ADD #count :one".to_owned();
        let mut request = self
            .client
            .update_item()
            .table_name(table)
            .key(key_name, s(key))
            .expression_attribute_names("#count", attribute)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew);
        if !set.is_empty() {
            let assignments: Vec<String> = (0..set.len())
                .map(|i| format!("#set{i} = :set{i}"))
                .collect();
            update = format!("SET {} {update}", assignments.join(", "));
            for (i, (name, value)) in set.iter().enumerate() {
                request = request
                    .expression_attribute_names(format!("#set{i}"), *name)
                    .expression_attribute_values(format!(":set{i}"), value.clone());
            }
        }
        let out = request
            .update_expression(update)
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        out.attributes
            .as_ref()
            .and_then(|a| number(a, attribute))
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.corrupt(table, format!("counter without {attribute}")))
    }

    /// The generation on the tombstone of deleted user `id`, if it is one.
    async fn tombstone(&self, id: u64) -> Result<Option<u64>, StoreError> {
        let item = self.get(&self.tables.users, "pk", id_key(id)).await?;
        Ok(item.filter(|i| i.contains_key(DELETED_AT)).map(|i| {
            number(&i, "gen")
                .and_then(|g| u64::try_from(g).ok())
                .unwrap_or(0)
        }))
    }

    /// The user an `id#<n>` item holds; `None` for a deleted user's
    /// tombstone.
    fn user_from_item(&self, item: Item) -> Result<Option<User>, StoreError> {
        if item.contains_key(DELETED_AT) {
            return Ok(None);
        }
        let mfa = mfa::state_from_item(&item);
        let mut user: User = serde_dynamo::from_item(item)
            .map_err(|e| self.corrupt(&self.tables.users, e.to_string()))?;
        user.mfa = mfa;
        Ok(Some(user))
    }

    /// Writes a new user's two items (`id#<n>` and `username#<name>`) in one
    /// transaction, each only if absent (the id item may also be the
    /// tombstone at generation `over_tombstone`): of racing writers one
    /// wins, and a half-written user never exists. `Ok(Err(clash))` names
    /// the item that was already there.
    async fn put_new_user(
        &self,
        user: &User,
        over_tombstone: Option<u64>,
    ) -> Result<Result<(), Clash>, StoreError> {
        let mut user_item: Item =
            serde_dynamo::to_item(user).map_err(|e| internal("serialize user", e))?;
        user_item.insert("pk".into(), s(id_key(user.id)));
        user_item.insert("created_at".into(), n(now()));
        let pointer: Item = HashMap::from([
            ("pk".to_owned(), s(username_key(&user.username))),
            ("id".to_owned(), n(user.id)),
        ]);
        let put = |item: Item, condition: &str, tomb: Option<u64>| {
            Put::builder()
                .table_name(&self.tables.users)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_values(
                    tomb.map(|g| HashMap::from([(":tomb".to_owned(), n(g))])),
                )
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(|e| internal("build Put", e))
        };
        let id_condition = match over_tombstone {
            None => "attribute_not_exists(pk)",
            Some(_) => "attribute_not_exists(pk) OR (attribute_exists(deleted_at) AND gen = :tomb)",
        };
        // The token makes a retried attempt (its answer lost or late: the SDK
        // retries after a timeout) succeed as the first did, instead of
        // failing on its own username item.
        let result = self
            .client
            .transact_write_items()
            .client_request_token(uuid::Uuid::new_v4().simple().to_string())
            .transact_items(put(user_item, id_condition, over_tombstone)?)
            .transact_items(put(pointer, "attribute_not_exists(pk)", None)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Ok(())),
            // The username first: a taken name is the answer whatever the id.
            Err(e) if cancelled_by_condition(&e, 1) => Ok(Err(Clash::Username)),
            Err(e) if cancelled_by_condition(&e, 0) => Ok(Err(Clash::Id)),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }
}

/// Which of a new user's two items already existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clash {
    Id,
    Username,
}

impl UserStore for DynamoStore {
    async fn user_by_id(&self, id: u64) -> Result<Option<User>, StoreError> {
        match self.get(&self.tables.users, "pk", id_key(id)).await? {
            Some(item) => self.user_from_item(item),
            None => Ok(None),
        }
    }

    async fn login_candidate(
        &self,
        username: &str,
    ) -> Result<(Option<User>, HashCosts), StoreError> {
        let mut keys = vec![("pk", HASH_COSTS_KEY.to_owned())];
        if valid_username(username) {
            keys.push(("pk", username_key(username)));
        }
        let found = self
            .batch_get(vec![(self.tables.users.clone(), keys)])
            .await?;
        let (mut costs, mut id) = (HashCosts::default(), None);
        for (_, item) in found {
            match item.get("pk") {
                Some(AttributeValue::S(pk)) if pk == HASH_COSTS_KEY => {
                    costs = hash_costs_from_item(&item)
                }
                _ => id = number(&item, "id").and_then(|v| u64::try_from(v).ok()),
            }
        }
        // The user's item, or for no such user no item (id 0 is never
        // handed out): a known and an unknown name cost the same reads.
        let user = self.user_by_id(id.unwrap_or(0)).await?;
        Ok((user.filter(|u| u.username == username), costs))
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        if !valid_username(username) {
            return Ok(None);
        }
        let Some(pointer) = self
            .get(&self.tables.users, "pk", username_key(username))
            .await?
        else {
            return Ok(None);
        };
        let id = number(&pointer, "id")
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.corrupt(&self.tables.users, "username item without id"))?;
        Ok(self
            .user_by_id(id)
            .await?
            .filter(|user| user.username == username))
    }

    async fn update_user(&self, id: u64, change: UserChange) -> Result<User, UpdateUserError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(id_key(id)))
            .return_values(ReturnValue::AllNew);
        // Never a deleted user's tombstone.
        let mut condition = "attribute_exists(pk) AND attribute_not_exists(deleted_at)";
        request = match change {
            UserChange::Password { hash, if_current } => {
                let request = request
                    .update_expression("SET password = :hash ADD gen :one")
                    .expression_attribute_values(":hash", s(hash))
                    .expression_attribute_values(":one", n(1));
                match if_current {
                    Some(current) => {
                        // `OR password = :hash`: the SDK retrying a write
                        // that did land is not a conflict.
                        condition = "attribute_exists(pk) AND attribute_not_exists(deleted_at) \
                             AND (password = :current OR password = :hash)";
                        request.expression_attribute_values(":current", s(current))
                    }
                    None => request,
                }
            }
            UserChange::Rehash { hash, if_current } => {
                condition = "attribute_exists(pk) AND attribute_not_exists(deleted_at) \
                             AND (password = :current OR password = :hash)";
                request
                    .update_expression("SET password = :hash")
                    .expression_attribute_values(":hash", s(hash))
                    .expression_attribute_values(":current", s(if_current))
            }
            UserChange::Active(active) => request
                .update_expression("SET is_active = :active")
                .expression_attribute_values(":active", AttributeValue::Bool(active)),
            UserChange::Revoke => request
                .update_expression("ADD gen :one")
                .expression_attribute_values(":one", n(1)),
            UserChange::DisableMfa => request
                .update_expression(mfa::DISABLE)
                .expression_attribute_values(":one", n(1)),
        };
        let result = request.condition_expression(condition).send().await;
        match result {
            Ok(out) => {
                let item = out.attributes.ok_or_else(|| {
                    self.corrupt(&self.tables.users, "UpdateItem returned nothing")
                })?;
                self.user_from_item(item)?.ok_or(UpdateUserError::NotFound)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                // Either the user is gone or (with if_current) the hash moved on.
                match self.user_by_id(id).await? {
                    None => Err(UpdateUserError::NotFound),
                    Some(_) => Err(UpdateUserError::Conflict),
                }
            }
            Err(e) => Err(unavailable("UpdateItem", e).into()),
        }
    }
}

impl UserAdmin for DynamoStore {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<User, CreateUserError> {
        // Fast path only: the conditional transaction below is what enforces
        // uniqueness. It saves an id when the name is plainly taken.
        if self
            .get(&self.tables.users, "pk", username_key(username))
            .await?
            .is_some()
        {
            return Err(CreateUserError::UsernameTaken);
        }
        // The id item's own condition guarantees no two users share an id,
        // whatever the counter says (e.g. after a restore, an import, or a
        // server whose ADD is not atomic); a clash just takes the next id.
        for _ in 0..ID_ATTEMPTS {
            let user = User {
                id: self.next_user_id().await?,
                username: username.to_owned(),
                password: password_hash.to_owned(),
                is_active: true,
                generation: 0,
                mfa: Default::default(),
            };
            match self.put_new_user(&user, None).await? {
                Ok(()) => return Ok(user),
                Err(Clash::Username) => return Err(CreateUserError::UsernameTaken),
                Err(Clash::Id) => continue,
            }
        }
        Err(StoreError::Internal(format!("no free user id after {ID_ATTEMPTS} attempts")).into())
    }
}

impl SessionStore for DynamoStore {
    async fn session(&self, session_key: &str) -> Result<Option<Session>, StoreError> {
        if !valid_session_key(session_key) {
            return Ok(None);
        }
        let Some(item) = self
            .get(
                &self.tables.sessions,
                "session_key",
                stored_session_key(session_key),
            )
            .await?
        else {
            return Ok(None);
        };
        let mut session: Session = serde_dynamo::from_item(item)
            .map_err(|e| self.corrupt(&self.tables.sessions, e.to_string()))?;
        // The table holds the key's hash; the session is the caller's key.
        session.session_key = session_key.into();
        Ok((session.expires_at > now()).then_some(session))
    }

    async fn create_session(
        &self,
        session: &Session,
        replaces: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut item: Item =
            serde_dynamo::to_item(session).map_err(|e| internal("serialize session", e))?;
        item.insert(
            "session_key".into(),
            s(stored_session_key(&session.session_key)),
        );
        // The write id makes the put idempotent: when the SDK retries a put
        // that did land, the condition still holds.
        let write_id = s(crate::tokens::new_jti());
        item.insert("write_id".into(), write_id.clone());
        const CONDITION: &str =
            "attribute_not_exists(session_key) OR expires_at <= :now OR write_id = :w";
        let now = n(now());
        let replaces = replaces.filter(|old| valid_session_key(old) && *old != session.session_key);
        let Some(old) = replaces else {
            let result = self
                .client
                .put_item()
                .table_name(&self.tables.sessions)
                .set_item(Some(item))
                .condition_expression(CONDITION)
                .expression_attribute_values(":now", now)
                .expression_attribute_values(":w", write_id)
                .send()
                .await;
            return written("PutItem", result);
        };
        let build = |e| internal("build transaction", e);
        let put = Put::builder()
            .table_name(&self.tables.sessions)
            .set_item(Some(item))
            .condition_expression(CONDITION)
            .expression_attribute_values(":now", now)
            .expression_attribute_values(":w", write_id)
            .build()
            .map_err(build)?;
        let delete = Delete::builder()
            .table_name(&self.tables.sessions)
            .key("session_key", s(stored_session_key(old)))
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e, 0) => Ok(false),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn delete_session(&self, session_key: &str) -> Result<(), StoreError> {
        if !valid_session_key(session_key) {
            return Ok(());
        }
        self.client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("session_key", s(stored_session_key(session_key)))
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }
}

const FAMILY_PREFIX: &str = "fam#";

/// The blacklist key revoking family `fam` (hashed when too long).
fn family_key(fam: &str) -> String {
    bounded_key(FAMILY_PREFIX, fam, 1000)
}

fn revocation_from_item(item: &Item, now: i64) -> Option<Revocation> {
    let expires_at = number(item, TTL_ATTRIBUTE)?;
    if expires_at <= now {
        return None;
    }
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    };
    let rotation = (|| {
        Some(Rotation {
            fam: text("fam")?,
            next_jti: text("next_jti")?,
            next_iat: number(item, "next_iat")?,
            next_exp: number(item, "next_exp")?,
            rotated_at: number(item, "rotated_at")?,
        })
    })();
    Some(Revocation {
        expires_at,
        rotation,
    })
}

impl DynamoStore {
    /// A conditional put of a blacklist item: true if written, false if a
    /// live entry was there already. Idempotent under the SDK's retries: a
    /// retried put finds its own write id and still succeeds, so a landed
    /// rotation is never mistaken for a lost race (and a reuse).
    async fn put_revocation(&self, mut item: Item) -> Result<bool, StoreError> {
        let now = now();
        let write_id = s(crate::tokens::new_jti());
        item.insert("blacklisted_at".into(), n(now));
        item.insert("write_id".into(), write_id.clone());
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.blacklist)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(jti) OR expires_at <= :now OR write_id = :w",
            )
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":w", write_id)
            .send()
            .await;
        written("PutItem", result)
    }
}

impl DynamoStore {
    /// Every item of `request` (per table, its keys as attribute name and
    /// string value), strongly consistent, in one BatchGetItem — asking
    /// again for any keys it leaves unprocessed.
    async fn batch_get(
        &self,
        request: Vec<(String, Vec<(&str, String)>)>,
    ) -> Result<Vec<(String, Item)>, StoreError> {
        let mut pending = HashMap::new();
        for (table, keys) in request {
            let keys = keys
                .into_iter()
                .map(|(name, value)| HashMap::from([(name.to_owned(), s(value))]))
                .collect();
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| internal("build request", e))?;
            pending.insert(table, keys);
        }
        let mut found = Vec::new();
        for attempt in 0..5 {
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(|e| unavailable("BatchGetItem", e))?;
            for (table, items) in out.responses.unwrap_or_default() {
                found.extend(items.into_iter().map(|i| (table.clone(), i)));
            }
            match out.unprocessed_keys.filter(|u| !u.is_empty()) {
                None => return Ok(found),
                Some(rest) => {
                    pending = rest;
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                }
            }
        }
        Err(StoreError::Unavailable(
            "BatchGetItem left keys unprocessed".into(),
        ))
    }
}

impl TokenStore for DynamoStore {
    async fn token_state(
        &self,
        user_id: Option<u64>,
        jti: Option<&str>,
        fam: Option<&str>,
    ) -> Result<TokenState, StoreError> {
        if let (None, None) = (jti, fam) {
            // The user alone: one GetItem.
            let user = match user_id {
                Some(id) => self.user_by_id(id).await?,
                None => None,
            };
            return Ok(TokenState {
                user,
                ..TokenState::default()
            });
        }
        let jti_k = jti.map(jti_key);
        let fam_k = fam.map(family_key);
        let blacklist_keys = jti_k.iter().chain(&fam_k).map(|k| ("jti", k.clone()));
        let mut request = vec![(self.tables.blacklist.clone(), blacklist_keys.collect())];
        if let Some(id) = user_id {
            request.push((self.tables.users.clone(), vec![("pk", id_key(id))]));
        }
        let found = self.batch_get(request).await?;
        let now = now();
        let mut state = TokenState::default();
        for (table, item) in found {
            if table == self.tables.users {
                state.user = self.user_from_item(item)?;
                continue;
            }
            match item.get("jti") {
                Some(AttributeValue::S(k)) if Some(k) == jti_k.as_ref() => {
                    state.revoked = revocation_from_item(&item, now)
                }
                Some(AttributeValue::S(k)) if Some(k) == fam_k.as_ref() => {
                    state.family_revoked = number(&item, TTL_ATTRIBUTE).is_some_and(|e| e > now)
                }
                _ => {}
            }
        }
        Ok(state)
    }

    async fn revocation(&self, jti: &str) -> Result<Option<Revocation>, StoreError> {
        let item = self
            .get(&self.tables.blacklist, "jti", jti_key(jti))
            .await?;
        Ok(item.and_then(|i| revocation_from_item(&i, now())))
    }

    async fn blacklist(&self, jti: &str, expires_at: i64) -> Result<bool, StoreError> {
        self.put_revocation(HashMap::from([
            ("jti".to_owned(), s(jti_key(jti))),
            (TTL_ATTRIBUTE.to_owned(), n(expires_at)),
        ]))
        .await
    }

    async fn rotate(
        &self,
        jti: &str,
        expires_at: i64,
        rotation: &Rotation,
    ) -> Result<bool, StoreError> {
        self.put_revocation(HashMap::from([
            ("jti".to_owned(), s(jti_key(jti))),
            (TTL_ATTRIBUTE.to_owned(), n(expires_at)),
            ("fam".to_owned(), s(rotation.fam.clone())),
            ("next_jti".to_owned(), s(rotation.next_jti.clone())),
            ("next_iat".to_owned(), n(rotation.next_iat)),
            ("next_exp".to_owned(), n(rotation.next_exp)),
            ("rotated_at".to_owned(), n(rotation.rotated_at)),
        ]))
        .await
    }

    async fn revoke_family(&self, fam: &str, expires_at: i64) -> Result<(), StoreError> {
        // Keeps the later expiry if two revocations race.
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.blacklist)
            .item("jti", s(family_key(fam)))
            .item(TTL_ATTRIBUTE, n(expires_at))
            .item("revoked_at", n(now()))
            .condition_expression("attribute_not_exists(jti) OR expires_at < :exp")
            .expression_attribute_values(":exp", n(expires_at))
            .send()
            .await;
        written("PutItem", result).map(|_| ())
    }
}

impl ThrottleStore for DynamoStore {
    async fn hit(&self, counters: &[Counter], expires_at: i64) -> Result<Vec<u64>, StoreError> {
        let table = &self.tables.throttle;
        let hits = counters.iter().map(|counter| async move {
            let mut set = vec![(TTL_ATTRIBUTE, n(expires_at))];
            set.extend(
                counter
                    .username
                    .as_ref()
                    .map(|u| ("username", s(u.clone()))),
            );
            set.extend(counter.address.as_ref().map(|a| ("address", s(a.clone()))));
            self.increment(table, ("counter_key", &counter.key), "hits", &set)
                .await
        });
        futures_util::future::try_join_all(hits).await
    }

    async fn release(&self, reset: &[String], undo: &[String]) -> Result<(), StoreError> {
        let resets = reset.iter().map(|key| async move {
            self.client
                .delete_item()
                .table_name(&self.tables.throttle)
                .key("counter_key", s(key.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| unavailable("DeleteItem", e))
        });
        let undos = undo.iter().map(|key| async move {
            let result = self
                .client
                .update_item()
                .table_name(&self.tables.throttle)
                .key("counter_key", s(key.clone()))
                .update_expression("ADD hits :minus")
                .condition_expression("attribute_exists(counter_key) AND hits > :zero")
                .expression_attribute_values(":minus", n(-1))
                .expression_attribute_values(":zero", n(0))
                .send()
                .await;
            written("UpdateItem", result).map(|_| ())
        });
        let (a, b) = tokio::join!(
            futures_util::future::try_join_all(resets),
            futures_util::future::try_join_all(undos)
        );
        a.and(b).map(|_| ())
    }
}

/// Creates the four tables if they do not exist, waits for them, and turns
/// on TTL for sessions, blacklist and throttle. Safe to run again.
pub async fn create_tables(client: &Client, tables: &Tables) -> Result<(), StoreError> {
    for (name, key) in [
        (&tables.users, "pk"),
        (&tables.sessions, "session_key"),
        (&tables.blacklist, "jti"),
        (&tables.throttle, "counter_key"),
    ] {
        let created = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| internal("build request", e))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(key)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| internal("build request", e))?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => {}
            Err(e) => return Err(unavailable("CreateTable", e)),
        }
        client
            .wait_until_table_exists()
            .table_name(name)
            .wait(Duration::from_secs(120))
            .await
            .map_err(|e| StoreError::Unavailable(format!("waiting for table {name}: {e}")))?;
    }
    for name in [&tables.sessions, &tables.blacklist, &tables.throttle] {
        let current = client
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .map_err(|e| unavailable("DescribeTimeToLive", e))?;
        let enabled = current
            .time_to_live_description()
            .and_then(|d| d.attribute_name())
            == Some(TTL_ATTRIBUTE);
        if !enabled {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(TTL_ATTRIBUTE)
                        .enabled(true)
                        .build()
                        .map_err(|e| internal("build request", e))?,
                )
                .send()
                .await
                .map_err(|e| unavailable("UpdateTimeToLive", e))?;
        }
    }
    Ok(())
}
