//! The DynamoDB-API server the tests share (moto, IAM enforced), its SDK
//! clients, fresh tables, and snapshots of what they hold.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use auth::settings::Tables;
use auth::store::{DynamoStore, create_tables};

use crate::iam;
use crate::paths::{tool, workspace};
use crate::process::{Guarded, free_port, wait_for_port};

/// The moto server this test binary shares, started on first use, with
/// IAM enforced: its users are `template.yaml`'s functions and an admin
/// (`iam.rs`); requests must be signed by one of them.
pub fn moto_endpoint() -> String {
    static MOTO: OnceLock<(Mutex<Guarded>, String)> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = free_port();
        let port_s = port.to_string();
        // `tests/moto_server.py`: moto with DynamoDB's atomic writes.
        let script = workspace().join("tests/moto_server.py");
        let (program, mut args) = match std::env::var_os("MOTO_SERVER") {
            Some(program) => (PathBuf::from(program), vec![]),
            None => (tool("python3"), vec![script.to_str().unwrap_or_default()]),
        };
        args.extend(["-H", "127.0.0.1", "-p", &port_s]);
        let log = std::env::temp_dir().join(format!("auth-tests-moto-{port}.log"));
        let guard = Guarded::spawn(
            &program,
            &args,
            &[],
            log.to_str().unwrap_or("/tmp/moto.log"),
        );
        assert!(
            wait_for_port(port, Duration::from_secs(20)),
            "moto_server did not start on port {port}: install it with `bash tests/run.sh` \
             (or pip install 'moto[server]') or set MOTO_SERVER; log: {}",
            log.display()
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        // IAM as deployed: every function signs as its own user.
        iam::provision(&endpoint);
        iam::enforce(&endpoint);
        (Mutex::new(guard), endpoint)
    })
    .1
    .clone()
}

/// Counts the requests a client sends, by operation (an SDK interceptor
/// reading each request's `X-Amz-Target`), and has every one a function
/// sends checked against its IAM statements ([`iam::observe`]).
#[derive(Debug, Clone, Default)]
pub struct Calls(std::sync::Arc<Mutex<Vec<String>>>);

impl Calls {
    /// The operations sent since the last `take`, in order.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl aws_sdk_dynamodb::config::Intercept for Calls {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        // JSON protocols name the operation in X-Amz-Target; SES v2 (REST)
        // in its path.
        let rest = match (request.method(), request.uri()) {
            ("POST", uri) if uri.ends_with("/v2/email/outbound-emails") => Some("SESv2.SendEmail"),
            _ => None,
        };
        let target = (request.headers().get("x-amz-target"))
            .or(rest)
            .unwrap_or("?");
        let op = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.0.lock().unwrap().push(op);
        iam::observe(target, request.body().bytes().unwrap_or_default());
        Ok(())
    }
}

/// An SDK client for `endpoint`, signing as the function the task runs as
/// ([`iam::as_function`]), else as the admin.
pub async fn client_for(endpoint: &str) -> aws_sdk_dynamodb::Client {
    counted_client_for(endpoint, Calls::default()).await
}

/// As [`counted_client_for`] with roomier timeouts (same retry policy): for
/// tests about retries on a loaded machine, not about timing.
pub async fn patient_client_for(endpoint: &str, calls: Calls) -> aws_sdk_dynamodb::Client {
    let client = counted_client_for(endpoint, calls).await;
    let config = client
        .config()
        .to_builder()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_attempt_timeout(std::time::Duration::from_secs(10))
                .operation_timeout(std::time::Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The functions' SDK configuration (timeouts, retries) for moto at
/// `endpoint`: credentials resolved for every request, as the function the
/// task runs as ([`iam::by_function`]).
pub async fn moto_config(endpoint: &str) -> aws_config::SdkConfig {
    auth::base::aws::bounded(aws_config::defaults(aws_config::BehaviorVersion::latest()))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(iam::by_function())
        .identity_cache(aws_config::identity::IdentityCache::no_cache())
        .endpoint_url(endpoint)
        .load()
        .await
}

/// As [`client_for`], counting its requests into `calls`.
pub async fn counted_client_for(endpoint: &str, calls: Calls) -> aws_sdk_dynamodb::Client {
    // The functions' own timeouts and retry policy.
    let config = moto_config(endpoint).await;
    // A retry partition of its own, as each Lambda process has: the SDK's
    // retry token bucket is process-wide per partition, so the tests' clients
    // sharing one would drain it for each other (the fault tests retry on
    // purpose) and a retry another test relies on would be refused.
    static CLIENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CLIENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let config = aws_sdk_dynamodb::config::Builder::from(&config)
        .interceptor(calls)
        .retry_partition(aws_sdk_dynamodb::config::retry::RetryPartition::new(
            format!("tests-{n}"),
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Fresh table names, unique to one test.
pub fn fresh_tables() -> Tables {
    let id = uuid::Uuid::new_v4().simple().to_string();
    Tables {
        users: format!("t{}-users", &id[..12]),
        sessions: format!("t{}-sessions", &id[..12]),
        blacklist: format!("t{}-blacklist", &id[..12]),
        throttle: format!("t{}-throttle", &id[..12]),
    }
}

/// A DynamoDB store on fresh tables of the shared moto server.
pub async fn fresh_store() -> DynamoStore {
    counted_store(Calls::default()).await
}

pub(crate) async fn counted_store(calls: Calls) -> DynamoStore {
    let tables = fresh_tables();
    let client = counted_client_for(&moto_endpoint(), calls).await;
    create_tables(&client, &tables)
        .await
        .expect("tables are created on moto");
    DynamoStore::new(client, tables)
}

/// Every item of the users, sessions and blacklist tables, in a stable
/// order: compare snapshots taken before and after a request to show it
/// changed nothing. (The throttle table is left out: counting a refused
/// password attempt is the one change a refused request must make.)
pub async fn snapshot(store: &DynamoStore) -> Vec<String> {
    let mut all = Vec::new();
    let tables = store.tables();
    for table in [&tables.users, &tables.sessions, &tables.blacklist] {
        let mut start = None;
        loop {
            let out = store
                .client()
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in out.items() {
                let mut fields: Vec<String> =
                    item.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                fields.sort();
                all.push(format!("{table}: {}", fields.join(", ")));
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    all.sort();
    all
}
