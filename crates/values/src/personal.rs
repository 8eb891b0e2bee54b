//! A personal value as an event holds it: sealed with its person's data
//! key (see `minsheng-vault`), so that forgetting the person (destroying
//! the key) makes every stored copy unreadable while the event, its
//! history and every figure drawn from it remain.
//!
//! Events recorded before sealing hold the value in clear; they are read
//! as stored ([`Personal::Clear`]) and never rewritten.

use serde::{Deserialize, Serialize};

/// A value sealed for a person: whose it is (the person key, a pseudonym,
/// in clear so that the value can be forgotten with its person), the id of
/// the data key that sealed it, and the ciphertext (AES-256-GCM, base64).
/// Serialised as `{"person": "...", "key": "...", "sealed": "..."}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub person: String,
    pub key: String,
    pub sealed: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(..)")
    }
}

/// A personal field of an event: sealed when written by this build; in
/// clear in events written before sealing (a JSON string), read as such.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Personal<T> {
    Sealed(Sealed),
    Clear(T),
}

impl<T> std::fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Personal::Sealed(_) => "Personal(sealed)",
            Personal::Clear(_) => "Personal(clear)",
        })
    }
}

/// A personal field read back.
#[derive(Clone, PartialEq, Eq)]
pub enum Opened {
    Value(String),
    /// The person was forgotten: their data key is gone, and with it every
    /// way back to the value.
    Forgotten,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Opened::Value(_) => "Opened::Value(..)",
            Opened::Forgotten => "Opened::Forgotten",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Phone;

    #[test]
    fn a_phone_recorded_before_sealing_reads_as_clear_and_a_sealed_one_as_sealed() {
        let clear: Personal<Phone> = serde_json::from_str(r#""13812345678""#).unwrap();
        assert!(matches!(clear, Personal::Clear(p) if p.as_str() == "13812345678"));
        let sealed: Personal<Phone> =
            serde_json::from_str(r#"{"person":"p1","key":"k1","sealed":"AAAA"}"#).unwrap();
        assert!(matches!(sealed, Personal::Sealed(s) if s.person == "p1"));
        assert!(serde_json::from_str::<Personal<Phone>>(r#"{"person":"p1"}"#).is_err());
    }

    #[test]
    fn debug_never_shows_a_value() {
        let phone = Personal::Clear(Phone::parse("phone", "13812345678").unwrap());
        assert!(!format!("{phone:?}").contains("1381"));
        assert!(!format!("{:?}", Opened::Value("13812345678".into())).contains("1381"));
    }
}
