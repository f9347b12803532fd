//! Webhooks below the services: Standard Webhooks signing and where a webhook may go.
//! The endpoints, their deliveries and their rules are `services::webhooks`.

pub mod guard;
pub mod signature;
