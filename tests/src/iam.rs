//! IAM as deployed, on the local DynamoDB-API server: each function signs
//! its requests as an IAM user whose policy is its own statements in
//! `template.yaml` (moto checks the action of every request once
//! enforcement is on), and every request a function sends is checked
//! against those statements with its resources too, which moto leaves out.
//!
//! - [`provision`] makes the users on moto (an `admin` with every right, for
//!   set-up and for the tests' own reads, and one per function) and
//!   [`enforce`] turns IAM on.
//! - [`as_function`] runs a handler as a function: the harness's clients
//!   ([`by_function`]) then sign as that function's user, and [`observe`]
//!   checks each request it sends against that function's statements,
//!   failing the test with the statement to add, and records what it used
//!   under `target/iam-observed/` for the reverse check (every grant used).

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_json::Value;

use crate::paths::workspace;
use crate::template::{Resource, template};

/// An IAM user's access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub id: String,
    pub secret: String,
}

/// The IAM users of one moto server.
#[derive(Debug, Clone, Default)]
pub struct Identities {
    pub admin: Option<Keys>,
    /// By function (crate) name.
    pub functions: BTreeMap<String, Keys>,
}

impl Identities {
    /// The keys `function` signs with (`None`: the admin's).
    pub fn keys(&self, function: Option<&str>) -> Keys {
        match function {
            Some(f) => self
                .functions
                .get(f)
                .unwrap_or_else(|| panic!("no IAM user for function {f}: is it in template.yaml?"))
                .clone(),
            None => self.admin.clone().expect("IAM users provisioned"),
        }
    }

    /// An AWS shared credentials file: a profile per function (named as
    /// the function) and `admin`.
    pub fn credentials_file(&self) -> String {
        let mut text = String::new();
        let admin = self.keys(None);
        let profiles = std::iter::once(("admin", &admin))
            .chain(self.functions.iter().map(|(f, k)| (f.as_str(), k)));
        for (name, keys) in profiles {
            text.push_str(&format!(
                "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n",
                keys.id, keys.secret
            ));
        }
        text
    }
}

/// The identities of the moto server this process uses.
static IDENTITIES: LazyLock<Mutex<Identities>> = LazyLock::new(Default::default);

/// The current identities (after [`provision`]).
pub fn identities() -> Identities {
    IDENTITIES.lock().unwrap().clone()
}

/// The admin's keys, for harness clients outside any function.
pub fn admin_keys() -> Keys {
    identities().keys(None)
}

/// One unsigned IAM query call to moto (enforcement must be off), its
/// XML answer.
fn iam_call(endpoint: &str, params: &[(&str, &str)]) -> String {
    let mut body = form_urlencoded_pairs(params);
    body.push_str("&Version=2010-05-08");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send(body)
        .unwrap_or_else(|e| panic!("moto IAM {params:?}: {e}"));
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    assert_eq!(status, 200, "moto IAM {params:?}: {text}");
    text
}

fn form_urlencoded_pairs(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                crate::event::form_encode(k),
                crate::event::form_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn xml_field(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).map(|i| i + open.len());
    let end = xml.find(&format!("</{name}>"));
    match (start, end) {
        (Some(s), Some(e)) if s <= e => xml[s..e].to_owned(),
        _ => panic!("no {name} in moto's answer: {xml}"),
    }
}

fn user(endpoint: &str, name: &str, policy: &Value) -> Keys {
    iam_call(endpoint, &[("Action", "CreateUser"), ("UserName", name)]);
    iam_call(
        endpoint,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "template"),
            ("PolicyDocument", &policy.to_string()),
        ],
    );
    let xml = iam_call(
        endpoint,
        &[("Action", "CreateAccessKey"), ("UserName", name)],
    );
    Keys {
        id: xml_field(&xml, "AccessKeyId"),
        secret: xml_field(&xml, "SecretAccessKey"),
    }
}

/// Makes the IAM users on a fresh moto at `endpoint` (enforcement off):
/// `admin` (every action) and one per function of `template.yaml`, with
/// its statements. They become this process's [`identities`].
pub fn provision(endpoint: &str) -> Identities {
    let admin = user(
        endpoint,
        "admin",
        &serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        }),
    );
    let functions = template()
        .functions
        .iter()
        .map(|f| {
            (
                f.binary.clone(),
                user(endpoint, &format!("fn-{}", f.binary), &f.moto_policy()),
            )
        })
        .collect();
    let ids = Identities {
        admin: Some(admin),
        functions,
    };
    *IDENTITIES.lock().unwrap() = ids.clone();
    ids
}

fn reset_auth(endpoint: &str, count: &str) {
    let resp = ureq::post(format!("{endpoint}/moto-api/reset-auth"))
        .send(count)
        .unwrap_or_else(|e| panic!("moto reset-auth: {e}"));
    assert_eq!(resp.status().as_u16(), 200, "moto reset-auth");
}

/// From now on moto refuses any request not signed by one of its IAM
/// users, or whose action that user's policy does not allow.
pub fn enforce(endpoint: &str) {
    reset_auth(endpoint, "0");
}

/// IAM off again (to provision after a `/moto-api/reset`).
pub fn relax(endpoint: &str) {
    reset_auth(endpoint, "inf");
}

/// Wipes the moto server at `endpoint` (every table, parameter and IAM
/// user) and provisions the IAM users again, enforced.
pub fn reset(endpoint: &str) {
    relax(endpoint);
    let resp = ureq::post(format!("{endpoint}/moto-api/reset"))
        .send_empty()
        .unwrap_or_else(|e| panic!("moto reset: {e}"));
    assert_eq!(resp.status().as_u16(), 200, "moto reset");
    provision(endpoint);
    enforce(endpoint);
}

