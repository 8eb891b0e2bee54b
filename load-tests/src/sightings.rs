//! Sightings over gRPC client streaming: the same client streams against
//! the bare echo and against vehicle-iot on the embedded store, in rounds
//! (echo, mesh, echo, mesh, ...), best round of each; and, during the
//! mesh rounds, the latency from a stolen tag's sighting to its hit on a
//! `WatchHits` client.

use crate::latency::Millis;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use hdrhistogram::Histogram;
use minsheng_proto::vehicle::v1 as pb;
use minsheng_vehicle_iot::domain::values::TagId;
use tokio::sync::Mutex;
use tonic::transport::Channel;

use crate::mesh::{self, Mesh};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Sightings per round.
    #[arg(long, default_value_t = 2_000_000)]
    sightings: u64,
    /// Concurrent client streams (base stations).
    #[arg(long, default_value_t = 8)]
    streams: u64,
    /// One sighting in this many is of a stolen bike (a new hit each time).
    #[arg(long, default_value_t = 1000)]
    stolen_every: u64,
    /// Rounds of each (echo, then mesh).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Also write the figures here, as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

const READERS: u64 = 100;
const STOLEN_BIKES: u64 = 500;
/// Readers only the latency probe uses, so its hits are told apart.
const PROBE_READERS: u64 = 20;
/// Between two probe sightings.
const PROBE_EVERY: Duration = Duration::from_millis(20);

fn probe_reader(n: u64) -> String {
    format!("RD-PRB-{:02}", n % PROBE_READERS)
}

fn reader_id(n: u64) -> String {
    format!("RD-{:05}", n % READERS)
}

fn stolen_tag(n: u64) -> String {
    TagId::from_u128(0xE200_0017_5100_0000_0000_0000 + u128::from(n % STOLEN_BIKES)).to_string()
}

fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// Installs the readers and registers and reports stolen the bikes.
async fn prepare(mesh: &Mesh) -> anyhow::Result<()> {
    let channel = connect(mesh.grpc).await?;
    let mut readers = pb::readers_client::ReadersClient::new(channel.clone());
    for n in 0..READERS {
        let request = pb::InstallReaderRequest {
            reader_id: reader_id(n),
            latitude: 28.0 + (n as f64) / 1000.0,
            longitude: 120.65,
            district: "lucheng".into(),
        };
        readers
            .install_reader(mesh.as_role("iot-admin", request)?)
            .await?;
    }
    for n in 0..PROBE_READERS {
        let request = pb::InstallReaderRequest {
            reader_id: probe_reader(n),
            latitude: 28.1,
            longitude: 120.7,
            district: "ouhai".into(),
        };
        readers
            .install_reader(mesh.as_role("iot-admin", request)?)
            .await?;
    }
    let mut ebikes = pb::ebikes_client::EbikesClient::new(channel);
    for n in 0..STOLEN_BIKES {
        let tag = stolen_tag(n);
        let registration = mesh::bike(tag.clone(), n);
        ebikes
            .register_ebike(mesh.as_role("registration-clerk", registration)?)
            .await?;
        let theft = pb::ReportStolenRequest {
            tag_id: tag,
            case_id: format!("WZ-LOAD-{n}"),
            stolen_at: Some(timestamp(chrono::Utc::now())),
            place: "a car park".into(),
            owner_resident_id: String::new(),
        };
        ebikes
            .report_stolen(mesh.as_role("officer", theft)?)
            .await?;
    }
    Ok(())
}

async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

