//! E-bike registrations over gRPC on the embedded store: each owner a new
//! person, so that each registration seals the phone under a data key made
//! for it (the worst case: a key created and stored per call), against the
//! same run with vehicle-iot recording the phone in clear (a setting for
//! this baseline only). Rounds alternate (clear, sealed, clear, ...), each
//! on a fresh store; the best of each is kept. Then the latency of
//! forgetting owners through the privacy target, one call at a time.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use minsheng_proto::privacy::v1 as privacy;
use minsheng_proto::vehicle::v1 as pb;
use minsheng_runtime::target::Target;
use minsheng_vehicle_iot::domain::values::TagId;
use minsheng_vehicle_iot::{VehicleIotConfig, VehicleIotTarget};
use tonic::transport::Channel;

use crate::latency::Millis;
use crate::mesh::{self, Mesh};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Registrations per round.
    #[arg(long, default_value_t = 20_000)]
    registrations: u64,
    /// Calls in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
    /// Rounds of each (clear, then sealed).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Owners forgotten, one call at a time, after the last sealed round.
    #[arg(long, default_value_t = 1_000)]
    forgets: u64,
    /// Also write the figures here, as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// Resident ID number `n`: born on a day of 1960-1999 in Wenzhou, with
/// its check digit, a different person for each `n` below 14.6 M.
fn resident(n: u64) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).expect("a date")
        + chrono::Duration::days((n / 1000 % 14_600) as i64);
    let body = format!("330302{}{:03}", day.format("%Y%m%d"), n % 1000);
    let check =
        minsheng_vehicle_iot::domain::values::ResidentId::check_digit(&body).expect("17 digits");
    format!("{body}{check}")
}

fn registration(n: u64) -> pb::RegisterEbikeRequest {
    pb::RegisterEbikeRequest {
        tag_id: TagId::from_u128(0xE200_0017_6100_0000_0000_0000 + u128::from(n)).to_string(),
        owner_resident_id: resident(n),
        owner_phone: format!("138{:08}", n % 100_000_000),
        frame_number: format!("FRAME{n:08}"),
        motor_number: format!("MOTOR{n:08}"),
        plate: "浙C12345".into(),
        district: "lucheng".into(),
    }
}

async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

/// One round on a fresh store: registrations per second.
async fn round(options: &Options, sealed: bool) -> anyhow::Result<(f64, Mesh, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let vehicle = VehicleIotTarget::new(VehicleIotConfig {
        seal_personal_data: sealed,
        ..VehicleIotConfig::default()
    });
    let targets: Vec<Arc<dyn Target>> =
        vec![Arc::new(vehicle), Arc::new(minsheng_privacy::PrivacyTarget)];
    let mesh = mesh::start_all(&url, &targets).await?;
    let channel = connect(mesh.grpc).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..options.concurrency {
        let mut ebikes = pb::ebikes_client::EbikesClient::new(channel.clone());
        let requests: Vec<_> = (worker..options.registrations)
            .step_by(options.concurrency as usize)
            .map(|n| mesh.as_role("registration-clerk", registration(n)))
            .collect::<anyhow::Result<_>>()?;
        tasks.push(tokio::spawn(async move {
            for request in requests {
                ebikes.register_ebike(request).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let rate = options.registrations as f64 / started.elapsed().as_secs_f64();
    Ok((rate, mesh, dir))
}

/// Forgets owners 0, 1, ... one call at a time: each call's latency.
async fn forget_latency(mesh: &Mesh, forgets: u64) -> anyhow::Result<Millis> {
    let mut desk = privacy::privacy_client::PrivacyClient::new(connect(mesh.grpc).await?);
    let mut micros = Histogram::<u64>::new(3)?;
    for n in 0..forgets {
        let request = mesh.as_role(
            "data-protection-officer",
            privacy::ForgetRequest {
                resident_id: resident(n),
            },
        )?;
        let started = Instant::now();
        let forgotten = desk.forget(request).await?.into_inner();
        micros.record(started.elapsed().as_micros() as u64)?;
        anyhow::ensure!(forgotten.had_key, "owner {n} had a data key");
    }
    Ok(Millis::of(&micros))
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let (mut clear, mut sealed) = (0.0f64, 0.0f64);
    let mut last = None;
    for r in 0..options.rounds {
        let (rate, mesh, dir) = round(&options, false).await?;
        println!("round {r}: in clear {rate:.0} registrations/s");
        clear = clear.max(rate);
        mesh.stop().await?;
        drop(dir);
        let (rate, mesh, dir) = round(&options, true).await?;
        println!("round {r}: sealed   {rate:.0} registrations/s");
        sealed = sealed.max(rate);
        if let Some((mesh, _dir)) = last.replace((mesh, dir)) {
            Mesh::stop(mesh).await?;
        }
    }
    let ratio = sealed / clear;
    println!(
        "registrations, {} per round, {} in flight, best of {}: in clear {clear:.0}/s, sealed {sealed:.0}/s, ratio {ratio:.2}",
        options.registrations, options.concurrency, options.rounds
    );
    let mut forget = None;
    if let Some((mesh, _dir)) = last {
        let forgets = options.forgets.min(options.registrations);
        let latency = forget_latency(&mesh, forgets).await?;
        println!("forget, {forgets} owners one at a time: {latency}");
        forget = Some(latency);
        mesh.stop().await?;
    }
    if let Some(path) = &options.json {
        let figures = serde_json::json!({
            "registrations": options.registrations,
            "concurrency": options.concurrency,
            "clear_per_s": clear,
            "sealed_per_s": sealed,
            "ratio": ratio,
            "forget_ms": forget.map(Millis::json),
        });
        std::fs::write(path, serde_json::to_string_pretty(&figures)?)?;
    }
    Ok(())
}
