//! Making the tables (`authctl create-tables`, the tests): what
//! `template.yaml` declares, which a test compares.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

use super::client::{TTL_ATTRIBUTE, internal, unavailable};
use crate::settings::Tables;
use crate::store::api::StoreError;

/// Creates the four tables if they do not exist, waits for them, and turns
/// on TTL for sessions, blacklist and throttle. Safe to run again.
pub async fn create_tables(client: &Client, tables: &Tables) -> Result<(), StoreError> {
    let build = |e| internal("build request", e);
    for (name, key) in [
        (&tables.users, "pk"),
        (&tables.sessions, "session_key"),
        (&tables.blacklist, "jti"),
        (&tables.throttle, "counter_key"),
    ] {
        let created = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(key)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(build)?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => {}
            Err(e) => return Err(unavailable("CreateTable", e)),
        }
        client
            .wait_until_table_exists()
            .table_name(name)
            .wait(Duration::from_secs(120))
            .await
            .map_err(|e| StoreError::Unavailable(format!("waiting for table {name}: {e}")))?;
    }
    for name in [&tables.sessions, &tables.blacklist, &tables.throttle] {
        let current = client
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .map_err(|e| unavailable("DescribeTimeToLive", e))?;
        let enabled = current
            .time_to_live_description()
            .and_then(|d| d.attribute_name())
            == Some(TTL_ATTRIBUTE);
        if !enabled {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(TTL_ATTRIBUTE)
                        .enabled(true)
                        .build()
                        .map_err(|e| internal("build request", e))?,
                )
                .send()
                .await
                .map_err(|e| unavailable("UpdateTimeToLive", e))?;
        }
    }
    Ok(())
}
