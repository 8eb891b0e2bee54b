//! Periods as the bureau counts them: days, months and years of the city's
//! own calendar (China Standard Time, UTC+8, no daylight saving), so that
//! an alert at 01:00 on 1 January local time counts in the new year.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// UTC+8.
fn city() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("8 hours is a valid offset"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Period {
    Day(NaiveDate),
    Month { year: i32, month: u32 },
    Year(i32),
}

impl Period {
    /// The day, month and year `at` falls in, in the city's calendar.
    pub fn all_of(at: DateTime<Utc>) -> [Period; 3] {
        let local = at.with_timezone(&city()).date_naive();
        [
            Period::Day(local),
            Period::Month {
                year: local.year(),
                month: local.month(),
            },
            Period::Year(local.year()),
        ]
    }

    /// The year the period falls in.
    pub fn year(self) -> i32 {
        match self {
            Period::Day(day) => day.year(),
            Period::Month { year, .. } | Period::Year(year) => year,
        }
    }

    /// The same period one year earlier (29 February goes to 28 February).
    pub fn a_year_before(self) -> Period {
        match self {
            Period::Day(day) => Period::Day(
                day.with_year(day.year() - 1)
                    .or_else(|| NaiveDate::from_ymd_opt(day.year() - 1, day.month(), 28))
                    .unwrap_or(day),
            ),
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::Year(year) => Period::Year(year - 1),
        }
    }

    /// `2015-03-11`, `2015-03`, `2015`.
    pub fn label(self) -> String {
        match self {
            Period::Day(day) => day.format("%Y-%m-%d").to_string(),
            Period::Month { year, month } => format!("{year:04}-{month:02}"),
            Period::Year(year) => format!("{year:04}"),
        }
    }

    /// Parses a label back.
    pub fn parse(label: &str) -> Option<Period> {
        match label.len() {
            4 => label
                .parse()
                .ok()
                .filter(|year| minsheng_values::year_in_bounds(*year))
                .map(Period::Year),
            7 => {
                let (year, month) = label.split_once('-')?;
                let (year, month) = (year.parse().ok()?, month.parse().ok()?);
                ((1..=12).contains(&month) && minsheng_values::year_in_bounds(year))
                    .then_some(Period::Month { year, month })
            }
            10 => minsheng_values::day("period", label).ok().map(Period::Day),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_follow_the_citys_calendar() {
        // 31 December 2015, 17:30 UTC is 1 January 2016, 01:30 in the city.
        let at = Utc.with_ymd_and_hms(2015, 12, 31, 17, 30, 0).unwrap();
        let [day, month, year] = Period::all_of(at);
        assert_eq!(
            (day.label(), month.label(), year.label()),
            ("2016-01-01".into(), "2016-01".into(), "2016".into())
        );
        assert_eq!(Period::parse("2016-01"), Some(month));
        assert_eq!(Period::parse("2016-13"), None);
        assert_eq!(
            Period::Day(NaiveDate::from_ymd_opt(2016, 2, 29).unwrap())
                .a_year_before()
                .label(),
            "2015-02-28"
        );
    }
}
