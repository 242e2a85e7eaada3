//! The DocuSign eSignature REST API v2.1 client: authentication, account discovery, paced
//! and retried calls, and the live snapshot. Wire types (DocuSign's camelCase JSON with numbers
//! as strings) live here and nowhere else; the rest of the code speaks `model`.

pub mod auth;
mod client;
pub mod connect;
pub mod discovery;
mod error;
pub mod http;
pub mod pacing;
mod paging;
pub mod redact;
pub mod secret;
pub mod snapshot;
mod token_endpoint;
pub mod token_file;
pub mod usage;
mod wire;
pub mod writes;

pub use client::{Answer, Client, ClientSettings, Exchange, Pacing, Retry};
pub use error::ClientError;
pub use secret::Secret;
