//! Email links' keys on DynamoDB, in the throttle table: `confirm#<hash>`
//! and `reset#<id>` items (`user_id`, `email`, a reset's `secret` and
//! `password_mark`, `expires_at` under TTL). A key is used by one
//! transaction that deletes it (only if still live and the same) and
//! changes its user (only if still as the key expects).

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::client::{DynamoStore, Item, TTL_ATTRIBUTE, internal, n, number, s, unavailable};
use super::update::UserUpdate;
use crate::model::key::{AccountKey, KeyKind, KeyUse};
use crate::store::api::{KeyStore, StoreError};

fn text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

impl DynamoStore {
    fn key_from(&self, item: &Item) -> Result<AccountKey, StoreError> {
        let corrupt = |what: &str| self.corrupt(&self.tables.throttle, format!("key item: {what}"));
        let id = text(item, "counter_key").ok_or_else(|| corrupt("no counter_key"))?;
        let kind = match id.split('#').next() {
            Some("confirm") => KeyKind::Confirmation,
            Some("reset") => KeyKind::Reset,
            _ => return Err(corrupt("not a key")),
        };
        Ok(AccountKey {
            id,
            kind,
            user_id: number(item, "user_id")
                .and_then(|v| u64::try_from(v).ok())
                .ok_or_else(|| corrupt("user_id"))?,
            email: text(item, "email").unwrap_or_default(),
            secret_hash: text(item, "secret"),
            password_mark: text(item, "password_mark"),
            expires_at: number(item, TTL_ATTRIBUTE).ok_or_else(|| corrupt("expires_at"))?,
        })
    }
}

impl KeyStore for DynamoStore {
    async fn put_key(&self, key: &AccountKey) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.tables.throttle)
            .item("counter_key", s(key.id.clone()))
            .item("user_id", n(key.user_id))
            .item("email", s(key.email.clone()))
            .item(TTL_ATTRIBUTE, n(key.expires_at));
        if let Some(secret) = &key.secret_hash {
            put = put.item("secret", s(secret.clone()));
        }
        if let Some(mark) = &key.password_mark {
            put = put.item("password_mark", s(mark.clone()));
        }
        put.send().await.map_err(|e| unavailable("PutItem", e))?;
        Ok(())
    }

    async fn key(&self, id: &str) -> Result<Option<AccountKey>, StoreError> {
        let now = crate::base::time::now();
        match self
            .get(&self.tables.throttle, "counter_key", id.to_owned())
            .await?
        {
            Some(item) if number(&item, TTL_ATTRIBUTE).is_some_and(|t| t > now) => {
                self.key_from(&item).map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn use_key(&self, key: &AccountKey, then: &KeyUse, now: i64) -> Result<bool, StoreError> {
        let build = |e| internal("build transaction", e);
        let mut delete = Delete::builder()
            .table_name(&self.tables.throttle)
            .key("counter_key", s(key.id.clone()))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":user", n(key.user_id));
        let mut condition =
            "attribute_exists(counter_key) AND #ttl > :now AND user_id = :user".to_owned();
        if let Some(secret) = &key.secret_hash {
            condition.push_str(" AND secret = :secret");
            delete = delete.expression_attribute_values(":secret", s(secret.clone()));
        }
        if let Some(mark) = &key.password_mark {
            condition.push_str(" AND password_mark = :mark");
            delete = delete.expression_attribute_values(":mark", s(mark.clone()));
        }
        let delete = delete
            .condition_expression(condition)
            .build()
            .map_err(build)?;
        let user = match then {
            KeyUse::VerifyEmail => UserUpdate::of(self, key.user_id)
                .set("email_verified = :verified")
                .value(":verified", AttributeValue::Bool(true))
                .only_if("email = :email")
                .value(":email", s(key.email.clone())),
            KeyUse::ResetPassword { old_hash, new_hash } => UserUpdate::of(self, key.user_id)
                .set("password = :hash")
                .value(":hash", s(new_hash.clone()))
                .next_generation()
                .only_if("password = :current")
                .value(":current", s(old_hash.clone())),
            KeyUse::ChangeEmail { old } => UserUpdate::of(self, key.user_id)
                .set("email = :email")
                .set("email_verified = :verified")
                .value(":email", s(key.email.clone()))
                .value(":verified", AttributeValue::Bool(true))
                .only_if("email = :old")
                .value(":old", s(old.clone())),
        };
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        if let KeyUse::ChangeEmail { old } = then {
            items.extend(self.move_email(key.user_id, old, &key.email)?);
        }
        items.insert(1, user.in_transaction()?);
        let result = self
            .client
            .transact_write_items()
            .client_request_token(uuid::Uuid::new_v4().simple().to_string())
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match super::client::cancellation_codes(&e) {
                Some(codes) if codes.iter().any(|c| c == "ConditionalCheckFailed") => Ok(false),
                _ => Err(unavailable("TransactWriteItems", e)),
            },
        }
    }
}
