//! Integration tests: one binary, so CI links once.

mod harness;
mod schema;
mod validate;
