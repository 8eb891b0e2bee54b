//! The start-up rebuild of the live read models from a store that holds
//! the city's e-bikes: `--bikes` registrations (1.5 M in 2015), one in 50
//! reported stolen. Writes the store once (kept in `--dir` for reruns),
//! then starts vehicle-iot on it and times the way to ready, with the
//! process's resident memory before and after.

use std::time::Instant;

use minsheng_contracts::vehicle::{EbikeRegistered, EbikeReportedStolen, TheftReporter};
use minsheng_eventstore::{EventStore, ExpectedVersion, StreamName, codec};
use minsheng_vault::Vault;
use minsheng_vehicle_iot::domain::events::VehicleEvent;
use minsheng_vehicle_iot::domain::values::{District, PersonKey, Phone, TagId, Text};

#[derive(Debug, clap::Args)]
pub struct Options {
    #[arg(long, default_value_t = 1_500_000)]
    bikes: u64,
    /// Where the store is written (and found again on a rerun).
    #[arg(long, default_value = "target/load-rebuild")]
    dir: std::path::PathBuf,
    /// Then forget this share of the owners (every 100/n-th; 0: none) and
    /// time the start again: the read models hold sealed values and open
    /// none to rebuild, so the forgotten should cost nothing.
    #[arg(long, default_value_t = 1)]
    forget_percent: u64,
}

const STOLEN_EVERY: u64 = 50;

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

