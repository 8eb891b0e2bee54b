//! Screening lookups in the blocklist on one core: 100,000 blocked numbers,
//! numbers screened as gateways send them (text, parsed) and already parsed.
//! Target: >= 5,000,000 numbers/s (docs/performance.md).
//!
//! `cargo bench -p minsheng-fraud --bench screening`

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use minsheng_contracts::fraud::NumberBlocked;
use minsheng_fraud::domain::events::{BlockCategory, FraudEvent};
use minsheng_fraud::domain::firewall::Blocklist;
use minsheng_fraud::domain::values::Number;

const BLOCKED: u64 = 100_000;
const SCREENED: usize = 100_000;

fn mobile(n: u64) -> String {
    format!("1{}", 3_000_000_000 + n * 7_919 % 7_000_000_000)
}

fn screening(c: &mut Criterion) {
    let mut blocklist = Blocklist::new();
    let now = Utc::now();
    for n in 0..BLOCKED {
        if let Ok(number) = Number::parse("number", &mobile(n * 13)) {
            blocklist.apply(&FraudEvent::NumberBlocked(NumberBlocked {
                number,
                category: BlockCategory::FraudAlert,
                alert_id: None,
                reason: None,
                at: now,
            }));
        }
    }
    let texts: Vec<String> = (0..SCREENED as u64).map(mobile).collect();
    let numbers: Vec<Number> = texts
        .iter()
        .filter_map(|t| Number::parse("number", t).ok())
        .collect();

    let mut group = c.benchmark_group("screening");
    group.throughput(Throughput::Elements(SCREENED as u64));
    group.bench_function("lookup 100k parsed numbers", |b| {
        b.iter(|| {
            numbers
                .iter()
                .filter(|n| blocklist.screen(**n).is_some())
                .count()
        });
    });
    group.bench_function("parse and look up 100k numbers", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter_map(|t| Number::parse("number", t).ok())
                .filter(|n| blocklist.screen(*n).is_some())
                .count()
        });
    });
    group.finish();
}

criterion_group!(benches, screening);
criterion_main!(benches);
