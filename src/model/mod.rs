//! The normalized account snapshot that desired, live and recorded state all become, and the
//! DocuSign facts every side shares (built-in objects, profile setting names).

mod account;
pub mod admin;
pub mod builtin;
pub mod controls;
pub mod named;
mod profile_route;
pub mod profile_settings;
pub mod usage;

pub use account::{
    Account, EmailKey, Group, NameKey, PermissionProfile, SigningGroup, SigningGroupMember, User,
    UserStatus, full_name,
};
pub use builtin::{BuiltinGroup, BuiltinProfile};
pub use profile_route::ProfileRoute;
