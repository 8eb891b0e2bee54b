//! `minsheng projections ...`: where the saved figures stand (read from the
//! store) and where a running process's projection stands (asked of it),
//! and a rebuild of a running process's projection (asked of it over gRPC,
//! with a progress bar on a terminal).

use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use minsheng_proto::kpis::v1 as pb;
use minsheng_runtime::auth::TokenKeys;
use tonic::transport::Channel;

/// How far apart the two readings of a live status are: its events per
/// second are counted over this.
const RATE_OVER: Duration = Duration::from_secs(1);

/// Prints where each projection's snapshot stands in `store_url`.
pub async fn status(store_url: &str) -> anyhow::Result<()> {
    let store = minsheng_runtime::store::open(store_url, 1)
        .await
        .with_context(|| format!("cannot open the store {}", crate::run::redact(store_url)))?;
    for line in minsheng_runtime::projection::status::saved(
        &minsheng_kpis::projection::SPEC,
        store.as_ref(),
    )
    .await?
    {
        println!("{line}");
    }
    Ok(())
}

/// The Projections client of the process at `endpoint`, and a token for
/// the `operator` role minted with the deployment key the caller can read.
async fn projections_client(
    endpoint: &str,
    keys: &TokenKeys,
    connect_within: Duration,
) -> anyhow::Result<(pb::projections_client::ProjectionsClient<Channel>, String)> {
    let token = keys.mint(
        "minsheng-cli",
        &["operator".to_owned()],
        Duration::from_secs(3600),
    )?;
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .with_context(|| format!("{endpoint} is not a gRPC endpoint URL"))?
        .connect_timeout(connect_within)
        .connect()
        .await
        .with_context(|| format!("cannot reach {endpoint}"))?;
    Ok((
        pb::projections_client::ProjectionsClient::new(channel),
        token,
    ))
}

/// Prints where the live projection of the process at `endpoint` stands,
/// with its events per second over [`RATE_OVER`]; says so in one line
/// when no process answers there (status is for looking, never fails).
pub async fn live_status(endpoint: &str, keys: &TokenKeys) {
    match live_readings(endpoint, keys).await {
        Ok(lines) => lines.iter().for_each(|line| println!("{line}")),
        Err(error) => println!("live: {error}"),
    }
}

async fn live_readings(endpoint: &str, keys: &TokenKeys) -> anyhow::Result<Vec<String>> {
    let (mut client, token) = projections_client(endpoint, keys, Duration::from_secs(2))
        .await
        .with_context(|| format!("no process answered at {endpoint}"))?;
    let mut read = async || -> anyhow::Result<pb::ProjectionStatus> {
        let mut request = tonic::Request::new(pb::StatusRequest {
            projection: "kpis".to_owned(),
        });
        minsheng_runtime::auth::attach_bearer(&mut request, &token)?;
        let answer = client
            .status(request)
            .await
            .map_err(|status| anyhow::anyhow!("{endpoint}: {}", status.message()))?;
        Ok(answer.into_inner())
    };
    let first = read().await?;
    let started = std::time::Instant::now();
    tokio::time::sleep(RATE_OVER).await;
    let second = read().await?;
    let seconds = started.elapsed().as_secs_f64();
    let mut lines = vec![format!(
        "live, the process at {endpoint} ({}; rebuilds since it started: {}):",
        if second.leading {
            "leads: it saves the snapshot"
        } else {
            "does not lead: another replica saves the snapshot"
        },
        second.rebuilds
    )];
    for now in &second.contexts {
        let before = first
            .contexts
            .iter()
            .find(|c| c.context == now.context)
            .map_or(now.events_counted, |c| c.events_counted);
        let rate = now.events_counted.saturating_sub(before) as f64 / seconds;
        lines.push(format!(
            "  {:<8} at {}, last event {}: lag {:.1} s, {rate:.0} events/s",
            now.context, now.position, now.head, now.lag_seconds
        ));
    }
    Ok(lines)
}

/// Asks the process at `endpoint` to rebuild `projection`, and follows it
/// to the swap.
pub async fn rebuild(endpoint: &str, keys: &TokenKeys, projection: &str) -> anyhow::Result<()> {
    let (mut client, token) = projections_client(endpoint, keys, Duration::from_secs(10)).await?;
    let mut request = tonic::Request::new(pb::RebuildRequest {
        projection: projection.to_owned(),
    });
    minsheng_runtime::auth::attach_bearer(&mut request, &token)?;
    let mut progress = client
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
            if message.others_asked {
                println!("the other replicas were asked to rebuild too; each does on its own");
            } else {
                println!(
                    "the other replicas could not be asked (the store refused the request): rebuild each of them"
                );
            }
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
