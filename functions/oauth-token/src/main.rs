//! The `oauth-token` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&oauth_token::VIEW, oauth_token::handler)
}
