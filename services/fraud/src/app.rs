//! The centre's use cases. No transport here: the gRPC layer parses
//! requests into domain values and maps [`AppError`] to statuses.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use minsheng_contracts::fraud::InterceptionReported;
use minsheng_eventstore::{
    CommandContext, CommandError, CommandRunner, Executed, ExpectedVersion, RecordedEvent,
    StoreError, StreamName, codec,
};
use minsheng_runtime::clock::Clock;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_vault::{Opened, Personal, Vault, VaultError};

use crate::domain::alert::{Alert, AlertCommand, AlertRule};
use crate::domain::events::{BlockCategory, FraudEvent};
use crate::domain::fugitive::{Fugitive, FugitiveCommand, FugitiveRule};
use crate::domain::number::{BlockedNumber, NumberCommand, NumberRule};
use crate::domain::stop_payment::{StopCommand, StopPayment, StopRule};
use crate::domain::values::{Fen, Institution, InvalidField, Number, PersonKey, ResidentId};
use crate::live::FraudLive;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Alert(#[from] CommandError<AlertRule>),
    #[error(transparent)]
    Stop(#[from] CommandError<StopRule>),
    #[error(transparent)]
    Number(#[from] CommandError<NumberRule>),
    #[error(transparent)]
    Fugitive(#[from] CommandError<FugitiveRule>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("no alert with this id")]
    NoAlert,
    #[error("a stop-payment asks at most the amount the alert reported")]
    OverReported,
}

#[derive(Clone, Debug)]
pub struct FraudConfig {
    /// How long a partner has to answer a stop-payment request.
    pub stop_deadline: Duration,
}

impl Default for FraudConfig {
    fn default() -> Self {
        FraudConfig {
            stop_deadline: Duration::hours(2),
        }
    }
}

#[derive(Debug)]
pub struct FraudApp {
    runner: CommandRunner,
    person_keys: PersonKeys,
    vault: Arc<Vault>,
    live: Arc<FraudLive>,
    config: FraudConfig,
    clock: Arc<dyn Clock>,
}

fn stream(aggregate: &str, id: &str) -> Result<StreamName, StoreError> {
    StreamName::parse(&format!("fraud.{aggregate}.{id}"))
}

impl FraudApp {
    pub fn new(
        runner: CommandRunner,
        person_keys: PersonKeys,
        vault: Arc<Vault>,
        live: Arc<FraudLive>,
        config: FraudConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        FraudApp {
            runner,
            person_keys,
            vault,
            live,
            config,
            clock,
        }
    }

    /// `value`, a personal value of `person`, sealed for them (called once
    /// every field of a request has parsed).
    pub async fn seal<T: AsRef<str>>(
        &self,
        person: &PersonKey,
        value: &T,
    ) -> Result<Personal<T>, AppError> {
        Ok(self
            .vault
            .seal_personal(person.as_str(), value.as_ref())
            .await?)
    }

    /// A personal field read back for an answer, or that its person was
    /// forgotten.
    pub async fn open<T: AsRef<str>>(&self, field: &Personal<T>) -> Result<Opened, AppError> {
        Ok(self.vault.open_personal(field).await?)
    }

    /// The time now, by the process's clock: handlers read it once per call.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn live(&self) -> &Arc<FraudLive> {
        &self.live
    }

    pub fn person(&self, id: &ResidentId) -> PersonKey {
        PersonKey::from_hash(self.person_keys.key_of(id.as_str()))
    }

    /// A number's stream: named by a keyed hash, as a number is personal data.
    fn number_stream(&self, number: Number) -> Result<StreamName, StoreError> {
        stream(
            "number",
            &self.person_keys.key_of(&format!("number:{number}")),
        )
    }

    pub async fn alert(
        &self,
        id: &str,
        command: AlertCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        Ok(self
            .runner
            .execute::<Alert>(&stream("alert", id)?, &command, context)
            .await?)
    }

    /// Blocks the numbers a reported alert names (the firewall's reaction
    /// to `AlertReported`, run by [`crate::reactions`]). Blocking a number
    /// already blocked writes nothing, so a repeat is harmless.
    pub async fn block_named_numbers(
        &self,
        alert_id: &str,
        numbers: &[Number],
        context: &CommandContext,
    ) -> Result<(), AppError> {
        for number in numbers {
            let block = NumberCommand::Block {
                number: *number,
                category: BlockCategory::FraudAlert,
                alert_id: Some(alert_id.to_owned()),
                reason: None,
                now: self.clock.now(),
            };
            self.runner
                .execute::<BlockedNumber>(&self.number_stream(*number)?, &block, context)
                .await?;
        }
        Ok(())
    }

    pub async fn get_alert(&self, id: &str) -> Result<Option<(Alert, u64)>, AppError> {
        Ok(self.runner.find::<Alert>(&stream("alert", id)?).await?)
    }

    pub async fn request_stop(
        &self,
        id: &str,
        alert_id: &str,
        account_index: usize,
        amount: Fen,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        let (alert, _) = self.get_alert(alert_id).await?.ok_or(AppError::NoAlert)?;
        let reported = alert.reported.ok_or(AppError::NoAlert)?;
        let account = reported
            .accounts
            .get(account_index)
            .cloned()
            .ok_or(InvalidField {
                field: "account_index",
                expected: "the index of one of the alert's receiving accounts",
            })?;
        if amount > reported.amount {
            return Err(AppError::OverReported);
        }
        let now = self.clock.now();
        let command = StopCommand::Request {
            alert_id: alert_id.to_owned(),
            account,
            amount,
            alert_reported_at: reported.reported_at,
            now,
            deadline: now + self.config.stop_deadline,
        };
        Ok(self
            .runner
            .execute::<StopPayment>(&stream("stop", id)?, &command, context)
            .await?)
    }

    pub async fn stop(
        &self,
        id: &str,
        command: StopCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        Ok(self
            .runner
            .execute::<StopPayment>(&stream("stop", id)?, &command, context)
            .await?)
    }

    pub async fn number(
        &self,
        number: Number,
        command: NumberCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        Ok(self
            .runner
            .execute::<BlockedNumber>(&self.number_stream(number)?, &command, context)
            .await?)
    }

    /// A number's blocklist history, oldest first.
    pub async fn number_history(&self, number: Number) -> Result<Vec<RecordedEvent>, AppError> {
        match self
            .runner
            .store()
            .read_stream(&self.number_stream(number)?, 1, 1000)
            .await
        {
            Ok(events) => Ok(events),
            Err(StoreError::StreamNotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn fugitive(
        &self,
        id: &str,
        command: FugitiveCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        Ok(self
            .runner
            .execute::<Fugitive>(&stream("fugitive", id)?, &command, context)
            .await?)
    }

    /// Counts an interception a partner reports.
    pub async fn report_interception(
        &self,
        institution: Institution,
        number: Number,
        at: DateTime<Utc>,
        context: &CommandContext,
    ) -> Result<u64, AppError> {
        let event = codec::encode(&FraudEvent::InterceptionReported(InterceptionReported {
            number,
            institution: institution.clone(),
            at,
        }))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .with_metadata(context.metadata.clone());
        let outcome = self
            .runner
            .store()
            .append(
                &stream("interceptions", institution.as_str())?,
                ExpectedVersion::Any,
                vec![event],
                context.request_id.as_ref(),
            )
            .await?;
        Ok(outcome.last_version)
    }
}
