//! Days off and working days, for deadlines counted in calendar days: when
//! a period's last day is not a working day (a weekend, or a public
//! holiday), the deadline moves to the next working day, as the procedure
//! laws count periods. The calendar is data: the State Council publishes
//! each year's holidays and the weekend days worked in exchange
//! (`calendars/cn-2015.txt`), read with [`Calendar::parse`].

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::InvalidField;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// 2015's calendar, the seed's year.
pub const CN_2015: &str = include_str!("../calendars/cn-2015.txt");

impl Calendar {
    /// Reads lines `holiday <from> [<to>] [note]` and `workday <date>`;
    /// `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let bad = InvalidField {
            field: "calendar",
            expected: "lines 'holiday YYYY-MM-DD [YYYY-MM-DD] [note]' or 'workday YYYY-MM-DD'",
        };
        let mut calendar = Calendar::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let mut words = line.split_whitespace();
            let (Some(kind), Some(first)) = (words.next(), words.next()) else {
                if line.is_empty() {
                    continue;
                }
                return Err(bad);
            };
            let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d");
            let from = date(first).map_err(|_| bad.clone())?;
            match kind {
                "holiday" => {
                    // A second date ends the run; any other word starts the note.
                    let to = match words.next() {
                        Some(word) if word.starts_with(|c: char| c.is_ascii_digit()) => {
                            date(word).map_err(|_| bad.clone())?
                        }
                        _ => from,
                    };
                    if to < from || to - from > Duration::days(31) {
                        return Err(bad);
                    }
                    calendar
                        .holidays
                        .extend(from.iter_days().take_while(|d| *d <= to));
                }
                "workday" => {
                    calendar.workdays.insert(from);
                }
                _ => return Err(bad),
            }
        }
        Ok(calendar)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !self.holidays.contains(&day) && !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The last day of a period of `days` calendar days from `start`: the
    /// day `days` after it, or the first working day after that if that
    /// day is not a working day.
    pub fn deadline(&self, start: NaiveDate, days: u32) -> NaiveDate {
        let mut last = start + Duration::days(i64::from(days));
        while !self.is_working_day(last) {
            last += Duration::days(1);
        }
        last
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_ending_in_the_national_day_holiday_ends_on_the_first_working_day_after() {
        let calendar = Calendar::parse(CN_2015).unwrap();
        // 15 days from 20 September is 5 October, in the holiday: 8 October.
        assert_eq!(calendar.deadline(day("2015-09-20"), 15), day("2015-10-08"));
    }

    #[test]
    fn a_weekend_worked_in_exchange_is_a_working_day_and_an_ordinary_one_is_not() {
        let calendar = Calendar::parse(CN_2015).unwrap();
        assert!(
            calendar.is_working_day(day("2015-10-10")),
            "a Saturday worked"
        );
        assert!(
            !calendar.is_working_day(day("2015-10-17")),
            "an ordinary Saturday"
        );
        // Ending on Saturday 17 October: Monday 19.
        assert_eq!(calendar.deadline(day("2015-10-07"), 10), day("2015-10-19"));
        // Ending on Saturday 10 October, worked: it stays.
        assert_eq!(calendar.deadline(day("2015-09-30"), 10), day("2015-10-10"));
    }

    #[test]
    fn a_malformed_calendar_is_refused() {
        for text in [
            "holiday 2015-13-01",
            "vacation 2015-01-01",
            "holiday 2015-02-01 2015-01-01",
            "holiday",
        ] {
            assert!(Calendar::parse(text).is_err(), "{text}");
        }
        assert_eq!(
            Calendar::parse("# nothing\n\n").unwrap(),
            Calendar::default()
        );
    }
}
