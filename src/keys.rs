//! `minsheng keys rotate-master`: every person's data key rewrapped under a
//! new master key, online (sealing and opening go on meanwhile), with a
//! count on a terminal; the old master key is no longer needed once it
//! says so.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use minsheng_vault::{KeyStore, MasterKey, NatsKeys, SqliteKeys, Vault};

/// A master key file: 32 bytes as hex, its owner's only.
fn master_key(path: &Path) -> anyhow::Result<MasterKey> {
    let bytes = minsheng_runtime::secret::load(path, "master key")?;
    MasterKey::from_bytes(&bytes[..minsheng_vault::crypto::KEY_BYTES])
        .with_context(|| format!("the master key file {}", path.display()))
}

/// The key store beside the events at `store_url`.
async fn key_store(store_url: &str, replicas: usize) -> anyhow::Result<Arc<dyn KeyStore>> {
    if let Some(path) = store_url.strip_prefix("sqlite://") {
        return Ok(Arc::new(SqliteKeys::open(path)?));
    }
    if store_url.starts_with("nats://") {
        let client = minsheng_eventstore::jetstream::connect_client(store_url)
            .await
            .with_context(|| format!("cannot reach {}", crate::run::redact(store_url)))?;
        return Ok(Arc::new(NatsKeys::open(client, replicas).await?));
    }
    anyhow::bail!("sqlite://<path> or nats://<host>:<port> expected")
}

pub async fn rotate_master(
    store_url: &str,
    replicas: usize,
    old: &Path,
    new: &Path,
) -> anyhow::Result<()> {
    let (old, new) = (master_key(old)?, master_key(new)?);
    anyhow::ensure!(
        old.id() != new.id(),
        "the new master key is the old one: nothing to rotate"
    );
    let store = key_store(store_url, replicas).await?;
    let vault = Vault::new(new, store, std::num::NonZeroUsize::MIN).with_previous(old);
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {pos} data keys rewrapped · {elapsed}",
    )?);
    let rewrapped = vault.rotate(&mut |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    println!(
        "{rewrapped} data keys rewrapped under the new master key; the old one is no longer needed"
    );
    Ok(())
}
