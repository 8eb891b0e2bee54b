//! The KPI book: every figure the bureau reports, per period (day, month,
//! year) and per district where the events carry one, folded from events.
//! Pure: a projection feeds it, a query reads it, a test can recompute it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::period::Period;
use minsheng_values::District;

/// The figures. Money is in fen; times in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kpi {
    // vehicle-iot
    EbikesRegistered,
    TheftsReported,
    Hits,
    BikesRecovered,
    CasesSolved,
    Suspects,
    TheftAndResaleCases,
    ResidentCardsIssued,
    RentalRoomsRegistered,
    // fraud
    FraudAlerts,
    AmountReportedFen,
    StopPayments,
    AmountStoppedFen,
    NumbersBlocked,
    Interceptions,
    FugitivesCaptured,
    FugitivesPersuaded,
    FugitivesRepatriated,
}

impl Kpi {
    pub const ALL: [Kpi; 18] = [
        Kpi::EbikesRegistered,
        Kpi::TheftsReported,
        Kpi::Hits,
        Kpi::BikesRecovered,
        Kpi::CasesSolved,
        Kpi::Suspects,
        Kpi::TheftAndResaleCases,
        Kpi::ResidentCardsIssued,
        Kpi::RentalRoomsRegistered,
        Kpi::FraudAlerts,
        Kpi::AmountReportedFen,
        Kpi::StopPayments,
        Kpi::AmountStoppedFen,
        Kpi::NumbersBlocked,
        Kpi::Interceptions,
        Kpi::FugitivesCaptured,
        Kpi::FugitivesPersuaded,
        Kpi::FugitivesRepatriated,
    ];

    /// snake_case, as the APIs and Prometheus labels name it.
    pub fn name(self) -> &'static str {
        match self {
            Kpi::EbikesRegistered => "ebikes_registered",
            Kpi::TheftsReported => "thefts_reported",
            Kpi::Hits => "hits",
            Kpi::BikesRecovered => "bikes_recovered",
            Kpi::CasesSolved => "cases_solved",
            Kpi::Suspects => "suspects",
            Kpi::TheftAndResaleCases => "theft_and_resale_cases",
            Kpi::ResidentCardsIssued => "resident_cards_issued",
            Kpi::RentalRoomsRegistered => "rental_rooms_registered",
            Kpi::FraudAlerts => "fraud_alerts",
            Kpi::AmountReportedFen => "amount_reported_fen",
            Kpi::StopPayments => "stop_payments",
            Kpi::AmountStoppedFen => "amount_stopped_fen",
            Kpi::NumbersBlocked => "numbers_blocked",
            Kpi::Interceptions => "interceptions",
            Kpi::FugitivesCaptured => "fugitives_captured",
            Kpi::FugitivesPersuaded => "fugitives_persuaded_to_return",
            Kpi::FugitivesRepatriated => "fugitives_repatriated",
        }
    }
}

/// Where a figure is counted: the whole city, or one district.
pub type Scope = Option<District>;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "BookEntries", from = "BookEntries")]
pub struct KpiBook {
    /// Hashed, not ordered: a replay does six updates per event.
    counts: HashMap<(Period, Kpi, Scope), u64>,
    /// Seconds from an alert's report to each stop-payment request, by period.
    alert_to_request: BTreeMap<Period, Vec<u32>>,
}

/// The book as it is saved: lists, since JSON maps take only string keys.
#[derive(Serialize, Deserialize)]
struct BookEntries {
    counts: Vec<(Period, Kpi, Scope, u64)>,
    alert_to_request: Vec<(Period, Vec<u32>)>,
}

impl From<KpiBook> for BookEntries {
    fn from(book: KpiBook) -> Self {
        let mut counts: Vec<_> = book
            .counts
            .into_iter()
            .map(|((period, kpi, scope), n)| (period, kpi, scope, n))
            .collect();
        // Saved in order, so that equal books save equal bytes.
        counts.sort_unstable();
        BookEntries {
            counts,
            alert_to_request: book.alert_to_request.into_iter().collect(),
        }
    }
}

impl From<BookEntries> for KpiBook {
    fn from(entries: BookEntries) -> Self {
        KpiBook {
            counts: entries
                .counts
                .into_iter()
                .map(|(period, kpi, scope, n)| ((period, kpi, scope), n))
                .collect(),
            alert_to_request: entries.alert_to_request.into_iter().collect(),
        }
    }
}

