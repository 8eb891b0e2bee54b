//! The sighting desk: what happens to each tag a reader reports. This is
//! the mesh's hottest path (bursts of thousands a second), so it is plain
//! in-memory work, no I/O:
//!
//! - the reader must be known and in service, the time sane;
//! - a tag that is not on the stolen list is only counted, per reader and
//!   per minute, and forgotten: the city keeps no trail of law-abiding
//!   residents;
//! - a stolen tag is a hit, unless the same tag was hit at the same reader
//!   within the dedupe window (then it is a repeat).
//!
//! The desk is a read model: built from the context's events (readers
//! installed and retired, thefts reported, hits, recoveries) and kept up
//! by subscription. Recording a hit durably is the caller's job. It also
//! knows the stolen bikes' frame and motor numbers, so that a registration
//! of a stolen bike under a new tag is recognised.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use minsheng_contracts::vehicle::{EbikeReportedStolen, StolenEbikeSighted};

use super::events::VehicleEvent;
use super::values::{self, District, InvalidField, Location, TagId};

/// How old a reported sighting may be: a base station that was offline
/// longer than this has lost its buffer's meaning.
pub const MAX_SIGHTING_AGE: Duration = Duration::hours(24);

#[derive(Clone, Debug)]
struct ReaderEntry {
    location: Location,
    district: District,
    in_service: bool,
    /// Sightings counted in `minute` (minutes since the epoch) and the one before.
    minute: i64,
    this_minute: u64,
    last_minute: u64,
}

/// A hit to record on the stolen bike's stream.
#[derive(Clone, Debug, PartialEq)]
pub struct HitDraft {
    pub tag: TagId,
    pub reader_id: String,
    pub district: District,
    pub location: Location,
    pub seen_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Not a stolen bike: counted, not stored.
    Counted,
    /// A stolen bike, first seen here within the window.
    Hit(HitDraft),
    /// A stolen bike already hit at this reader within the window.
    Repeated,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SightingRefusal {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("unknown reader")]
    UnknownReader,
    #[error("the reader is out of service")]
    RetiredReader,
    #[error("seen_at is more than 24 hours old")]
    TooOld,
}

/// Which of a bike's serial numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Serial {
    Frame,
    Motor,
}

const SERIALS: [Serial; 2] = [Serial::Frame, Serial::Motor];

#[derive(Debug, Default)]
struct StolenEntry {
    case_id: String,
    hits: Vec<(String, DateTime<Utc>)>,
    /// The bike's frame and motor numbers (empty if its theft report
    /// predates them).
    numbers: [String; 2],
}

#[derive(Debug)]
pub struct SightingDesk {
    readers: HashMap<String, ReaderEntry>,
    /// Stolen tags, each with its theft case and the readers that hit it and when.
    stolen: HashMap<TagId, StolenEntry>,
    /// The frame and motor numbers of the stolen bikes, to the bike's tag:
    /// a thief may swap the tag, not the frame. (The frame's and the
    /// motor's are keyed apart: one bike's frame number may be another's
    /// motor number.)
    stolen_numbers: HashMap<(Serial, String), TagId>,
    window: Duration,
}

impl SightingDesk {
    /// `window`: two sightings of a stolen tag at one reader closer than
    /// this are one hit.
    pub fn new(window: Duration) -> Self {
        SightingDesk {
            readers: HashMap::new(),
            stolen: HashMap::new(),
            stolen_numbers: HashMap::new(),
            window,
        }
    }

