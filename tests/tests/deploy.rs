//! Every place that names the functions agrees with the route table
//! (`tests/src/routes.rs`): the SAM template's functions and routes, the
//! `cargo lambda watch` router in Cargo.toml, and the Lambda crates under
//! `functions/`. Plus the template's own rules: arm64 al2023 cargo-lambda
//! builds and least-privilege IAM.

use std::collections::{BTreeMap, BTreeSet};

use integration_tests::auth::web::{Family, Serves};
use integration_tests::{ROUTES, workspace};
use serde_yaml_ng::Value;

/// Crates under functions/ that are not Lambdas.
const NOT_LAMBDAS: &[&str] = &["authctl"];

fn template() -> Value {
    let text = std::fs::read_to_string(workspace().join("template.yaml")).expect("template.yaml");
    serde_yaml_ng::from_str(&text).expect("template.yaml is YAML")
}

fn functions(template: &Value) -> Vec<(String, Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// path -> function crate, from the template's HttpApi events.
fn template_routes() -> BTreeMap<String, String> {
    let t = template();
    let mut routes = BTreeMap::new();
    for (name, f) in functions(&t) {
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: Metadata.BuildProperties.Binary"))
            .to_owned();
        // A function without events serves no route (the mailer: its
        // trigger is an event source mapping of its own).
        let Some(events) = f["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            assert_eq!(event["Type"], Value::from("HttpApi"), "{name}");
            let path = event["Properties"]["Path"].as_str().unwrap().to_owned();
            assert_eq!(
                event["Properties"]["Method"],
                Value::from("ANY"),
                "{name}: the function answers 405 itself"
            );
            assert!(
                routes.insert(path, binary.clone()).is_none(),
                "{name}: duplicate route"
            );
        }
    }
    routes
}

fn watch_routes() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("[workspace.metadata.lambda.watch.router]")
        .iter()
        .map(|(path, f)| {
            (
                path.clone(),
                f.as_str()
                    .expect("one function for every method")
                    .to_owned(),
            )
        })
        .collect()
}

fn lambda_crates() -> BTreeSet<String> {
    std::fs::read_dir(workspace().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !NOT_LAMBDAS.contains(&name.as_str()))
        .collect()
}

#[test]
fn template_router_and_crates_name_the_route_tables_functions_and_paths() {
    let table: BTreeMap<String, String> = ROUTES
        .iter()
        .map(|r| (r.path.to_owned(), r.function.to_owned()))
        .collect();
    let template = template_routes();
    assert_eq!(template, table, "template.yaml routes vs the route table");
    let watch = watch_routes();
    assert_eq!(
        template, watch,
        "template.yaml routes vs the cargo lambda watch router"
    );
    let deployed: BTreeSet<String> = functions(&self::template())
        .iter()
        .map(|(_, f)| {
            f["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        deployed,
        lambda_crates(),
        "template.yaml's functions vs crates under functions/"
    );
    let routed: BTreeSet<String> = template.values().cloned().collect();
    let unrouted: Vec<_> = deployed.difference(&routed).collect();
    assert_eq!(unrouted, ["mailer"], "only the mailer serves no route");
    for path in template.keys() {
        assert!(path.starts_with("/api/v1/users/"), "{path}");
    }
}

#[test]
fn every_function_is_an_arm64_al2023_cargo_lambda_build_of_its_crate() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["Runtime"], Value::from("provided.al2023"));
    assert_eq!(globals["Handler"], Value::from("bootstrap"));
    assert_eq!(
        globals["Architectures"],
        serde_yaml_ng::from_str::<Value>("[arm64]").unwrap()
    );
    assert_eq!(globals["MemorySize"], Value::from(256));
    assert_eq!(globals["LoggingConfig"]["LogFormat"], Value::from("JSON"));
    assert!(globals["Timeout"].as_u64().unwrap() <= 15);
    let env = globals["Environment"]["Variables"].as_mapping().unwrap();
    assert!(
        !env.contains_key("SIGNING_KEY"),
        "the key never sits in the environment"
    );
    for (name, f) in functions(&t) {
        assert_eq!(
            f["Metadata"]["BuildMethod"],
            Value::from("rust-cargolambda"),
            "{name}"
        );
        let binary = f["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        assert_eq!(
            f["Properties"]["CodeUri"],
            Value::from(format!("functions/{binary}")),
            "{name}"
        );
    }
}

