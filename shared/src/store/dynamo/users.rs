//! Users on DynamoDB: `id#<n>` items, `username#<name>` and
//! `email#<address>` pointers, the id counter and the hash-cost marks, in
//! the users table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::client::{
    DynamoStore, Item, cancelled_by_condition, id_key, internal, n, number, s, unavailable,
};
use super::mfa;
use super::passkeys::{PASSKEY_COUNT, passkey_attribute, passkey_map};
use super::update::UserUpdate;
use crate::base::time::now;
use crate::model::passkey::StoredPasskey;
use crate::model::user::{
    HashCosts, User, UserChange, email_identity, valid_email, valid_username,
};
use crate::settings::LoginBy;
use crate::store::api::{
    CreateUserError, SetEmailError, StoreError, UpdateUserError, UserAdmin, UserStore,
};

pub(super) const USER_COUNTER: &str = "counter#user_id";
/// On a deleted user's `id#<n>` item, its tombstone: the id is never given
/// to another user, and an import onto it starts at its `gen`.
pub(super) const DELETED_AT: &str = "deleted_at";
const ID_ATTEMPTS: usize = 20;

pub(super) fn username_key(username: &str) -> String {
    format!("username#{username}")
}

/// The key of the item saying which user holds `email` (its
/// case-insensitive form).
pub(super) fn email_key(email: &str) -> String {
    format!("email#{}", email_identity(email))
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

impl DynamoStore {
    pub(super) async fn next_user_id(&self) -> Result<u64, StoreError> {
        let counter = ("pk", USER_COUNTER);
        self.increment(&self.tables.users, counter, "value", &[])
            .await
    }

    /// The generation on the tombstone of deleted user `id`, if it is one.
    pub(super) async fn tombstone(&self, id: u64) -> Result<Option<u64>, StoreError> {
        let item = self.get(&self.tables.users, "pk", id_key(id)).await?;
        Ok(item.filter(|i| i.contains_key(DELETED_AT)).map(|i| {
            number(&i, "gen")
                .and_then(|g| u64::try_from(g).ok())
                .unwrap_or(0)
        }))
    }

    /// The user an `id#<n>` item holds; `None` for a deleted user's
    /// tombstone.
    pub(super) fn user_from_item(&self, item: Item) -> Result<Option<User>, StoreError> {
        if item.contains_key(DELETED_AT) {
            return Ok(None);
        }
        let mfa = mfa::state_from_item(&item);
        let passkeys = super::passkeys::passkeys_from_item(&item);
        let consents = super::clients::consents_from_item(&item);
        let mut user: User = serde_dynamo::from_item(item)
            .map_err(|e| self.corrupt(&self.tables.users, e.to_string()))?;
        user.mfa = mfa;
        user.passkeys = passkeys;
        user.consents = consents;
        Ok(Some(user))
    }

    /// Writes a new user's two items (`id#<n>` and `username#<name>`) in one
    /// transaction, each only if absent (the id item may also be the
    /// tombstone at generation `over_tombstone`): of racing writers one
    /// wins, and a half-written user never exists. `Ok(Err(clash))` names
    /// the item that was already there.
    pub(super) async fn put_new_user(
        &self,
        user: &User,
        over_tombstone: Option<u64>,
    ) -> Result<Result<(), Clash>, StoreError> {
        self.put_new_user_holding(user, over_tombstone, None).await
    }

    /// [`put_new_user`](Self::put_new_user), the user holding `passkey`
    /// (its attribute on the user's item, and its `credential#` item
    /// claimed in the same transaction).
    pub(super) async fn put_new_user_holding(
        &self,
        user: &User,
        over_tombstone: Option<u64>,
        passkey: Option<&StoredPasskey>,
    ) -> Result<Result<(), Clash>, StoreError> {
        let mut user_item: Item =
            serde_dynamo::to_item(user).map_err(|e| internal("serialize user", e))?;
        user_item.insert("pk".into(), s(id_key(user.id)));
        user_item.insert("created_at".into(), n(now()));
        if let Some(p) = passkey {
            user_item.insert(passkey_attribute(&p.id), passkey_map(p));
            user_item.insert(PASSKEY_COUNT.into(), n(1));
        }
        // An address only ever goes with its own item.
        if user.email.is_empty() {
            user_item.remove("email");
            user_item.remove("email_verified");
        }
        let pointer: Item = HashMap::from([
            ("pk".to_owned(), s(username_key(&user.username))),
            ("id".to_owned(), n(user.id)),
        ]);
        let address: Item = HashMap::from([
            ("pk".to_owned(), s(email_key(&user.email))),
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
        let mut items = vec![
            put(user_item, id_condition, over_tombstone)?,
            put(pointer, "attribute_not_exists(pk)", None)?,
        ];
        if !user.email.is_empty() {
            items.push(put(address, "attribute_not_exists(pk)", None)?);
        }
        let claim_at = items.len();
        if let Some(p) = passkey {
            items.push(self.claim_credential(&p.id, user.id)?);
        }
        let result = self
            .client
            .transact_write_items()
            .client_request_token(uuid::Uuid::new_v4().simple().to_string())
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Ok(())),
            // The username first: a taken name is the answer whatever the
            // id or address (Django shows a taken username).
            Err(e) if cancelled_by_condition(&e, 1) => Ok(Err(Clash::Username)),
            Err(e) if !user.email.is_empty() && cancelled_by_condition(&e, 2) => {
                Ok(Err(Clash::Email))
            }
            Err(e) if passkey.is_some() && cancelled_by_condition(&e, claim_at) => {
                Ok(Err(Clash::Credential))
            }
            Err(e) if cancelled_by_condition(&e, 0) => Ok(Err(Clash::Id)),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }
}

impl DynamoStore {
    /// Creates `user` (its id reserved) holding `passkey`, in one
    /// transaction: the id, username, address and credential id must all
    /// be free.
    pub(super) async fn put_new_passkey_user(
        &self,
        user: &User,
        passkey: &StoredPasskey,
    ) -> Result<(), CreateUserError> {
        match self.put_new_user_holding(user, None, Some(passkey)).await? {
            Ok(()) => Ok(()),
            Err(Clash::Username) => Err(CreateUserError::UsernameTaken),
            Err(Clash::Email) => Err(CreateUserError::EmailTaken),
            Err(Clash::Credential) => Err(CreateUserError::CredentialTaken),
            // The counter handed the id out twice (a restore, an import):
            // the ceremony named this id, so it cannot take another.
            Err(Clash::Id) => {
                Err(StoreError::Internal(format!("reserved user id {} is taken", user.id)).into())
            }
        }
    }

    /// The writing of `email`'s item for user `id`, only if no other user
    /// holds it, as an item of a transaction.
    fn claim_email(&self, email: &str, id: u64) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.users)
            .item("pk", s(email_key(email)))
            .item("id", n(id))
            .condition_expression("attribute_not_exists(pk) OR id = :id")
            .expression_attribute_values(":id", n(id))
            .build()
            .map_err(|e| internal("build transaction", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// User `id`'s address items moving from `old` to `new` (non-empty),
    /// as items of a transaction: the new one claimed, the old one (if
    /// any, and another address) released.
    pub(super) fn move_email(
        &self,
        id: u64,
        old: &str,
        new: &str,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = vec![self.claim_email(new, id)?];
        if !old.is_empty() && email_key(old) != email_key(new) {
            items.push(self.release_email(old, id)?);
        }
        Ok(items)
    }

    /// The removal of `email`'s item, only if it is user `id`'s (or gone),
    /// as an item of a transaction.
    pub(super) fn release_email(
        &self,
        email: &str,
        id: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        self.release_pointer(email_key(email), id)
    }

    /// The removal of the users-table item `pk` naming its holder (an
    /// address's, a passkey's credential id's), only if it names user `id`
    /// (or is gone), as an item of a transaction.
    pub(super) fn release_pointer(
        &self,
        pk: String,
        id: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key("pk", s(pk))
            .condition_expression("attribute_not_exists(pk) OR id = :id")
            .expression_attribute_values(":id", n(id))
            .build()
            .map_err(|e| internal("build transaction", e))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

/// Which of a new user's items already existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clash {
    Id,
    Username,
    Email,
    /// The passkey's credential id (a user created holding one).
    Credential,
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
        login: &str,
        by: LoginBy,
    ) -> Result<(Option<User>, HashCosts), StoreError> {
        // One read of every item the login may name (and the marks),
        // whether or not they exist: a known and an unknown login cost the
        // same reads.
        let mut keys = vec![("pk", HASH_COSTS_KEY.to_owned())];
        let (by_name, by_email) = (username_key(login), email_key(login));
        if by.username() && valid_username(login) {
            keys.push(("pk", by_name.clone()));
        }
        if by.email() && valid_email(login) {
            keys.push(("pk", by_email.clone()));
        }
        let found = self
            .batch_get(vec![(self.tables.users.clone(), keys)])
            .await?;
        let (mut costs, mut named, mut addressed) = (HashCosts::default(), None, None);
        for (_, item) in found {
            let id = || number(&item, "id").and_then(|v| u64::try_from(v).ok());
            match item.get("pk") {
                Some(AttributeValue::S(pk)) if pk == HASH_COSTS_KEY => {
                    costs = hash_costs_from_item(&item)
                }
                Some(AttributeValue::S(pk)) if *pk == by_email => addressed = id(),
                Some(AttributeValue::S(pk)) if *pk == by_name => named = id(),
                _ => {}
            }
        }
        // The user's item, or for no such user no item (id 0 is never
        // handed out). An address's holder first, as django-allauth.
        let user = self.user_by_id(addressed.or(named).unwrap_or(0)).await?;
        let user = user.filter(|u| match addressed {
            Some(_) => email_identity(&u.email) == email_identity(login),
            None => u.username == login,
        });
        Ok((user, costs))
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
        let update = UserUpdate::of(self, id);
        // `OR password = :hash`: the SDK retrying a write that did land is
        // not a conflict.
        let unless_moved_on = |update: UserUpdate, current: String| {
            update
                .only_if("password = :current OR password = :hash")
                .value(":current", s(current))
        };
        let update = match change {
            UserChange::Password { hash, if_current } => {
                let update = update
                    .set("password = :hash")
                    .value(":hash", s(hash))
                    .next_generation();
                match if_current {
                    Some(current) => unless_moved_on(update, current),
                    None => update,
                }
            }
            UserChange::Rehash { hash, if_current } => unless_moved_on(
                update.set("password = :hash").value(":hash", s(hash)),
                if_current,
            ),
            UserChange::Active(active) => update
                .set("is_active = :active")
                .value(":active", AttributeValue::Bool(active)),
            UserChange::Revoke => update.next_generation(),
            UserChange::DisableMfa => mfa::disabled(update),
            UserChange::UnlockMfa => mfa::unlocked(update),
            UserChange::Names {
                first_name,
                last_name,
            } => {
                let names = [("first_name", first_name), ("last_name", last_name)];
                let mut update = update;
                for (attribute, name) in names {
                    update = match name {
                        None => update,
                        Some(name) if name.is_empty() => update.remove(attribute),
                        Some(name) => update
                            .set(&format!("{attribute} = :{attribute}"))
                            .value(&format!(":{attribute}"), s(name)),
                    };
                }
                update
            }
        };
        match update.send_returning(self).await? {
            Some(item) => self.user_from_item(item)?.ok_or(UpdateUserError::NotFound),
            // Either the user is gone or (with if_current) the hash moved on.
            None => match self.user_by_id(id).await? {
                None => Err(UpdateUserError::NotFound),
                Some(_) => Err(UpdateUserError::Conflict),
            },
        }
    }
}

impl UserAdmin for DynamoStore {
    async fn delete_user(&self, user: &User) -> Result<(), UpdateUserError> {
        self.remove_user(user).await
    }

    async fn set_email(
        &self,
        user: &User,
        email: &str,
        verified: bool,
    ) -> Result<User, SetEmailError> {
        if !email.is_empty() && !valid_email(email) {
            return Err(SetEmailError::Invalid);
        }
        let update = UserUpdate::of(self, user.id)
            .set("email = :email")
            .set("email_verified = :verified")
            .value(":email", s(email))
            .value(":verified", AttributeValue::Bool(verified))
            .only_if("attribute_not_exists(email) OR email = :old")
            .value(":old", s(user.email.clone()))
            .in_transaction()?;
        let mut items = vec![update];
        let mut old_at = None;
        if !email.is_empty() {
            let moved = self.move_email(user.id, &user.email, email)?;
            old_at = (moved.len() == 2).then_some(2);
            items.extend(moved);
        } else if !user.email.is_empty() {
            old_at = Some(1);
            items.push(self.release_email(&user.email, user.id)?);
        }
        let result = self
            .client
            .transact_write_items()
            .client_request_token(uuid::Uuid::new_v4().simple().to_string())
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if !email.is_empty() && cancelled_by_condition(&e, 1) => {
                return Err(SetEmailError::Taken);
            }
            Err(e) if cancelled_by_condition(&e, 0) => {
                return Err(match self.user_by_id(user.id).await? {
                    None => SetEmailError::NotFound,
                    Some(_) => SetEmailError::Conflict,
                });
            }
            Err(e) if old_at.is_some_and(|i| cancelled_by_condition(&e, i)) => {
                return Err(SetEmailError::Conflict);
            }
            Err(e) => return Err(unavailable("TransactWriteItems", e).into()),
        }
        let mut user = user.clone();
        user.email = email.to_owned();
        user.email_verified = verified;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        if !valid_email(email) {
            return Ok(None);
        }
        let Some(pointer) = self.get(&self.tables.users, "pk", email_key(email)).await? else {
            return Ok(None);
        };
        let id = number(&pointer, "id")
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.corrupt(&self.tables.users, "email item without id"))?;
        Ok(self
            .user_by_id(id)
            .await?
            .filter(|user| email_identity(&user.email) == email_identity(email)))
    }

    async fn create_user_with_email(
        &self,
        username: &str,
        password_hash: &str,
        email: &str,
        verified: bool,
    ) -> Result<User, CreateUserError> {
        if !email.is_empty() && !valid_email(email) {
            return Err(StoreError::Internal(format!("not an address: {email:?}")).into());
        }
        // Fast path only: the conditional transaction below is what enforces
        // uniqueness. It saves an id when the name is plainly taken. Not for
        // the address: a taken address costs what a free one does (the
        // same round trips), so sign-up's timing never tells whether an
        // address has an account.
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
                email: email.to_owned(),
                email_verified: verified && !email.is_empty(),
                first_name: String::new(),
                last_name: String::new(),
                mfa: Default::default(),
                passkeys: Vec::new(),
                consents: Vec::new(),
            };
            match self.put_new_user(&user, None).await? {
                Ok(()) => return Ok(user),
                Err(Clash::Username) => return Err(CreateUserError::UsernameTaken),
                Err(Clash::Email) => return Err(CreateUserError::EmailTaken),
                // No passkey, so no credential item to clash on.
                Err(Clash::Credential) => return Err(CreateUserError::CredentialTaken),
                Err(Clash::Id) => continue,
            }
        }
        Err(StoreError::Internal(format!("no free user id after {ID_ATTEMPTS} attempts")).into())
    }
}
