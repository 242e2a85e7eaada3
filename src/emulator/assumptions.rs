//! Every place where DocuSign's behaviour is unconfirmed (`[unconf]` in API-NOTES.md) and the
//! emulator had to choose. The rule: take the stricter reading, the one a client is more
//! likely to get wrong, and offer a switch in [`super::Config`] where a client must cope with
//! either.
//!
//! (The list is filled in as each behaviour is implemented.)
