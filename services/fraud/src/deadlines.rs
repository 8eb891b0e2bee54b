//! The deadline timer: expires stop-payment requests no partner answered in
//! time. Its deadlines come from the live view, which rebuilds them from
//! the events at start, so a restart loses none (one that passed while the
//! process was down expires at once). A singleton: only the leader runs it
//! (expiring twice would be harmless, the aggregate refuses the second).

use std::sync::Arc;

use minsheng_leader::LeaderElection;
use minsheng_runtime::shutdown::Shutdown;
use prometheus_client::metrics::counter::Counter;

use crate::app::FraudApp;

/// The longest the timer sleeps without looking again.
const IDLE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Runs the timer while this process leads `fraud-deadlines`, counting in
/// `expired` the requests it expired (`minsheng_fraud_stop_payments_expired_total`).
pub async fn run(
    app: Arc<FraudApp>,
    leader: Arc<dyn LeaderElection>,
    stop: Shutdown,
    expired: Counter,
) {
    let stopping = stop.clone();
    let outcome =
        minsheng_leader::while_leader(leader.as_ref(), "fraud-deadlines", stopping.wait(), || {
            let (app, expired) = (app.clone(), expired.clone());
            async move {
                let clock = app.clock().clone();
                loop {
                    expired.inc_by(app.expire_due(clock.now()).await);
                    let now = clock.now();
                    let wake = app
                        .live()
                        .next_deadline()
                        .map_or(now + IDLE, |at| at.min(now + IDLE));
                    tokio::select! {
                        () = clock.sleep_until(wake) => {}
                        () = app.live().deadline_added.notified() => {}
                    }
                }
            }
        })
        .await;
    if let Err(error) = outcome {
        tracing::warn!(%error, "the deadline timer stopped");
    }
}
