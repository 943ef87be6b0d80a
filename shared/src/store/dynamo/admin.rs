//! Administration on the DynamoDB store, for `authctl`: listing, deleting
//! (with the user's sessions), importing users with given ids, and the
//! hash-cost marks every failed password check spends.
//! Listing and ending sessions scan a table: fine for an admin command,
//! never done on a request path.

use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::client::{
    DynamoStore, Item, cancelled_by_condition, internal, n, s, unavailable, written,
};
use super::update::UserUpdate;
use super::users::{Clash, HASH_COSTS_KEY, USER_COUNTER, hash_costs_from_item, username_key};
use crate::model::user::{HashCosts, User, UserChange};
use crate::store::api::{SetEmailError, StoreError, UpdateUserError, UserAdmin, UserStore};

/// Whose password-attempt counters `authctl unthrottle` clears.
#[derive(Debug, Clone, Copy)]
pub enum Unthrottle<'a> {
    Username(&'a str),
    Address(&'a str),
}

/// What importing one user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    /// Already there, identical.
    Unchanged,
    /// Already there with other data, replaced (`--overwrite`).
    Updated,
}

/// Why a user was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportRefused {
    /// The id exists with other data (password or active flag).
    Differs,
    /// The username belongs to another id.
    UsernameTaken(u64),
    /// The id belongs to another username.
    IdTaken(String),
}

impl std::fmt::Display for ImportRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportRefused::Differs => f.write_str("differs from the stored user (use --overwrite)"),
            ImportRefused::UsernameTaken(id) => write!(f, "username taken by user id {id}"),
            ImportRefused::IdTaken(name) => write!(f, "id belongs to user {name:?}"),
        }
    }
}

