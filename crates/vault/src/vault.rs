//! The vault: seals a person's values with their data key (created on
//! first use), opens them while the key exists, forgets a person by
//! destroying it, and rewraps every key under a new master key. Unwrapped
//! keys are kept in a bounded cache (least recently used out first), so
//! the hot path seals without a store round trip.
//!
//! Forgetting evicts the key from this process's cache only: in a mesh,
//! every replica must hear of it. The Forget command records
//! `privacy.PersonForgotten`, which every process follows to
//! [`Vault::evict`] the person (`minsheng_runtime::personal_data`).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lru::LruCache;

use crate::crypto::{CryptoError, DataKey, MasterKey};
use crate::store::{KeyStore, StoreError, WrappedKey};
use minsheng_values::{Opened, Personal, Sealed};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("a data key is wrapped by master key {0}, which this process does not hold")]
    UnknownMaster(String),
    #[error("a sealed value is not base64")]
    Malformed,
}

/// Rewrapped keys per page of a rotation.
const ROTATION_PAGE: usize = 500;

#[derive(Debug)]
pub struct Vault {
    master: MasterKey,
    /// The master key before the last rotation, while keys wrapped by it
    /// may remain.
    previous: Option<MasterKey>,
    store: Arc<dyn KeyStore>,
    cache: Mutex<LruCache<String, DataKey>>,
}

impl Vault {
    pub fn new(master: MasterKey, store: Arc<dyn KeyStore>, cache: NonZeroUsize) -> Self {
        Vault {
            master,
            previous: None,
            store,
            cache: Mutex::new(LruCache::new(cache)),
        }
    }

    /// The same, also reading keys still wrapped by `previous`.
    pub fn with_previous(mut self, previous: MasterKey) -> Self {
        self.previous = Some(previous);
        self
    }

    fn cached(&self, person: &str) -> Option<DataKey> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(person)
            .cloned()
    }

    fn remember(&self, person: &str, key: DataKey) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(person.to_owned(), key);
    }

    fn unwrap_key(&self, person: &str, kept: &WrappedKey) -> Result<DataKey, VaultError> {
        let master = [Some(&self.master), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|m| m.id() == kept.master)
            .ok_or_else(|| VaultError::UnknownMaster(kept.master.clone()))?;
        Ok(master.unwrap_key(person, &kept.wrapped)?)
    }

    /// `person`'s data key, if they have one (not yet, or forgotten).
    async fn key(&self, person: &str) -> Result<Option<DataKey>, VaultError> {
        if let Some(key) = self.cached(person) {
            return Ok(Some(key));
        }
        let Some(kept) = self.store.get(person).await? else {
            return Ok(None);
        };
        let key = self.unwrap_key(person, &kept)?;
        self.remember(person, key.clone());
        Ok(Some(key))
    }

    /// Whether `person` has a data key (never sealed for, or forgotten:
    /// not).
    pub async fn has_key(&self, person: &str) -> Result<bool, VaultError> {
        Ok(self.cached(person).is_some() || self.store.get(person).await?.is_some())
    }

    /// `value` sealed for `person` (their data key made on first use).
    pub async fn seal(&self, person: &str, value: &str) -> Result<Sealed, VaultError> {
        // Not cached: offer a new key straight away rather than ask first
        // (one store round trip, not two; the store keeps the first key
        // of a person and returns it, so an existing key wins).
        let key = match self.cached(person) {
            Some(key) => key,
            None => {
                let (fresh, wrapped) = self.master.new_data_key(person)?;
                let offered = WrappedKey {
                    master: self.master.id().to_owned(),
                    wrapped,
                };
                // Another replica may have made one at the same time: the
                // key kept is the one to use.
                let kept = self.store.insert_if_absent(person, offered.clone()).await?;
                let key = if kept == offered {
                    fresh
                } else {
                    self.unwrap_key(person, &kept)?
                };
                self.remember(person, key.clone());
                key
            }
        };
        Ok(Sealed {
            person: person.to_owned(),
            key: key.id(),
            sealed: STANDARD.encode(key.seal(person, value.as_bytes())?),
        })
    }

    /// What `sealed` holds, or that its person was forgotten.
    pub async fn open(&self, sealed: &Sealed) -> Result<Opened, VaultError> {
        let Some(key) = self.key(&sealed.person).await? else {
            return Ok(Opened::Forgotten);
        };
        if key.id() != sealed.key {
            // Sealed with a key since destroyed: the person was forgotten
            // and has sealed new values since.
            return Ok(Opened::Forgotten);
        }
        let bytes = STANDARD
            .decode(&sealed.sealed)
            .map_err(|_| VaultError::Malformed)?;
        let plain = key.open(&sealed.person, &bytes)?;
        Ok(Opened::Value(
            String::from_utf8(plain).map_err(|_| VaultError::Malformed)?,
        ))
    }

    /// `value` of `person`, as an event holds it.
    pub async fn seal_personal<T>(
        &self,
        person: &str,
        value: &str,
    ) -> Result<Personal<T>, VaultError> {
        Ok(Personal::Sealed(self.seal(person, value).await?))
    }

    /// What a personal field holds: opened if sealed, as stored if the
    /// event predates sealing, or that its person was forgotten.
    pub async fn open_personal<T: AsRef<str>>(
        &self,
        field: &Personal<T>,
    ) -> Result<Opened, VaultError> {
        match field {
            Personal::Sealed(sealed) => self.open(sealed).await,
            Personal::Clear(value) => Ok(Opened::Value(value.as_ref().to_owned())),
        }
    }

    /// Drops `person`'s unwrapped key from this process's cache (another
    /// process forgot them: the next open finds no key in the store).
    pub fn evict(&self, person: &str) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop(person);
    }

    /// Destroys `person`'s data key: every value sealed for them can no
    /// longer be opened, anywhere. Whether they had one.
    pub async fn forget(&self, person: &str) -> Result<bool, VaultError> {
        self.evict(person);
        Ok(self.store.delete(person).await?)
    }

    /// Rewraps every data key not yet wrapped by this vault's master key
    /// (one wrapped by the previous master, given with
    /// [`Vault::with_previous`]); `progress` hears the running count.
    /// Online: sealing and opening go on meanwhile. Returns how many keys
    /// were rewrapped.
    pub async fn rotate(&self, progress: &mut (dyn FnMut(u64) + Send)) -> Result<u64, VaultError> {
        let mut after = String::new();
        let mut rewrapped = 0;
        loop {
            let page = self
                .store
                .wrapped_by_other_than(self.master.id(), &after, ROTATION_PAGE)
                .await?;
            let Some((last, _)) = page.last() else {
                return Ok(rewrapped);
            };
            after = last.clone();
            for (person, kept) in page {
                let key = self.unwrap_key(&person, &kept)?;
                let fresh = WrappedKey {
                    master: self.master.id().to_owned(),
                    wrapped: self.master.wrap(&person, &key)?,
                };
                if self.store.rewrap(&person, &kept.master, fresh).await? {
                    rewrapped += 1;
                }
            }
            progress(rewrapped);
        }
    }
}