tokio::task_local! {
    static FUNCTION: &'static str;
}

/// Runs `fut` as function `name`: the harness's clients sign as its IAM
/// user, and its requests are checked against its statements.
pub async fn as_function<F: Future>(name: &'static str, fut: F) -> F::Output {
    FUNCTION.scope(name, fut).await
}

/// The function the current task runs as, if any.
pub fn current_function() -> Option<&'static str> {
    FUNCTION.try_with(|f| *f).ok()
}

/// What a DynamoDB or SSM request does, as IAM authorises it: one
/// (action, resource) per item of a batch or transaction.
pub fn authorised_as(target: &str, body: &[u8]) -> Vec<(String, Resource)> {
    let (service, op) = target.split_once('.').unwrap_or(("", target));
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if service == "SESv2" {
        // SES authorises a send by the sender's identity: its domain here
        // (the template grants the domain and the address).
        let from = body["FromEmailAddress"].as_str().unwrap_or("?");
        let domain = from.rsplit_once('@').map_or(from, |(_, d)| d);
        return vec![(format!("ses:{op}"), Resource::Identity(domain.to_owned()))];
    }
    if service == "AmazonSQS" {
        // The harness names a test's queues after the template's:
        // `<test>-mail` is MailQueue, `<test>-mail-dlq` MailDeadLetterQueue.
        let url = body["QueueUrl"].as_str().unwrap_or("?");
        let name = url.rsplit('/').next().unwrap_or(url);
        let id = if name.ends_with("-mail-dlq") {
            "MailDeadLetterQueue"
        } else if name.ends_with("-mail") {
            "MailQueue"
        } else {
            "<no queue of the template>"
        };
        return vec![(format!("sqs:{op}"), Resource::Logical(id.to_owned()))];
    }
    if service == "AmazonSSM" {
        let names: Vec<String> = match body["Names"].as_array() {
            Some(names) => names
                .iter()
                .map(|n| n.as_str().unwrap_or("?").to_owned())
                .collect(),
            None => vec![body["Name"].as_str().unwrap_or("?").to_owned()],
        };
        return (names.into_iter())
            .map(|name| (format!("ssm:{op}"), Resource::Parameter(name)))
            .collect();
    }
    let table = |name: &str| Resource::Logical(table_logical_id(name));
    match op {
        "BatchGetItem" | "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .map(|items| {
                items
                    .keys()
                    .map(|t| (format!("dynamodb:{op}"), table(t)))
                    .collect()
            })
            .unwrap_or_default(),
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let (kind, inner) = item.as_object()?.iter().next()?;
                        let action = match kind.as_str() {
                            "ConditionCheck" => "ConditionCheckItem".to_owned(),
                            other => format!("{other}Item"),
                        };
                        Some((
                            format!("dynamodb:{action}"),
                            table(inner["TableName"].as_str()?),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![(
            format!("dynamodb:{op}"),
            table(body["TableName"].as_str().unwrap_or("?")),
        )],
    }
}

/// The template's logical id for a table named `…-users` (`USERS_TABLE`
/// → `UsersTable`), `…-sessions`, and so on.
pub fn table_logical_id(name: &str) -> String {
    let field = name.rsplit('-').next().unwrap_or(name);
    let variable = format!("{}_TABLE", field.to_ascii_uppercase());
    template()
        .table_of_variable(&variable)
        .unwrap_or_else(|| format!("<no table for {name}>"))
}

/// Where each test process writes what its functions used:
/// `target/iam-observed/<pid>.tsv`, one `function\taction\tresource` line
/// per first use.
pub fn observed_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("iam-observed")
}

static SEEN: LazyLock<Mutex<HashSet<(String, String, Resource)>>> = LazyLock::new(Default::default);

/// Encodes a resource for the observed files.
pub fn resource_key(r: &Resource) -> String {
    match r {
        Resource::Logical(id) => format!("logical:{id}"),
        Resource::Parameter(name) => format!("parameter:{name}"),
        Resource::Identity(name) => format!("identity:{name}"),
    }
}

fn record(function: &str, action: &str, resource: &Resource) {
    let key = (function.to_owned(), action.to_owned(), resource.clone());
    let mut seen = SEEN.lock().unwrap();
    if !seen.insert(key) {
        return;
    }
    // One write of a whole line, under the lock: lines of racing requests
    // never interleave.
    let line = format!("{function}\t{action}\t{}\n", resource_key(resource));
    let dir = observed_dir();
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{}.tsv", std::process::id())))
    {
        let _ = file.write_all(line.as_bytes());
    }
}

/// Checks one request of `function` against its statements (panics with
/// the statement to add) and records it.
pub fn check(function: &str, target: &str, body: &[u8]) {
    let f = template().function(function);
    for (action, resource) in authorised_as(target, body) {
        assert!(
            f.allows(&action, &resource),
            "IAM: {function} sends {action} on {resource}, which template.yaml does not grant it; {}",
            f.statement_to_add(&action, &resource)
        );
        record(function, &action, &resource);
    }
}

/// Checks and records a request (its `X-Amz-Target` and body) if the
/// task runs as a function; the harness's clients call it for every request
/// they send (`moto::Calls`).
pub fn observe(target: &str, body: &[u8]) {
    if let Some(function) = current_function() {
        check(function, target, body);
    }
}

/// Keys for an SDK client that follow [`as_function`].
#[derive(Debug, Clone)]
pub struct ByFunction;

impl aws_credential_types::provider::ProvideCredentials for ByFunction {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let keys = identities().keys(current_function());
        aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
            keys.id,
            keys.secret,
            None,
            None,
            "moto-iam",
        )))
    }
}

/// Shared handle of [`ByFunction`].
pub fn by_function() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(ByFunction)
}
