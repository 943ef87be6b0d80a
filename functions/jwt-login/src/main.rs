//! The `jwt-login` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&jwt_login::VIEW, jwt_login::handler)
}
