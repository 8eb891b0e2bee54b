//! The figures on `/metrics`, so that Grafana can chart them:
//! `minsheng_kpi{kpi, period, district}` for this year and this month of
//! the city's calendar, city-wide (`district="all"`) and per district where
//! counted. Read from the view at each scrape, never stored twice.

use std::sync::Arc;

use minsheng_runtime::clock::Clock;
use minsheng_values::District;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::domain::book::Kpi;
use crate::domain::period::Period;
use crate::projection::KpiProjection;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KpiLabels {
    kpi: &'static str,
    period: &'static str,
    district: &'static str,
}

#[derive(Debug)]
pub struct KpiGauges {
    pub view: Arc<KpiProjection>,
    /// Which year and month "this" one is.
    pub clock: Arc<dyn Clock>,
}

impl Collector for KpiGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let [_, month, year] = Period::all_of(self.clock.now());
        let mut family = encoder.encode_descriptor(
            "kpi",
            "The city's figures for this year and this month (UTC+8), by district where counted",
            None,
            MetricType::Gauge,
        )?;
        self.view.read(|counted| {
            for (period, name) in [(year, "year"), (month, "month")] {
                for kpi in Kpi::ALL {
                    let scopes = std::iter::once(None).chain(District::all().map(Some));
                    for scope in scopes {
                        let value = counted.state.value(period, kpi, scope);
                        if scope.is_some() && value == 0 {
                            continue;
                        }
                        let labels = KpiLabels {
                            kpi: kpi.name(),
                            period: name,
                            district: scope.map_or("all", District::as_str),
                        };
                        let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
                        gauge.encode(family.encode_family(&labels)?)?;
                    }
                }
            }
            Ok(())
        })
    }
}
