//! What an event holds in place of a personal value: whose value it is
//! (the person key, a pseudonym, in clear so that the value can be
//! forgotten with its person) and the value sealed with that person's data
//! key, base64, with the id of that key. Serialised as
//! `{"person": "...", "key": "...", "sealed": "..."}`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub person: String,
    /// [`crate::crypto::DataKey::id`] of the key that sealed it.
    pub key: String,
    pub sealed: String,
}

/// A sealed value, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    Value(String),
    /// The person was forgotten: their data key is gone, and with it every
    /// way back to the value.
    Forgotten,
}
