//! The load generator's latency histograms count microseconds; reports
//! give milliseconds.

use hdrhistogram::Histogram;

/// The median, 99th percentile and maximum of a histogram, in ms.
#[derive(Clone, Copy, Debug)]
pub struct Millis {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Millis {
    pub fn of(micros: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Millis {
            p50: ms(micros.value_at_quantile(0.5)),
            p99: ms(micros.value_at_quantile(0.99)),
            max: ms(micros.max()),
        }
    }

    /// For `--json`: `{"p50": .., "p99": .., "max": ..}`, in ms.
    pub fn json(self) -> serde_json::Value {
        serde_json::json!({"p50": self.p50, "p99": self.p99, "max": self.max})
    }
}

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.p50, self.p99, self.max
        )
    }
}