/// The functions that hash passwords (Argon2 is CPU-bound, and Lambda's CPU
/// share grows with memory) get `PasswordFunctionsMemory` and the reserved
/// concurrency; info, well-known and the mailer 512 MB, every other
/// function the global size (tests/BENCHMARKS.md §8 says why).
#[test]
fn password_functions_are_sized_together() {
    let t = template();
    let password_functions = BTreeSet::from([
        "JwtLoginFunction",
        "LoginFunction",
        "MfaFunction",
        "PasskeysFunction",
        "PasswordChangeFunction",
        "PasswordResetFunction",
        "RegistrationFunction",
        "TokenObtainPairFunction",
        "UserFunction",
    ]);
    let param = &t["Parameters"]["PasswordFunctionsMemory"];
    assert_eq!(param["Type"], Value::from("Number"));
    assert!(param["Default"].as_u64().unwrap() >= 512, "{param:?}");
    for (name, f) in functions(&t) {
        let yaml = |key: &str| serde_yaml_ng::to_string(&f["Properties"][key]).unwrap();
        if password_functions.contains(name.as_str()) {
            assert_eq!(
                yaml("MemorySize").trim(),
                "!Ref PasswordFunctionsMemory",
                "{name}"
            );
            assert!(
                yaml("ReservedConcurrentExecutions").contains("PasswordFunctionsConcurrency"),
                "{name}"
            );
        } else if ["InfoFunction", "WellKnownFunction", "MailerFunction"].contains(&name.as_str()) {
            assert_eq!(f["Properties"]["MemorySize"], Value::from(512), "{name}");
        } else {
            assert!(
                f["Properties"]["MemorySize"].is_null(),
                "{name}: the global size"
            );
            assert!(
                f["Properties"]["ReservedConcurrentExecutions"].is_null(),
                "{name}"
            );
        }
    }
}

#[test]
fn iam_is_least_privilege() {
    let t = template();
    let allowed = [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "ssm:GetParameters",
        "ses:SendEmail",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ];
    for (name, f) in functions(&t) {
        let policies = f["Properties"]["Policies"].as_sequence().expect("Policies");
        for policy in policies {
            let statements = policy["Statement"].as_sequence().unwrap_or_else(|| {
                panic!("{name}: inline statements only, no managed policy templates")
            });
            for s in statements {
                assert_eq!(s["Effect"], Value::from("Allow"));
                for action in s["Action"].as_sequence().unwrap() {
                    let action = action.as_str().unwrap();
                    assert!(allowed.contains(&action), "{name}: {action}");
                }
                let resource = serde_yaml_ng::to_string(&s["Resource"]).unwrap();
                assert!(
                    !resource.contains('*'),
                    "{name}: wildcard resource {resource}"
                );
            }
        }
    }
}

/// A function builds its SQS client only when its view says it sends
/// mail (`runtime::init`): exactly the functions the template lets put
/// messages on the mail queue, so none is granted a queue it cannot reach
/// and none sends without its client.
#[test]
fn the_functions_that_send_mail_are_those_the_template_lets_queue_it() {
    let t = integration_tests::template::template();
    let queue = integration_tests::template::Resource::Logical("MailQueue".into());
    let mut functions: Vec<(&str, bool)> =
        ROUTES.iter().map(|r| (r.function, r.sends_mail)).collect();
    functions.sort();
    functions.dedup();
    for (name, _) in &functions {
        let views: BTreeSet<bool> = ROUTES
            .iter()
            .filter(|r| r.function == *name)
            .map(|r| r.sends_mail)
            .collect();
        assert_eq!(views.len(), 1, "{name}: its views disagree on sending mail");
    }
    let senders: Vec<&str> = functions
        .iter()
        .filter(|(_, s)| *s)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        senders,
        [
            "jwt-login",
            "login",
            "password-reset",
            "registration",
            "registration-passkey",
            "token-obtain-pair",
            "user"
        ]
    );
    for (name, sends) in functions {
        assert_eq!(
            t.function(name).allows("sqs:SendMessage", &queue),
            sends,
            "{name}: sends mail {sends}, but the template says otherwise"
        );
    }
}

