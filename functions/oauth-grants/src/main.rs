//! The `oauth-grants` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&oauth_grants::VIEW, oauth_grants::handler)
}
