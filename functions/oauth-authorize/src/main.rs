//! The `oauth-authorize` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&oauth_authorize::VIEW, oauth_authorize::handler)
}
