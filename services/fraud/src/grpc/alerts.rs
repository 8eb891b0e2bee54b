//! `minsheng.fraud.v1.Alerts`.

use std::sync::Arc;

use minsheng_runtime::masking;
use minsheng_runtime::read_audit::{Item, ReadAudit, Reader};
use minsheng_values::{Opened, ResidentId};
use tonic::{Request, Response, Status};

use super::{command_context, invalid, new_id, parse_id, pb, time, to_status, written};
use crate::app::{AppError, FraudApp};
use crate::domain::alert::{self, AlertCommand};
use crate::domain::events::ReceivingAccount;
use crate::domain::values::{self, Account, Channel, Fen, Institution, Number, Text};
use minsheng_eventstore::CommandError;

#[derive(Clone, Debug)]
pub struct AlertsApi {
    pub(crate) app: Arc<FraudApp>,
    /// An alert read is recorded against its victim.
    pub(crate) audit: ReadAudit,
}

const GET_ALERT: &str = "minsheng.fraud.v1.Alerts/GetAlert";

fn channel(value: i32) -> Result<Channel, Status> {
    match pb::FraudChannel::try_from(value) {
        Ok(pb::FraudChannel::PhoneCall) => Ok(Channel::PhoneCall),
        Ok(pb::FraudChannel::Sms) => Ok(Channel::Sms),
        Ok(pb::FraudChannel::Online) => Ok(Channel::Online),
        Ok(pb::FraudChannel::Other) => Ok(Channel::Other),
        _ => Err(minsheng_runtime::grpc::status::invalid_field(
            "channel",
            "one of PHONE_CALL, SMS, ONLINE, OTHER",
        )),
    }
}

fn channel_out(channel: Channel) -> pb::FraudChannel {
    match channel {
        Channel::PhoneCall => pb::FraudChannel::PhoneCall,
        Channel::Sms => pb::FraudChannel::Sms,
        Channel::Online => pb::FraudChannel::Online,
        Channel::Other => pb::FraudChannel::Other,
    }
}

fn fen_out(fen: u64) -> i64 {
    i64::try_from(fen).unwrap_or(i64::MAX)
}

