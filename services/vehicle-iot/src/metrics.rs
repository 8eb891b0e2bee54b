//! The context's own metrics on `/metrics`:
//! `minsheng_vehicle_sightings_total{outcome}` (counted, repeated, refused)
//! and `minsheng_vehicle_hits_total{district}`. No tag or reader in a label:
//! the label set stays fixed, and no trail of anyone.

use minsheng_runtime::metrics::MetricsRegistry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::app::SightingTally;
use crate::domain::values::District;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InDistrict {
    district: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct SightingMetrics {
    sightings: Family<Outcome, Counter>,
    hits: Family<InDistrict, Counter>,
}

impl SightingMetrics {
    pub fn register(registry: &MetricsRegistry) -> Self {
        let metrics = SightingMetrics::default();
        registry.register(
            "vehicle_sightings",
            "RFID sightings by outcome (counted, repeated, refused); hits are vehicle_hits",
            metrics.sightings.clone(),
        );
        registry.register(
            "vehicle_hits",
            "Stolen-bike hits recorded, by district",
            metrics.hits.clone(),
        );
        metrics
    }

    /// Adds one call's sightings (hits are added as they are recorded).
    pub(crate) fn tally(&self, tally: &SightingTally) {
        for (outcome, n) in [
            ("counted", tally.counted),
            ("repeated", tally.repeated),
            ("refused", tally.refused),
        ] {
            if n > 0 {
                self.sightings.get_or_create(&Outcome { outcome }).inc_by(n);
            }
        }
    }

    pub(crate) fn hit(&self, district: District) {
        self.hits
            .get_or_create(&InDistrict {
                district: district.as_str(),
            })
            .inc();
    }
}
