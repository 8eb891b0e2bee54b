//! The targets this binary knows. Each service issue adds its own here.

use std::sync::Arc;

use std::time::Duration;

use minsheng_runtime::target::Target;

/// The programmes' settings an operator may change (`up` and `serve`).
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// How long a bank or payment platform has to answer a stop-payment
    /// request before it expires.
    #[arg(long, env = "MINSHENG_STOP_PAYMENT_DEADLINE", default_value = "2h", value_parser = humantime::parse_duration)]
    stop_payment_deadline: Duration,
    /// How long an owner has to confirm an officer's theft report before
    /// it goes to review and the bike's sightings stop showing as hits.
    #[arg(long, env = "MINSHENG_THEFT_CONFIRMATION_WINDOW", default_value = "48h", value_parser = humantime::parse_duration)]
    theft_confirmation_window: Duration,
    /// How long the read audit keeps who read which person's data.
    #[arg(long, env = "MINSHENG_AUDIT_RETENTION", default_value = "180days", value_parser = humantime::parse_duration)]
    audit_retention: Duration,
}

/// A positive duration setting, or an error naming its flag.
fn positive(flag: &str, value: Duration) -> anyhow::Result<chrono::Duration> {
    chrono::Duration::from_std(value)
        .ok()
        .filter(|d| *d > chrono::Duration::zero())
        .ok_or_else(|| anyhow::anyhow!("--{flag} must be more than 0"))
}

impl Settings {
    /// How long the read audit keeps reads.
    pub fn audit_retention(&self) -> anyhow::Result<chrono::Duration> {
        positive("audit-retention", self.audit_retention)
    }
}

/// Every target, in start order.
pub fn all(settings: &Settings) -> anyhow::Result<Vec<Arc<dyn Target>>> {
    let stop_deadline = positive("stop-payment-deadline", settings.stop_payment_deadline)?;
    let vehicle = minsheng_vehicle_iot::VehicleIotConfig {
        theft_confirmation_window: positive(
            "theft-confirmation-window",
            settings.theft_confirmation_window,
        )?,
        ..minsheng_vehicle_iot::VehicleIotConfig::default()
    };
    Ok(vec![
        Arc::new(minsheng_vehicle_iot::VehicleIotTarget::new(vehicle)),
        Arc::new(minsheng_fraud::FraudTarget {
            config: minsheng_fraud::FraudConfig { stop_deadline },
        }),
        Arc::new(minsheng_kpis::KpisTarget),
        Arc::new(minsheng_privacy::PrivacyTarget),
    ])
}

/// The targets named on the command line (`all` for every one).
pub fn chosen(names: &[String], settings: &Settings) -> anyhow::Result<Vec<Arc<dyn Target>>> {
    let known = all(settings)?;
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
