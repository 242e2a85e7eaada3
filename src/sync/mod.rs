//! Directory-driven desired state: people read from a directory source (an HR export, LDAP or
//! Active Directory, a SCIM export), to be mapped by rules into the YAML that `plan` reads.
//! The directory is one more author of commits: nothing here runs during `plan` or `apply`.

pub mod config;
pub mod csv;
pub mod ldap;
pub mod rules;
pub mod scim;
pub mod source;
pub mod write;

pub use source::{Person, Source, SourceError};