impl DynamoStore {
    /// Every item of `table` that a consistent scan, shaped by `scan`,
    /// returns, page after page.
    async fn scan_all(
        &self,
        table: &str,
        scan: impl Fn(ScanFluentBuilder) -> ScanFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = scan(self.client.scan().table_name(table))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("Scan", e))?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every user, by id.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let items = self
            .scan_all(&self.tables.users, |scan| {
                scan.filter_expression("begins_with(pk, :p)")
                    .expression_attribute_values(":p", s("id#"))
            })
            .await?;
        let mut users: Vec<User> = items
            .into_iter()
            .map(|item| self.user_from_item(item))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        users.sort_by_key(|u| u.id);
        Ok(users)
    }

    /// Deletes the user in one transaction: the username item goes, the id
    /// item becomes a tombstone (no credentials, `deleted_at`, `gen` moved
    /// on), so the id is never handed out again and an import onto it
    /// starts past every generation issued before.
    pub(super) async fn remove_user(&self, user: &User) -> Result<(), UpdateUserError> {
        let build = |e| internal("build transaction", e);
        // Nothing of the user stays but the id and the generation: no
        // credential, no second factor.
        let by_id = [
            "username",
            "password",
            "is_active",
            "email",
            "email_verified",
            "first_name",
            "last_name",
        ]
        .into_iter()
        .chain(super::mfa::ATTRIBUTES)
        .chain([super::passkeys::PASSKEY_COUNT])
        .fold(UserUpdate::of(self, user.id), UserUpdate::remove);
        // Its passkeys, and the items naming it as their holder.
        let mut released = Vec::new();
        let mut by_id = by_id;
        for (i, passkey) in user.passkeys.iter().enumerate() {
            let name = format!("#passkey{i}");
            by_id = by_id
                .remove(&name)
                .name(&name, &super::passkeys::passkey_attribute(&passkey.id));
            released.push(self.release_credential(&passkey.id, user.id)?);
        }
        // A passkey added since the user was read would outlive them.
        let by_id = by_id
            .only_if("attribute_not_exists(passkey_count) OR passkey_count = :count")
            .value(":count", n(user.passkeys.len()))
            .set("deleted_at = :now")
            .value(":now", n(crate::base::time::now()))
            .next_generation()
            .in_transaction()?;
        let by_name = Delete::builder()
            .table_name(&self.tables.users)
            .key("pk", s(username_key(&user.username)))
            .condition_expression("id = :id")
            .expression_attribute_values(":id", n(user.id))
            .build()
            .map_err(build)?;
        let mut items = vec![by_id, TransactWriteItem::builder().delete(by_name).build()];
        if !user.email.is_empty() {
            items.push(self.release_email(&user.email, user.id)?);
        }
        items.extend(released);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if (0..3).any(|i| cancelled_by_condition(&e, i)) => {
                Err(UpdateUserError::NotFound)
            }
            Err(e) => Err(unavailable("TransactWriteItems", e).into()),
        }
    }

    /// Deletes every session of `user_id`; how many there were.
    pub async fn end_sessions(&self, user_id: u64) -> Result<usize, StoreError> {
        let sessions = self
            .scan_all(&self.tables.sessions, |scan| {
                scan.filter_expression("user_id = :id")
                    .expression_attribute_values(":id", n(user_id))
                    .projection_expression("session_key")
            })
            .await?;
        for key in sessions.iter().filter_map(|item| item.get("session_key")) {
            self.client
                .delete_item()
                .table_name(&self.tables.sessions)
                .key("session_key", key.clone())
                .send()
                .await
                .map_err(|e| unavailable("DeleteItem", e))?;
        }
        Ok(sessions.len())
    }

    /// Imports `user` with its own id: created if both the id and the name
    /// are free (one conditional transaction), unchanged if identical,
    /// updated only with `overwrite`. With `dry_run` nothing is written and
    /// the answer says what would happen.
    pub async fn import_user(
        &self,
        user: &User,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<Result<Imported, ImportRefused>, StoreError> {
        if dry_run {
            return self.import_verdict(user, overwrite).await;
        }
        // Its address is imported apart (`set_email`): one held by another
        // user must not keep the user out.
        let user = &User {
            email: String::new(),
            email_verified: false,
            ..user.clone()
        };
        match self.put_new_user(user, None).await? {
            Ok(()) => return Ok(Ok(Imported::Created)),
            Err(Clash::Username | Clash::Email | Clash::Credential) => {}
            // A deleted user's id: the new user starts at the tombstone's
            // generation, so nothing issued to the deleted one works.
            Err(Clash::Id) => {
                if let Some(generation) = self.tombstone(user.id).await? {
                    let user = User {
                        generation: generation.max(user.generation),
                        ..user.clone()
                    };
                    if self.put_new_user(&user, Some(generation)).await?.is_ok() {
                        return Ok(Ok(Imported::Created));
                    }
                }
            }
        }
        match self.import_verdict(user, overwrite).await? {
            Ok(Imported::Updated) => self.overwrite(user).await,
            other => Ok(other),
        }
    }

    /// Gives imported user `id` the address `email` (verified or not)
    /// unless it has it already: whether it was set, or why not (another
    /// user holds it, it is no address).
    pub async fn import_email(
        &self,
        id: u64,
        email: &str,
        verified: bool,
    ) -> Result<Result<bool, String>, StoreError> {
        for _ in 0..3 {
            let Some(user) = self.user_by_id(id).await? else {
                return Ok(Err("the user vanished meanwhile".into()));
            };
            if user.email == email && user.email_verified == verified {
                return Ok(Ok(false));
            }
            match self.set_email(&user, email, verified).await {
                Ok(_) => return Ok(Ok(true)),
                Err(SetEmailError::Taken) => {
                    return Ok(Err("another user holds this address (compared \
                                   case-insensitively); imported without it"
                        .into()));
                }
                Err(SetEmailError::Invalid) => return Ok(Err("not an address".into())),
                Err(SetEmailError::NotFound) => {
                    return Ok(Err("the user vanished meanwhile".into()));
                }
                Err(SetEmailError::Conflict) => continue,
                Err(SetEmailError::Store(e)) => return Err(e),
            }
        }
        Ok(Err("its address kept changing meanwhile".into()))
    }

    /// What importing `user` would do, from what is stored now.
    async fn import_verdict(
        &self,
        user: &User,
        overwrite: bool,
    ) -> Result<Result<Imported, ImportRefused>, StoreError> {
        let (by_id, by_name) = tokio::join!(
            self.user_by_id(user.id),
            self.user_by_username(&user.username)
        );
        let (by_id, by_name) = (by_id?, by_name?);
        if let Some(other) = by_name.as_ref().filter(|u| u.id != user.id) {
            return Ok(Err(ImportRefused::UsernameTaken(other.id)));
        }
        Ok(match by_id {
            None => Ok(Imported::Created),
            Some(stored) if stored.username != user.username => {
                Err(ImportRefused::IdTaken(stored.username))
            }
            Some(stored)
                if stored.password == user.password && stored.is_active == user.is_active =>
            {
                Ok(Imported::Unchanged)
            }
            Some(_) if overwrite => Ok(Imported::Updated),
            Some(_) => Err(ImportRefused::Differs),
        })
    }

    async fn overwrite(&self, user: &User) -> Result<Result<Imported, ImportRefused>, StoreError> {
        let update = |change| async move {
            match self.update_user(user.id, change).await {
                Ok(_) | Err(UpdateUserError::Conflict) => Ok(()),
                Err(UpdateUserError::NotFound) => Err(StoreError::Internal(
                    "the user vanished while being overwritten".into(),
                )),
                Err(UpdateUserError::Store(e)) => Err(e),
            }
        };
        let stored = self.user_by_id(user.id).await?;
        if stored.as_ref().is_some_and(|u| u.password != user.password) {
            update(UserChange::password(user.password.clone())).await?;
        }
        update(UserChange::Active(user.is_active)).await?;
        Ok(Ok(Imported::Updated))
    }

    /// Deletes every password-attempt counter of `username` (its own and
    /// per address) or, with `address`, of that address (its own and per
    /// username): `authctl unthrottle`. How many there were.
    pub async fn unthrottle(&self, who: Unthrottle<'_>) -> Result<usize, StoreError> {
        let (attribute, value) = match who {
            Unthrottle::Username(u) => ("username", u.to_owned()),
            Unthrottle::Address(a) => ("address", crate::base::address::address_bucket(a)),
        };
        let counters = self
            .scan_all(&self.tables.throttle, |scan| {
                scan.filter_expression("#who = :who")
                    .expression_attribute_names("#who", attribute)
                    .expression_attribute_values(":who", s(value.clone()))
                    .projection_expression("counter_key")
            })
            .await?;
        for key in counters.iter().filter_map(|item| item.get("counter_key")) {
            self.client
                .delete_item()
                .table_name(&self.tables.throttle)
                .key("counter_key", key.clone())
                .send()
                .await
                .map_err(|e| unavailable("DeleteItem", e))?;
        }
        Ok(counters.len())
    }

    /// The hash-cost marks (`password::HashCosts`): what every failed
    /// password check spends.
    pub async fn hash_costs(&self) -> Result<HashCosts, StoreError> {
        let item = self
            .get(&self.tables.users, "pk", HASH_COSTS_KEY.into())
            .await?;
        Ok(item.map(|i| hash_costs_from_item(&i)).unwrap_or_default())
    }

    /// Raises each mark to at least `costs`' (after storing a hash that
    /// costs that much), never lowering one: one conditional write per
    /// kind, so concurrent raises settle on the highest.
    pub async fn raise_hash_costs(&self, costs: HashCosts) -> Result<(), StoreError> {
        let kinds = [
            ("argon2_work", costs.argon2_work),
            ("pbkdf2_iterations", u64::from(costs.pbkdf2_iterations)),
            ("bcrypt_cost", u64::from(costs.bcrypt_cost)),
        ];
        for (name, value) in kinds.into_iter().filter(|(_, v)| *v > 0) {
            let result = self
                .client
                .update_item()
                .table_name(&self.tables.users)
                .key("pk", s(HASH_COSTS_KEY))
                .update_expression("SET #k = :v")
                .condition_expression("attribute_not_exists(#k) OR #k < :v")
                .expression_attribute_names("#k", name)
                .expression_attribute_values(":v", n(value))
                .send()
                .await;
            written("UpdateItem", result)?;
        }
        Ok(())
    }

    /// Sets the marks to what the active users' stored hashes need now
    /// (lower, once imported users have logged in and been moved to ours);
    /// the new marks. A scan: run it when no import is running.
    pub async fn recompute_hash_costs(&self) -> Result<HashCosts, StoreError> {
        let costs = self
            .list_users()
            .await?
            .iter()
            .filter(|u| u.is_active)
            .map(|u| HashCosts::of(&u.password))
            .fold(HashCosts::default(), HashCosts::max);
        let item = [
            ("pk", s(HASH_COSTS_KEY)),
            ("argon2_work", n(costs.argon2_work)),
            ("pbkdf2_iterations", n(costs.pbkdf2_iterations)),
            ("bcrypt_cost", n(costs.bcrypt_cost)),
        ];
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.users)
            .set_item(Some(
                item.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            ))
            .send()
            .await;
        written("PutItem", result)?;
        Ok(costs)
    }

    /// Makes sure new users get ids above `at_least` (after an import).
    pub async fn raise_id_counter(&self, at_least: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(USER_COUNTER))
            .update_expression("SET #v = :max")
            .condition_expression("attribute_not_exists(#v) OR #v < :max")
            .expression_attribute_names("#v", "value")
            .expression_attribute_values(":max", AttributeValue::N(at_least.to_string()))
            .send()
            .await;
        written("UpdateItem", result).map(|_| ())
    }
}
