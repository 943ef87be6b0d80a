//! `template.yaml`, read the way the tests need it: each function's crate,
//! environment and IAM statements, with every `Resource` resolved to what it
//! names (a table's logical id, an SSM parameter's name). The IAM users
//! of the local stacks (`iam.rs`) and the policy tests read the policies
//! from here, never from a copy.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_yaml_ng::Value;

use crate::paths::workspace;

/// What a statement's `Resource` names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// A resource of the template, by logical id (`!GetAtt UsersTable.Arn`).
    Logical(String),
    /// An SSM parameter, by name (`…:parameter${SigningKeyParameterName}`,
    /// the parameter's default filled in).
    Parameter(String),
    /// An SES identity, by name (`…:identity/${DefaultFromEmail}`, or its
    /// domain: the parameter's default filled in).
    Identity(String),
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Logical(id) => write!(f, "!GetAtt {id}.Arn"),
            Resource::Parameter(name) => write!(f, "the SSM parameter {name}"),
            Resource::Identity(name) => write!(f, "the SES identity {name}"),
        }
    }
}

/// One `Allow` statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub actions: Vec<String>,
    pub resources: Vec<Resource>,
}

/// One `AWS::Serverless::Function`.
#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    /// Its crate and binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub statements: Vec<Statement>,
    /// Its environment: the globals', then its own, as written (`!Ref X`
    /// shown as such).
    pub environment: BTreeMap<String, Value>,
    /// The settings it reads from the parameter its `SETTINGS_PARAMETER`
    /// names (`SettingsParameter`'s `NAME=${X}` lines, each as `!Ref X`).
    pub settings: BTreeMap<String, Value>,
    /// Its properties, as written.
    pub properties: Value,
}

impl Function {
    /// Its environment as deployed with every parameter at its default and
    /// the tables named `tables` (a `!Ref` to a table becomes the name of
    /// the table of that variable; to `SettingsParameter`, its name).
    pub fn deployed_environment(
        &self,
        tables: &auth::settings::Tables,
    ) -> BTreeMap<String, String> {
        (self.environment.iter())
            .map(|(name, value)| (name.clone(), self.deployed(name, value, tables)))
            .collect()
    }

    /// The settings parameter's value as the stack writes it: its
    /// `NAME=value` lines with every parameter at its default and the
    /// tables named `tables`.
    pub fn deployed_settings(&self, tables: &auth::settings::Tables) -> String {
        (self.settings.iter())
            .map(|(name, value)| format!("{name}={}\n", self.deployed(name, value, tables)))
            .collect()
    }

    fn deployed(&self, name: &str, value: &Value, tables: &auth::settings::Tables) -> String {
        let t = template();
        match ref_target(value) {
            Some(target) if t.root["Parameters"][&target].is_mapping() => {
                t.parameter_default(&target).unwrap_or_default()
            }
            Some(target) if target == SETTINGS_PARAMETER => t.settings_parameter_name(),
            // A queue's `!Ref` is its URL: the queue the stack would make
            // (the tests make their own per test and say so).
            Some(target) if t.root["Resources"][&target]["Type"] == "AWS::SQS::Queue" => {
                format!("https://sqs.us-east-1.amazonaws.com/123456789012/auth-{target}")
            }
            Some(target) => {
                let table = [
                    ("USERS_TABLE", &tables.users),
                    ("SESSIONS_TABLE", &tables.sessions),
                    ("BLACKLIST_TABLE", &tables.blacklist),
                    ("THROTTLE_TABLE", &tables.throttle),
                ]
                .into_iter()
                .find(|(var, _)| t.table_of_variable(var).as_deref() == Some(&target));
                match table {
                    Some((_, name)) => name.clone(),
                    None => panic!("{}: {name} refers to {target}", self.logical_id),
                }
            }
            None => scalar(value).unwrap_or_else(|| {
                panic!("{}: {name} is neither a !Ref nor a scalar", self.logical_id)
            }),
        }
    }

    /// Whether one of its statements allows `action` on `resource`.
    pub fn allows(&self, action: &str, resource: &Resource) -> bool {
        self.statements
            .iter()
            .any(|s| s.actions.iter().any(|a| a == action) && s.resources.contains(resource))
    }

    /// Every (action, resource) its statements grant.
    pub fn grants(&self) -> Vec<(String, Resource)> {
        let mut grants: Vec<(String, Resource)> = self
            .statements
            .iter()
            .flat_map(|s| {
                s.actions
                    .iter()
                    .flat_map(|a| s.resources.iter().map(|r| (a.clone(), r.clone())))
            })
            .collect();
        grants.sort();
        grants.dedup();
        grants
    }

