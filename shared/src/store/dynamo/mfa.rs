//! Two-factor state on DynamoDB: attributes of the user's item, and
//! `mfa_token` items in the throttle table.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::client::{
    DynamoStore, Item, TTL_ATTRIBUTE, cancelled_by_condition, internal, n, number, s, unavailable,
};
use super::update::UserUpdate;
use crate::base::time::now;
use crate::model::counter::mfa_token_key;
use crate::model::mfa::{AfterProof, Charged, MFA_TOKEN_ATTEMPTS, Proof, Redeemed};
use crate::model::user::{MfaState, User};
use crate::store::api::{MfaStore, StoreError};

/// Every two-factor attribute of a user's item.
pub(super) const ATTRIBUTES: [&str; 6] = [
    "totp",
    "totp_pending",
    "totp_step",
    "recovery",
    "mfa_failures",
    "mfa_locked_until",
];

/// `update` forgetting the consecutive second-factor failures.
pub(super) fn unlocked(update: UserUpdate) -> UserUpdate {
    update.remove("mfa_failures").remove("mfa_locked_until")
}

/// `update` removing every two-factor attribute and moving `gen` on.
pub(super) fn disabled(update: UserUpdate) -> UserUpdate {
    ATTRIBUTES
        .into_iter()
        .fold(update, UserUpdate::remove)
        .next_generation()
}

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
        failures: number(item, "mfa_failures").map_or(0, |v| v.max(0) as u64),
        locked_until: number(item, "mfa_locked_until"),
    }
}

/// Recovery-code hashes as the `recovery` map.
fn recovery_map(hashes: &[String]) -> AttributeValue {
    AttributeValue::M(hashes.iter().map(|h| (h.clone(), n(1))).collect())
}

/// `update` consuming `proof` for a user at credential generation
/// `generation` (TOTP on), and doing `then`.
fn redeeming(update: UserUpdate, generation: u64, proof: &Proof, then: &AfterProof) -> UserUpdate {
    let update = update
        .only_if("attribute_exists(totp) AND gen = :gen")
        .value(":gen", n(generation));
    // Only while the proof is still good: a later time step, an unused code.
    let update = match proof {
        Proof::Step(step) => update
            .only_if("attribute_not_exists(totp_step) OR totp_step < :step")
            .value(":step", n(step)),
        Proof::Recovery(hash) => update
            .only_if("attribute_exists(recovery.#code)")
            .name("#code", hash),
        // Checked and written in one: a passkey's use is recorded whatever
        // follows.
        Proof::Passkey(used) => super::passkeys::using_passkey(update, used),
    };
    // Consumed, unless what follows removes or replaces it anyway.
    let consumed = |update: UserUpdate| match proof {
        Proof::Step(_) => update.set("totp_step = :step"),
        Proof::Recovery(_) => update.remove("recovery.#code"),
        Proof::Passkey(_) => update,
    };
    match then {
        AfterProof::Nothing => consumed(update),
        AfterProof::ReplaceRecovery(hashes) => {
            let update = match proof {
                Proof::Step(_) | Proof::Passkey(_) => consumed(update),
                Proof::Recovery(_) => update,
            };
            update
                .set("recovery = :recovery")
                .value(":recovery", recovery_map(hashes))
        }
        AfterProof::Disable => disabled(update),
    }
}

impl MfaStore for DynamoStore {
    async fn begin_totp(&self, id: u64, sealed: &str) -> Result<bool, StoreError> {
        UserUpdate::of(self, id)
            .set("totp_pending = :sealed")
            .only_if("attribute_not_exists(totp)")
            .value(":sealed", s(sealed))
            .send(self)
            .await
    }

    async fn confirm_totp(
        &self,
        id: u64,
        sealed: &str,
        step: u64,
        recovery: &[String],
    ) -> Result<bool, StoreError> {
        UserUpdate::of(self, id)
            .set("totp = :sealed")
            .set("totp_step = :step")
            .set("recovery = :recovery")
            .remove("totp_pending")
            .next_generation()
            .only_if("attribute_not_exists(totp) AND totp_pending = :sealed")
            .value(":sealed", s(sealed))
            .value(":step", n(step))
            .value(":recovery", recovery_map(recovery))
            .send(self)
            .await
    }

    async fn redeem(
        &self,
        id: u64,
        generation: u64,
        proof: &Proof,
        token: Option<(&str, i64)>,
        then: &AfterProof,
    ) -> Result<Redeemed, StoreError> {
        let update = UserUpdate::of(self, id);
        // Both factors proven: the consecutive failures are forgotten
        // (disabling removes them with the rest).
        let update = match then {
            AfterProof::Disable => update,
            AfterProof::Nothing | AfterProof::ReplaceRecovery(_) => unlocked(update),
        };
        let user = redeeming(update, generation, proof, then);
        let Some((jti, expires_at)) = token else {
            return Ok(match user.send(self).await? {
                true => Redeemed::Done,
                false => Redeemed::CodeRefused,
            });
        };
        let build = |e| internal("build transaction", e);
        let use_token = Update::builder()
            .table_name(&self.tables.throttle)
            .key("counter_key", s(mfa_token_key(jti)))
            .update_expression("SET used = :now, #ttl = :exp")
            .condition_expression("attribute_not_exists(used)")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now()))
            .expression_attribute_values(":exp", n(expires_at))
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(user.in_transaction()?)
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
        UserUpdate::of(self, id)
            .set("totp = :new")
            .only_if("totp = :old")
            .value(":old", s(old))
            .value(":new", s(new))
            .send(self)
            .await
    }

    async fn charge_second_factor(
        &self,
        user: &User,
        locked_until: Option<i64>,
        token: Option<(&str, i64)>,
    ) -> Result<Charged, StoreError> {
        let seen = user.mfa.failures;
        let update = UserUpdate::of(self, user.id)
            .set("mfa_failures = :next")
            .only_if("attribute_exists(totp) AND gen = :gen")
            .value(":gen", n(user.generation))
            .value(":next", n(seen + 1));
        // No other attempt charged since the read: racing attempts cannot
        // each be compared against one count.
        let update = match seen {
            0 => update.only_if("attribute_not_exists(mfa_failures)"),
            _ => update
                .only_if("mfa_failures = :seen")
                .value(":seen", n(seen)),
        };
        let update = match locked_until {
            Some(until) => update
                .set("mfa_locked_until = :until")
                .value(":until", n(until)),
            None => update,
        };
        let Some((jti, expires_at)) = token else {
            return Ok(match update.send(self).await? {
                true => Charged::Done,
                false => Charged::Moved,
            });
        };
        let build = |e| internal("build transaction", e);
        let charge_token = Update::builder()
            .table_name(&self.tables.throttle)
            .key("counter_key", s(mfa_token_key(jti)))
            .update_expression("ADD hits :one SET #ttl = :exp")
            .condition_expression(
                "attribute_not_exists(used) AND (attribute_not_exists(hits) OR hits < :max)",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":max", n(MFA_TOKEN_ATTEMPTS))
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(update.in_transaction()?)
            .transact_items(TransactWriteItem::builder().update(charge_token).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Charged::Done),
            Err(e) if cancelled_by_condition(&e, 1) => Ok(Charged::TokenRefused),
            Err(e) if cancelled_by_condition(&e, 0) => Ok(Charged::Moved),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }
}
