//! The keys and what is done with them, with no storage and no clock: a
//! master key wraps data keys, a data key seals a person's values. Every
//! ciphertext is bound (as AES-GCM's associated data) to the person key it
//! belongs to, so a sealed value moved into another person's event does
//! not open.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

/// Bytes in a key (AES-256).
pub const KEY_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("a key must be {KEY_BYTES} bytes")]
    KeyLength,
    #[error("no randomness: {0}")]
    Random(String),
    /// Wrong key, wrong person, or altered bytes: AES-GCM cannot tell which.
    #[error("the ciphertext does not open with this key for this person")]
    DoesNotOpen,
}

fn cipher(key: &[u8]) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::KeyLength)
}

/// `nonce || ciphertext || tag` of `plain` under `key`, bound to `aad`.
fn seal(key: &[u8], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| CryptoError::Random(e.to_string()))?;
    let mut sealed = plain.to_vec();
    cipher(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut sealed,
        )
        .map_err(|_| CryptoError::DoesNotOpen)?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(out)
}

/// The plain bytes of what [`seal`] made, if `key` and `aad` are the same.
fn open(key: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN {
        return Err(CryptoError::DoesNotOpen);
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::DoesNotOpen)?;
    let mut buffer = rest.to_vec();
    let plain = cipher(key)?
        .open_in_place(nonce, Aad::from(aad), &mut buffer)
        .map_err(|_| CryptoError::DoesNotOpen)?;
    Ok(plain.to_vec())
}

/// The deployment's master key: it wraps every data key and is never
/// stored beside them (a key file, a Kubernetes Secret).
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; KEY_BYTES],
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| CryptoError::KeyLength)?;
        let digest = Sha256::digest(key);
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Ok(MasterKey { key, id })
    }

    /// Names this master key (a hash of it): what a wrapped data key
    /// records, so that rotation knows which keys are still to rewrap.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A new data key for `person`, and the same wrapped by this master key.
    pub fn new_data_key(&self, person: &str) -> Result<(DataKey, Vec<u8>), CryptoError> {
        let mut key = [0u8; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| CryptoError::Random(e.to_string()))?;
        let wrapped = seal(&self.key, person.as_bytes(), &key)?;
        Ok((DataKey { key }, wrapped))
    }

    /// The data key `wrapped` holds for `person`.
    pub fn unwrap_key(&self, person: &str, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let plain = open(&self.key, person.as_bytes(), wrapped)?;
        let key = plain.try_into().map_err(|_| CryptoError::DoesNotOpen)?;
        Ok(DataKey { key })
    }

    /// `key` wrapped by this master key (rotation).
    pub fn wrap(&self, person: &str, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
        seal(&self.key, person.as_bytes(), &key.key)
    }
}

/// One person's data key.
#[derive(Clone)]
pub struct DataKey {
    key: [u8; KEY_BYTES],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// Names this key (a hash of it, which tells nothing of it): a sealed
    /// value records it, so that after a person was forgotten and given a
    /// new key, their old values read as forgotten, not as tampered with.
    pub fn id(&self) -> String {
        Sha256::digest(self.key)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `plain` sealed for `person`.
    pub fn seal(&self, person: &str, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal(&self.key, person.as_bytes(), plain)
    }

    /// What [`DataKey::seal`] sealed for `person`.
    pub fn open(&self, person: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open(&self.key, person.as_bytes(), sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master(byte: u8) -> MasterKey {
        MasterKey::from_bytes(&[byte; KEY_BYTES]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_value_opens_only_with_its_persons_key_and_for_that_person() {
        let deployment = master(7);
        let (key, wrapped) = deployment
            .new_data_key("p1")
            .unwrap_or_else(|e| panic!("{e}"));
        let sealed = key
            .seal("p1", b"13812345678")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!sealed.windows(11).any(|w| w == b"13812345678"));
        let again = deployment
            .unwrap_key("p1", &wrapped)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again.open("p1", &sealed).ok().as_deref(),
            Some(&b"13812345678"[..])
        );
        assert_eq!(key.open("p2", &sealed), Err(CryptoError::DoesNotOpen));
        assert_eq!(
            deployment.unwrap_key("p2", &wrapped).map(drop),
            Err(CryptoError::DoesNotOpen),
            "a wrapped key is bound to its person"
        );
        assert_eq!(
            master(8).unwrap_key("p1", &wrapped).map(drop),
            Err(CryptoError::DoesNotOpen)
        );
        let (other, _) = deployment
            .new_data_key("p1")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(other.open("p1", &sealed), Err(CryptoError::DoesNotOpen));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(key.open("p1", &altered), Err(CryptoError::DoesNotOpen));
        assert_ne!(
            key.seal("p1", b"x").ok(),
            key.seal("p1", b"x").ok(),
            "a fresh nonce each time"
        );
    }
}
