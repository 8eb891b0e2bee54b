//! `minsheng projections ...`: where the saved figures stand (read from the
//! store), and a rebuild of a running process's projection (asked of it
//! over gRPC, with a progress bar on a terminal).

use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use minsheng_proto::metrics::v1 as pb;
use minsheng_runtime::auth::TokenKeys;

/// Prints where each projection's snapshot stands in `store_url`.
pub async fn status(store_url: &str) -> anyhow::Result<()> {
    let store = minsheng_runtime::store::open(store_url, 1)
        .await
        .with_context(|| format!("cannot open the store {}", crate::run::redact(store_url)))?;
    for line in minsheng_metrics::projection::status(store.as_ref()).await? {
        println!("{line}");
    }
    Ok(())
}

/// Asks the process at `endpoint` to rebuild `projection`, and follows it
/// to the swap.
pub async fn rebuild(endpoint: &str, keys: &TokenKeys, projection: &str) -> anyhow::Result<()> {
    // The rebuild's own token, for the operator role, minted with the
    // deployment key the caller can read.
    let token = keys.mint(
        "minsheng-cli",
        &["operator".to_owned()],
        Duration::from_secs(3600),
    )?;
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .with_context(|| format!("{endpoint} is not a gRPC endpoint URL"))?
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .with_context(|| format!("cannot reach {endpoint}"))?;
    let mut request = tonic::Request::new(pb::RebuildRequest {
        projection: projection.to_owned(),
    });
    minsheng_runtime::auth::attach_bearer(&mut request, &token)?;
    let mut progress = pb::projections_client::ProjectionsClient::new(channel)
        .rebuild(request)
        .await
        .map_err(|status| anyhow::anyhow!("{}: {}", endpoint, status.message()))?
        .into_inner();

    // A bar on a terminal; nothing but the closing line otherwise.
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:>8} [{bar:40}] {percent:>3}% · {prefix} events · {elapsed}",
        )?
        .progress_chars("=> "),
    );
    while let Some(message) = progress.next().await {
        let message = message.map_err(|status| anyhow::anyhow!("{}", status.message()))?;
        if message.swapped {
            bar.finish_and_clear();
            println!(
                "rebuilt {projection}: {} events replayed in {:.2} s ({:.0} events/s), swapped in",
                message.replayed,
                message.seconds,
                message.replayed as f64 / message.seconds.max(1e-9)
            );
            return Ok(());
        }
        if bar.message() != message.context {
            bar.set_message(message.context.clone());
        }
        bar.set_length(message.head.max(1));
        bar.set_position(message.position.min(message.head));
        bar.set_prefix(message.replayed.to_string());
    }
    bar.abandon();
    anyhow::bail!("the process stopped before the rebuild was swapped in (it may be shutting down)")
}