    /// Its policy as moto enforces it: the same actions, on `*` (moto
    /// checks actions only; the resources are checked by the policy test
    /// in `tests/contract/iam.rs`). A transaction is authorised in AWS by
    /// each of its items' own actions (`dynamodb:PutItem`, …); moto asks
    /// for `dynamodb:TransactWriteItems` instead, so a function allowed
    /// any write gets that too, and the policy test checks the items.
    pub fn moto_policy(&self) -> serde_json::Value {
        let mut actions: Vec<String> = self
            .statements
            .iter()
            .flat_map(|s| s.actions.iter().cloned())
            .collect();
        let writes = [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ];
        if actions.iter().any(|a| writes.contains(&a.as_str())) {
            actions.push("dynamodb:TransactWriteItems".into());
        }
        actions.sort();
        actions.dedup();
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
        })
    }

    /// Where to add `action` on `resource`, for a failure message.
    pub fn statement_to_add(&self, action: &str, resource: &Resource) -> String {
        format!(
            "add to {}'s Policies in template.yaml:\n            - Effect: Allow\n              Action: [{action}]\n              Resource: {}",
            self.logical_id,
            match resource {
                Resource::Logical(id) => format!("!GetAtt {id}.Arn"),
                Resource::Parameter(name) if *name == template().settings_parameter_name() => "!Sub \"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SettingsParameter}\"".into(),
                Resource::Parameter(_) => "!Sub \"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SigningKeyParameterName}\"".into(),
                Resource::Identity(_) => "!Sub \"arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${DefaultFromEmail}\"".into(),
            }
        )
    }
}

/// The template, parsed once.
pub struct Template {
    pub root: Value,
    pub text: String,
    pub functions: Vec<Function>,
}

/// `template.yaml`, read once per process.
pub fn template() -> &'static Template {
    static TEMPLATE: LazyLock<Template> = LazyLock::new(|| {
        let text =
            std::fs::read_to_string(workspace().join("template.yaml")).expect("template.yaml");
        Template::parse(&text)
    });
    &TEMPLATE
}

impl Template {
    pub fn parse(text: &str) -> Self {
        let root: Value = serde_yaml_ng::from_str(text).expect("template.yaml is YAML");
        let globals: BTreeMap<String, Value> = env_of(&root["Globals"]["Function"]);
        let settings = settings_of(&root);
        let mut functions = Vec::new();
        for (id, resource) in root["Resources"].as_mapping().expect("Resources") {
            if resource["Type"] != "AWS::Serverless::Function" {
                continue;
            }
            let logical_id = id.as_str().unwrap().to_owned();
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{logical_id}: Metadata.BuildProperties.Binary"))
                .to_owned();
            let mut environment = globals.clone();
            environment.extend(env_of(&resource["Properties"]));
            let statements = resource["Properties"]["Policies"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{logical_id}: Policies"))
                .iter()
                .flat_map(|policy| {
                    policy["Statement"]
                        .as_sequence()
                        .unwrap_or_else(|| {
                            panic!("{logical_id}: inline statements only, no policy templates")
                        })
                        .iter()
                        .map(|s| statement(&root, &logical_id, s))
                        .collect::<Vec<_>>()
                })
                .collect();
            functions.push(Function {
                logical_id,
                binary,
                statements,
                environment,
                settings: settings.clone(),
                properties: resource["Properties"].clone(),
            });
        }
        Template {
            root,
            text: text.to_owned(),
            functions,
        }
    }

    /// The function built from crate `binary`.
    pub fn function(&self, binary: &str) -> &Function {
        self.functions
            .iter()
            .find(|f| f.binary == binary)
            .unwrap_or_else(|| panic!("no function {binary} in template.yaml"))
    }

    /// The logical id of the table the settings parameter names in
    /// `variable` (`USERS_TABLE=${UsersTable}` → `UsersTable`).
    pub fn table_of_variable(&self, variable: &str) -> Option<String> {
        ref_target(settings_of(&self.root).get(variable)?)
    }

    /// The name of the settings parameter of the local stacks (stack
    /// `auth`): `SettingsParameter`'s `Name`, `/${AWS::StackName}/settings`.
    pub fn settings_parameter_name(&self) -> String {
        settings_parameter_name(&self.root)
    }

    /// The SSM parameter a `${X}` in a policy's ARN names: parameter `X`'s
    /// default, or the settings parameter's name.
    pub fn parameter_resource(&self, x: &str) -> Resource {
        if x == SETTINGS_PARAMETER {
            return Resource::Parameter(self.settings_parameter_name());
        }
        Resource::Parameter(
            scalar(&self.root["Parameters"][x]["Default"])
                .unwrap_or_else(|| panic!("parameter {x} has no default")),
        )
    }

    /// A parameter's `Default`, as text.
    pub fn parameter_default(&self, name: &str) -> Option<String> {
        scalar(&self.root["Parameters"][name]["Default"])
    }
}

fn env_of(holder: &Value) -> BTreeMap<String, Value> {
    holder["Environment"]["Variables"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The template's `SettingsParameter` (an `AWS::SSM::Parameter`).
pub const SETTINGS_PARAMETER: &str = "SettingsParameter";
/// The stack name of the local stacks (tests/deploy/translate.py's).
pub const STACK_NAME: &str = "auth";

fn settings_parameter_name(root: &Value) -> String {
    match &root["Resources"][SETTINGS_PARAMETER]["Properties"]["Name"] {
        Value::Tagged(t) if t.tag == "Sub" => t
            .value
            .as_str()
            .unwrap()
            .replace("${AWS::StackName}", STACK_NAME),
        other => panic!("{SETTINGS_PARAMETER}'s Name: {other:?}"),
    }
}

/// `SettingsParameter`'s `Value: !Sub |` lines: `NAME=${X}` → `!Ref X`, a
/// literal value as a string.
fn settings_of(root: &Value) -> BTreeMap<String, Value> {
    let value = &root["Resources"][SETTINGS_PARAMETER]["Properties"]["Value"];
    let Value::Tagged(t) = value else {
        panic!("{SETTINGS_PARAMETER}'s Value is a !Sub");
    };
    assert_eq!(t.tag, "Sub", "{SETTINGS_PARAMETER}'s Value is a !Sub");
    let text = t.value.as_str().expect("a !Sub of one string");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (name, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("{SETTINGS_PARAMETER}: not NAME=value: {line}"));
            let value = match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
                Some(target) => {
                    let tag = serde_yaml_ng::value::Tag::new("Ref");
                    Value::Tagged(Box::new(serde_yaml_ng::value::TaggedValue {
                        tag,
                        value: Value::String(target.to_owned()),
                    }))
                }
                None => Value::String(value.to_owned()),
            };
            (name.to_owned(), value)
        })
        .collect()
}