async fn fill(store: &dyn EventStore, vault: &Vault, bikes: u64) -> anyhow::Result<()> {
    let district = District::parse("district", "lucheng")?;
    let phone = Phone::parse("phone", "13812345678")?;
    let place = Text::parse("place", "a car park")?;
    let started = Instant::now();
    let mut pending = futures::stream::FuturesUnordered::new();
    for n in 0..bikes {
        let tag = TagId::from_u128(0xE200_0017_0000_0000_0000_0000 + u128::from(n)).to_string();
        let stream = StreamName::parse(&format!("vehicle.ebike.{tag}"))?;
        let phone = phone.clone();
        let place = place.clone();
        // Sealed inside the future: the keys of many owners are committed
        // together, as many registrations in flight would have them.
        pending.push(async move {
            let owner = PersonKey::from_hash(format!("{n:032x}"));
            let owner_phone = vault.seal_personal(owner.as_str(), phone.as_str()).await?;
            let mut events = vec![codec::encode(&VehicleEvent::EbikeRegistered(
                EbikeRegistered {
                    owner,
                    owner_phone,
                    frame_number: format!("FRAME{n:08}"),
                    motor_number: format!("MOTOR{n:08}"),
                    plate: "浙C12345".into(),
                    district,
                },
            ))?];
            if n % STOLEN_EVERY == 0 {
                events.push(codec::encode(&VehicleEvent::EbikeReportedStolen(
                    EbikeReportedStolen {
                        case_id: format!("WZ-{n}"),
                        stolen_at: chrono::Utc::now(),
                        place,
                        frame_number: format!("FRAME{n:08}"),
                        motor_number: format!("MOTOR{n:08}"),
                        reported_by: TheftReporter::Owner,
                        owner: None,
                    },
                ))?);
            }
            store
                .append(&stream, ExpectedVersion::NoStream, events, None)
                .await?;
            anyhow::Ok(())
        });
        if pending.len() >= 512 {
            use futures::StreamExt;
            if let Some(result) = pending.next().await {
                result?;
            }
        }
        if n % 100_000 == 0 && n > 0 {
            println!(
                "  {n} bikes written ({:.0}/s)",
                n as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    use futures::StreamExt;
    while let Some(result) = pending.next().await {
        result?;
    }
    Ok(())
}

/// Folds the whole store into a fresh KPI book, as a rebuild of the KPI
/// projection does (no snapshot saved), and times it.
async fn replay(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::sync::Arc;
    let store: Arc<dyn EventStore> = Arc::new(minsheng_eventstore::sqlite::SqliteStore::open(
        dir.join("events.db"),
    )?);
    let view = minsheng_kpis::projection::KpiProjection::new(minsheng_kpis::projection::SPEC);
    let (done, caught_up) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    view.follow(
        store.as_ref(),
        None,
        move || {
            let _ = done.send(());
        },
        async move {
            let _ = caught_up.await;
        },
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let total = store
        .head(&minsheng_eventstore::Context::parse("vehicle")?)
        .await?
        .0;
    println!(
        "KPI projection followed the store from the start ({total} vehicle events) in {elapsed:.2} s: {:.0} events/s",
        total as f64 / elapsed
    );

    // The rebuild's replay (`minsheng projections rebuild kpis`): pages
    // read ahead on a task of their own while the last one is folded.
    let mut fresh =
        minsheng_runtime::projection::Positioned::<minsheng_kpis::domain::book::KpiBook>::default();
    let started = Instant::now();
    let replayed = minsheng_runtime::projection::rebuild::replay_into(
        &store,
        minsheng_kpis::projection::SPEC.contexts,
        &mut fresh,
        0,
        &mut |_| {},
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        fresh.state == view.read(|c| c.state.clone()),
        "the rebuild's book differs from the projection's"
    );
    let events: u64 = view.read(|c| {
        minsheng_kpis::domain::book::Kpi::ALL
            .iter()
            .map(|k| {
                c.state.value(
                    minsheng_kpis::domain::period::Period::all_of(chrono::Utc::now())[2],
                    *k,
                    None,
                )
            })
            .sum()
    });
    println!(
        "KPI rebuild replayed {replayed} events in {elapsed:.2} s: {:.0} events/s ({events} counted this year, the same book)",
        replayed as f64 / elapsed
    );
    Ok(())
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.dir)?;
    let marker = options.dir.join(format!("filled-{}", options.bikes));
    if !marker.exists() {
        let _ = std::fs::remove_file(options.dir.join("events.db"));
        println!(
            "writing {} registered bikes to {}",
            options.bikes,
            options.dir.display()
        );
        let path = options.dir.join("events.db");
        let store = minsheng_eventstore::sqlite::SqliteStore::open(&path)?;
        let vault = crate::mesh::vault(&format!("sqlite://{}", path.display())).await?;
        fill(&store, &vault, options.bikes).await?;
        drop(store);
        std::fs::write(&marker, b"")?;
    }
    ready(&options, "none forgotten").await?;
    if (1..=100).contains(&options.forget_percent) {
        forget_owners(&options).await?;
        ready(
            &options,
            &format!("{}% of owners forgotten", options.forget_percent),
        )
        .await?;
    }
    replay(&options.dir).await
}

/// Starts vehicle-iot on the store and times the way to ready.
async fn ready(options: &Options, forgotten: &str) -> anyhow::Result<()> {
    let before = resident_kib();
    let started = Instant::now();
    let mesh = crate::mesh::start(&options.dir).await?;
    let elapsed = started.elapsed();
    let after = resident_kib();
    println!(
        "vehicle-iot ready on {} registered bikes ({} stolen; {forgotten}) in {:.2} s; resident memory {} MiB -> {} MiB (+{} MiB)",
        options.bikes,
        options.bikes.div_ceil(STOLEN_EVERY),
        elapsed.as_secs_f64(),
        before / 1024,
        after / 1024,
        after.saturating_sub(before) / 1024,
    );
    mesh.stop().await?;
    Ok(())
}

/// Forgets every (100 / percent)-th owner through the vault beside the
/// store, once (a marker file says it was done), timing the forgets.
async fn forget_owners(options: &Options) -> anyhow::Result<()> {
    let marker = options.dir.join(format!(
        "forgotten-{}-{}",
        options.bikes, options.forget_percent
    ));
    if marker.exists() {
        return Ok(());
    }
    let path = options.dir.join("events.db");
    let vault = crate::mesh::vault(&format!("sqlite://{}", path.display())).await?;
    let every = 100 / options.forget_percent;
    let started = Instant::now();
    let mut forgotten = 0u64;
    for n in (0..options.bikes).step_by(every as usize) {
        vault.forget(&format!("{n:032x}")).await?;
        forgotten += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "forgot {forgotten} owners in {elapsed:.2} s ({:.0}/s, one at a time, each key's row zeroed and the WAL truncated)",
        forgotten as f64 / elapsed
    );
    std::fs::write(&marker, b"")?;
    Ok(())
}
