//! The context's live read models, kept in memory and rebuilt from the
//! events at every start (they are small: the readers, the stolen tags and
//! the hits, not the 1.5 M registrations, whose events are skipped without
//! being decoded):
//!
//! - the [`SightingDesk`] (readers, stolen tags, recent hits for dedupe);
//! - the hit log, by district and time, for `ListHits`;
//! - the hit feed, for `WatchHits`: every hit recorded by any process
//!   sharing the store, as the subscription delivers it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::StolenEbikeSighted;
use minsheng_eventstore::{Context, RecordedEvent, codec};
use minsheng_runtime::subscription::{FromTheStart, SubscriberError};
use tokio::sync::broadcast;

use crate::domain::events::{LIVE_TYPES, VehicleEvent};
use crate::domain::sighting::SightingDesk;
use crate::domain::values::{District, Location, TagId};

/// Hits kept for `ListHits`; the oldest go first beyond this.
const HIT_LOG_LIMIT: usize = 1_000_000;

/// A hit as the consoles see it.
#[derive(Clone, Debug, PartialEq)]
pub struct HitRecord {
    pub tag: TagId,
    pub reader_id: String,
    pub district: District,
    pub location: Location,
    pub seen_at: DateTime<Utc>,
    pub case_id: String,
    pub version: u64,
}

#[derive(Debug)]
pub struct LiveView {
    desk: Mutex<SightingDesk>,
    hits: RwLock<BTreeMap<(DateTime<Utc>, u64), HitRecord>>,
    feed: broadcast::Sender<HitRecord>,
    /// The last position fed to watchers: a replay after a restart of the
    /// subscription does not send old hits again.
    fed: AtomicU64,
}

impl LiveView {
    pub fn new(desk: SightingDesk) -> Arc<Self> {
        Arc::new(LiveView {
            desk: Mutex::new(desk),
            hits: RwLock::new(BTreeMap::new()),
            feed: broadcast::channel(4096).0,
            fed: AtomicU64::new(0),
        })
    }

    /// The desk, for classifying sightings (held briefly: it is shared by
    /// every stream of sightings and by the subscription).
    pub fn desk(&self) -> MutexGuard<'_, SightingDesk> {
        self.desk.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hits from now on. A watcher that falls more than 4096 hits behind
    /// misses some and is told so.
    pub fn watch(&self) -> broadcast::Receiver<HitRecord> {
        self.feed.subscribe()
    }

    /// Hits in `district` (all if none) with `from <= seen_at < to`, oldest
    /// first, at most `limit`.
    pub fn hits_between(
        &self,
        district: Option<District>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<HitRecord> {
        let hits = self.hits.read().unwrap_or_else(PoisonError::into_inner);
        hits.range((from, 0)..(to, 0))
            .map(|(_, hit)| hit)
            .filter(|hit| district.is_none_or(|d| d == hit.district))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Follows one event of the context.
    fn apply(&self, recorded: &RecordedEvent) -> Result<(), SubscriberError> {
        if !LIVE_TYPES.contains(&recorded.event_type.as_str()) {
            return Ok(());
        }
        let event: VehicleEvent = codec::decode(recorded)?;
        let id = recorded.stream.id();
        let case_id = {
            let mut desk = self.desk();
            // The case of a hit is read before a recovery would clear it.
            let case = TagId::parse("tag_id", id)
                .ok()
                .and_then(|tag| desk.case_of(tag).map(str::to_owned));
            desk.apply(id, &event);
            case
        };
        if let VehicleEvent::StolenEbikeSighted(StolenEbikeSighted {
            reader_id,
            district,
            location,
            seen_at,
        }) = event
        {
            let Ok(tag) = TagId::parse("tag_id", id) else {
                return Ok(());
            };
            let hit = HitRecord {
                tag,
                reader_id,
                district,
                location,
                seen_at,
                case_id: case_id.unwrap_or_default(),
                version: recorded.version,
            };
            {
                let mut hits = self.hits.write().unwrap_or_else(PoisonError::into_inner);
                hits.insert((seen_at, recorded.position.0), hit.clone());
                while hits.len() > HIT_LOG_LIMIT {
                    hits.pop_first();
                }
            }
            let position = recorded.position.0;
            if self.fed.fetch_max(position, Ordering::SeqCst) < position {
                // No watcher is fine.
                let _ = self.feed.send(hit);
            }
        }
        Ok(())
    }
}

/// Feeds the live view from the start of the context's log at every start.
pub fn subscriber(
    view: Arc<LiveView>,
    context: Context,
) -> impl minsheng_runtime::subscription::Subscriber {
    FromTheStart::new("vehicle-live", context, move |event| view.apply(event))
}
