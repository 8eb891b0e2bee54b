//! The process's vault (`minsheng-vault`): the deployment's master key,
//! read from its key file (a Kubernetes Secret mounted as a file in the
//! mesh), and the data keys kept beside the events the store URL names: a
//! SQLite file beside the embedded store's ([`sqlite_keys_file`]), or the
//! `MS_PERSON_KEYS` key-value bucket on JetStream.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use minsheng_eventstore::StoreError;
use minsheng_vault::{KeyStore, MasterKey, NatsKeys, SqliteKeys, Vault, VaultError};
use tonic::Status;

use crate::secret::{self, KeyError};
use crate::store::Beside;

/// Unwrapped data keys kept in memory: enough for every person a busy
/// hour touches, a few MiB.
pub const CACHED_KEYS: NonZeroUsize = NonZeroUsize::new(65_536).expect("not zero");

const WHAT: &str = "master key";

fn master(bytes: &[u8], path: &Path) -> Result<MasterKey, KeyError> {
    MasterKey::from_bytes(&bytes[..minsheng_vault::crypto::KEY_BYTES]).map_err(|_| {
        KeyError::Malformed {
            what: WHAT,
            path: path.display().to_string(),
        }
    })
}

/// The master key in `path` (32 bytes as hex, its owner's only).
pub fn load_master(path: &Path) -> Result<MasterKey, KeyError> {
    master(&secret::load(path, WHAT)?, path)
}

/// The same, first creating it if there is none (`up`, `keys init`).
/// Returns whether it was created.
pub fn load_or_create_master(path: &Path) -> Result<(MasterKey, bool), KeyError> {
    let (bytes, created) = secret::load_or_create(path, WHAT)?;
    Ok((master(&bytes, path)?, created))
}

/// The file the data keys of the embedded store at `events` are kept in:
/// beside it, `events.db` → `events.keys.db` (a backup of the one is
/// taken with the other).
pub fn sqlite_keys_file(events: &Path) -> std::path::PathBuf {
    events.with_extension("keys.db")
}

/// The data-key store beside the events at `store_url`.
pub async fn key_store(store_url: &str, replicas: usize) -> Result<Arc<dyn KeyStore>, StoreError> {
    let failed = |e: minsheng_vault::StoreError| StoreError::Unavailable(e.to_string());
    Ok(match crate::store::beside(store_url).await? {
        Beside::Sqlite(events) => {
            Arc::new(SqliteKeys::open(sqlite_keys_file(&events)).map_err(failed)?)
        }
        Beside::Nats(client) => Arc::new(NatsKeys::open(client, replicas).await.map_err(failed)?),
    })
}

/// The vault of a process on the store at `store_url`: new data keys are
/// wrapped by `master`; keys still wrapped by `previous` (during a
/// rotation) open too.
pub async fn open(
    store_url: &str,
    replicas: usize,
    master: MasterKey,
    previous: Option<MasterKey>,
) -> Result<Arc<Vault>, StoreError> {
    let keys = key_store(store_url, replicas).await?;
    let vault = Vault::new(master, keys, CACHED_KEYS);
    Ok(Arc::new(match previous {
        Some(previous) => vault.with_previous(previous),
        None => vault,
    }))
}

/// A vault whose keys live in this process's memory only, under a master
/// key made for it: for tests and load runs whose events do not outlive
/// the process (a value it sealed cannot be opened by any other).
pub fn ephemeral() -> Arc<Vault> {
    let mut bytes = [0u8; minsheng_vault::crypto::KEY_BYTES];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    let master = MasterKey::from_bytes(&bytes).expect("32 bytes");
    let keys = SqliteKeys::open(":memory:").expect("an in-memory database opens");
    Arc::new(Vault::new(master, Arc::new(keys), CACHED_KEYS))
}

/// The subscriber every process runs: on `privacy.PersonForgotten`, the
/// person's unwrapped key leaves this process's cache, so that a person
/// forgotten through another replica reads as forgotten here too. Every
/// start follows the privacy context from its beginning (it is small, and
/// the cache starts empty).
pub fn forgotten_follower(vault: Arc<Vault>) -> impl crate::subscription::Subscriber {
    use minsheng_contracts::Published as _;
    use minsheng_contracts::privacy::PersonForgotten;
    let privacy = minsheng_eventstore::Context::parse(PersonForgotten::CONTEXT)
        .expect("a valid context name");
    crate::subscription::FromTheStart::new("vault-forgotten", privacy, move |event| {
        if event.event_type == PersonForgotten::EVENT_TYPE {
            let forgotten: PersonForgotten =
                minsheng_contracts::decode(event.payload.get(), event.schema_version)?;
            vault.evict(forgotten.person.as_str());
        }
        Ok(())
    })
}

/// The one mapping of a vault failure to a status: the key store out of
/// reach is UNAVAILABLE (retry later); a stored value that no longer
/// authenticates, or a key wrapped by a master this process lacks, is
/// DATA_LOSS. Neither says anything of the value.
pub fn status(error: &VaultError) -> Status {
    match error {
        VaultError::Store(e) => Status::unavailable(format!("the personal-data key store: {e}")),
        VaultError::UnknownMaster(_) => Status::data_loss(
            "a person's data key is wrapped by a master key this process does not hold",
        ),
        VaultError::Crypto(_) | VaultError::Malformed => {
            Status::data_loss("a sealed personal value does not open with its key")
        }
    }
}
