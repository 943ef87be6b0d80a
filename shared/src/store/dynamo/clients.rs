//! OAuth clients on DynamoDB: `client#<id>` items in the users table
//! (`pk`), the client as serde writes it. Registration is a conditional
//! put, so two clients never share an id.
//!
//! Consents: `oauth_grant#<client_id>` attributes of the user's `id#<n>`
//! item (a map: `name`, `scope`, `granted_at`), read with the user; given
//! and withdrawn by one conditional update of that item.
//!
//! Authorization codes: `code#<sha256>` items in the throttle table
//! (`counter_key`), the code as serde writes it, `expires_at` its TTL;
//! redeemed by one conditional update that marks it `used`.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::client::{
    DynamoStore, Item, TTL_ATTRIBUTE, internal, n, number, s, unavailable, written,
};
use super::update::UserUpdate;
use crate::model::client::OAuthClient;
use crate::model::code::{AuthorizationCode, Redemption};
use crate::model::consent::Consent;
use crate::store::api::{ClientStore, StoreError};

/// The prefix of a consent's attribute on its user's item.
const CONSENT_PREFIX: &str = "oauth_grant#";

/// The consents on a user's item, oldest first (unreadable ones skipped:
/// they authorize nothing).
pub(super) fn consents_from_item(item: &Item) -> Vec<Consent> {
    let mut found: Vec<Consent> = item
        .iter()
        .filter_map(|(name, value)| {
            let client_id = name.strip_prefix(CONSENT_PREFIX)?;
            let AttributeValue::M(m) = value else {
                return None;
            };
            let text = |k: &str| match m.get(k) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            Some(Consent {
                client_id: client_id.to_owned(),
                name: text("name").unwrap_or_default(),
                scope: text("scope")?,
                granted_at: number(m, "granted_at")?,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.granted_at, &a.client_id).cmp(&(b.granted_at, &b.client_id)));
    found
}

impl DynamoStore {
    fn client_from(&self, item: Item) -> Result<OAuthClient, StoreError> {
        serde_dynamo::from_item(item)
            .map_err(|e| self.corrupt(&self.tables.users, format!("client item: {e}")))
    }
}

impl ClientStore for DynamoStore {
    async fn oauth_client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
        let key = OAuthClient::item_key(client_id);
        match self.get(&self.tables.users, "pk", key).await? {
            Some(item) => self.client_from(item).map(Some),
            None => Ok(None),
        }
    }

    async fn add_client(&self, client: &OAuthClient) -> Result<bool, StoreError> {
        let mut item: Item =
            serde_dynamo::to_item(client).map_err(|e| internal("serialize client", e))?;
        item.insert("pk".into(), s(OAuthClient::item_key(&client.client_id)));
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.users)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written("PutItem", result)
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(OAuthClient::item_key(client_id)))
            .update_expression("SET secret_hash = :hash")
            .condition_expression("attribute_exists(secret_hash)")
            .expression_attribute_values(":hash", s(secret_hash))
            .send()
            .await;
        written("UpdateItem", result)
    }

    async fn remove_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.users)
            .key("pk", s(OAuthClient::item_key(client_id)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        written("DeleteItem", result)
    }

    async fn clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
        let mut clients = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.tables.users)
                .filter_expression("begins_with(pk, :prefix)")
                .expression_attribute_values(":prefix", s("client#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("Scan", e))?;
            for item in page.items.unwrap_or_default() {
                clients.push(self.client_from(item)?);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    async fn put_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        let item: Item = serde_dynamo::to_item(code).map_err(|e| internal("serialize code", e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.throttle)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(counter_key)")
            .send()
            .await;
        match written("PutItem", result)? {
            true => Ok(()),
            false => Err(internal("put code", "an authorization code clash")),
        }
    }

    async fn give_consent(
        &self,
        user_id: u64,
        consent: &Consent,
        replacing: Option<i64>,
    ) -> Result<bool, StoreError> {
        let map = AttributeValue::M(
            [
                ("name".to_owned(), s(&consent.name)),
                ("scope".to_owned(), s(&consent.scope)),
                ("granted_at".to_owned(), n(consent.granted_at)),
            ]
            .into(),
        );
        let update = UserUpdate::of(self, user_id)
            .set("#grant = :grant")
            .name("#grant", &format!("{CONSENT_PREFIX}{}", consent.client_id))
            .value(":grant", map);
        let update = match replacing {
            None => update.only_if("attribute_not_exists(#grant)"),
            Some(since) => update
                .only_if("#grant.granted_at = :since")
                .value(":since", n(since)),
        };
        update.send(self).await
    }

    async fn withdraw_consent(&self, user_id: u64, client_id: &str) -> Result<bool, StoreError> {
        UserUpdate::of(self, user_id)
            .remove("#grant")
            .name("#grant", &format!("{CONSENT_PREFIX}{client_id}"))
            .only_if("attribute_exists(#grant)")
            .send(self)
            .await
    }

    async fn redeem_code(&self, id: &str, now: i64) -> Result<Redemption, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.throttle)
            .key("counter_key", s(id))
            .update_expression("SET used = :used")
            .condition_expression(
                "attribute_exists(counter_key) AND attribute_not_exists(used) AND #ttl > :now",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":used", AttributeValue::Bool(true))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let code = |item: Item| -> Result<AuthorizationCode, StoreError> {
            serde_dynamo::from_item(item)
                .map_err(|e| self.corrupt(&self.tables.throttle, format!("code item: {e}")))
        };
        match result {
            Ok(out) => match out.attributes {
                Some(item) => Ok(Redemption::Fresh(code(item)?)),
                None => Ok(Redemption::Unknown),
            },
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                // Used, expired or unknown: which, from the item itself.
                let item = self
                    .get(&self.tables.throttle, "counter_key", id.to_owned())
                    .await?;
                Ok(match item {
                    Some(item) if number(&item, TTL_ATTRIBUTE).is_some_and(|t| t > now) => {
                        Redemption::Reused(code(item)?)
                    }
                    _ => Redemption::Unknown,
                })
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }
}
