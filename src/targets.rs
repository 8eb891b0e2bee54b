//! The targets this binary knows. Each service issue adds its own here.

use std::sync::Arc;

use minsheng_runtime::target::Target;

/// Every target, in start order.
pub fn all() -> Vec<Arc<dyn Target>> {
    vec![
        Arc::new(minsheng_vehicle_iot::VehicleIotTarget::default()),
        Arc::new(minsheng_fraud::FraudTarget::default()),
        Arc::new(minsheng_metrics::MetricsTarget),
    ]
}

/// The targets named on the command line (`all` for every one).
pub fn chosen(names: &[String]) -> anyhow::Result<Vec<Arc<dyn Target>>> {
    let known = all();
    if names.iter().any(|n| n == "all") {
        return Ok(known);
    }
    names
        .iter()
        .map(|name| {
            known
                .iter()
                .find(|t| t.name() == name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = known.iter().map(|t| t.name()).collect();
                    anyhow::anyhow!(
                        "unknown target {name:?}; this build knows: {}",
                        if names.is_empty() {
                            "none yet".to_owned()
                        } else {
                            names.join(", ")
                        }
                    )
                })
        })
        .collect()
}
