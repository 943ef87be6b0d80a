//! The `mailer` Lambda: the mail queue's consumer.
use auth::lambda_http::{Error, LambdaEvent, lambda_runtime, service_fn};
use auth::settings::{AccountSettings, MailSettings, Tables};
use auth::store::DynamoStore;

fn main() -> Result<(), Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let (config, source) = auth::runtime::init_worker().await?;
            let settings = MailSettings::from_lookup(&|name| source.get(name))?;
            let accounts = AccountSettings::from_lookup(&|name| source.get(name))?;
            let tables = Tables::from_lookup(&|name| source.get(name))?;
            let store = DynamoStore::new(auth::aws_sdk_dynamodb::Client::new(&config), tables);
            let mailer = mailer::Mailer::new(aws_sdk_sesv2::Client::new(&config), settings)
                .with_accounts(store, accounts);
            let mailer = &mailer;
            lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
                Ok::<_, Error>(mailer::handler(mailer, event.payload).await)
            }))
            .await
        })
}
