//! `minsheng.fraud.v1.Firewall`: the blocklist, and partners screening
//! against it.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use minsheng_contracts::fraud::NumberBlocked;
use minsheng_eventstore::codec;
use tonic::{Request, Response, Status, Streaming};

use super::{command_context, invalid, partner, pb, time, timestamp, to_status, written};
use crate::app::FraudApp;
use crate::domain::events::{BlockCategory, FraudEvent};
use crate::domain::number::NumberCommand;
use crate::domain::values::{Number, Text};
use crate::live::FraudLive;

/// Numbers in one screening request.
const MAX_SCREEN: usize = 1000;

#[derive(Clone, Debug)]
pub struct FirewallApi {
    pub(crate) app: Arc<FraudApp>,
}

fn category(c: BlockCategory) -> pb::BlockCategory {
    match c {
        BlockCategory::FraudAlert => pb::BlockCategory::FraudAlert,
        BlockCategory::Analyst => pb::BlockCategory::Analyst,
    }
}

fn screen(live: &FraudLive, request: pb::ScreenRequest) -> Result<pb::ScreenResponse, Status> {
    if request.numbers.len() > MAX_SCREEN {
        return Err(minsheng_runtime::grpc::status::invalid_field(
            "numbers",
            "at most 1000 in one request",
        ));
    }
    let parsed: Vec<Result<Number, _>> = request
        .numbers
        .iter()
        .map(|n| Number::parse("numbers", n))
        .collect();
    let valid: Vec<Number> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().copied())
        .collect();
    let mut blocks = live.screen_all(valid.iter()).into_iter();
    let verdicts = request
        .numbers
        .into_iter()
        .zip(parsed)
        .map(|(number, parsed)| match parsed {
            Err(e) => pb::Verdict {
                number,
                invalid: e.expected.to_owned(),
                ..pb::Verdict::default()
            },
            Ok(_) => match blocks.next().flatten() {
                Some(block) => pb::Verdict {
                    number,
                    blocked: true,
                    since: Some(timestamp(block.since)),
                    category: category(block.category) as i32,
                    invalid: String::new(),
                },
                None => pb::Verdict {
                    number,
                    ..pb::Verdict::default()
                },
            },
        })
        .collect();
    Ok(pb::ScreenResponse { verdicts })
}

fn number(field: &'static str, text: &str) -> Result<Number, Status> {
    Number::parse(field, text).map_err(invalid)
}

#[tonic::async_trait]
impl pb::firewall_server::Firewall for FirewallApi {
    async fn block_number(
        &self,
        request: Request<pb::BlockNumberRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let number = number("number", &r.number)?;
        let command = NumberCommand::Block {
            number,
            category: BlockCategory::Analyst,
            alert_id: None,
            reason: Some(Text::parse("reason", &r.reason).map_err(invalid)?),
            now: self.app.now(),
        };
        let context = command_context(&request)?;
        written(
            self.app.number(number, command, &context).await,
            String::new(),
        )
    }

    async fn unblock_number(
        &self,
        request: Request<pb::UnblockNumberRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let number = number("number", &r.number)?;
        let command = NumberCommand::Unblock {
            number,
            reason: Text::parse("reason", &r.reason).map_err(invalid)?,
            now: self.app.now(),
        };
        let context = command_context(&request)?;
        written(
            self.app.number(number, command, &context).await,
            String::new(),
        )
    }

    async fn screen(
        &self,
        request: Request<pb::ScreenRequest>,
    ) -> Result<Response<pb::ScreenResponse>, Status> {
        Ok(Response::new(screen(
            self.app.live(),
            request.into_inner(),
        )?))
    }

    type ScreenStreamStream =
        Pin<Box<dyn Stream<Item = Result<pb::ScreenResponse, Status>> + Send>>;

    async fn screen_stream(
        &self,
        request: Request<Streaming<pb::ScreenRequest>>,
    ) -> Result<Response<Self::ScreenStreamStream>, Status> {
        let live = self.app.live().clone();
        let answers = request
            .into_inner()
            .map(move |message| screen(&live, message?));
        Ok(Response::new(Box::pin(answers)))
    }

    async fn report_interception(
        &self,
        request: Request<pb::ReportInterceptionRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let number = number("number", &r.number)?;
        let at = time("intercepted_at", r.intercepted_at)?;
        let institution = partner(&request)?;
        let context = command_context(&request)?;
        let version = self
            .app
            .report_interception(institution, number, at, &context)
            .await
            .map_err(|e| to_status(&e))?;
        Ok(Response::new(pb::Written {
            version,
            id: String::new(),
        }))
    }

    async fn get_number_history(
        &self,
        request: Request<pb::GetNumberHistoryRequest>,
    ) -> Result<Response<pb::NumberHistory>, Status> {
        let number = number("number", &request.get_ref().number)?;
        let events = self
            .app
            .number_history(number)
            .await
            .map_err(|e| to_status(&e))?;
        let entries = events
            .iter()
            .filter_map(|recorded| {
                let actor = recorded.metadata.actor.clone().unwrap_or_default();
                match codec::decode::<FraudEvent>(recorded).ok()? {
                    FraudEvent::NumberBlocked(NumberBlocked {
                        category: c,
                        alert_id,
                        reason,
                        at,
                        ..
                    }) => Some(pb::NumberHistoryEntry {
                        blocked: true,
                        category: category(c) as i32,
                        reason: reason.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                        alert_id: alert_id.unwrap_or_default(),
                        at: Some(timestamp(at)),
                        actor,
                    }),
                    FraudEvent::NumberUnblocked { reason, at, .. } => {
                        Some(pb::NumberHistoryEntry {
                            blocked: false,
                            reason: reason.as_str().to_owned(),
                            at: Some(timestamp(at)),
                            actor,
                            ..pb::NumberHistoryEntry::default()
                        })
                    }
                    _ => None,
                }
            })
            .collect();
        Ok(Response::new(pb::NumberHistory { entries }))
    }
}
