//! Each function as `sam deploy` ships it: its environment from
//! `template.yaml`, its signing key from the SSM SecureString the template
//! names and its settings from the parameter the template writes, read at
//! its cold start under its own IAM policy (moto enforces the action;
//! `iam::check` the parameters).

use integration_tests::auth::runtime::{self, SettingsSource};
use integration_tests::auth::settings::MailSettings;
use integration_tests::iam::as_function;
use integration_tests::template::template;
use integration_tests::{fresh_store, moto_config, moto_endpoint, test_key};

#[tokio::test]
async fn every_function_starts_from_its_template_environment_and_the_key_in_ssm() {
    let config = moto_config(&moto_endpoint()).await;
    let ssm = aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(&config)
            .interceptor(integration_tests::Calls::default())
            .build(),
    );
    let parameter = template()
        .parameter_default("SigningKeyParameterName")
        .expect("SigningKeyParameterName has a default");
    // The operator's step 1 (README, "Deploying to AWS"), as the admin.
    ssm.put_parameter()
        .name(&parameter)
        .value(test_key())
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .expect("PutParameter as the admin");
    let store = fresh_store().await;
    // CloudFormation's step: the settings parameter (SettingsParameter).
    let settings = template().functions[0].deployed_settings(store.tables());
    ssm.put_parameter()
        .name(template().settings_parameter_name())
        .value(&settings)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .expect("PutParameter as the admin");
    for function in &template().functions {
        let env = function.deployed_environment(store.tables());
        assert_eq!(env.get("SIGNING_KEY_PARAMETER"), Some(&parameter));
        assert_eq!(
            env.get("SETTINGS_PARAMETER"),
            Some(&template().settings_parameter_name())
        );
        assert_eq!(function.deployed_settings(store.tables()), settings);
        assert!(!env.contains_key("USERS_TABLE"), "the tables come from SSM");
        assert!(!env.contains_key("SIGNING_KEY") && !env.contains_key("SIGNING_KEYS"));
        // The test algorithm, as the operator deploys it with its key.
        let algorithm = integration_tests::test_algorithm().name();
        let lookup = |name: &str| match name {
            "ALGORITHM" => Some(algorithm.to_owned()),
            _ => env.get(name).cloned(),
        };
        let name: &'static str = function.binary.clone().leak();
        if name == "mailer" {
            // No endpoint and no key: its settings only
            // (`runtime::init_worker`).
            let source = as_function(name, SettingsSource::read(&ssm, &lookup, false))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", function.logical_id));
            let mail = MailSettings::from_lookup(&|n| source.get(n)).unwrap();
            let from = template().parameter_default("DefaultFromEmail").unwrap();
            assert_eq!(mail.default_from_email, from);
            continue;
        }
        let app = as_function(name, runtime::start(store.client().clone(), &ssm, lookup))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", function.logical_id));
        // The key from SSM: the same key id (a thumbprint; no key in the
        // test's output).
        assert_eq!(
            app.tokens.jwt().current_kid(),
            integration_tests::test_backend().current_kid(),
            "{}: the key from SSM",
            function.logical_id
        );
        // The settings from SSM (the environment names no table).
        assert_eq!(
            &app.settings.tables,
            store.tables(),
            "{}",
            function.logical_id
        );
    }
}
