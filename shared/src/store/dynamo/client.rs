//! The DynamoDB client and the tables it works on: the helpers every
//! per-table implementation shares (attribute values, reads, the atomic
//! counter, how a failed call reads as a [`StoreError`]).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};

use crate::settings::Tables;
use crate::store::api::StoreError;

/// The TTL attribute of the sessions and blacklist tables.
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Clone, Debug)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) tables: Tables,
}

pub(super) type Item = HashMap<String, AttributeValue>;

/// The users-table key of user `id`'s item.
pub(super) fn id_key(id: u64) -> String {
    format!("id#{id}")
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn unavailable<E, R>(
    op: &str,
    err: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!("{op}: {}", DisplayErrorContext(err)))
}

/// A request that could not be built or an item that could not be
/// serialized: a bug, not an outage.
pub(super) fn internal(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("{what}: {err}"))
}

/// A conditional write's outcome: `Ok(true)` if it was written, `Ok(false)`
/// if DynamoDB refused it because its condition was false.
pub(super) fn written<T, E, R>(
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

/// Why a cancelled transaction's items were refused, item by item
/// (`ConditionalCheckFailed`, `TransactionConflict`, `None`, …); `None` if
/// it was not cancelled.
pub(super) fn cancellation_codes(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, HttpResponse>,
) -> Option<Vec<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => Some(
            c.cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect(),
        ),
        _ => None,
    }
}

/// Whether a transaction was cancelled because the condition of its item
/// number `index` failed.
pub(super) fn cancelled_by_condition(
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

pub(super) fn number(item: &Item, name: &str) -> Option<i64> {
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
        Self::new(Client::new(&crate::base::aws::sdk_config().await), tables)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub(super) fn corrupt(&self, table: &str, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            table: table.to_owned(),
            reason: reason.into(),
        }
    }

    pub(super) async fn get(
        &self,
        table: &str,
        key: &str,
        value: String,
    ) -> Result<Option<Item>, StoreError> {
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

    /// Adds one to the number `attribute` of the item `key` in `table`
    /// (1 if the item is new) in one atomic `ADD`, setting the attributes
    /// `set` too; the new count.
    pub(super) async fn increment(
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

    /// Every item of `request` (per table, its keys as attribute name and
    /// string value), strongly consistent, in one BatchGetItem — asking
    /// again for any keys it leaves unprocessed.
    pub(super) async fn batch_get(
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
