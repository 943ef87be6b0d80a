//! Counters on DynamoDB: password attempts and refreshes per window, one
//! atomic `ADD` each, in the throttle table.

use super::client::{DynamoStore, TTL_ATTRIBUTE, n, s, unavailable, written};
use crate::model::counter::Counter;
use crate::store::api::{StoreError, ThrottleStore};

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
