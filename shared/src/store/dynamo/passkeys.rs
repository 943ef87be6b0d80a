//! Passkeys and WebAuthn ceremonies on DynamoDB (see the module above for
//! the items).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};

use super::client::{
    DynamoStore, Item, TTL_ATTRIBUTE, cancelled_by_condition, internal, n, number, s, unavailable,
};
use super::update::UserUpdate;
use crate::model::passkey::{
    Added, Applicant, Ceremony, CeremonyKind, MAX_PASSKEYS, PasskeyUse, StoredPasskey,
};
use crate::model::user::User;
use crate::store::api::{CreateUserError, PasskeyStore, StoreError, UserStore};

/// The prefix of a passkey's attribute on its user's item.
const PASSKEY_PREFIX: &str = "passkey#";
/// How many passkeys the user holds (for the cap, in a condition).
pub(super) const PASSKEY_COUNT: &str = "passkey_count";

/// The attribute of passkey `id` on its user's item.
pub(super) fn passkey_attribute(id: &str) -> String {
    format!("{PASSKEY_PREFIX}{id}")
}

/// The users-table item naming the holder of credential `id`.
pub(super) fn credential_key(id: &str) -> String {
    format!("credential#{id}")
}

/// The passkeys on a user's item, oldest first (unreadable ones skipped:
/// they cannot log in, and the user can still remove them by id).
pub(super) fn passkeys_from_item(item: &Item) -> Vec<StoredPasskey> {
    let mut found: Vec<StoredPasskey> = item
        .iter()
        .filter_map(|(name, value)| {
            let id = name.strip_prefix(PASSKEY_PREFIX)?;
            let AttributeValue::M(m) = value else {
                return None;
            };
            let text = |k: &str| match m.get(k) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            Some(StoredPasskey {
                id: id.to_owned(),
                name: text("name").unwrap_or_default(),
                created: number(m, "created").unwrap_or(0),
                last_used: number(m, "last_used"),
                backed_up: matches!(m.get("backed_up"), Some(AttributeValue::Bool(true))),
                credential: text("credential")?,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    found
}

pub(super) fn passkey_map(p: &StoredPasskey) -> AttributeValue {
    let mut m = HashMap::from([
        ("name".to_owned(), s(p.name.clone())),
        ("created".to_owned(), n(p.created)),
        ("backed_up".to_owned(), AttributeValue::Bool(p.backed_up)),
        ("credential".to_owned(), s(p.credential.clone())),
    ]);
    if let Some(at) = p.last_used {
        m.insert("last_used".to_owned(), n(at));
    }
    AttributeValue::M(m)
}

/// `update` writing the passkey's use (its credential, `last_used`,
/// `backed_up`), only if the passkey is still as it was checked.
pub(super) fn using_passkey(update: UserUpdate, used: &PasskeyUse) -> UserUpdate {
    update
        .set("#passkey.credential = :credential")
        .set("#passkey.last_used = :used")
        .set("#passkey.backed_up = :backed_up")
        .name("#passkey", &passkey_attribute(&used.id))
        .value(":credential", s(used.credential.clone()))
        .value(":used", n(used.at))
        .value(":backed_up", AttributeValue::Bool(used.backed_up))
        .only_if("#passkey.credential = :previous")
        .value(":previous", s(used.previous.clone()))
}

impl DynamoStore {
    /// The writing of credential `id`'s item naming user `user_id`, only if
    /// no one holds it, as an item of a transaction.
    pub(super) fn claim_credential(
        &self,
        id: &str,
        user_id: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let claim = Put::builder()
            .table_name(&self.tables.users)
            .item("pk", s(credential_key(id)))
            .item("id", n(user_id))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| internal("build transaction", e))?;
        Ok(TransactWriteItem::builder().put(claim).build())
    }

    /// The deletion of credential `id`'s item, only if it is user
    /// `user_id`'s (or gone), as an item of a transaction.
    pub(super) fn release_credential(
        &self,
        id: &str,
        user_id: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        self.release_pointer(credential_key(id), user_id)
    }

    fn ceremony_from(&self, item: &Item) -> Result<Ceremony, StoreError> {
        let corrupt =
            |what: &str| self.corrupt(&self.tables.throttle, format!("ceremony item: {what}"));
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(v)) => Some(v.clone()),
            _ => None,
        };
        let key = text("counter_key").ok_or_else(|| corrupt("no counter_key"))?;
        let kind = match text("kind").as_deref() {
            Some("register") => CeremonyKind::Register,
            Some("login") => CeremonyKind::Login,
            Some("signup") => CeremonyKind::Signup,
            _ => return Err(corrupt("kind")),
        };
        let applicant = match (text("username"), text("email")) {
            (Some(username), Some(email)) => Some(Applicant { username, email }),
            _ => None,
        };
        Ok(Ceremony {
            challenge: key
                .strip_prefix("webauthn#")
                .ok_or_else(|| corrupt("key"))?
                .to_owned(),
            kind,
            user_id: number(item, "user_id").and_then(|v| u64::try_from(v).ok()),
            applicant,
            state: text("state").ok_or_else(|| corrupt("state"))?,
            expires_at: number(item, TTL_ATTRIBUTE).ok_or_else(|| corrupt("expires_at"))?,
        })
    }
}

impl PasskeyStore for DynamoStore {
    async fn reserve_user_id(&self) -> Result<u64, StoreError> {
        self.next_user_id().await
    }

    async fn create_user_with_passkey(
        &self,
        user: &User,
        passkey: &StoredPasskey,
    ) -> Result<(), CreateUserError> {
        self.put_new_passkey_user(user, passkey).await
    }

    async fn add_passkey(&self, user: &User, passkey: &StoredPasskey) -> Result<Added, StoreError> {
        let update = UserUpdate::of(self, user.id)
            .set("#passkey = :passkey")
            .name("#passkey", &passkey_attribute(&passkey.id))
            .value(":passkey", passkey_map(passkey))
            .add("passkey_count :one")
            .value(":one", n(1))
            .only_if("gen = :gen OR (attribute_not_exists(gen) AND :gen = :zero)")
            .value(":gen", n(user.generation))
            .value(":zero", n(0))
            .only_if("attribute_not_exists(passkey_count) OR passkey_count < :cap")
            .value(":cap", n(MAX_PASSKEYS))
            .only_if("attribute_not_exists(#passkey)")
            .in_transaction()?;
        let items = vec![update, self.claim_credential(&passkey.id, user.id)?];
        let result = self
            .client
            .transact_write_items()
            .client_request_token(uuid::Uuid::new_v4().simple().to_string())
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Added::Done),
            Err(e) if cancelled_by_condition(&e, 1) => Ok(Added::Taken),
            Err(e) if cancelled_by_condition(&e, 0) => {
                // Which condition: the user as read, or the cap.
                Ok(match self.user_by_id(user.id).await? {
                    Some(now) if now.generation == user.generation => {
                        match now.passkey(&passkey.id) {
                            Some(_) => Added::Taken,
                            None => Added::Full,
                        }
                    }
                    _ => Added::UserChanged,
                })
            }
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn rename_passkey(&self, user_id: u64, id: &str, name: &str) -> Result<bool, StoreError> {
        UserUpdate::of(self, user_id)
            .set("#passkey.#name = :name")
            .name("#passkey", &passkey_attribute(id))
            .name("#name", "name")
            .value(":name", s(name))
            .only_if("attribute_exists(#passkey)")
            .send(self)
            .await
    }

    async fn remove_passkey(&self, user_id: u64, id: &str) -> Result<bool, StoreError> {
        let update = UserUpdate::of(self, user_id)
            .remove("#passkey")
            .name("#passkey", &passkey_attribute(id))
            .add("passkey_count :minus")
            .value(":minus", n(-1))
            .only_if("attribute_exists(#passkey)")
            .in_transaction()?;
        let items = vec![update, self.release_credential(id, user_id)?];
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e, 0) => Ok(false),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn passkey_owner(&self, id: &str) -> Result<Option<u64>, StoreError> {
        let item = self
            .get(&self.tables.users, "pk", credential_key(id))
            .await?;
        Ok(item
            .as_ref()
            .and_then(|i| number(i, "id"))
            .and_then(|v| u64::try_from(v).ok()))
    }

    async fn use_passkey(&self, user_id: u64, used: &PasskeyUse) -> Result<bool, StoreError> {
        using_passkey(UserUpdate::of(self, user_id), used)
            .send(self)
            .await
    }

    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.tables.throttle)
            .item("counter_key", s(Ceremony::item_key(&ceremony.challenge)))
            .item("kind", s(ceremony.kind.as_str()))
            .item("state", s(ceremony.state.clone()))
            .item(TTL_ATTRIBUTE, n(ceremony.expires_at))
            .condition_expression("attribute_not_exists(counter_key)");
        if let Some(id) = ceremony.user_id {
            put = put.item("user_id", n(id));
        }
        if let Some(applicant) = &ceremony.applicant {
            put = (put.item("username", s(applicant.username.clone())))
                .item("email", s(applicant.email.clone()));
        }
        put.send().await.map_err(|e| unavailable("PutItem", e))?;
        Ok(())
    }

    async fn take_ceremony(
        &self,
        challenge: &str,
        kind: CeremonyKind,
        now: i64,
    ) -> Result<Option<Ceremony>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.throttle)
            .key("counter_key", s(Ceremony::item_key(challenge)))
            .condition_expression("attribute_exists(counter_key) AND #ttl > :now AND kind = :kind")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":kind", s(kind.as_str()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes {
                Some(item) => self.ceremony_from(&item).map(Some),
                None => Ok(None),
            },
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable("DeleteItem", e)),
        }
    }
}
