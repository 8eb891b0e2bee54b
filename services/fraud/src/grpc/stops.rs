//! `minsheng.fraud.v1.StopPayments`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{command_context, invalid, new_id, parse_id, partner, pb, written};
use crate::app::FraudApp;
use crate::domain::stop_payment::{Answer, StopCommand};
use crate::domain::values::{Fen, Text};

#[derive(Clone, Debug)]
pub struct StopPaymentsApi {
    pub(crate) app: Arc<FraudApp>,
}

#[tonic::async_trait]
impl pb::stop_payments_server::StopPayments for StopPaymentsApi {
    async fn request_stop_payment(
        &self,
        request: Request<pb::RequestStopPaymentRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let alert_id = parse_id("alert_id", &r.alert_id)?;
        let amount = Fen::parse("amount_fen", r.amount_fen).map_err(invalid)?;
        let context = command_context(&request)?;
        let id = new_id(&context);
        let executed = self
            .app
            .request_stop(&id, &alert_id, r.account_index as usize, amount, &context)
            .await;
        written(executed, id)
    }

    async fn answer_stop_payment(
        &self,
        request: Request<pb::AnswerStopPaymentRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("stop_payment_id", &r.stop_payment_id)?;
        // The partner speaks for the institution its token names, and only that one.
        let institution = partner(&request)?;
        let answer = match pb::StopOutcome::try_from(r.outcome) {
            Ok(pb::StopOutcome::Stopped) => {
                Answer::Stopped(Fen::parse("amount_fen", r.amount_fen).map_err(invalid)?)
            }
            Ok(pb::StopOutcome::Frozen) => {
                Answer::Frozen(Fen::parse("amount_fen", r.amount_fen).map_err(invalid)?)
            }
            Ok(pb::StopOutcome::Failed) => {
                Answer::Failed(Text::parse("reason", &r.reason).map_err(invalid)?)
            }
            _ => {
                return Err(minsheng_runtime::grpc::status::invalid_field(
                    "outcome",
                    "one of STOPPED, FROZEN, FAILED",
                ));
            }
        };
        let command = StopCommand::Answer {
            institution,
            answer,
            now: self.app.now(),
        };
        let context = command_context(&request)?;
        written(self.app.stop(&id, command, &context).await, id)
    }
}
