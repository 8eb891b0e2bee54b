//! The `fraud` target: what the runtime serves for this context.

use std::sync::Arc;

use async_trait::async_trait;
use minsheng_eventstore::{CommandRunner, Context};
use minsheng_proto::fraud::v1 as pb;
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};

use crate::app::{FraudApp, FraudConfig};
use crate::grpc::{AlertsApi, FirewallApi, FugitivesApi, StopPaymentsApi};
use crate::live::{self, FraudLive};

pub const NAME: &str = "fraud";

const ANALYST: &str = "fraud-analyst";
const PARTNER: &str = "partner";
const OFFICER: &str = "officer";

#[derive(Debug, Default)]
pub struct FraudTarget {
    pub config: FraudConfig,
}

#[async_trait]
impl Target for FraudTarget {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        let fraud = Context::parse("fraud").map_err(TargetError::of(NAME))?;
        let fraud_context = fraud.clone();
        let live = FraudLive::new();
        let app = Arc::new(FraudApp::new(
            CommandRunner::new(context.store.clone()),
            context.person_keys.clone(),
            context.vault.clone(),
            live.clone(),
            self.config.clone(),
            context.clock.clone(),
        ));
        minsheng_runtime::grpc_servers!(
            registration,
            context,
            minsheng_proto::FILE_DESCRIPTOR_SET,
            [
                (
                    pb::alerts_server::AlertsServer::new(AlertsApi {
                        app: app.clone(),
                        audit: context.read_audit.clone(),
                    }),
                    &[
                        ("ReportAlert", &[ANALYST]),
                        ("TriageAlert", &[ANALYST]),
                        ("LinkAlertToCase", &[ANALYST]),
                        ("NameSuspect", &[ANALYST]),
                        ("CloseAlert", &[ANALYST]),
                        ("GetAlert", &[ANALYST]),
                        ("GetTotals", &[ANALYST, OFFICER]),
                    ]
                ),
                (
                    pb::stop_payments_server::StopPaymentsServer::new(StopPaymentsApi {
                        app: app.clone(),
                    }),
                    &[
                        ("RequestStopPayment", &[ANALYST]),
                        ("AnswerStopPayment", &[PARTNER]),
                    ]
                ),
                (
                    pb::firewall_server::FirewallServer::new(FirewallApi { app: app.clone() }),
                    &[
                        ("BlockNumber", &[ANALYST]),
                        ("UnblockNumber", &[ANALYST]),
                        ("GetNumberHistory", &[ANALYST]),
                        ("Screen", &[PARTNER]),
                        ("ScreenStream", &[PARTNER]),
                        ("ReportInterception", &[PARTNER]),
                    ]
                ),
                (
                    pb::fugitives_server::FugitivesServer::new(FugitivesApi { app: app.clone() }),
                    &[
                        ("ListFugitive", &[OFFICER]),
                        ("LocateFugitive", &[OFFICER]),
                        ("RecordReturn", &[OFFICER]),
                        ("DelistFugitive", &[OFFICER]),
                    ]
                ),
            ]
        );
        registration
            .subscription(live::subscriber(live, fraud.clone()))
            .singleton_subscription(crate::reactions::BlockNamedNumbers::new(
                app.clone(),
                fraud.clone(),
            ))
            .deadlines(crate::deadlines::StopPaymentDeadlines {
                app,
                context: fraud_context,
            });
        Ok(())
    }
}
