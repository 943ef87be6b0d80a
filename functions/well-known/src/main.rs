//! The `well-known` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&well_known::VIEW, well_known::handler)
}
