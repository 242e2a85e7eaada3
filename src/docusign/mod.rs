//! The DocuSign eSignature REST API v2.1 client: authentication, account discovery, paced
//! and retried calls, and the live snapshot. Wire types (DocuSign's camelCase JSON with numbers
//! as strings) live here and nowhere else; the rest of the code speaks `model`.

pub mod auth;
mod error;
pub mod secret;

pub use error::ClientError;
pub use secret::Secret;