#[tonic::async_trait]
impl pb::alerts_server::Alerts for AlertsApi {
    async fn report_alert(
        &self,
        request: Request<pb::ReportAlertRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let now = self.app.now();
        let victim = ResidentId::parse(
            "victim_resident_id",
            &r.victim_resident_id,
            now.date_naive(),
        )
        .map_err(invalid)?;
        let accounts = r
            .accounts
            .iter()
            .map(|a| {
                Ok((
                    Account::parse("accounts.account", &a.account)?,
                    Institution::parse("accounts.institution", &a.institution)?,
                ))
            })
            .collect::<Result<Vec<_>, values::InvalidField>>()
            .map_err(invalid)?;
        let fraud_numbers = r
            .fraud_numbers
            .iter()
            .map(|n| Number::parse("fraud_numbers", n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let amount = Fen::parse("amount_fen", r.amount_fen).map_err(invalid)?;
        let channel = channel(r.channel)?;
        let transferred_at = values::past_time(
            "transferred_at",
            time("transferred_at", r.transferred_at)?,
            now,
        )
        .map_err(invalid)?;
        // Every field parsed, the metadata and the counts checked: only then
        // are the accounts sealed for the victim (sealing may write a key).
        let context = command_context(&request)?;
        alert::counts_allowed(accounts.len(), fraud_numbers.len())
            .map_err(|rule| to_status(&AppError::from(CommandError::Rejected(rule))))?;
        let victim = self.app.person(&victim);
        let mut sealed = Vec::with_capacity(accounts.len());
        for (account, institution) in accounts {
            sealed.push(ReceivingAccount {
                account: self
                    .app
                    .seal(&victim, &account)
                    .await
                    .map_err(|e| to_status(&e))?,
                institution,
            });
        }
        let command = AlertCommand::Report {
            victim,
            amount,
            channel,
            transferred_at,
            now,
            accounts: sealed,
            fraud_numbers,
        };
        let id = new_id(&context);
        written(self.app.alert(&id, command, &context).await, id)
    }

    async fn triage_alert(
        &self,
        request: Request<pb::TriageAlertRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let id = parse_id("alert_id", &request.get_ref().alert_id)?;
        let command = AlertCommand::Triage {
            urgent: request.get_ref().urgent,
        };
        let context = command_context(&request)?;
        written(self.app.alert(&id, command, &context).await, id)
    }

    async fn link_alert_to_case(
        &self,
        request: Request<pb::LinkAlertToCaseRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("alert_id", &r.alert_id)?;
        let command = AlertCommand::LinkToCase {
            case_id: values::case_id("case_id", &r.case_id).map_err(invalid)?,
        };
        let context = command_context(&request)?;
        written(self.app.alert(&id, command, &context).await, id)
    }

    async fn name_suspect(
        &self,
        request: Request<pb::NameSuspectRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("alert_id", &r.alert_id)?;
        let today = self.app.now().date_naive();
        let suspect = ResidentId::parse("suspect_resident_id", &r.suspect_resident_id, today)
            .map_err(invalid)?;
        let command = AlertCommand::NameSuspect {
            person: self.app.person(&suspect),
        };
        let context = command_context(&request)?;
        written(self.app.alert(&id, command, &context).await, id)
    }

    async fn close_alert(
        &self,
        request: Request<pb::CloseAlertRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("alert_id", &r.alert_id)?;
        let command = AlertCommand::Close {
            reason: Text::parse("reason", &r.reason).map_err(invalid)?,
        };
        let context = command_context(&request)?;
        written(self.app.alert(&id, command, &context).await, id)
    }

    async fn get_alert(
        &self,
        request: Request<pb::GetAlertRequest>,
    ) -> Result<Response<pb::AlertView>, Status> {
        let id = parse_id("alert_id", &request.get_ref().alert_id)?;
        let reader = Reader::of(&request)?;
        let (alert, version) = self
            .app
            .get_alert(&id)
            .await
            .map_err(|e| to_status(&e))?
            .ok_or_else(|| Status::not_found("no alert with this id"))?;
        let reported = alert.reported.as_ref();
        let read = Item {
            what: "alert",
            id: id.clone(),
            person: reported.map(|r| r.victim.as_str().to_owned()),
        };
        self.audit.record(&reader, GET_ALERT, [read]).await?;
        let mut stop_payments = Vec::new();
        for s in self.app.live().stops_of(&id) {
            let account = self.app.open(&s.account).await.map_err(|e| to_status(&e))?;
            stop_payments.push(pb::StopPaymentView {
                stop_payment_id: s.id,
                account_masked: match &account {
                    Opened::Value(account) => masking::account(account),
                    Opened::Forgotten => String::new(),
                },
                account_forgotten: account == Opened::Forgotten,
                institution: s.institution.as_str().to_owned(),
                amount_fen: fen_out(s.amount.get()),
                outcome: s.outcome.to_owned(),
            });
        }
        Ok(Response::new(pb::AlertView {
            alert_id: id,
            amount_fen: reported.map_or(0, |r| fen_out(r.amount.get())),
            channel: reported.map_or(pb::FraudChannel::Unspecified, |r| channel_out(r.channel))
                as i32,
            urgent: alert.urgent,
            case_id: alert.case_id.clone().unwrap_or_default(),
            closed: alert.closed,
            stop_payments,
            version,
        }))
    }

    async fn get_totals(
        &self,
        _request: Request<pb::GetTotalsRequest>,
    ) -> Result<Response<pb::Totals>, Status> {
        let t = self.app.live().totals();
        Ok(Response::new(pb::Totals {
            alerts: t.alerts,
            reported_fen: fen_out(t.reported_fen),
            stop_payments: t.stop_payments,
            stopped_fen: fen_out(t.stopped_fen),
            stopped: t.stopped,
            frozen: t.frozen,
            failed: t.failed,
            expired: t.expired,
            numbers_blocked: t.numbers_blocked,
            interceptions: t.interceptions,
            fugitives_returned: t.fugitives_returned,
        }))
    }
}
