//! Sessions on DynamoDB, keyed by the SHA-256 of the session key.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::client::{
    DynamoStore, Item, cancelled_by_condition, internal, n, s, unavailable, written,
};
use crate::base::time::now;
use crate::model::session::{Session, stored_session_key, valid_session_key};
use crate::store::api::{SessionStore, StoreError};

impl SessionStore for DynamoStore {
    async fn session(&self, session_key: &str) -> Result<Option<Session>, StoreError> {
        if !valid_session_key(session_key) {
            return Ok(None);
        }
        let Some(item) = self
            .get(
                &self.tables.sessions,
                "session_key",
                stored_session_key(session_key),
            )
            .await?
        else {
            return Ok(None);
        };
        let mut session: Session = serde_dynamo::from_item(item)
            .map_err(|e| self.corrupt(&self.tables.sessions, e.to_string()))?;
        // The table holds the key's hash; the session is the caller's key.
        session.session_key = session_key.into();
        Ok((session.expires_at > now()).then_some(session))
    }

    async fn create_session(
        &self,
        session: &Session,
        replaces: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut item: Item =
            serde_dynamo::to_item(session).map_err(|e| internal("serialize session", e))?;
        item.insert(
            "session_key".into(),
            s(stored_session_key(&session.session_key)),
        );
        // The write id makes the put idempotent: when the SDK retries a put
        // that did land, the condition still holds.
        let write_id = s(crate::base::random::new_jti());
        item.insert("write_id".into(), write_id.clone());
        const CONDITION: &str =
            "attribute_not_exists(session_key) OR expires_at <= :now OR write_id = :w";
        let now = n(now());
        let replaces = replaces.filter(|old| valid_session_key(old) && *old != session.session_key);
        let Some(old) = replaces else {
            let result = self
                .client
                .put_item()
                .table_name(&self.tables.sessions)
                .set_item(Some(item))
                .condition_expression(CONDITION)
                .expression_attribute_values(":now", now)
                .expression_attribute_values(":w", write_id)
                .send()
                .await;
            return written("PutItem", result);
        };
        let build = |e| internal("build transaction", e);
        let put = Put::builder()
            .table_name(&self.tables.sessions)
            .set_item(Some(item))
            .condition_expression(CONDITION)
            .expression_attribute_values(":now", now)
            .expression_attribute_values(":w", write_id)
            .build()
            .map_err(build)?;
        let delete = Delete::builder()
            .table_name(&self.tables.sessions)
            .key("session_key", s(stored_session_key(old)))
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e, 0) => Ok(false),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn delete_session(&self, session_key: &str) -> Result<(), StoreError> {
        if !valid_session_key(session_key) {
            return Ok(());
        }
        self.client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("session_key", s(stored_session_key(session_key)))
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }
}
