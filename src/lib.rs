//! docusign-gitops: a DocuSign eSignature account's access, managed as YAML in git.

pub mod apply;
pub mod cli;
pub mod confined;
pub mod desired;
pub mod docusign;
pub mod drift;
pub mod email;
pub mod emulator;
pub mod excerpt;
pub mod import;
pub mod markdown;
pub mod model;
pub mod plan;
pub mod probe;
pub mod reclaim;
pub mod seats;
pub mod state;
pub mod sync;
pub mod words;
