//! The `password-change` Lambda: build the state once per cold start, then serve.

use auth::lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = auth::runtime::init().await?;
    let app = &app;
    run(service_fn(move |req| async move {
        Ok::<_, Error>(password_change::handler(app, req).await)
    }))
    .await
}
