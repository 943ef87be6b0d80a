//! Refresh tokens on DynamoDB: blacklist entries (with a rotated token's
//! successor) and revoked families, in the blacklist table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::client::{DynamoStore, Item, TTL_ATTRIBUTE, id_key, n, number, s, written};
use crate::base::time::now;
use crate::model::counter::{bounded_key, hashed_key};
use crate::model::token::{Revocation, Rotation, TokenState};
use crate::store::api::{StoreError, TokenStore};

/// A DynamoDB key for a jti: the jti itself, or its SHA-256 when it could not
/// be a key (empty, or longer than a partition key may be) or could be taken
/// for a family item.
pub(super) fn jti_key(jti: &str) -> String {
    match jti.is_empty() || jti.starts_with(FAMILY_PREFIX) {
        true => hashed_key("", jti),
        false => bounded_key("", jti, 1024),
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
        let write_id = s(crate::base::random::new_jti());
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

impl TokenStore for DynamoStore {
    async fn token_state(
        &self,
        user_id: Option<u64>,
        jti: Option<&str>,
        fam: Option<&str>,
    ) -> Result<TokenState, StoreError> {
        // One BatchGetItem whatever is asked (the user alone too, for a
        // token signed without a family): one action to grant.
        let jti_k = jti.map(jti_key);
        let fam_k = fam.map(family_key);
        let blacklist_keys: Vec<_> = jti_k
            .iter()
            .chain(&fam_k)
            .map(|k| ("jti", k.clone()))
            .collect();
        let mut request = Vec::new();
        if !blacklist_keys.is_empty() {
            request.push((self.tables.blacklist.clone(), blacklist_keys));
        }
        if let Some(id) = user_id {
            request.push((self.tables.users.clone(), vec![("pk", id_key(id))]));
        }
        if request.is_empty() {
            return Ok(TokenState::default());
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
