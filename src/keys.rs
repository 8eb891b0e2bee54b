//! `minsheng keys rotate-master`: every person's data key rewrapped under a
//! new master key, online (sealing and opening go on meanwhile), with a
//! count on a terminal; the old master key is no longer needed once it
//! says so.

use std::path::Path;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use minsheng_runtime::personal_data::{key_store, load_master};
use minsheng_vault::Vault;

pub async fn rotate_master(
    store_url: &str,
    replicas: usize,
    old: &Path,
    new: &Path,
) -> anyhow::Result<()> {
    let (old, new) = (load_master(old)?, load_master(new)?);
    anyhow::ensure!(
        old.id() != new.id(),
        "the new master key is the old one: nothing to rotate"
    );
    let store = key_store(store_url, replicas)
        .await
        .with_context(|| format!("cannot reach {}", crate::run::redact(store_url)))?;
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