/// The reverse of the policy check that the contract suite runs on every
/// request a function sends (`iam::check`: the function, the operation,
/// the table and the statement to add): every action a function is
/// granted was used by it in some test, or the template says why it is
/// needed in a comment `# iam-unexercised: <Function> <action> <logical
/// id>: <reason>`. Reads what the suites recorded under target/iam-observed/,
/// so it runs after them (tests/run.sh).
#[test]
#[ignore = "reads what the contract suite recorded: tests/run.sh runs it after the suite"]
fn every_granted_action_is_used_by_some_test() {
    use integration_tests::iam::{observed_dir, resource_key};
    use integration_tests::template::template;
    let mut observed = BTreeSet::new();
    let files = std::fs::read_dir(observed_dir())
        .expect("target/iam-observed/: run the contract suite first (tests/run.sh)");
    for file in files {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        for line in text.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            if let [function, action, resource] = parts[..] {
                observed.insert((function.to_owned(), action.to_owned(), resource.to_owned()));
            }
        }
    }
    let t = template();
    let justified: BTreeSet<(String, String, String)> = t
        .text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# iam-unexercised:"))
        .filter_map(|rest| {
            // `<Function> <action> <logical id or parameter>: <reason>`
            // (the action's own colon has no space after it).
            let (what, reason) = rest.split_once(": ")?;
            assert!(
                !reason.trim().is_empty(),
                "iam-unexercised needs a reason: {rest}"
            );
            let parts: Vec<&str> = what.split_whitespace().collect();
            let [function, action, resource] = parts[..] else {
                return None;
            };
            Some((function.to_owned(), action.to_owned(), resource.to_owned()))
        })
        .collect();
    let mut unused = Vec::new();
    for f in &t.functions {
        for (action, resource) in f.grants() {
            let key = (f.binary.clone(), action.clone(), resource_key(&resource));
            let id = match &resource {
                integration_tests::template::Resource::Logical(id) => id.clone(),
                integration_tests::template::Resource::Parameter(_) => {
                    "SigningKeyParameterName".into()
                }
                integration_tests::template::Resource::Identity(name) => name.clone(),
            };
            let excuse = (f.logical_id.clone(), action.clone(), id);
            if !observed.contains(&key) && !justified.contains(&excuse) {
                unused.push(format!(
                    "{}: {action} on {resource} is granted but no test used it",
                    f.logical_id
                ));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "remove these grants from template.yaml, add a test that uses them, or say why they \
         are needed in a `# iam-unexercised: <Function> <action> <Resource>: <reason>` comment:\n{}",
        unused.join("\n")
    );
}

/// template.yaml after the SAM transform (tests/deploy/translate.py, with
/// aws-sam-translator from SAM CLI in .tools/): what CloudFormation deploys.
fn translated() -> &'static serde_json::Value {
    static TRANSLATED: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
        let out = std::process::Command::new(integration_tests::tool("python3"))
            .arg(workspace().join("tests/deploy/translate.py"))
            .arg(workspace().join("template.yaml"))
            .output()
            .expect("python3 (tests/run.sh installs SAM CLI into .tools/)");
        assert!(
            out.status.success(),
            "the SAM transform failed (tests/run.sh installs SAM CLI into .tools/): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    });
    &TRANSLATED
}

/// A translated `Resource` as the tests name it.
fn translated_resource(r: &serde_json::Value) -> integration_tests::template::Resource {
    use integration_tests::template::Resource;
    if let Some([id, attr]) = r["Fn::GetAtt"].as_array().map(Vec::as_slice) {
        assert_eq!(attr, "Arn");
        return Resource::Logical(id.as_str().unwrap().to_owned());
    }
    let t = integration_tests::template::template();
    let default_from = t.parameter_default("DefaultFromEmail").unwrap();
    if let Some([text, vars]) = r["Fn::Sub"].as_array().map(Vec::as_slice) {
        // The sender's domain: `!Select [1, !Split ["@", !Ref DefaultFromEmail]]`.
        assert!(
            text.as_str().unwrap().ends_with(":identity/${Domain}"),
            "{r}"
        );
        assert_eq!(
            vars["Domain"],
            serde_json::json!({"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "DefaultFromEmail"}]}]})
        );
        return Resource::Identity(default_from.split_once('@').unwrap().1.to_owned());
    }
    let sub = r["Fn::Sub"].as_str().unwrap_or_else(|| panic!("{r}"));
    if sub.ends_with(":identity/${DefaultFromEmail}") {
        return Resource::Identity(default_from);
    }
    let (_, param) = sub
        .split_once(":parameter${")
        .expect("an SSM parameter ARN");
    integration_tests::template::template().parameter_resource(param.trim_end_matches('}'))
}

#[test]
fn translated_each_function_has_a_role_of_exactly_its_statements() {
    use integration_tests::template::template;
    let resources = &translated()["Resources"];
    for f in &template().functions {
        let function = &resources[&f.logical_id];
        assert_eq!(
            function["Type"], "AWS::Lambda::Function",
            "{}",
            f.logical_id
        );
        let role_id = format!("{}Role", f.logical_id);
        assert_eq!(
            function["Properties"]["Role"]["Fn::GetAtt"],
            serde_json::json!([role_id, "Arn"]),
            "{}",
            f.logical_id
        );
        let role = &resources[&role_id]["Properties"];
        assert_eq!(
            role["ManagedPolicyArns"],
            serde_json::json!(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]),
            "{role_id}: logging only"
        );
        let policies = role["Policies"].as_array().expect("inline policies");
        let mut granted = BTreeSet::new();
        for p in policies {
            for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
                assert_eq!(s["Effect"], "Allow");
                assert!(s["Condition"].is_null());
                let resources: Vec<_> = match &s["Resource"] {
                    serde_json::Value::Array(list) => {
                        list.iter().map(translated_resource).collect()
                    }
                    one => vec![translated_resource(one)],
                };
                for a in s["Action"].as_array().unwrap() {
                    for r in &resources {
                        granted.insert((a.as_str().unwrap().to_owned(), r.clone()));
                    }
                }
            }
        }
        let expected: BTreeSet<_> = f.grants().into_iter().collect();
        assert_eq!(granted, expected, "{role_id}: what AWS receives");
    }
}

#[test]
fn translated_http_api_routes_every_path_to_its_function_with_payload_2_0() {
    use integration_tests::template::template;
    let resources = translated()["Resources"].as_object().unwrap();
    let apis: Vec<_> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Api")
        .collect();
    assert_eq!(apis.len(), 1, "one HTTP API");
    let paths = apis[0]["Properties"]["Body"]["paths"].as_object().unwrap();
    let routed: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let table: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    assert_eq!(routed, table, "the translated routes vs the route table");
    for route in ROUTES.iter() {
        let methods = paths[route.path].as_object().unwrap();
        assert_eq!(
            methods.keys().collect::<Vec<_>>(),
            ["x-amazon-apigateway-any-method"],
            "{}: every method reaches the function",
            route.path
        );
        let integration =
            &methods["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"];
        assert_eq!(integration["type"], "aws_proxy", "{}", route.path);
        assert_eq!(integration["payloadFormatVersion"], "2.0", "{}", route.path);
        let uri = integration["uri"]["Fn::Sub"].as_str().unwrap();
        let function = &template().function(route.function).logical_id;
        assert!(
            uri.contains(&format!("${{{function}.Arn}}")),
            "{}: {uri}",
            route.path
        );
    }
}

/// The translated tables, as CloudFormation makes them: the key schema,
/// attribute types, TTL attribute and billing mode that `authctl
/// create-tables` gives them (read back from moto), which the store reads.
#[tokio::test]
async fn translated_tables_are_what_create_tables_makes() {
    use integration_tests::template::template;
    let store = integration_tests::fresh_store().await;
    let client = store.client();
    let tables = store.tables();
    let resources = &translated()["Resources"];
    for (variable, name) in [
        ("USERS_TABLE", &tables.users),
        ("SESSIONS_TABLE", &tables.sessions),
        ("BLACKLIST_TABLE", &tables.blacklist),
        ("THROTTLE_TABLE", &tables.throttle),
    ] {
        let id = template().table_of_variable(variable).unwrap();
        let t = &resources[&id]["Properties"];
        let described = client.describe_table().table_name(name).send().await;
        let made = described.as_ref().unwrap().table().unwrap();
        let key: Vec<_> = made
            .key_schema()
            .iter()
            .map(|k| serde_json::json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
            .collect();
        assert_eq!(t["KeySchema"], serde_json::json!(key), "{id}");
        let attributes: Vec<_> = made
            .attribute_definitions()
            .iter()
            .map(|a| serde_json::json!({"AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()}))
            .collect();
        assert_eq!(
            t["AttributeDefinitions"],
            serde_json::json!(attributes),
            "{id}"
        );
        assert_eq!(t["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert_eq!(
            made.billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map(|b| b.as_str()),
            Some("PAY_PER_REQUEST"),
            "{id}"
        );
        let ttl = client.describe_time_to_live().table_name(name).send().await;
        let made_ttl = (ttl.as_ref().unwrap())
            .time_to_live_description()
            .and_then(|d| d.attribute_name())
            .map(str::to_owned);
        let template_ttl = t["TimeToLiveSpecification"]["AttributeName"]
            .as_str()
            .map(str::to_owned);
        assert_eq!(template_ttl, made_ttl, "{id}: TTL attribute");
        if template_ttl.is_some() {
            assert_eq!(t["TimeToLiveSpecification"]["Enabled"], true, "{id}");
        }
        assert_eq!(t["SSESpecification"]["SSEEnabled"], true, "{id}");
    }
}

/// Settings every function reads whose default is right in AWS, so the
/// template does not pass them; each with the reason.
const DEFAULT_IS_RIGHT_IN_AWS: &[(&str, &str)] = &[
    (
        "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN",
        "local development only: deployed origins are https",
    ),
    (
        "SIGNING_KEYS",
        "local runs only: in AWS the key comes from SIGNING_KEY_PARAMETER",
    ),
    (
        "SIGNING_KEY",
        "local runs only: in AWS the key comes from SIGNING_KEY_PARAMETER",
    ),
    ("JWKS_MAX_AGE", "one hour, as API Gateway caches keys"),
    (
        "CSRF_COOKIE_SECURE",
        "empty follows SESSION_COOKIE_SECURE, which the template passes",
    ),
    (
        "JWT_AUTH_SECURE",
        "empty follows SESSION_COOKIE_SECURE, which the template passes",
    ),
    (
        "CORS_ALLOW_CREDENTIALS",
        "empty is on exactly when CorsAllowedOrigins is set",
    ),
    (
        "CORS_ALLOW_HEADERS",
        "the headers the contract's clients send",
    ),
    ("CORS_PREFLIGHT_MAX_AGE", "one day, as django-cors-headers"),
    (
        "PASSWORD_BREACH_CHECK_URL",
        "Have I Been Pwned's range API itself; the tests' local one only locally",
    ),
    (
        "PASSWORD_BREACH_CHECK_TIMEOUT_MS",
        "one second, pwned-passwords-django's API_TIMEOUT",
    ),
    (
        "XHR_OMITS_BASIC_CHALLENGE",
        "the contract's challenge; frontends on allowed origins never get it anyway",
    ),
    (
        "JWT_AUTH_REFRESH_COOKIE_PATH",
        "the simplejwt paths are the same behind API Gateway",
    ),
    ("JWT_AUTH_HTTPONLY", "HttpOnly, as dj-rest-auth"),
    ("SESSION_COOKIE_AGE", "Django's two weeks"),
    (
        "EMAIL_BACKEND",
        "ses: the mail queue and the mailer, which the template makes",
    ),
];

/// Every variable the settings read: what `Settings::from_lookup` asks for
/// (every function reads them all at its cold start: `runtime::start`).
fn variables_the_functions_read() -> BTreeSet<String> {
    let asked = std::sync::Mutex::new(BTreeSet::new());
    let _ = integration_tests::auth::settings::Settings::from_lookup(|name| {
        asked.lock().unwrap().insert(name.to_owned());
        (name == "SIGNING_KEY").then(|| integration_tests::SIGNING_KEY.to_owned())
    })
    .expect("defaults and a key are valid settings");
    let mut read = asked.into_inner().unwrap();
    // runtime::start: the SSM parameters, the key's when no key is in the
    // environment, and the settings'.
    read.insert("SIGNING_KEY_PARAMETER".into());
    read.insert("SETTINGS_PARAMETER".into());
    read
}

#[test]
fn every_setting_reaches_every_function_or_has_a_default_right_in_aws() {
    use integration_tests::auth::settings::TABLE;
    use integration_tests::template::template;
    let read = variables_the_functions_read();
    let table: BTreeSet<String> = TABLE.iter().map(|s| s.variable.to_owned()).collect();
    assert!(
        table.is_subset(&read),
        "the settings table lists what Settings reads: {:?}",
        table.difference(&read).collect::<Vec<_>>()
    );
    let defaulted: BTreeSet<String> = DEFAULT_IS_RIGHT_IN_AWS
        .iter()
        .map(|(v, _)| v.to_string())
        .collect();
    for f in &template().functions {
        let in_both: Vec<_> = (f.environment.keys())
            .filter(|v| f.settings.contains_key(*v))
            .collect();
        assert!(
            in_both.is_empty(),
            "{}: {in_both:?} both in the environment and in SettingsParameter",
            f.logical_id
        );
        let passed: BTreeSet<String> = (f.environment.keys())
            .chain(f.settings.keys())
            .cloned()
            .collect();
        let unread: Vec<_> = passed.difference(&read).collect();
        assert!(
            unread.is_empty(),
            "{}: template.yaml passes variables no code reads: {unread:?}",
            f.logical_id
        );
        let missing: Vec<_> = read
            .iter()
            .filter(|v| !passed.contains(*v) && !defaulted.contains(*v))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: reads {missing:?}, which template.yaml does not pass; pass them, or list \
             them in DEFAULT_IS_RIGHT_IN_AWS with the reason",
            f.logical_id
        );
        let both: Vec<_> = passed.intersection(&defaulted).collect();
        assert!(both.is_empty(), "{}: {both:?} are passed", f.logical_id);
    }
}

/// The longest value a template environment value can take: a parameter's
/// longest allowed value (its `AllowedValues`, `MaxLength`, or for a
/// `Number` its `MaxValue`'s digits, else the 20 digits of the largest
/// number a setting parses), a generated table name (CloudFormation's
/// `<stack>-<LogicalId>-<13 characters>`, the stack name at most 128), or
/// the literal.
fn longest_value(function: &str, name: &str, value: &Value) -> usize {
    use integration_tests::template::{ref_target, template};
    let t = template();
    let Some(target) = ref_target(value) else {
        return serde_yaml_ng::to_string(value).unwrap().trim().len();
    };
    let param = &t.root["Parameters"][&target];
    if param.is_null() && t.root["Resources"][&target]["Type"] == "AWS::SSM::Parameter" {
        // `/${AWS::StackName}/settings`, the stack name at most 128.
        return t.settings_parameter_name().len() - "auth".len() + 128;
    }
    if param.is_null() && t.root["Resources"][&target]["Type"] == "AWS::SQS::Queue" {
        // Its URL: `https://sqs.<region>.amazonaws.com/<account>/` and a
        // queue name of at most 80.
        return "https://sqs.ap-southeast-2.amazonaws.com/123456789012/".len() + 80;
    }
    if param.is_null() {
        assert_eq!(
            t.root["Resources"][&target]["Type"],
            Value::from("AWS::DynamoDB::Table"),
            "{function}: {name}"
        );
        return (128 + 1 + target.len() + 1 + 13).min(255);
    }
    if let Some(allowed) = param["AllowedValues"].as_sequence() {
        return allowed
            .iter()
            .map(|v| {
                serde_yaml_ng::to_string(v)
                    .unwrap()
                    .trim()
                    .trim_matches('"')
                    .len()
            })
            .max()
            .unwrap();
    }
    if param["Type"] == "Number" {
        return param["MaxValue"]
            .as_u64()
            .map_or(20, |m| m.to_string().len());
    }
    param["MaxLength"].as_u64().unwrap_or_else(|| {
        panic!("{function}: {name}: give the parameter {target} a MaxLength or AllowedValues")
    }) as usize
}

/// Lambda refuses a function whose environment is over 4 KB in all. Each
/// function's, with every parameter at its longest allowed value, counted
/// as its JSON (`{"NAME":"value",…}`, more than the names and values
/// alone), fits. So does the settings parameter, in the 8 KB of SSM's
/// Advanced tier (Intelligent-Tiering picks it only when the value is over
/// the Standard tier's 4 KB); at the defaults it is Standard (free).
#[test]
fn every_function_environment_and_the_settings_fit_at_the_longest_parameters() {
    use integration_tests::template::template;
    let t = template();
    for f in &t.functions {
        let size: usize = 2 + f
            .environment
            .iter()
            .map(|(name, value)| name.len() + longest_value(&f.logical_id, name, value) + 6)
            .sum::<usize>();
        println!("{}: {size} bytes of environment at most", f.logical_id);
        assert!(
            size <= 4096,
            "{}: {size} bytes of environment",
            f.logical_id
        );
    }
    let f = &t.functions[0];
    let longest: usize = (f.settings.iter())
        .map(|(name, value)| name.len() + 1 + longest_value("SettingsParameter", name, value) + 1)
        .sum();
    println!("SettingsParameter: {longest} bytes at most");
    assert!(longest <= 8192, "SettingsParameter: {longest} bytes");
    let tables = integration_tests::auth::settings::Tables {
        users: "auth-UsersTable-1A2B3C4D5E6F7".into(),
        sessions: "auth-SessionsTable-1A2B3C4D5E6F7".into(),
        blacklist: "auth-BlacklistTable-1A2B3C4D5E6F7".into(),
        throttle: "auth-ThrottleTable-1A2B3C4D5E6F7".into(),
    };
    let defaults = f.deployed_settings(&tables).len();
    println!("SettingsParameter: {defaults} bytes at the defaults");
    assert!(
        defaults <= 4096,
        "the Standard tier at the defaults: {defaults} bytes"
    );
    assert_eq!(
        t.root["Resources"]["SettingsParameter"]["Properties"]["Tier"],
        Value::from("Intelligent-Tiering")
    );
}

/// Each metric filter counts one audit event the functions write (its name
/// in `fields.event`), and each alarm watches a metric a filter makes:
/// renaming an event cannot silence its alarm. The events that signal an
/// attack on one account (a reused refresh token, a second step locked
/// after too many wrong codes) alarm at their first occurrence.
#[test]
fn every_alarm_watches_an_audit_event_the_functions_write() {
    use integration_tests::auth::base::audit::Event;
    let t = template();
    let resources = t["Resources"].as_mapping().unwrap();
    let of_type = |ty: &str| {
        resources
            .iter()
            .filter(|(_, r)| r["Type"] == ty)
            .map(|(k, r)| (k.as_str().unwrap().to_owned(), r["Properties"].clone()))
            .collect::<Vec<_>>()
    };
    let names: BTreeSet<&str> = Event::ALL.iter().map(|e| e.name()).collect();
    let mut metric_events = BTreeMap::new();
    for (id, p) in of_type("AWS::Logs::MetricFilter") {
        let pattern = p["FilterPattern"].as_str().unwrap();
        let event = pattern
            .split("$.fields.event = \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{id}: no audit event in {pattern}"));
        assert!(
            pattern.contains(r#"$.fields.message = "audit""#),
            "{id}: {pattern}"
        );
        assert!(names.contains(event), "{id}: no audit event {event:?}");
        let metric = p["MetricTransformations"][0]["MetricName"]
            .as_str()
            .unwrap();
        metric_events.insert(metric.to_owned(), event.to_owned());
    }
    let mut alarmed = BTreeMap::new();
    // Dead-letter queues: an alarm on the depth of each.
    let dead_letter: BTreeSet<String> = of_type("AWS::SQS::Queue")
        .iter()
        .filter_map(|(_, p)| {
            let target = &p["RedrivePolicy"]["deadLetterTargetArn"];
            let Value::Tagged(t) = target else {
                return None;
            };
            Some(t.value.as_str()?.trim_end_matches(".Arn").to_owned())
        })
        .collect();
    assert!(!dead_letter.is_empty());
    let mut queues_alarmed = BTreeSet::new();
    for (id, p) in of_type("AWS::CloudWatch::Alarm") {
        if p["Namespace"] == "AWS/SQS" {
            assert_eq!(
                p["MetricName"], "ApproximateNumberOfMessagesVisible",
                "{id}"
            );
            assert_eq!(
                p["Threshold"].as_u64(),
                Some(1),
                "{id}: at the first message"
            );
            let queue = serde_yaml_ng::to_string(&p["Dimensions"][0]["Value"]).unwrap();
            let queue = queue
                .trim()
                .trim_start_matches("!GetAtt ")
                .trim_end_matches(".QueueName");
            assert!(
                dead_letter.contains(queue),
                "{id}: {queue} is no dead-letter queue"
            );
            queues_alarmed.insert(queue.to_owned());
            continue;
        }
        let metric = p["MetricName"].as_str().unwrap();
        let event = metric_events
            .get(metric)
            .unwrap_or_else(|| panic!("{id}: no metric filter makes {metric}"));
        alarmed.insert(event.clone(), p["Threshold"].clone());
    }
    assert_eq!(
        queues_alarmed, dead_letter,
        "every dead-letter queue alarms"
    );
    for event in ["refresh_reuse", "mfa_locked"] {
        assert_eq!(
            alarmed.get(event).and_then(Value::as_u64),
            Some(1),
            "{event} alarms at once"
        );
    }
}

/// The per-client front (`Front=cloudfront`), as CloudFormation receives
/// it: AWS WAF rate-based rules per client address — one on every route,
/// one on exactly the routes API Gateway's password-route limit covers and
/// on Basic credentials — in a web ACL attached to a CloudFront
/// distribution whose one origin is this stack's HTTP API; the origin
/// request carries the secret every function is given, and a viewer-request
/// function sets the header the functions read the viewer's address from.
#[test]
fn the_per_client_front_is_wired_to_the_api() {
    use integration_tests::auth::web::request::{ORIGIN_VERIFY, TRUE_CLIENT_IP};
    use serde_json::json;
    let t = translated();
    let resources = t["Resources"].as_object().unwrap();
    let conditions = &t["Conditions"];
    assert_eq!(
        conditions["FrontOn"],
        json!({"Fn::Equals": [{"Ref": "Front"}, "cloudfront"]})
    );

    // The rules: per client address (AWS WAF's IP: the viewer CloudFront saw).
    let acl = &resources["FrontWebAcl"];
    assert_eq!(acl["Type"], "AWS::WAFv2::WebACL");
    assert_eq!(acl["Condition"], "FrontAclHere");
    assert_eq!(acl["Properties"]["Scope"], "CLOUDFRONT");
    let rules = acl["Properties"]["Rules"].as_array().unwrap();
    let rule = |name: &str| {
        let rule = rules.iter().find(|r| r["Name"] == name).expect(name);
        let limit = &rule["Statement"]["RateBasedStatement"];
        assert_eq!(limit["AggregateKeyType"], "IP", "{name}");
        let block = &rule["Action"]["Block"]["CustomResponse"];
        assert_eq!(block["ResponseCode"], 429, "{name}");
        limit.clone()
    };
    let every = rule("requests-per-client");
    assert_eq!(every["Limit"], json!({"Ref": "ClientRateLimit"}));
    assert!(every.get("ScopeDownStatement").is_none(), "every route");
    let password = rule("password-attempts-per-client");
    assert_eq!(password["Limit"], json!({"Ref": "ClientPasswordRateLimit"}));
    let scope = password["ScopeDownStatement"]["OrStatement"]["Statements"]
        .as_array()
        .unwrap();
    // The paths a list of statements matches exactly (the others skipped).
    let exact_paths = |statements: &[serde_json::Value]| -> BTreeSet<String> {
        statements
            .iter()
            .filter(|s| {
                s["ByteMatchStatement"]["FieldToMatch"]
                    .get("UriPath")
                    .is_some()
            })
            .map(|s| {
                assert_eq!(s["ByteMatchStatement"]["PositionalConstraint"], "EXACTLY");
                s["ByteMatchStatement"]["SearchString"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let paths = exact_paths(scope);
    let api = resources
        .values()
        .find(|r| r["Type"] == "AWS::ApiGatewayV2::Stage")
        .expect("the HTTP API's stage");
    let route_limits = api["Properties"]["RouteSettings"].as_object().unwrap();
    let password_routes: BTreeSet<String> = route_limits
        .iter()
        .filter(|(_, s)| s["ThrottlingRateLimit"] == json!({"Ref": "PasswordRouteRateLimit"}))
        .map(|(key, _)| key.strip_prefix("ANY ").unwrap().to_owned())
        .collect();
    assert_eq!(
        paths, password_routes,
        "the WAF rule's routes vs API Gateway's"
    );
    let table: BTreeSet<String> = ROUTES.iter().map(|r| r.path.to_owned()).collect();
    assert!(paths.is_subset(&table), "{paths:?}");
    // Basic credentials on any route but those where OAuth clients
    // authenticate with Basic and a random secret (the provider's POST
    // endpoints); a user's Basic password counts everywhere else
    // (`oauth/grants` too).
    let basic = scope
        .iter()
        .find_map(|s| s["AndStatement"]["Statements"].as_array())
        .expect("Basic credentials, but not where OAuth clients use it");
    assert_eq!(
        basic[0]["ByteMatchStatement"]["FieldToMatch"],
        json!({"SingleHeader": {"Name": "authorization"}})
    );
    assert_eq!(basic[0]["ByteMatchStatement"]["SearchString"], "basic ");
    let exempt_statements = basic[1]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
        .as_array()
        .expect("the client endpoints");
    let exempt = exact_paths(exempt_statements);
    assert_eq!(exempt.len(), exempt_statements.len(), "only exact paths");
    let client_routes: BTreeSet<String> = ROUTES
        .iter()
        .filter(|r| r.family == Family::OAuth && r.serves == Serves::Post)
        .map(|r| r.path.to_owned())
        .collect();
    assert_eq!(exempt, client_routes);

    // Attached to the distribution, whose one origin is the HTTP API.
    let front = &resources["FrontDistribution"];
    assert_eq!(front["Condition"], "FrontOn");
    let config = &front["Properties"]["DistributionConfig"];
    assert_eq!(
        config["WebACLId"],
        json!({"Fn::If": ["FrontAclHere", {"Fn::GetAtt": ["FrontWebAcl", "Arn"]}, {"Ref": "FrontWebAclArn"}]})
    );
    let origins = config["Origins"].as_array().unwrap();
    assert_eq!(origins.len(), 1);
    let domain = origins[0]["DomainName"]["Fn::Sub"].as_str().unwrap();
    assert!(domain.starts_with("${HttpApi}.execute-api."), "{domain}");
    let headers = origins[0]["OriginCustomHeaders"].as_array().unwrap();
    assert_eq!(
        headers,
        &[json!({"HeaderName": "X-Origin-Verify", "HeaderValue": {"Ref": "FrontOriginSecret"}})]
    );
    assert_eq!(ORIGIN_VERIFY, "x-origin-verify");
    let behavior = &config["DefaultCacheBehavior"];
    assert_eq!(behavior["TargetOriginId"], origins[0]["Id"]);
    assert_eq!(behavior["AllowedMethods"].as_array().unwrap().len(), 7);
    assert_eq!(
        behavior["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "CachingDisabled"
    );
    assert_eq!(
        behavior["OriginRequestPolicyId"], "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "AllViewerExceptHostHeader"
    );
    let association = &behavior["FunctionAssociations"][0];
    assert_eq!(association["EventType"], "viewer-request");
    let function = association["FunctionARN"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap();
    let code = resources[function]["Properties"]["FunctionCode"]
        .as_str()
        .unwrap();
    assert!(
        code.contains(&format!(
            "request.headers['{TRUE_CLIENT_IP}'] = {{ value: event.viewer.ip }}"
        )),
        "{code}"
    );

    // Every function knows the secret (and so refuses requests without it):
    // it reads the settings parameter, which holds it.
    let settings = resources["SettingsParameter"]["Properties"]["Value"]["Fn::Sub"]
        .as_str()
        .expect("the settings parameter's value is a Fn::Sub");
    assert!(
        settings
            .lines()
            .any(|l| l == "FRONT_ORIGIN_SECRET=${FrontOriginSecret}"),
        "{settings}"
    );
    for (name, r) in resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Lambda::Function")
    {
        let env = &r["Properties"]["Environment"]["Variables"];
        assert_eq!(
            env["SETTINGS_PARAMETER"],
            json!({"Ref": "SettingsParameter"}),
            "{name}"
        );
    }
}

/// The mail queue as CloudFormation receives it: encrypted, retried after
/// a visibility timeout of at least six times the mailer's timeout (AWS's
/// advice for an event source), dead-lettered after a few receives into a
/// queue that keeps messages longer; the mailer fed by a mapping that
/// takes back what it reports (partial batch responses), at a bounded
/// concurrency.
#[test]
fn the_mail_queue_retries_then_dead_letters_and_feeds_the_mailer_batch_by_batch() {
    use serde_json::json;
    let r = &translated()["Resources"];
    let queue = &r["MailQueue"]["Properties"];
    let dead = &r["MailDeadLetterQueue"]["Properties"];
    let mailer = &r["MailerFunction"]["Properties"];
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    assert_eq!(dead["SqsManagedSseEnabled"], true);
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        json!({"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]})
    );
    let receives = queue["RedrivePolicy"]["maxReceiveCount"].as_u64().unwrap();
    assert!((3..=10).contains(&receives), "{receives}");
    let timeout = mailer["Timeout"].as_u64().unwrap();
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout);
    assert!(
        dead["MessageRetentionPeriod"].as_u64() > queue["MessageRetentionPeriod"].as_u64(),
        "a dead letter outlives its retries"
    );
    let mappings: Vec<_> = r
        .as_object()
        .unwrap()
        .values()
        .filter(|x| x["Type"] == "AWS::Lambda::EventSourceMapping")
        .collect();
    assert_eq!(mappings.len(), 1);
    let m = &mappings[0]["Properties"];
    assert_eq!(
        m["EventSourceArn"],
        json!({"Fn::GetAtt": ["MailQueue", "Arn"]})
    );
    assert_eq!(m["FunctionName"], json!({"Ref": "MailerFunction"}));
    assert_eq!(
        m["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert!(m["BatchSize"].as_u64().unwrap() <= 10);
    assert!(m["ScalingConfig"]["MaximumConcurrency"].as_u64().unwrap() >= 2);
    // No SAM SQS event: it would add a managed policy on every queue.
    assert!(mailer["Events"].is_null());
    let role = r["MailerFunctionRole"]["Properties"]["ManagedPolicyArns"].to_string();
    assert!(!role.contains("SQS"), "{role}");
}
