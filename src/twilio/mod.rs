//! The Twilio shell: credentials found as twilio-cli finds them, and the REST API of Link
//! Shortening domains and Monitor alerts. It fetches and sends; it judges nothing.
//!
//! - `credentials`: where the account and its secret come from; `hosts`: where requests go;
//!   `client`: requests with auth, timeouts and retries; `resources`: what the API returns.

pub mod client;
pub mod credentials;
pub mod hosts;
pub mod resources;
