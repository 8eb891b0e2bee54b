//! Forget and export: the holds read from the person files, the data key
//! destroyed through the vault, the events read from the store, and each
//! call recorded with its officer. No transport here.

use std::sync::{Arc, Mutex, PoisonError};

use minsheng_eventstore::{
    CommandContext, CommandError, CommandRunner, EventStore, RecordedEvent, StoreError, StreamName,
};
use minsheng_runtime::clock::Clock;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_values::{PersonKey, ResidentId};
use minsheng_vault::{Opened, Sealed, Vault, VaultError};

use crate::domain::files::{PersonFiles, TheirEvents};
use crate::domain::record::{PersonRecord, RecordCommand};

/// Events of one stream read per page of an export.
const PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The refusal is recorded; the answer names every hold.
    #[error("the person's data is held: {}", .0.join("; "))]
    Held(Vec<String>),
    #[error(transparent)]
    Record(#[from] CommandError<std::convert::Infallible>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// One event that names the person, with their sealed values opened.
#[derive(Clone, Debug)]
pub struct HeldEvent {
    pub event: RecordedEvent,
    pub payload: serde_json::Value,
}

#[derive(Debug)]
pub struct PrivacyApp {
    store: Arc<dyn EventStore>,
    runner: CommandRunner,
    person_keys: PersonKeys,
    vault: Arc<Vault>,
    files: Arc<Mutex<PersonFiles>>,
    clock: Arc<dyn Clock>,
}

impl PrivacyApp {
    pub fn new(
        store: Arc<dyn EventStore>,
        person_keys: PersonKeys,
        vault: Arc<Vault>,
        files: Arc<Mutex<PersonFiles>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PrivacyApp {
            runner: CommandRunner::new(store.clone()),
            store,
            person_keys,
            vault,
            files,
            clock,
        }
    }

    /// Today, by the process's clock (a resident ID's birth date is checked
    /// against it).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    /// The person key of a validated resident ID.
    pub fn person(&self, id: &ResidentId) -> PersonKey {
        PersonKey::from_hash(self.person_keys.key_of(id.as_str()))
    }

    async fn record(
        &self,
        command: RecordCommand,
        context: &CommandContext,
    ) -> Result<(), AppError> {
        let person = match &command {
            RecordCommand::RecordForgotten { person, .. }
            | RecordCommand::RecordRefusal { person, .. }
            | RecordCommand::RecordExport { person, .. } => person.clone(),
        };
        let stream = StreamName::parse(&format!("privacy.person.{}", person.as_str()))?;
        self.runner
            .execute::<PersonRecord>(&stream, &command, context)
            .await?;
        Ok(())
    }

    /// Destroys `person`'s data key, unless something holds their data
    /// (then the refusal is recorded and every hold named). Returns
    /// whether they had a key. The holds are the person files' as far as
    /// they have followed the other contexts (a hold recorded a moment ago
    /// elsewhere may not be seen yet).
    pub async fn forget(
        &self,
        person: PersonKey,
        context: &CommandContext,
    ) -> Result<bool, AppError> {
        let holds = self
            .files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .holds_of(&person);
        if !holds.is_empty() {
            self.record(
                RecordCommand::RecordRefusal {
                    person,
                    holds: holds.clone(),
                },
                context,
            )
            .await?;
            return Err(AppError::Held(holds));
        }
        // The key first: once it is gone the values are, whatever happens
        // to the record (a retry records it, finding no key).
        let had_key = self.vault.forget(person.as_str()).await?;
        self.record(RecordCommand::RecordForgotten { person, had_key }, context)
            .await?;
        Ok(had_key)
    }

    /// Every event of theirs ([`TheirEvents`]) in every stream that names
    /// `person`, stream by stream, with their sealed values opened;
    /// recorded as exported.
    pub async fn export(
        &self,
        person: PersonKey,
        context: &CommandContext,
    ) -> Result<Vec<HeldEvent>, AppError> {
        let streams = self
            .files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .streams_of(&person);
        let mut held = Vec::new();
        for stream in streams {
            let stream = StreamName::parse(&stream)?;
            let mut theirs = TheirEvents::new(&person);
            let mut from = 1;
            loop {
                let page = self.store.read_stream(&stream, from, PAGE).await?;
                let Some(last) = page.last() else { break };
                from = last.version + 1;
                let full = page.len() == PAGE;
                for event in page {
                    let mut payload: serde_json::Value =
                        serde_json::from_str(event.payload.get()).unwrap_or_default();
                    if !theirs.next_is_theirs(&payload) {
                        continue;
                    }
                    self.open_for(&person, &mut payload).await?;
                    held.push(HeldEvent { event, payload });
                }
                if !full {
                    break;
                }
            }
        }
        self.record(
            RecordCommand::RecordExport {
                person,
                events: u32::try_from(held.len()).unwrap_or(u32::MAX),
            },
            context,
        )
        .await?;
        Ok(held)
    }

    /// Replaces each sealed value in `payload` by what the person may see:
    /// their own opened, another person's as such, a forgotten one as such.
    async fn open_for(
        &self,
        person: &PersonKey,
        payload: &mut serde_json::Value,
    ) -> Result<(), AppError> {
        let mut pending = vec![payload];
        while let Some(value) = pending.pop() {
            let looks_sealed = value.as_object().is_some_and(|o| o.contains_key("sealed"));
            if let Some(sealed) = looks_sealed
                .then(|| serde_json::from_value::<Sealed>(value.clone()).ok())
                .flatten()
            {
                *value = serde_json::Value::String(if sealed.person != person.as_str() {
                    "(another person's)".to_owned()
                } else {
                    match self.vault.open(&sealed).await? {
                        Opened::Value(opened) => opened,
                        Opened::Forgotten => "(forgotten)".to_owned(),
                    }
                });
                continue;
            }
            match value {
                serde_json::Value::Array(items) => pending.extend(items.iter_mut()),
                serde_json::Value::Object(fields) => pending.extend(fields.values_mut()),
                _ => {}
            }
        }
        Ok(())
    }
}
