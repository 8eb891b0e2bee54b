//! The context's live read models, kept in memory and rebuilt from the
//! events at every start (they are small: the readers, the stolen tags and
//! the hits, not the 1.5 M registrations, whose events are skipped without
//! being decoded):
//!
//! - the [`SightingDesk`] (readers, stolen tags, recent hits for dedupe);
//! - the hit log, by district and time, for `ListHits`;
//! - the hit feed, for `WatchHits`: every hit recorded by any process
//!   sharing the store, as the subscription delivers it;
//! - the theft reports: officers' reports awaiting their owners' answers
//!   (with their feed, for `WatchOwnerNotices`), and those under review,
//!   whose bikes' sightings are not shown as hits.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::{EbikeReportedStolen, StolenEbikeSighted, TheftReporter};
use minsheng_eventstore::{Context, RecordedEvent, codec};
use minsheng_runtime::subscription::{FromTheStart, SubscriberError};
use tokio::sync::broadcast;

use crate::domain::events::{LIVE_TYPES, VehicleEvent};
use crate::domain::sighting::SightingDesk;
use crate::domain::theft_report::ReviewReason;
use crate::domain::values::{District, Location, PersonKey, TagId};

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
    /// The bike's owner, if the theft report named them (schema 2): whose
    /// location a read of the hit may reveal.
    pub owner: Option<PersonKey>,
    pub version: u64,
}

/// An officer's theft report, awaiting the owner's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct AwaitingOwner {
    pub tag: TagId,
    pub case_id: String,
    pub officer: String,
    pub confirm_by: DateTime<Utc>,
}

/// A theft report under review.
#[derive(Clone, Debug, PartialEq)]
pub struct UnderReview {
    pub tag: TagId,
    pub case_id: String,
    pub officer: String,
    pub reason: ReviewReason,
    pub version: u64,
}

#[derive(Debug, Default)]
struct TheftReports {
    awaiting: BTreeMap<TagId, AwaitingOwner>,
    /// By the position of the event that sent it to review: oldest first.
    under_review: BTreeMap<TagId, (u64, UnderReview)>,
    /// The owners of the bikes reported stolen (by a schema 2 report).
    owners: HashMap<TagId, PersonKey>,
}

#[derive(Debug)]
pub struct LiveView {
    desk: Mutex<SightingDesk>,
    hits: RwLock<BTreeMap<(DateTime<Utc>, u64), HitRecord>>,
    feed: broadcast::Sender<HitRecord>,
    reports: RwLock<TheftReports>,
    notices: broadcast::Sender<AwaitingOwner>,
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
            reports: RwLock::new(TheftReports::default()),
            notices: broadcast::channel(4096).0,
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

    /// Officers' theft reports awaiting their owners' answers: the ones
    /// waiting now, and a feed of those made from now on (subscribed
    /// before the waiting ones are read, so none falls between).
    pub fn owner_notices(&self) -> (Vec<AwaitingOwner>, broadcast::Receiver<AwaitingOwner>) {
        let feed = self.notices.subscribe();
        let reports = self.reports.read().unwrap_or_else(PoisonError::into_inner);
        (reports.awaiting.values().cloned().collect(), feed)
    }

    /// Theft reports under review, oldest first, at most `limit`.
    pub fn under_review(&self, limit: usize) -> Vec<UnderReview> {
        let reports = self.reports.read().unwrap_or_else(PoisonError::into_inner);
        let mut reviews: Vec<&(u64, UnderReview)> = reports.under_review.values().collect();
        reviews.sort_by_key(|(position, _)| *position);
        reviews
            .into_iter()
            .take(limit)
            .map(|(_, review)| review.clone())
            .collect()
    }

    /// Whether this event is new to the watchers (not a replay after the
    /// subscription restarted).
    fn is_news(&self, recorded: &RecordedEvent) -> bool {
        let position = recorded.position.0;
        self.fed.fetch_max(position, Ordering::SeqCst) < position
    }

    /// Keeps the theft reports' states. Whether the bike's sightings are
    /// withheld (its report is under review), and its owner if known.
    fn follow_report(
        &self,
        tag: TagId,
        event: &VehicleEvent,
        recorded: &RecordedEvent,
    ) -> (bool, Option<PersonKey>) {
        let mut reports = self.reports.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            VehicleEvent::EbikeReportedStolen(EbikeReportedStolen {
                case_id,
                reported_by,
                owner,
                ..
            }) => {
                reports.under_review.remove(&tag);
                reports.awaiting.remove(&tag);
                match owner {
                    Some(owner) => reports.owners.insert(tag, owner.clone()),
                    None => reports.owners.remove(&tag),
                };
                if let TheftReporter::Officer {
                    officer,
                    confirm_by,
                } = reported_by
                {
                    let notice = AwaitingOwner {
                        tag,
                        case_id: case_id.clone(),
                        officer: officer.clone(),
                        confirm_by: *confirm_by,
                    };
                    reports.awaiting.insert(tag, notice.clone());
                    if self.is_news(recorded) {
                        // No watcher is fine: a gateway reads the waiting ones when it connects.
                        let _ = self.notices.send(notice);
                    }
                }
            }
            VehicleEvent::TheftReportUnderReview { case_id, reason } => {
                let officer = reports
                    .awaiting
                    .remove(&tag)
                    .map(|a| a.officer)
                    .or_else(|| {
                        reports
                            .under_review
                            .get(&tag)
                            .map(|(_, r)| r.officer.clone())
                    })
                    .unwrap_or_default();
                let review = UnderReview {
                    tag,
                    case_id: case_id.clone(),
                    officer,
                    reason: *reason,
                    version: recorded.version,
                };
                reports
                    .under_review
                    .insert(tag, (recorded.position.0, review));
            }
            VehicleEvent::TheftReportConfirmedByOwner {} => {
                reports.awaiting.remove(&tag);
                reports.under_review.remove(&tag);
            }
            VehicleEvent::EbikeRecovered(_) | VehicleEvent::EbikeDeregistered { .. } => {
                reports.awaiting.remove(&tag);
                reports.under_review.remove(&tag);
                reports.owners.remove(&tag);
            }
            _ => {}
        }
        (
            reports.under_review.contains_key(&tag),
            reports.owners.get(&tag).cloned(),
        )
    }

    /// Follows one event of the context.
    fn apply(&self, recorded: &RecordedEvent) -> Result<(), SubscriberError> {
        if !LIVE_TYPES.contains(&recorded.event_type.as_str()) {
            return Ok(());
        }
        let event: VehicleEvent = codec::decode(recorded)?;
        let id = recorded.stream.id();
        let (withheld, owner) = match TagId::parse("tag_id", id) {
            Ok(tag) => self.follow_report(tag, &event, recorded),
            Err(_) => (false, None),
        };
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
            if withheld {
                // Recorded, for the review; not shown as a hit.
                return Ok(());
            }
            let hit = HitRecord {
                tag,
                reader_id,
                district,
                location,
                seen_at,
                case_id: case_id.unwrap_or_default(),
                owner,
                version: recorded.version,
            };
            {
                let mut hits = self.hits.write().unwrap_or_else(PoisonError::into_inner);
                hits.insert((seen_at, recorded.position.0), hit.clone());
                while hits.len() > HIT_LOG_LIMIT {
                    hits.pop_first();
                }
            }
            if self.is_news(recorded) {
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
