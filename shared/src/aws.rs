//! AWS SDK configuration shared by the functions and `authctl`.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

/// The standard chain (environment, profile, container/instance roles; the
/// standard `AWS_ENDPOINT_URL_DYNAMODB` for a local server) with bounded
/// timeouts and retries, so a slow or unreachable DynamoDB turns into a 503
/// well within the function's timeout instead of hanging it.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(1_000))
                .read_timeout(Duration::from_millis(1_500))
                .operation_attempt_timeout(Duration::from_millis(1_500))
                .operation_timeout(Duration::from_millis(4_000))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}