fn statement(root: &Value, function: &str, s: &Value) -> Statement {
    assert_eq!(s["Effect"], "Allow", "{function}: Allow statements only");
    let actions = s["Action"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{function}: Action is a list"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let resources = match &s["Resource"] {
        Value::Sequence(list) => list.iter().map(|r| resource(root, function, r)).collect(),
        one => vec![resource(root, function, one)],
    };
    Statement { actions, resources }
}

/// `!GetAtt X.Arn` → `Logical(X)`; `!Sub "…:parameter${P}"` →
/// `Parameter(P's default)`. Any other form fails the test that reads it:
/// teach this function the new form, so the policy test keeps checking it.
fn resource(root: &Value, function: &str, r: &Value) -> Resource {
    if let Value::Tagged(tagged) = r {
        let tag = tagged.tag.to_string();
        if let Some(identity) = ses_identity(root, &tag, &tagged.value) {
            return identity;
        }
        let text = tagged.value.as_str().unwrap_or_default();
        if let ("!GetAtt", Some(id)) = (tag.as_str(), text.strip_suffix(".Arn")) {
            return Resource::Logical(id.to_owned());
        }
        if let ("!Sub", Some((_, param))) = (tag.as_str(), text.split_once(":parameter${")) {
            let param = param.trim_end_matches('}');
            if param == SETTINGS_PARAMETER {
                return Resource::Parameter(settings_parameter_name(root));
            }
            let name = scalar(&root["Parameters"][param]["Default"])
                .unwrap_or_else(|| panic!("{function}: parameter {param} has no default"));
            return Resource::Parameter(name);
        }
    }
    panic!("{function}: a Resource the tests cannot resolve: {r:?}")
}

/// `!Sub "…:identity/${P}"` → `Identity(P's default)`; the list form
/// `!Sub ["…:identity/${Domain}", {Domain: !Select [1, !Split ["@", !Ref
/// P]]}]` → `Identity(the domain of P's default)`.
fn ses_identity(root: &Value, tag: &str, value: &Value) -> Option<Resource> {
    if tag != "!Sub" {
        return None;
    }
    let default = |p: &str| {
        scalar(&root["Parameters"][p]["Default"]).unwrap_or_else(|| panic!("{p} has a default"))
    };
    match value {
        Value::String(text) => {
            let (_, p) = text.split_once(":identity/${")?;
            Some(Resource::Identity(default(p.trim_end_matches('}'))))
        }
        Value::Sequence(list) => {
            let text = list.first()?.as_str()?;
            let (_, var) = text.split_once(":identity/${")?;
            let var = var.trim_end_matches('}');
            let text = serde_yaml_ng::to_string(&list.get(1)?[var]).ok()?;
            // `!Select [1, !Split ["@", !Ref P]]`, as written.
            let p = text
                .rsplit("!Ref")
                .next()?
                .trim()
                .trim_end_matches(']')
                .trim();
            let address = default(p);
            let (_, domain) = address.split_once('@')?;
            Some(Resource::Identity(domain.to_owned()))
        }
        _ => None,
    }
}

/// `!Ref X` → `X`.
pub fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(str::to_owned),
        _ => None,
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
