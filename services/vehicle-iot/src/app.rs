//! The context's use cases: validated commands in, events out through the
//! command runner; sightings through the desk. No transport here: the gRPC
//! layer parses requests into domain values and maps [`AppError`] to
//! statuses.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use minsheng_eventstore::{
    CommandContext, CommandError, CommandRunner, Executed, StoreError, StreamName,
};
use minsheng_runtime::clock::Clock;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_vault::{Opened, Personal, Vault, VaultError};

use crate::domain::card::{CardCommand, CardRule, ResidentCard};
use crate::domain::ebike::{Ebike, EbikeCommand, EbikeRule, Registration};
use crate::domain::reader::{Reader, ReaderCommand, ReaderRule};
use crate::domain::room::{RentalRoom, RoomCommand, RoomRule};
use crate::domain::sighting::{SightingRefusal, Verdict};
use crate::domain::values::{PersonKey, ResidentId, TagId};
use crate::live::LiveView;
use crate::metrics::SightingMetrics;

/// Every way a use case fails.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Ebike(#[from] CommandError<EbikeRule>),
    #[error(transparent)]
    Reader(#[from] CommandError<ReaderRule>),
    #[error(transparent)]
    Card(#[from] CommandError<CardRule>),
    #[error(transparent)]
    Room(#[from] CommandError<RoomRule>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// What a batch or stream of sightings came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SightingTally {
    pub received: u64,
    pub counted: u64,
    pub hits: u64,
    pub repeated: u64,
    pub refused: u64,
    /// The first few refusals' reasons, with the sighting's index.
    pub refusals: Vec<String>,
}

impl SightingTally {
    fn add(&mut self, more: SightingTally) {
        self.received += more.received;
        self.counted += more.counted;
        self.hits += more.hits;
        self.repeated += more.repeated;
        self.refused += more.refused;
        let room = REFUSALS_KEPT.saturating_sub(self.refusals.len());
        self.refusals.extend(more.refusals.into_iter().take(room));
    }
}

/// Refusal reasons kept per call.
const REFUSALS_KEPT: usize = 10;

#[derive(Debug)]
pub struct VehicleApp {
    runner: CommandRunner,
    person_keys: PersonKeys,
    vault: Arc<Vault>,
    /// Off only for the load generator's baseline (see `VehicleIotConfig`).
    seal_personal_data: bool,
    /// An owner's time to answer an officer's theft report.
    confirmation_window: chrono::Duration,
    live: Arc<LiveView>,
    metrics: SightingMetrics,
    clock: Arc<dyn Clock>,
}

fn stream(aggregate: &str, id: &str) -> Result<StreamName, StoreError> {
    StreamName::parse(&format!("vehicle.{aggregate}.{id}"))
}

impl VehicleApp {
    pub fn new(
        runner: CommandRunner,
        person_keys: PersonKeys,
        vault: Arc<Vault>,
        live: Arc<LiveView>,
        metrics: SightingMetrics,
        clock: Arc<dyn Clock>,
    ) -> Self {
        VehicleApp {
            runner,
            person_keys,
            vault,
            seal_personal_data: true,
            confirmation_window: chrono::Duration::hours(48),
            live,
            metrics,
            clock,
        }
    }

    /// The same, sealing personal values or (for a benchmark's baseline
    /// only) recording them in clear.
    pub fn sealing(mut self, seal: bool) -> Self {
        self.seal_personal_data = seal;
        self
    }

    /// The same, giving owners `window` to answer an officer's theft report.
    pub fn confirming_within(mut self, window: chrono::Duration) -> Self {
        self.confirmation_window = window;
        self
    }

    /// When an owner must answer an officer's theft report made `now`.
    pub fn confirm_by(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.confirmation_window
    }

    /// The time now, by the process's clock: handlers read it once per call.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn live(&self) -> &Arc<LiveView> {
        &self.live
    }

    /// The person key of a validated resident ID.
    pub fn person(&self, id: &ResidentId) -> PersonKey {
        PersonKey::from_hash(self.person_keys.key_of(id.as_str()))
    }

    /// `value`, a personal value of `person`, sealed for them: what a
    /// command carries and an event records in its place. Called once every
    /// field of a request has parsed (sealing may create the person's data
    /// key; a key alone holds nothing personal).
    pub async fn seal<T: AsRef<str> + Clone>(
        &self,
        person: &PersonKey,
        value: &T,
    ) -> Result<Personal<T>, AppError> {
        if !self.seal_personal_data {
            return Ok(Personal::Clear(value.clone()));
        }
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

    pub async fn ebike(
        &self,
        tag: TagId,
        command: EbikeCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        let stream = stream("ebike", &tag.to_string())?;
        Ok(self
            .runner
            .execute::<Ebike>(&stream, &command, context)
            .await?)
    }

    /// Registers a bike on `tag`, unless its frame or motor number is a
    /// stolen bike's (under another tag: the thief's or a buyer's new
    /// card): then the registration is refused and the attempt recorded on
    /// the stolen bike, as a lead for its case. The stolen numbers come
    /// from the live view; if the bike was recovered meanwhile, the
    /// registration goes ahead.
    pub async fn register_ebike(
        &self,
        tag: TagId,
        registration: Registration,
        at: DateTime<Utc>,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        let stolen = self
            .live
            .desk()
            .stolen_bike_numbered(&registration.frame_number, &registration.motor_number)
            .filter(|stolen| *stolen != tag);
        if let Some(stolen) = stolen {
            let lead = EbikeCommand::RecordPresentation {
                presented_by: registration.owner.clone(),
                on_tag: tag.to_string(),
                district: registration.district,
                presented_at: at,
            };
            // Its own request id: a retry records no second lead, and the
            // registration's id stays free for the registration itself.
            let context = CommandContext {
                request_id: context
                    .request_id
                    .as_ref()
                    .map(|id| id.derived("stolen-bike-presented")),
                metadata: context.metadata.clone(),
            };
            match self.ebike(stolen, lead, &context).await {
                Ok(_) => {
                    return Err(CommandError::Rejected(EbikeRule::NumbersOfAStolenBike).into());
                }
                Err(AppError::Ebike(CommandError::Rejected(EbikeRule::NotStolen))) => {}
                Err(error) => return Err(error),
            }
        }
        self.ebike(tag, EbikeCommand::Register(registration), context)
            .await
    }

    pub async fn reader(
        &self,
        id: &str,
        command: ReaderCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        let stream = stream("reader", id)?;
        Ok(self
            .runner
            .execute::<Reader>(&stream, &command, context)
            .await?)
    }

    pub async fn card(
        &self,
        id: &str,
        command: CardCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        let stream = stream("card", id)?;
        Ok(self
            .runner
            .execute::<ResidentCard>(&stream, &command, context)
            .await?)
    }

    pub async fn room(
        &self,
        id: &str,
        command: RoomCommand,
        context: &CommandContext,
    ) -> Result<Executed, AppError> {
        let stream = stream("room", id)?;
        Ok(self
            .runner
            .execute::<RentalRoom>(&stream, &command, context)
            .await?)
    }

    /// A bike's state and version, if it was ever registered.
    pub async fn get_ebike(&self, tag: TagId) -> Result<Option<(Ebike, u64)>, AppError> {
        Ok(self
            .runner
            .find::<Ebike>(&stream("ebike", &tag.to_string())?)
            .await?)
    }

    /// Classifies `sightings` and records their hits. Returns when every
    /// hit is durable; an error means some hit may not be, and the caller
    /// should send the sightings again (what was recorded is not recorded
    /// twice: the dedupe window and the stolen state see to it).
    pub async fn record_sightings(
        &self,
        sightings: impl IntoIterator<Item = (String, String, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
        context: &CommandContext,
        total: &mut SightingTally,
    ) -> Result<(), AppError> {
        let mut tally = SightingTally {
            received: total.received,
            ..SightingTally::default()
        };
        let outcome = self.record(sightings, now, context, &mut tally).await;
        tally.received -= total.received;
        self.metrics.tally(&tally);
        total.add(tally);
        outcome
    }

    async fn record(
        &self,
        sightings: impl IntoIterator<Item = (String, String, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
        context: &CommandContext,
        tally: &mut SightingTally,
    ) -> Result<(), AppError> {
        let mut hits = Vec::new();
        {
            let mut desk = self.live.desk();
            for (tag, reader, seen_at) in sightings {
                let index = tally.received;
                tally.received += 1;
                let Some(seen_at) = seen_at else {
                    tally.refused += 1;
                    if tally.refusals.len() < REFUSALS_KEPT {
                        tally.refusals.push(format!(
                            "sighting {index}: invalid seen_at: a time is required"
                        ));
                    }
                    continue;
                };
                match desk.classify(&tag, &reader, seen_at, now) {
                    Ok(Verdict::Counted) => tally.counted += 1,
                    Ok(Verdict::Repeated) => tally.repeated += 1,
                    Ok(Verdict::Hit(hit)) => hits.push(hit),
                    Err(refusal) => {
                        tally.refused += 1;
                        if tally.refusals.len() < REFUSALS_KEPT {
                            tally
                                .refusals
                                .push(format!("sighting {index}: {}", describe(&refusal)));
                        }
                    }
                }
            }
        }
        // A hit is its own command: the call's request id (if any) names
        // the whole batch, not each hit; repeats are the desk's business.
        let mut per_hit = context.clone();
        per_hit.request_id = None;
        per_hit.metadata.request_id = None;
        for hit in hits {
            let command = EbikeCommand::RecordSighting {
                reader_id: hit.reader_id.clone(),
                district: hit.district,
                location: hit.location,
                seen_at: hit.seen_at,
            };
            match self.ebike(hit.tag, command, &per_hit).await {
                Ok(executed) if executed.position.is_some() => {
                    tally.hits += 1;
                    self.metrics.hit(hit.district);
                }
                // Recovered in the meantime: only counted after all.
                Ok(_) => tally.counted += 1,
                Err(error) => {
                    self.live.desk().forget_hit(&hit);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    pub fn metrics(&self) -> &SightingMetrics {
        &self.metrics
    }
}

fn describe(refusal: &SightingRefusal) -> String {
    refusal.to_string()
}
