//! Partners screening numbers against the phone firewall: unary `Screen`
//! calls with batches of 1 and of 100 numbers from concurrent clients,
//! against a bare tonic server for the same service (it answers "not
//! blocked" to everything) and against the fraud target on the embedded
//! store, in the same run; then how soon a newly blocked number is screened
//! as blocked, embedded and over NATS (a testkit nats-server).

use crate::latency::Millis;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use minsheng_proto::fraud::v1 as pb;
use minsheng_runtime::target::Target;
use tonic::transport::Channel;

use crate::mesh::{self, Mesh};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Concurrent screening clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// How long each measured run lasts, in seconds.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Numbers blocked before the runs.
    #[arg(long, default_value_t = 2000)]
    blocked: u64,
    /// Newly blocked numbers timed until screened as blocked.
    #[arg(long, default_value_t = 200)]
    samples: u64,
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn number(n: u64) -> String {
    format!("170{:08}", n % 100_000_000)
}

async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

struct Run {
    numbers_per_second: f64,
    calls: u64,
    latency: Millis,
}

/// `clients` tasks calling `Screen` with `batch` numbers each, for `seconds`.
async fn run(
    addr: std::net::SocketAddr,
    authorization: Option<String>,
    batch: usize,
    options: &Options,
) -> anyhow::Result<Run> {
    let until = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..options.clients {
        let channel = connect(addr).await?;
        let authorization = authorization.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = pb::firewall_client::FirewallClient::new(channel);
            let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut k = c as u64 * 1_000_000;
            while Instant::now() < until {
                let numbers = (0..batch).map(|i| number(k + i as u64)).collect();
                k += batch as u64;
                let mut request = tonic::Request::new(pb::ScreenRequest { numbers });
                if let Some(value) = &authorization {
                    request
                        .metadata_mut()
                        .insert("authorization", value.parse()?);
                }
                let sent = Instant::now();
                let answer = client.screen(request).await?.into_inner();
                latencies.record(sent.elapsed().as_micros().max(1) as u64)?;
                anyhow::ensure!(answer.verdicts.len() == batch);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for task in tasks {
        all.add(task.await??)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Run {
        numbers_per_second: all.len() as f64 * batch as f64 / elapsed,
        calls: all.len(),
        latency: Millis::of(&all),
    })
}

/// Blocks new numbers one at a time and times each from the block's
/// acknowledgement to the first screening that says blocked.
async fn newly_blocked(mesh: &Mesh, samples: u64, offset: u64) -> anyhow::Result<Histogram<u64>> {
    let channel = connect(mesh.grpc).await?;
    let mut analyst = pb::firewall_client::FirewallClient::new(channel.clone());
    let mut partner = pb::firewall_client::FirewallClient::new(channel);
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for n in 0..samples {
        let fresh = number(90_000_000 + offset + n);
        let block = pb::BlockNumberRequest {
            number: fresh.clone(),
            reason: "load test".into(),
        };
        analyst
            .block_number(mesh.as_role("fraud-analyst", block)?)
            .await?;
        let acknowledged = Instant::now();
        loop {
            let screen = pb::ScreenRequest {
                numbers: vec![fresh.clone()],
            };
            let verdict = partner
                .screen(mesh.as_partner("partner", Some("telecom"), screen)?)
                .await?
                .into_inner();
            if verdict.verdicts.first().is_some_and(|v| v.blocked) {
                break;
            }
            anyhow::ensure!(
                acknowledged.elapsed() < Duration::from_secs(10),
                "never screened as blocked"
            );
        }
        latencies.record(acknowledged.elapsed().as_micros().max(1) as u64)?;
    }
    Ok(latencies)
}

fn fraud() -> Arc<dyn Target> {
    Arc::new(minsheng_fraud::FraudTarget::default())
}

pub async fn run_all(options: Options) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mesh = mesh::start_with(
        &format!("sqlite://{}", dir.path().join("events.db").display()),
        fraud(),
    )
    .await?;
    let mut analyst = pb::firewall_client::FirewallClient::new(connect(mesh.grpc).await?);
    for n in 0..options.blocked {
        // Every 50th number the clients screen is blocked.
        let block = pb::BlockNumberRequest {
            number: number(n * 50),
            reason: "load test".into(),
        };
        analyst
            .block_number(mesh.as_role("fraud-analyst", block)?)
            .await?;
    }
    let echo = crate::echo::start_firewall().await?;
    let token = mesh.keys.mint_for(
        "load-1",
        &["partner".to_owned()],
        Some("telecom"),
        Duration::from_secs(3600),
    )?;
    let authorization = format!("Bearer {token}");
    let mut figures = serde_json::Map::new();
    for batch in [1usize, 100] {
        let bare = run(echo, None, batch, &options).await?;
        let real = run(mesh.grpc, Some(authorization.clone()), batch, &options).await?;
        println!(
            "batch {batch:>3}: echo {:>10.0} numbers/s (p50 {:.2} ms, p99 {:.2} ms) | fraud {:>10.0} numbers/s (p50 {:.2} ms, p99 {:.2} ms) | ratio {:.2}",
            bare.numbers_per_second,
            bare.latency.p50,
            bare.latency.p99,
            real.numbers_per_second,
            real.latency.p50,
            real.latency.p99,
            real.numbers_per_second / bare.numbers_per_second
        );
        figures.insert(
            format!("batch_{batch}"),
            serde_json::json!({
                "echo": {"numbers_per_second": bare.numbers_per_second, "calls": bare.calls, "latency_ms": bare.latency.json()},
                "fraud": {"numbers_per_second": real.numbers_per_second, "calls": real.calls, "latency_ms": real.latency.json()},
                "ratio": real.numbers_per_second / bare.numbers_per_second,
            }),
        );
    }
    let embedded = newly_blocked(&mesh, options.samples, 0).await?;
    mesh.stop().await?;

    let nats = minsheng_testkit::NatsServer::start()?;
    let over_nats = mesh::start_with(&nats.url(), fraud()).await?;
    let distributed = newly_blocked(&over_nats, options.samples, 1_000_000).await?;
    over_nats.stop().await?;
    for (name, h) in [("embedded", &embedded), ("over NATS", &distributed)] {
        let latency = Millis::of(h);
        println!(
            "newly blocked -> screened as blocked, {name}: {latency} ({} numbers)",
            h.len()
        );
        figures.insert(
            format!("newly_blocked_{}_ms", name.replace(' ', "_").to_lowercase()),
            latency.json(),
        );
    }
    if let Some(path) = &options.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&serde_json::Value::Object(figures))?,
        )?;
    }
    Ok(())
}