/// One round: `streams` client streams sending `total` sightings between
/// them. Returns sightings per second. `stolen` numbers the stolen
/// sightings across rounds, so that each is a new (tag, reader) pair.
async fn round(
    addr: std::net::SocketAddr,
    authorization: Option<String>,
    options: &Options,
    stolen: Arc<AtomicU64>,
) -> anyhow::Result<f64> {
    let per_stream = options.sightings / options.streams;
    let stolen_every = options.stolen_every;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..options.streams {
        let channel = connect(addr).await?;
        let authorization = authorization.clone();
        let stolen = stolen.clone();
        tasks.push(tokio::spawn(async move {
            let counted_at = timestamp(chrono::Utc::now());
            let messages = futures::stream::iter(0..per_stream).map(move |i| {
                let n = s * per_stream + i;
                if stolen_every > 0 && n % stolen_every == stolen_every - 1 {
                    let k = stolen.fetch_add(1, Ordering::Relaxed);
                    pb::Sighting {
                        tag_id: stolen_tag(k),
                        reader_id: reader_id(k / STOLEN_BIKES),
                        seen_at: Some(timestamp(chrono::Utc::now())),
                    }
                } else {
                    pb::Sighting {
                        tag_id: TagId::from_u128(0xE200_0017_0000_0000_0000_0000 + u128::from(n))
                            .to_string(),
                        reader_id: reader_id(n),
                        seen_at: Some(counted_at),
                    }
                }
            });
            let mut request = tonic::Request::new(messages);
            if let Some(value) = authorization {
                request
                    .metadata_mut()
                    .insert("authorization", value.parse()?);
            }
            let summary = pb::sightings_client::SightingsClient::new(channel)
                .record_sightings(request)
                .await?
                .into_inner();
            anyhow::ensure!(summary.received == per_stream, "{summary:?}");
            anyhow::ensure!(summary.refused == 0, "refused: {:?}", summary.refusals);
            Ok::<_, anyhow::Error>(summary)
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok((per_stream * options.streams) as f64 / started.elapsed().as_secs_f64())
}

/// Sends one stolen sighting at a time, on a probe reader, until aborted;
/// notes when each was sent. Each (tag, reader) pair is new, so each is a hit.
async fn probe(
    addr: std::net::SocketAddr,
    authorization: String,
    probes: Arc<Mutex<HashMap<(String, String), Instant>>>,
    round: u64,
) -> anyhow::Result<()> {
    let mut client = pb::sightings_client::SightingsClient::new(connect(addr).await?);
    // Pairs of a stolen tag and a probe reader, distinct across rounds
    // (10,000 pairs; each round starts 2,500 further).
    let mut k = round * 2_500;
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let (tag, reader) = (stolen_tag(k), probe_reader(k / STOLEN_BIKES));
        k += 1;
        let mut request = tonic::Request::new(pb::SightingBatch {
            sightings: vec![pb::Sighting {
                tag_id: tag.clone(),
                reader_id: reader.clone(),
                seen_at: Some(timestamp(chrono::Utc::now())),
            }],
        });
        request
            .metadata_mut()
            .insert("authorization", authorization.parse()?);
        probes.lock().await.insert((tag, reader), Instant::now());
        client.record_sighting_batch(request).await?;
    }
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mesh = mesh::start(dir.path()).await?;
    prepare(&mesh).await?;
    let echo = crate::echo::start().await?;
    let token = mesh.keys.mint(
        "load-1",
        &["iot-reader".to_owned(), "officer".to_owned()],
        Duration::from_secs(3600),
    )?;
    let authorization = format!("Bearer {token}");

    // The dispatch console: every hit's latency from its sighting's
    // creation in a stream (which includes the wait in the client's
    // stream), and the probe's: a single sighting sent on its own under
    // the load, timed from its send to its hit on the console.
    let histogram = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3);
    let latencies = Arc::new(Mutex::new(histogram()?));
    let probe_latencies = Arc::new(Mutex::new(histogram()?));
    let probes: Arc<Mutex<HashMap<(String, String), Instant>>> = Arc::default();
    let mut watch = pb::sightings_client::SightingsClient::new(connect(mesh.grpc).await?)
        .watch_hits(mesh.as_role("officer", pb::HitFilter::default())?)
        .await?
        .into_inner();
    let recorded = latencies.clone();
    let (probed, probe_recorded) = (probes.clone(), probe_latencies.clone());
    let watcher = tokio::spawn(async move {
        while let Some(Ok(hit)) = watch.next().await {
            if let Some(sent) = probed
                .lock()
                .await
                .remove(&(hit.tag_id.clone(), hit.reader_id.clone()))
            {
                let micros = sent.elapsed().as_micros() as u64;
                let _ = probe_recorded.lock().await.record(micros.max(1));
                continue;
            }
            let Some(seen) = hit.seen_at else { continue };
            let seen = chrono::DateTime::from_timestamp(seen.seconds, seen.nanos as u32)
                .unwrap_or_default();
            let micros = (chrono::Utc::now() - seen)
                .num_microseconds()
                .unwrap_or(i64::MAX);
            let _ = recorded.lock().await.record(micros.max(1) as u64);
        }
    });

    // The probe alone first: the hit path's latency with nothing else running.
    let idle_probe = tokio::spawn(probe(mesh.grpc, authorization.clone(), probes.clone(), 1));
    tokio::time::sleep(Duration::from_secs(3)).await;
    idle_probe.abort();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = {
        let mut recorded = probe_latencies.lock().await;
        let idle = recorded.clone();
        recorded.reset();
        idle
    };
    probes.lock().await.clear();

    let stolen = Arc::new(AtomicU64::new(0));
    let (mut echo_rates, mut mesh_rates) = (Vec::new(), Vec::new());
    for r in 0..options.rounds {
        let rate = round(echo, None, &options, Arc::new(AtomicU64::new(0))).await?;
        println!("round {r}: echo        {rate:>12.0} sightings/s");
        echo_rates.push(rate);
        let probe = tokio::spawn(probe(
            mesh.grpc,
            authorization.clone(),
            probes.clone(),
            r as u64 + 2,
        ));
        let rate = round(
            mesh.grpc,
            Some(authorization.clone()),
            &options,
            stolen.clone(),
        )
        .await?;
        probe.abort();
        println!("round {r}: vehicle-iot {rate:>12.0} sightings/s");
        mesh_rates.push(rate);
    }
    // Let the last hits arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    watcher.abort();
    let histogram = latencies.lock().await.clone();
    let probe_histogram = probe_latencies.lock().await.clone();
    let best = |rates: &[f64]| rates.iter().copied().fold(0.0, f64::max);
    let (echo_best, mesh_best) = (best(&echo_rates), best(&mesh_rates));
    let hits_sent = stolen.load(Ordering::Relaxed);
    println!();
    println!(
        "{} sightings per round over {} client streams, one in {} of a stolen bike; {} rounds",
        options.sightings, options.streams, options.stolen_every, options.rounds
    );
    println!("bare tonic echo:           {echo_best:>12.0} sightings/s (best round)");
    println!("vehicle-iot, embedded:     {mesh_best:>12.0} sightings/s (best round)");
    println!("ratio vehicle-iot / echo:  {:>12.2}", mesh_best / echo_best);
    let (hit_ms, probe_ms, idle_ms) = (
        Millis::of(&histogram),
        Millis::of(&probe_histogram),
        Millis::of(&idle),
    );
    println!(
        "hits: {hits_sent} sent, {} seen by WatchHits; sighting -> WatchHits latency: {hit_ms}",
        histogram.len(),
    );
    println!(
        "probe (one sighting sent alone every {} ms under the load): {} hits; send -> WatchHits latency: {probe_ms}",
        PROBE_EVERY.as_millis(),
        probe_histogram.len(),
    );
    println!(
        "probe with no load: {} hits; send -> WatchHits latency: {idle_ms}",
        idle.len(),
    );
    if let Some(path) = &options.json {
        let figures = serde_json::json!({
            "sightings_per_round": options.sightings,
            "streams": options.streams,
            "stolen_every": options.stolen_every,
            "echo_per_second": echo_rates,
            "vehicle_iot_per_second": mesh_rates,
            "ratio_best": mesh_best / echo_best,
            "hits_sent": hits_sent,
            "hits_seen": histogram.len(),
            "idle_probe_hits": idle.len(),
            "idle_probe_latency_ms": idle_ms.json(),
            "probe_hits": probe_histogram.len(),
            "probe_latency_ms": probe_ms.json(),
            "hit_latency_ms": hit_ms.json(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&figures)?)?;
    }
    mesh.stop().await
}
