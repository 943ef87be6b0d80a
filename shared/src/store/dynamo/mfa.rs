//! Two-factor state on DynamoDB: attributes of the user's item, and
//! `mfa_token` items in the throttle table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::{
    DynamoStore, Item, TTL_ATTRIBUTE, cancelled_by_condition, id_key, internal, n, number, s,
    unavailable, written,
};
use crate::mfa::MFA_TOKEN_ATTEMPTS;
use crate::store::{AfterProof, MfaState, MfaStore, Proof, Redeemed, StoreError, mfa_token_key};
use crate::time::now;

/// Removes every two-factor attribute and moves `gen` on (`:one`).
pub(super) const DISABLE: &str = "REMOVE totp, totp_pending, totp_step, recovery ADD gen :one";

/// A live user item, not a tombstone.
const LIVE: &str = "attribute_exists(pk) AND attribute_not_exists(deleted_at)";

/// The two-factor attributes of a user's item.
pub(super) fn state_from_item(item: &Item) -> MfaState {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    };
    let recovery = match item.get("recovery") {
        Some(AttributeValue::M(m)) => {
            let mut hashes: Vec<String> = m.keys().cloned().collect();
            hashes.sort();
            hashes
        }
        _ => Vec::new(),
    };
    MfaState {
        pending: text("totp_pending"),
        totp: text("totp"),
        step: number(item, "totp_step").and_then(|v| u64::try_from(v).ok()),
        recovery,
    }
}

/// Recovery-code hashes as the `recovery` map.
fn recovery_map(hashes: &[String]) -> AttributeValue {
    AttributeValue::M(hashes.iter().map(|h| (h.clone(), n(1))).collect())
}

/// The update of a user's item that consumes `proof` and does `then`:
/// expression, condition, names and values.
fn redeem_update(
    generation: u64,
    proof: &Proof,
    then: &AfterProof,
) -> (String, String, Item, HashMap<String, String>) {
    let mut values = HashMap::from([(":gen".to_owned(), n(generation))]);
    let mut names = HashMap::new();
    let mut condition = format!("{LIVE} AND attribute_exists(totp) AND gen = :gen");
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    match proof {
        Proof::Step(step) => {
            condition += " AND (attribute_not_exists(totp_step) OR totp_step < :step)";
            values.insert(":step".into(), n(step));
            set.push("totp_step = :step");
        }
        Proof::Recovery(hash) => {
            condition += " AND attribute_exists(recovery.#code)";
            names.insert("#code".to_owned(), hash.clone());
            remove.push("recovery.#code");
        }
    }
    let expression = match then {
        AfterProof::Nothing => join(&set, &remove),
        AfterProof::ReplaceRecovery(hashes) => {
            values.insert(":recovery".into(), recovery_map(hashes));
            remove.clear();
            set.push("recovery = :recovery");
            join(&set, &remove)
        }
        AfterProof::Disable => {
            values.insert(":one".into(), n(1));
            DISABLE.to_owned()
        }
    };
    (expression, condition, values, names)
}

fn join(set: &[&str], remove: &[&str]) -> String {
    let mut parts = Vec::new();
    if !set.is_empty() {
        parts.push(format!("SET {}", set.join(", ")));
    }
    if !remove.is_empty() {
        parts.push(format!("REMOVE {}", remove.join(", ")));
    }
    parts.join(" ")
}

impl MfaStore for DynamoStore {
    async fn begin_totp(&self, id: u64, sealed: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(id_key(id)))
            .update_expression("SET totp_pending = :sealed")
            .condition_expression(format!("{LIVE} AND attribute_not_exists(totp)"))
            .expression_attribute_values(":sealed", s(sealed))
            .send()
            .await;
        written("UpdateItem", result)
    }

    async fn confirm_totp(
        &self,
        id: u64,
        sealed: &str,
        step: u64,
        recovery: &[String],
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(id_key(id)))
            .update_expression(
                "SET totp = :sealed, totp_step = :step, recovery = :recovery REMOVE totp_pending",
            )
            .condition_expression(format!(
                "{LIVE} AND attribute_not_exists(totp) AND totp_pending = :sealed"
            ))
            .expression_attribute_values(":sealed", s(sealed))
            .expression_attribute_values(":step", n(step))
            .expression_attribute_values(":recovery", recovery_map(recovery))
            .send()
            .await;
        written("UpdateItem", result)
    }

    async fn redeem(
        &self,
        id: u64,
        generation: u64,
        proof: &Proof,
        token: Option<(&str, i64)>,
        then: &AfterProof,
    ) -> Result<Redeemed, StoreError> {
        let (expression, condition, values, names) = redeem_update(generation, proof, then);
        let names = (!names.is_empty()).then_some(names);
        let Some((jti, expires_at)) = token else {
            let result = self
                .client
                .update_item()
                .table_name(&self.tables.users)
                .key("pk", s(id_key(id)))
                .update_expression(expression)
                .condition_expression(condition)
                .set_expression_attribute_values(Some(values))
                .set_expression_attribute_names(names)
                .send()
                .await;
            return Ok(match written("UpdateItem", result)? {
                true => Redeemed::Done,
                false => Redeemed::CodeRefused,
            });
        };
        let build = |e| internal("build transaction", e);
        let user = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(id_key(id)))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .set_expression_attribute_names(names)
            .build()
            .map_err(build)?;
        let use_token = Update::builder()
            .table_name(&self.tables.throttle)
            .key("counter_key", s(mfa_token_key(jti)))
            .update_expression("SET used = :now, #ttl = :exp")
            .condition_expression(
                "attribute_not_exists(used) AND (attribute_not_exists(hits) OR hits < :max)",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now()))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":max", n(MFA_TOKEN_ATTEMPTS))
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(user).build())
            .transact_items(TransactWriteItem::builder().update(use_token).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Redeemed::Done),
            Err(e) if cancelled_by_condition(&e, 1) => Ok(Redeemed::TokenRefused),
            Err(e) if cancelled_by_condition(&e, 0) => Ok(Redeemed::CodeRefused),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn reseal_totp(&self, id: u64, old: &str, new: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(id_key(id)))
            .update_expression("SET totp = :new")
            .condition_expression(format!("{LIVE} AND totp = :old"))
            .expression_attribute_values(":old", s(old))
            .expression_attribute_values(":new", s(new))
            .send()
            .await;
        written("UpdateItem", result)
    }

    async fn mfa_token_failed(&self, jti: &str, expires_at: i64) -> Result<u64, StoreError> {
        let key = mfa_token_key(jti);
        let set = [(TTL_ATTRIBUTE, n(expires_at))];
        self.increment(&self.tables.throttle, ("counter_key", &key), "hits", &set)
            .await
    }
}