    /// Decides what one sighting is, and counts it.
    pub fn classify(
        &mut self,
        tag: &str,
        reader_id: &str,
        seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Verdict, SightingRefusal> {
        let tag = TagId::parse("tag_id", tag)?;
        let seen_at = values::past_time("seen_at", seen_at, now)?;
        if now - seen_at > MAX_SIGHTING_AGE {
            return Err(SightingRefusal::TooOld);
        }
        let reader = self
            .readers
            .get_mut(reader_id)
            .ok_or(SightingRefusal::UnknownReader)?;
        if !reader.in_service {
            return Err(SightingRefusal::RetiredReader);
        }
        let Some(StolenEntry { hits, .. }) = self.stolen.get_mut(&tag) else {
            count(reader, seen_at);
            return Ok(Verdict::Counted);
        };
        let window = self.window;
        if let Some((_, last)) = hits.iter_mut().find(|(r, _)| r == reader_id) {
            if (seen_at - *last).abs() < window {
                return Ok(Verdict::Repeated);
            }
            *last = seen_at;
        } else {
            hits.push((reader_id.to_owned(), seen_at));
        }
        Ok(Verdict::Hit(HitDraft {
            tag,
            reader_id: reader_id.to_owned(),
            district: reader.district,
            location: reader.location,
            seen_at,
        }))
    }

    /// Forgets a hit that could not be recorded, so that the next sighting
    /// raises it again.
    pub fn forget_hit(&mut self, hit: &HitDraft) {
        if let Some(StolenEntry { hits, .. }) = self.stolen.get_mut(&hit.tag) {
            hits.retain(|(r, at)| !(r == &hit.reader_id && *at == hit.seen_at));
        }
    }

    /// Follows the context's events. `id` is the stream's id: the tag for
    /// e-bikes, the reader id for readers.
    pub fn apply(&mut self, id: &str, event: &VehicleEvent) {
        use VehicleEvent as E;
        match event {
            E::ReaderInstalled { location, district } => {
                self.readers.insert(
                    id.to_owned(),
                    ReaderEntry {
                        location: *location,
                        district: *district,
                        in_service: true,
                        minute: 0,
                        this_minute: 0,
                        last_minute: 0,
                    },
                );
            }
            E::ReaderRetired {} => {
                if let Some(reader) = self.readers.get_mut(id) {
                    reader.in_service = false;
                }
            }
            E::EbikeReportedStolen(EbikeReportedStolen {
                case_id,
                frame_number,
                motor_number,
                ..
            }) => {
                if let Ok(tag) = TagId::parse("tag_id", id) {
                    let numbers = [frame_number.clone(), motor_number.clone()];
                    for (serial, number) in SERIALS.into_iter().zip(&numbers) {
                        if !number.is_empty() {
                            self.stolen_numbers.insert((serial, number.clone()), tag);
                        }
                    }
                    let entry = self.stolen.entry(tag).or_default();
                    entry.case_id = case_id.clone();
                    entry.numbers = numbers;
                }
            }
            E::StolenEbikeSighted(StolenEbikeSighted {
                reader_id, seen_at, ..
            }) => {
                if let Some(StolenEntry { hits, .. }) = TagId::parse("tag_id", id)
                    .ok()
                    .and_then(|t| self.stolen.get_mut(&t))
                {
                    match hits.iter_mut().find(|(r, _)| r == reader_id) {
                        Some((_, last)) => *last = (*last).max(*seen_at),
                        None => hits.push((reader_id.clone(), *seen_at)),
                    }
                }
            }
            E::EbikeRecovered(_) | E::EbikeReturnedToOwner {} | E::EbikeDeregistered { .. } => {
                let Ok(tag) = TagId::parse("tag_id", id) else {
                    return;
                };
                if let Some(entry) = self.stolen.remove(&tag) {
                    for key in SERIALS.into_iter().zip(entry.numbers) {
                        // Unless another stolen bike claimed the number since.
                        if self.stolen_numbers.get(&key) == Some(&tag) {
                            self.stolen_numbers.remove(&key);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub fn is_stolen(&self, tag: TagId) -> bool {
        self.stolen.contains_key(&tag)
    }

    /// The tag of a stolen bike with this frame or motor number, if any.
    pub fn stolen_bike_numbered(&self, frame_number: &str, motor_number: &str) -> Option<TagId> {
        SERIALS
            .into_iter()
            .zip([frame_number, motor_number])
            .find_map(|(serial, number)| {
                self.stolen_numbers
                    .get(&(serial, number.to_owned()))
                    .copied()
            })
    }

    /// The theft case of a stolen tag.
    pub fn case_of(&self, tag: TagId) -> Option<&str> {
        self.stolen.get(&tag).map(|s| s.case_id.as_str())
    }

    pub fn stolen_count(&self) -> usize {
        self.stolen.len()
    }

    /// Sightings counted at `reader_id` in the current and the previous
    /// minute of its own reports.
    pub fn reader_activity(&self, reader_id: &str) -> Option<(u64, u64)> {
        self.readers
            .get(reader_id)
            .map(|r| (r.this_minute, r.last_minute))
    }
}

fn count(reader: &mut ReaderEntry, seen_at: DateTime<Utc>) {
    let minute = seen_at.timestamp().div_euclid(60);
    if minute == reader.minute {
        reader.this_minute += 1;
    } else if minute > reader.minute {
        reader.last_minute = if minute == reader.minute + 1 {
            reader.this_minute
        } else {
            0
        };
        reader.minute = minute;
        reader.this_minute = 1;
    } else if minute + 1 == reader.minute {
        reader.last_minute += 1;
    }
}
