//! The process under test, its clients, tokens and the requests the cases share.

use std::sync::Arc;

use minsheng_eventstore::interposed::Interpose;
pub use minsheng_eventstore::interposed::Interposed;
use minsheng_eventstore::{Context, EventStore, Position};
use minsheng_fraud::FraudTarget;
use minsheng_fraud::app::FraudConfig;
use minsheng_proto::fraud::v1 as pb;
use minsheng_runtime::auth::TokenKeys;
pub use minsheng_runtime::clock::{Clock, ManualClock, SystemClock};
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use tonic::Request;

pub use minsheng_testkit::eventually;
use tonic::transport::Channel;

pub const VICTIM: &str = "11010519491231002X";
pub const FRAUDSTER_PHONE: &str = "17012345678";

pub fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the fraud tests' signing key!!!!")
}

pub struct App {
    pub grpc: std::net::SocketAddr,
    pub store: Arc<dyn EventStore>,
    pub vault: Arc<minsheng_vault::Vault>,
    pub process: LocalProcess,
}

pub async fn spawn(dir: &std::path::Path, deadline: chrono::Duration) -> App {
    spawn_with_clock(dir, deadline, Arc::new(SystemClock)).await
}

/// [`spawn`] on `clock`: a test's [`ManualClock`] moves time for it.
pub async fn spawn_with_clock(
    dir: &std::path::Path,
    deadline: chrono::Duration,
    clock: Arc<dyn Clock>,
) -> App {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let store = minsheng_runtime::store::open(&url, 1).await.unwrap();
    spawn_on(store, deadline, clock).await
}

impl App {
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
    pub async fn alerts(&self) -> pb::alerts_client::AlertsClient<Channel> {
        pb::alerts_client::AlertsClient::new(self.channel().await)
    }
    pub async fn stops(&self) -> pb::stop_payments_client::StopPaymentsClient<Channel> {
        pb::stop_payments_client::StopPaymentsClient::new(self.channel().await)
    }
    pub async fn firewall(&self) -> pb::firewall_client::FirewallClient<Channel> {
        pb::firewall_client::FirewallClient::new(self.channel().await)
    }
    pub async fn fugitives(&self) -> pb::fugitives_client::FugitivesClient<Channel> {
        pb::fugitives_client::FugitivesClient::new(self.channel().await)
    }
    pub async fn events(&self) -> usize {
        self.store
            .read_all(&Context::parse("fraud").unwrap(), Position::START, 100_000)
            .await
            .unwrap()
            .len()
    }
    pub async fn stop(self) {
        self.process.stop().await.unwrap();
    }
}

pub fn person_keys() -> PersonKeys {
    PersonKeys::from_secret(b"the fraud tests' person key.....")
}

pub fn as_role<T>(role: &str, message: T) -> Request<T> {
    as_partner_of(role, None, message)
}

pub fn as_partner_of<T>(role: &str, institution: Option<&str>, message: T) -> Request<T> {
    keys()
        .request_as(&format!("{role}-1"), role, institution, message)
        .unwrap()
}

pub fn now() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp(),
        nanos: 0,
    }
}

/// The id of [`alert`], reported by an analyst.
pub async fn reported_alert(app: &App) -> String {
    app.alerts()
        .await
        .report_alert(as_role("fraud-analyst", alert()))
        .await
        .unwrap()
        .into_inner()
        .id
}

/// A reported alert with one stop-payment request of `amount_fen` on its
/// first account: (alert id, stop-payment id).
pub async fn alert_with_a_stop_payment(app: &App, amount_fen: i64) -> (String, String) {
    let alert_id = reported_alert(app).await;
    let stop_payment_id = app
        .stops()
        .await
        .request_stop_payment(as_role(
            "fraud-analyst",
            pb::RequestStopPaymentRequest {
                alert_id: alert_id.clone(),
                account_index: 0,
                amount_fen,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    (alert_id, stop_payment_id)
}

/// An alert as an analyst sees it (`GetAlert`).
pub async fn alert_view(app: &App, alert_id: &str) -> pb::AlertView {
    app.alerts()
        .await
        .get_alert(as_role(
            "fraud-analyst",
            pb::GetAlertRequest {
                alert_id: alert_id.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// The outcome of an alert's first stop-payment, once the alert's view
/// shows it.
pub async fn first_stop_outcome(app: &App, alert_id: &str) -> Option<String> {
    alert_view(app, alert_id)
        .await
        .stop_payments
        .first()
        .map(|stop| stop.outcome.clone())
}

pub fn alert() -> pb::ReportAlertRequest {
    pb::ReportAlertRequest {
        victim_resident_id: VICTIM.into(),
        amount_fen: 270_000_000,
        channel: pb::FraudChannel::PhoneCall as i32,
        transferred_at: Some(now()),
        accounts: vec![pb::ReceivingAccount {
            account: "6222020200112233445".into(),
            institution: "icbc".into(),
        }],
        fraud_numbers: vec![FRAUDSTER_PHONE.into()],
    }
}

pub async fn screen(app: &App, numbers: &[&str]) -> Vec<pb::Verdict> {
    app.firewall()
        .await
        .screen(as_partner_of(
            "partner",
            Some("icbc"),
            pb::ScreenRequest {
                numbers: numbers.iter().map(|n| n.to_string()).collect(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .verdicts
}

/// The first append of an expiry fails (a store away for a moment): what
/// the deadline timer must survive.
#[derive(Debug, Default)]
pub struct ExpiryFailsOnce {
    failed: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl Interpose for ExpiryFailsOnce {
    async fn before_append(
        &self,
        _inner: &dyn EventStore,
        _stream: &minsheng_eventstore::StreamName,
        events: &[minsheng_eventstore::NewEvent],
    ) -> Result<(), minsheng_eventstore::StoreError> {
        let expiry = events
            .iter()
            .any(|e| e.event_type == "fraud.StopPaymentExpired");
        if expiry && !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(minsheng_eventstore::StoreError::Unavailable(
                "the store is away for a moment".to_owned(),
            ));
        }
        Ok(())
    }
}

/// [`spawn_with_clock`] on a store of the test's choosing.
pub async fn spawn_on(
    store: Arc<dyn EventStore>,
    deadline: chrono::Duration,
    clock: Arc<dyn Clock>,
) -> App {
    let target: Arc<dyn Target> = Arc::new(FraudTarget {
        config: FraudConfig {
            stop_deadline: deadline,
        },
    });
    let vault = minsheng_runtime::personal_data::ephemeral();
    let process = local::start_with_clock(
        store.clone(),
        &[target],
        keys(),
        person_keys(),
        vault.clone(),
        clock,
    )
    .await
    .unwrap();
    App {
        grpc: process.grpc,
        store,
        vault,
        process,
    }
}
