//! One conditional update of a live user's `id#<n>` item: the preamble
//! every change of a user shares (the users table, the item's key, and the
//! condition that it exists and is not a deleted user's tombstone), with
//! the change's own clauses, conditions and values added. Sent on its own
//! ([`UserUpdate::send`], [`UserUpdate::send_returning`]) or as one item of
//! a transaction ([`UserUpdate::in_transaction`]).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};

use super::client::{DynamoStore, Item, id_key, internal, unavailable, written};
use crate::store::api::StoreError;

/// A live user item, not a tombstone.
const LIVE: &str = "attribute_exists(pk) AND attribute_not_exists(deleted_at)";

/// `builder` (an `UpdateItem` request, or a transaction's `Update`) with
/// the update's table, key, expressions, values and names.
macro_rules! described {
    ($update:ident, $builder:expr) => {
        $builder
            .table_name(&$update.table)
            .key("pk", AttributeValue::S(id_key($update.id)))
            .update_expression($update.expression())
            .condition_expression($update.condition())
            .set_expression_attribute_values($update.values())
            .set_expression_attribute_names($update.names())
    };
}

#[derive(Debug, Clone)]
pub(super) struct UserUpdate {
    table: String,
    id: u64,
    set: Vec<String>,
    remove: Vec<String>,
    add: Vec<String>,
    conditions: Vec<String>,
    values: Item,
    names: HashMap<String, String>,
}

impl UserUpdate {
    /// An update of user `id`'s item in `store`'s users table.
    pub(super) fn of(store: &DynamoStore, id: u64) -> Self {
        Self::in_table(store.tables.users.clone(), id)
    }

    fn in_table(table: String, id: u64) -> Self {
        UserUpdate {
            table,
            id,
            set: Vec::new(),
            remove: Vec::new(),
            add: Vec::new(),
            conditions: vec![LIVE.to_owned()],
            values: HashMap::new(),
            names: HashMap::new(),
        }
    }

    /// A `SET` assignment (`password = :hash`).
    pub(super) fn set(mut self, assignment: &str) -> Self {
        self.set.push(assignment.to_owned());
        self
    }

    /// A `REMOVE`d attribute (or map entry).
    pub(super) fn remove(mut self, attribute: &str) -> Self {
        self.remove.push(attribute.to_owned());
        self
    }

    /// An `ADD` (`gen :one`).
    pub(super) fn add(mut self, addition: &str) -> Self {
        self.add.push(addition.to_owned());
        self
    }

    /// One more condition, besides the item being a live user.
    pub(super) fn only_if(mut self, condition: &str) -> Self {
        self.conditions.push(format!("({condition})"));
        self
    }

    /// The value of a `:placeholder`.
    pub(super) fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    /// The attribute name a `#placeholder` stands for.
    pub(super) fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    /// Moves the credential generation on: every session and token of an
    /// older generation is refused from then on.
    pub(super) fn next_generation(self) -> Self {
        self.add("gen :one")
            .value(":one", AttributeValue::N("1".into()))
    }

    fn expression(&self) -> String {
        [
            ("SET", &self.set, ", "),
            ("REMOVE", &self.remove, ", "),
            ("ADD", &self.add, ", "),
        ]
        .into_iter()
        .filter(|(_, clauses, _)| !clauses.is_empty())
        .map(|(verb, clauses, sep)| format!("{verb} {}", clauses.join(sep)))
        .collect::<Vec<_>>()
        .join(" ")
    }

    fn condition(&self) -> String {
        self.conditions.join(" AND ")
    }

    fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The `UpdateItem` request.
    fn request(&self, store: &DynamoStore) -> UpdateItemFluentBuilder {
        described!(self, store.client.update_item())
    }

    /// Sends it: whether it was written (false: a condition was false,
    /// nothing written).
    pub(super) async fn send(self, store: &DynamoStore) -> Result<bool, StoreError> {
        written("UpdateItem", self.request(store).send().await)
    }

    /// Sends it: the item as written, or `None` if a condition was false
    /// (nothing written).
    pub(super) async fn send_returning(
        self,
        store: &DynamoStore,
    ) -> Result<Option<Item>, StoreError> {
        let result = self
            .request(store)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes
                .map(Some)
                .ok_or_else(|| store.corrupt(&store.tables.users, "UpdateItem returned nothing")),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    /// It as one item of a transaction.
    pub(super) fn in_transaction(self) -> Result<TransactWriteItem, StoreError> {
        let update = described!(self, Update::builder())
            .build()
            .map_err(|e| internal("build transaction", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> UserUpdate {
        UserUpdate::in_table("users".into(), 7)
    }

    #[test]
    fn clauses_and_conditions_read_as_dynamodb_expects() {
        let u = update()
            .set("password = :hash")
            .set("totp_step = :step")
            .remove("totp_pending")
            .next_generation()
            .only_if("password = :current OR password = :hash");
        assert_eq!(
            u.expression(),
            "SET password = :hash, totp_step = :step REMOVE totp_pending ADD gen :one"
        );
        assert_eq!(
            u.condition(),
            "attribute_exists(pk) AND attribute_not_exists(deleted_at) AND (password = :current OR password = :hash)"
        );
        assert_eq!(update().condition(), LIVE, "never a tombstone");
    }
}
