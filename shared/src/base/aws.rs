//! AWS SDK configuration shared by the functions and `authctl`.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader};

/// Longest a single DynamoDB attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1_500);
/// Longest a DynamoDB call may take, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(4_000);
/// Attempts per call (the first and two retries, with the SDK's backoff).
pub const MAX_ATTEMPTS: u32 = 3;

/// The standard chain (environment, profile, container/instance roles; the
/// standard `AWS_ENDPOINT_URL_DYNAMODB` for a local server) with bounded
/// timeouts and retries, so a slow, throttling or unreachable DynamoDB
/// turns into a 503 well within the function's timeout instead of hanging it.
pub async fn sdk_config() -> aws_config::SdkConfig {
    bounded(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await
}

/// `loader` with our timeouts and retry policy.
pub fn bounded(loader: ConfigLoader) -> ConfigLoader {
    loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(1_000))
                .read_timeout(ATTEMPT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
}
