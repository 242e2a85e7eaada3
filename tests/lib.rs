//! Integration tests: one binary, so CI links once.

mod harness;
mod properties;
mod schema;
mod validate;
