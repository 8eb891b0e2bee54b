//! Keys for people: a person is known to the mesh by an HMAC-SHA256 of their
//! resident ID under a deployment secret, never by the number itself, so
//! stream names, read models and logs can name a person without holding
//! personal data. Every replica and every context shares the secret (the
//! same person gets the same key in vehicle-iot and in fraud); losing it
//! means no new event can be linked to an old one.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::{self, KeyError};

#[derive(Clone)]
pub struct PersonKeys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for PersonKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonKeys(..)")
    }
}

impl PersonKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        PersonKeys {
            secret: secret.to_vec(),
        }
    }

    pub fn load(path: &Path) -> Result<Self, KeyError> {
        Ok(Self::from_secret(&secret::load(path, "person key")?))
    }

    /// Creates the key file on first use. Returns whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        let (key, created) = secret::load_or_create(path, "person key")?;
        Ok((Self::from_secret(&key), created))
    }

    /// The key of the person with this (already validated) resident ID:
    /// 32 hex digits (128 bits of the MAC: collisions need 2^64 people).
    pub fn key_of(&self, resident_id: &str) -> String {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(resident_id.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// What the mesh keeps of a client's request id (`x-request-id`): a
    /// keyed hash, 32 hex digits, never the id as sent (a client may use
    /// anything as an id, a resident ID included). The same id gives the
    /// same hash on every replica, so a retry is still recognised; the
    /// input is labelled, so no request id hashes to a person's key.
    pub fn request_key(&self, request_id: &str) -> String {
        let mut labelled = String::with_capacity(request_id.len() + 11);
        labelled.push_str("request-id\0");
        labelled.push_str(request_id);
        self.key_of(&labelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_person_one_key_per_deployment_and_no_trace_of_the_number() {
        let keys = PersonKeys::from_secret(b"a deployment secret of 32 bytes!");
        let key = keys.key_of("11010519491231002X");
        assert_eq!(key, keys.key_of("11010519491231002X"));
        assert_eq!(key.len(), 32);
        assert!(!key.contains("110105"));
        assert_ne!(key, keys.key_of("110105194912310029"));
        let other = PersonKeys::from_secret(b"another deployment's secret.....");
        assert_ne!(key, other.key_of("11010519491231002X"));
        let request = keys.request_key("11010519491231002X");
        assert_eq!(request, keys.request_key("11010519491231002X"));
        assert_ne!(request, key, "a request id never hashes to a person's key");
        assert_eq!(request.len(), 32);
    }
}