impl KpiBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to `kpi` at `at`: city-wide, and in `district` if known.
    pub fn add(&mut self, at: DateTime<Utc>, kpi: Kpi, district: Scope, n: u64) {
        for period in Period::all_of(at) {
            *self.counts.entry((period, kpi, None)).or_default() += n;
            if district.is_some() {
                *self.counts.entry((period, kpi, district)).or_default() += n;
            }
        }
    }

    /// Records how long an alert waited for a stop-payment request.
    pub fn alert_to_request(&mut self, at: DateTime<Utc>, seconds: u32) {
        for period in Period::all_of(at) {
            let samples = self.alert_to_request.entry(period).or_default();
            let place = samples.partition_point(|s| *s <= seconds);
            samples.insert(place, seconds);
        }
    }

    pub fn value(&self, period: Period, kpi: Kpi, scope: Scope) -> u64 {
        self.counts.get(&(period, kpi, scope)).copied().unwrap_or(0)
    }

    /// The latest year with any figure in it, if any.
    pub fn latest_year(&self) -> Option<i32> {
        self.counts
            .keys()
            .filter_map(|(period, _, _)| match period {
                Period::Year(year) => Some(*year),
                _ => None,
            })
            .max()
    }

    /// Money kept from the fraudsters over money reported, if any was reported.
    pub fn stopped_ratio(&self, period: Period) -> Option<f64> {
        let reported = self.value(period, Kpi::AmountReportedFen, None);
        (reported > 0)
            .then(|| self.value(period, Kpi::AmountStoppedFen, None) as f64 / reported as f64)
    }

    /// The median seconds from alert to stop-payment request.
    pub fn median_alert_to_request(&self, period: Period) -> Option<u32> {
        let samples = self.alert_to_request.get(&period)?;
        samples.get(samples.len() / 2).copied()
    }

    /// Change on the same period a year before: `0.48` is +48 %, `-0.48`
    /// is -48 %; none when there was nothing a year before.
    pub fn year_on_year(&self, period: Period, kpi: Kpi, scope: Scope) -> Option<f64> {
        let before = self.value(period.a_year_before(), kpi, scope);
        (before > 0)
            .then(|| (self.value(period, kpi, scope) as f64 - before as f64) / before as f64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_figure_counts_in_its_day_month_and_year_and_in_its_district() {
        let mut book = KpiBook::new();
        let at = Utc.with_ymd_and_hms(2015, 3, 11, 2, 0, 0).unwrap();
        let lucheng = District::parse("district", "lucheng").ok();
        book.add(at, Kpi::Hits, lucheng, 1);
        book.add(at, Kpi::Hits, None, 2);
        let [day, month, year] = Period::all_of(at);
        for period in [day, month, year] {
            assert_eq!(book.value(period, Kpi::Hits, None), 3);
            assert_eq!(book.value(period, Kpi::Hits, lucheng), 1);
        }
        assert_eq!(book.value(Period::Year(2014), Kpi::Hits, None), 0);
    }

    #[test]
    fn the_latest_year_is_the_last_one_counted() {
        let mut book = KpiBook::new();
        assert_eq!(book.latest_year(), None);
        for year in [2016, 2015] {
            let at = Utc.with_ymd_and_hms(year, 6, 1, 0, 0, 0).unwrap();
            book.add(at, Kpi::Hits, None, 1);
        }
        assert_eq!(book.latest_year(), Some(2016));
    }

    #[test]
    fn thefts_down_48_percent_on_the_year_before() {
        let mut book = KpiBook::new();
        book.add(
            Utc.with_ymd_and_hms(2014, 6, 1, 0, 0, 0).unwrap(),
            Kpi::TheftsReported,
            None,
            100,
        );
        book.add(
            Utc.with_ymd_and_hms(2015, 6, 1, 0, 0, 0).unwrap(),
            Kpi::TheftsReported,
            None,
            52,
        );
        let change = book
            .year_on_year(Period::Year(2015), Kpi::TheftsReported, None)
            .unwrap();
        assert!((change + 0.48).abs() < 1e-9, "{change}");
        assert_eq!(
            book.year_on_year(Period::Year(2014), Kpi::TheftsReported, None),
            None
        );
    }

    #[test]
    fn the_median_wait_and_the_stopped_share() {
        let mut book = KpiBook::new();
        let at = Utc.with_ymd_and_hms(2016, 1, 7, 0, 0, 0).unwrap();
        for s in [300, 60, 120] {
            book.alert_to_request(at, s);
        }
        assert_eq!(book.median_alert_to_request(Period::Year(2016)), Some(120));
        book.add(at, Kpi::AmountReportedFen, None, 736_000_000);
        book.add(at, Kpi::AmountStoppedFen, None, 407_000_000);
        let share = book.stopped_ratio(Period::Year(2016)).unwrap();
        assert!((share - 407.0 / 736.0).abs() < 1e-9);
    }
}
