//! Counters on DynamoDB, in the throttle table: password attempts charged
//! to three counters in one transaction of conditional `ADD`s (all or
//! none), refreshes per window (one atomic `ADD`), and the clients that
//! succeeded for a username.

use std::time::Duration;

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::client::{
    DynamoStore, TTL_ATTRIBUTE, cancellation_codes, internal, n, number, s, unavailable, written,
};
use crate::base::time::now;
use crate::model::counter::Counter;
use crate::store::api::{StoreError, ThrottleStore};

/// How often a charge contended by another transaction on the same
/// counter is tried in all, before the contended counters count as
/// refusing.
const CONFLICT_TRIES: u32 = 3;

/// One counter's conditional `ADD`, with what it counts.
fn conditional_add(
    table: &str,
    counter: &Counter,
    limit: u64,
    expires_at: i64,
) -> Result<TransactWriteItem, StoreError> {
    let mut set = vec!["#ttl = :exp"];
    let mut update = Update::builder()
        .table_name(table)
        .key("counter_key", s(counter.key.clone()))
        .condition_expression("attribute_not_exists(hits) OR hits < :limit")
        .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":limit", n(limit))
        .expression_attribute_values(":exp", n(expires_at));
    if let Some(username) = &counter.username {
        set.push("username = :username");
        update = update.expression_attribute_values(":username", s(username.clone()));
    }
    if let Some(address) = &counter.address {
        set.push("address = :address");
        update = update.expression_attribute_values(":address", s(address.clone()));
    }
    let update = update
        .update_expression(format!("SET {} ADD hits :one", set.join(", ")))
        .build()
        .map_err(|e| internal("build transaction", e))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

impl ThrottleStore for DynamoStore {
    async fn take_slot(
        &self,
        key: &str,
        gap: i64,
        now: i64,
        counters: &[(&Counter, u64)],
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let table = &self.tables.throttle;
        let slot = Update::builder()
            .table_name(table)
            .key("counter_key", s(key))
            .update_expression("SET taken_at = :now, #ttl = :exp")
            .condition_expression("attribute_not_exists(taken_at) OR taken_at <= :since")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":since", n(now - gap))
            .expression_attribute_values(":exp", n(expires_at))
            .build()
            .map_err(|e| internal("build transaction", e))?;
        let mut items = vec![TransactWriteItem::builder().update(slot).build()];
        for (counter, limit) in counters {
            items.push(conditional_add(table, counter, *limit, expires_at)?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match cancellation_codes(&e) {
                Some(codes)
                    if codes
                        .iter()
                        .any(|c| c == "ConditionalCheckFailed" || c == "TransactionConflict") =>
                {
                    Ok(false)
                }
                _ => Err(unavailable("TransactWriteItems", e)),
            },
        }
    }

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

    async fn charge(
        &self,
        counters: &[(&Counter, u64)],
        expires_at: i64,
    ) -> Result<Vec<usize>, StoreError> {
        let table = &self.tables.throttle;
        let items = counters
            .iter()
            .map(|(counter, limit)| conditional_add(table, counter, *limit, expires_at))
            .collect::<Result<Vec<_>, _>>()?;
        let mut contended = Vec::new();
        for tries in 1..=CONFLICT_TRIES {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let codes = match result {
                Ok(_) => return Ok(Vec::new()),
                Err(e) => {
                    cancellation_codes(&e).ok_or_else(|| unavailable("TransactWriteItems", e))?
                }
            };
            let with = |code: &str| -> Vec<usize> {
                (codes.iter().enumerate())
                    .filter(|(_, c)| c.as_str() == code)
                    .map(|(i, _)| i)
                    .collect()
            };
            let refused = with("ConditionalCheckFailed");
            if !refused.is_empty() {
                return Ok(refused);
            }
            contended = with("TransactionConflict");
            if contended.is_empty() {
                let reasons = codes.join(", ");
                return Err(StoreError::Unavailable(format!(
                    "TransactWriteItems cancelled: {reasons}"
                )));
            }
            // Another transaction on a counter at the same moment: again,
            // after a short pause that spreads the racers out.
            let pause = 10 * u64::from(tries) + u64::from(rand::random::<u8>() % 20);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        // Still contended: those counters count as refusing (fail closed).
        Ok(contended)
    }

    async fn remembers(&self, key: &str) -> Result<bool, StoreError> {
        let item = self
            .get(&self.tables.throttle, "counter_key", key.to_owned())
            .await?;
        Ok(item.is_some_and(|i| number(&i, TTL_ATTRIBUTE).is_some_and(|t| t > now())))
    }

    async fn release(
        &self,
        reset: &[String],
        undo: &[String],
        remember: Option<(&str, i64)>,
    ) -> Result<(), StoreError> {
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
        let remembers = remember.map(|(key, until)| async move {
            self.client
                .update_item()
                .table_name(&self.tables.throttle)
                .key("counter_key", s(key))
                .update_expression("SET #ttl = :until")
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(":until", n(until))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| unavailable("UpdateItem", e))
        });
        let (a, b, c) = tokio::join!(
            futures_util::future::try_join_all(resets),
            futures_util::future::try_join_all(undos),
            futures_util::future::try_join_all(remembers),
        );
        a.and(b).and(c).map(|_| ())
    }
}
