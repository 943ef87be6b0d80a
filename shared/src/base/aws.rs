//! AWS SDK configuration shared by the functions and `authctl`.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_runtime::env_config::section::EnvConfigSections;
use aws_runtime::env_config::source;
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

/// Longest a single DynamoDB attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1_500);
/// Longest a DynamoDB call may take, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(4_000);
/// Attempts per call (the first and two retries, with the SDK's backoff).
pub const MAX_ATTEMPTS: u32 = 3;

/// The standard chain (environment, profile, SSO, container/instance roles;
/// the standard `AWS_ENDPOINT_URL_DYNAMODB` for a local server) with
/// bounded timeouts and retries, so a slow, throttling or unreachable
/// DynamoDB turns into a 503 well within the function's timeout instead of
/// hanging it. For `authctl`, which people run; the functions use
/// [`lambda_sdk_config`].
pub async fn sdk_config() -> aws_config::SdkConfig {
    bounded(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await
}

/// `loader` with our timeouts and retry policy.
pub fn bounded(loader: ConfigLoader) -> ConfigLoader {
    loader.timeout_config(timeouts()).retry_config(retries())
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(1_000))
        .read_timeout(ATTEMPT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// What a Lambda function's clients need, and only that. Lambda gives a
/// function its region and its role's credentials in the environment
/// (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`). Where the keys are not there (a function under
/// `cargo lambda watch`), the static keys of the profile `AWS_PROFILE`
/// names in the shared files (`~/.aws/credentials`, `~/.aws/config`, or
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`) are used. The rest
/// of the standard chain is never asked in Lambda: SSO, web identity
/// through STS, assumed roles, container and instance roles. Leaving it out
/// leaves its code out of every function (about 580 KB on arm64; see
/// tests/BENCHMARKS.md §14). The standard `AWS_ENDPOINT_URL` and
/// `AWS_ENDPOINT_URL_<SERVICE>` still name a local server. Timeouts and
/// retries are [`sdk_config`]'s. `authctl`, which people run with their
/// profiles, keeps the whole chain ([`sdk_config`]).
pub async fn lambda_sdk_config() -> SdkConfig {
    let credentials = match std::env::var_os("AWS_ACCESS_KEY_ID") {
        Some(_) => None,
        None => profile_keys(&Env::real(), &Fs::real()).await,
    };
    lambda_sdk_config_from(std::env::vars().collect(), credentials)
}

/// [`lambda_sdk_config`] from the variables `vars` (the environment in a
/// Lambda), with `credentials` if given, else the environment's keys.
pub fn lambda_sdk_config_from(
    vars: Vec<(String, String)>,
    credentials: Option<Credentials>,
) -> SdkConfig {
    let get = |name: &str| {
        vars.iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    let ignore_endpoints =
        get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let endpoints = EndpointsFromEnv(match ignore_endpoints {
        true => Vec::new(),
        false => vars
            .into_iter()
            .filter(|(n, v)| n.starts_with(ENDPOINT_URL) && !v.is_empty())
            .collect(),
    });
    let credentials = match credentials {
        Some(keys) => SharedCredentialsProvider::new(keys),
        None => SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
    };
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region.map(Region::new))
        .credentials_provider(credentials)
        .timeout_config(timeouts())
        .retry_config(retries())
        .service_config(endpoints)
        .build()
}

/// The static keys of the selected profile (`AWS_PROFILE`, else
/// `default`) in the shared files, if it has them.
async fn profile_keys(env: &Env, fs: &Fs) -> Option<Credentials> {
    let source = source::load(env, fs, &EnvConfigFiles::default())
        .await
        .ok()?;
    let sections = EnvConfigSections::parse(source).ok()?;
    let profile = sections.get_profile(sections.selected_profile())?;
    Some(Credentials::new(
        profile.get("aws_access_key_id")?,
        profile.get("aws_secret_access_key")?,
        profile.get("aws_session_token").map(str::to_owned),
        None,
        "SharedProfile",
    ))
}

/// The endpoint variable for every service, and the prefix of each
/// service's own (`AWS_ENDPOINT_URL_DYNAMODB`: the SDK's service id,
/// upper-cased, spaces as underscores).
const ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";

/// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, as the
/// environment had them when the function started.
#[derive(Debug)]
struct EndpointsFromEnv(Vec<(String, String)>);

impl LoadServiceConfig for EndpointsFromEnv {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_ascii_uppercase().replace(' ', "_");
        let specific = format!("{}_{service}", key.env());
        let find = |name: &str| self.0.iter().find(|(n, _)| *n == name);
        find(&specific)
            .or_else(|| find(key.env()))
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn key<'a>(service: &'a str) -> ServiceConfigKey<'a> {
        ServiceConfigKey::builder()
            .service_id(service)
            .profile("endpoint_url")
            .env("AWS_ENDPOINT_URL")
            .build()
            .unwrap()
    }

    #[test]
    fn a_services_own_endpoint_wins_over_the_shared_one() {
        let env = vars(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2"),
            ("AWS_ENDPOINT_URL_SQS", ""),
        ]);
        let config = lambda_sdk_config_from(env, None);
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        let endpoints = config.service_config().unwrap();
        assert_eq!(
            endpoints.load_config(key("DynamoDB")).as_deref(),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(
            endpoints.load_config(key("SSM")).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(
            endpoints.load_config(key("SQS")).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(config.credentials_provider().is_some());
    }

    #[test]
    fn configured_endpoints_can_be_ignored() {
        let env = vars(&[
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        let config = lambda_sdk_config_from(env, None);
        let endpoints = config.service_config().unwrap();
        assert_eq!(endpoints.load_config(key("DynamoDB")), None);
        assert_eq!(config.region(), None);
    }

    #[tokio::test]
    async fn a_profiles_static_keys_stand_in_for_the_environments() {
        let env = Env::from_slice(&[
            ("AWS_PROFILE", "login"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("AWS_CONFIG_FILE", "/config"),
        ]);
        let fs = Fs::from_slice(&[
            (
                "/creds",
                "[default]\naws_access_key_id = A\naws_secret_access_key = a\n\n[login]\naws_access_key_id = L\naws_secret_access_key = l\n",
            ),
            ("/config", ""),
        ]);
        let keys = profile_keys(&env, &fs).await.expect("the profile's keys");
        assert_eq!(keys.access_key_id(), "L");
        assert_eq!(keys.secret_access_key(), "l");
        let none = Env::from_slice(&[
            ("AWS_PROFILE", "absent"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("AWS_CONFIG_FILE", "/config"),
        ]);
        assert!(profile_keys(&none, &fs).await.is_none());
    }
}
