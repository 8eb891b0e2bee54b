//! What recording reads costs: `GetEbike` over gRPC on the embedded store,
//! every read recorded in the read audit's file beside the store
//! (`events.audit.db`, durable before the answer), against the same
//! process whose audit records nothing (a log for this baseline only).
//! Rounds alternate (not recorded, recorded, ...), each on a fresh store
//! holding the same bikes; the best of each is kept, with the latency of
//! each call.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use minsheng_proto::vehicle::v1 as pb;
use minsheng_runtime::target::Target;
use minsheng_vehicle_iot::VehicleIotTarget;
use minsheng_vehicle_iot::domain::values::TagId;
use tonic::transport::Channel;

use crate::latency::Millis;
use crate::mesh;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Bikes registered before the reads (each read is of one of them).
    #[arg(long, default_value_t = 1_000)]
    bikes: u64,
    /// Reads per round.
    #[arg(long, default_value_t = 20_000)]
    reads: u64,
    /// Calls in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
    /// Rounds of each.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Also write the figures here, as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn tag(n: u64) -> String {
    TagId::from_u128(0xE200_0017_6200_0000_0000_0000 + u128::from(n)).to_string()
}

/// One round: reads per second and each read's latency.
async fn round(options: &Options, recorded: bool) -> anyhow::Result<(f64, Millis)> {
    let dir = tempfile::tempdir()?;
    let events = dir.path().join("events.db");
    let url = format!("sqlite://{}", events.display());
    let audit: Arc<dyn minsheng_audit::AuditLog> = if recorded {
        Arc::new(minsheng_audit::SqliteAudit::open(
            minsheng_runtime::read_audit::sqlite_file(&events),
        )?)
    } else {
        Arc::new(minsheng_audit::NotRecorded)
    };
    let targets: Vec<Arc<dyn Target>> = vec![Arc::new(VehicleIotTarget::default())];
    let mesh = mesh::start_audited(&url, &targets, audit).await?;
    let channel = Channel::from_shared(format!("http://{}", mesh.grpc))?
        .connect()
        .await?;
    let mut clerk = pb::ebikes_client::EbikesClient::new(channel.clone());
    for n in 0..options.bikes {
        let registration = mesh::bike(tag(n), n);
        clerk
            .register_ebike(mesh.as_role("registration-clerk", registration)?)
            .await?;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..options.concurrency {
        let mut ebikes = pb::ebikes_client::EbikesClient::new(channel.clone());
        let requests: Vec<_> = (worker..options.reads)
            .step_by(options.concurrency as usize)
            .map(|n| {
                let read = pb::GetEbikeRequest {
                    tag_id: tag(n % options.bikes),
                };
                mesh.as_role("officer", read)
            })
            .collect::<anyhow::Result<_>>()?;
        tasks.push(tokio::spawn(async move {
            let mut micros = Histogram::<u64>::new(3)?;
            for request in requests {
                let sent = Instant::now();
                ebikes.get_ebike(request).await?;
                micros.record(sent.elapsed().as_micros() as u64)?;
            }
            anyhow::Ok(micros)
        }));
    }
    let mut micros = Histogram::<u64>::new(3)?;
    for task in tasks {
        micros.add(task.await??)?;
    }
    let rate = options.reads as f64 / started.elapsed().as_secs_f64();
    mesh.stop().await?;
    Ok((rate, Millis::of(&micros)))
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.bikes > 0, "--bikes must be more than 0");
    let mut best: [Option<(f64, Millis)>; 2] = [None, None];
    for r in 0..options.rounds {
        for (i, recorded) in [false, true].into_iter().enumerate() {
            let (rate, latency) = round(&options, recorded).await?;
            let name = if recorded { "recorded" } else { "not recorded" };
            println!("round {r}: {name:>12} {rate:.0} reads/s, {latency}");
            if best[i].is_none_or(|(b, _)| rate > b) {
                best[i] = Some((rate, latency));
            }
        }
    }
    let ([Some((bare, bare_latency)), Some((audited, audited_latency))], true) =
        (best, options.rounds > 0)
    else {
        anyhow::bail!("--rounds must be at least 1");
    };
    let ratio = audited / bare;
    println!(
        "GetEbike, {} per round, {} in flight, best of {}: not recorded {bare:.0}/s ({bare_latency}), recorded {audited:.0}/s ({audited_latency}), ratio {ratio:.2}",
        options.reads, options.concurrency, options.rounds
    );
    if let Some(path) = &options.json {
        let figures = serde_json::json!({
            "reads": options.reads,
            "concurrency": options.concurrency,
            "not_recorded_per_s": bare,
            "recorded_per_s": audited,
            "ratio": ratio,
            "not_recorded_ms": bare_latency.json(),
            "recorded_ms": audited_latency.json(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&figures)?)?;
    }
    Ok(())
}
