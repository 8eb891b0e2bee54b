//! The sighting desk on one core: readers and stolen tags at the city's
//! scale (5,000 base stations, 1.5 M tags of which 30,000 stolen), and
//! sightings as base stations send them (tag text, reader id, time).
//! Target: >= 1,000,000 sightings/s (docs/performance.md).
//!
//! `cargo bench -p minsheng-vehicle-iot --bench sightings`

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use minsheng_contracts::vehicle::{EbikeReportedStolen, TheftReporter};
use minsheng_vehicle_iot::domain::events::VehicleEvent;
use minsheng_vehicle_iot::domain::sighting::SightingDesk;
use minsheng_vehicle_iot::domain::values::{District, Location, TagId, Text};

const READERS: u32 = 5_000;
const TAGS: u64 = 1_500_000;
/// One in 50 registered bikes is stolen at any time.
const STOLEN_EVERY: u64 = 50;
const BATCH: usize = 100_000;

fn tag(n: u64) -> String {
    TagId::from_u128(0xE200_0017_0000_0000_0000_0000 + u128::from(n)).to_string()
}

fn desk() -> SightingDesk {
    let mut desk = SightingDesk::new(Duration::minutes(5));
    let district = District::parse("district", "lucheng").unwrap_or_else(|_| unreachable!());
    for r in 0..READERS {
        let location = Location::parse(28.0 + f64::from(r % 100) / 1000.0, 120.6)
            .unwrap_or_else(|_| unreachable!());
        desk.apply(
            &format!("RD-{r:05}"),
            &VehicleEvent::ReaderInstalled { location, district },
        );
    }
    let place = Text::parse("place", "somewhere").unwrap_or_else(|_| unreachable!());
    for n in (0..TAGS).step_by(STOLEN_EVERY as usize) {
        desk.apply(
            &tag(n),
            &VehicleEvent::EbikeReportedStolen(EbikeReportedStolen {
                case_id: format!("WZ-{n}"),
                stolen_at: Utc::now(),
                place: place.clone(),
                frame_number: format!("FRAME{n:08}"),
                motor_number: format!("MOTOR{n:08}"),
                reported_by: TheftReporter::Owner,
                owner: None,
            }),
        );
    }
    desk
}

fn sightings() -> Vec<(String, String)> {
    // A cheap deterministic spread over tags and readers.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..BATCH)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (
                tag(x % TAGS),
                format!("RD-{:05}", (x >> 32) % u64::from(READERS)),
            )
        })
        .collect()
}

fn classify(c: &mut Criterion) {
    let sightings = sightings();
    let now = Utc
        .with_ymd_and_hms(2015, 6, 1, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let mut group = c.benchmark_group("sighting_desk");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    group.bench_function("classify 100k sightings", |b| {
        b.iter_batched_ref(
            desk,
            |desk| {
                let mut hits = 0u64;
                for (i, (tag, reader)) in sightings.iter().enumerate() {
                    let at = now + Duration::milliseconds(i as i64);
                    if let Ok(minsheng_vehicle_iot::domain::sighting::Verdict::Hit(_)) =
                        desk.classify(tag, reader, at, at)
                    {
                        hits += 1;
                    }
                }
                hits
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
