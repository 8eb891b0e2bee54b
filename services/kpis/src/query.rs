//! Reading the book for one period and scope: what the gRPC and HTTP
//! surfaces answer.

use chrono::{DateTime, Utc};
use minsheng_values::{District, InvalidField};
use serde::Serialize;

use crate::domain::book::{Kpi, KpiBook};
use crate::domain::period::Period;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    pub name: &'static str,
    pub value: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_on_year: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    pub period: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<&'static str>,
    pub figures: Vec<Figure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_alert_to_request_seconds: Option<u32>,
}

/// Parses a request's period (empty: the year of `now`, in the city's
/// calendar) and district (empty: the whole city).
pub fn scope(
    period: &str,
    district: &str,
    now: DateTime<Utc>,
) -> Result<(Period, Option<District>), InvalidField> {
    let period = if period.is_empty() {
        Period::all_of(now)[2]
    } else {
        Period::parse(period).ok_or(InvalidField {
            field: "period",
            expected: "a year (2015), a month (2015-03) or a day (2015-03-11), from 1949 to 2099",
        })?
    };
    let district = if district.is_empty() {
        None
    } else {
        Some(District::parse("district", district)?)
    };
    Ok((period, district))
}

/// Every figure of `period` in `district` (or the city).
pub fn figures(book: &KpiBook, period: Period, district: Option<District>) -> Figures {
    Figures {
        period: period.label(),
        district: district.map(District::as_str),
        figures: Kpi::ALL
            .iter()
            .map(|kpi| Figure {
                name: kpi.name(),
                value: book.value(period, *kpi, district),
                year_on_year: book.year_on_year(period, *kpi, district),
            })
            .collect(),
        stopped_ratio: district
            .is_none()
            .then(|| book.stopped_ratio(period))
            .flatten(),
        median_alert_to_request_seconds: district
            .is_none()
            .then(|| book.median_alert_to_request(period))
            .flatten(),
    }
}

/// What the dashboard shows for one year: the city's figures, each month's,
/// and each district's, read from one book at one moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overview {
    pub year: i32,
    pub city: Figures,
    pub months: Vec<Figures>,
    pub districts: Vec<Figures>,
}

/// Parses the dashboard's year (empty: the latest year with any figure,
/// or the year of `now` in the city's calendar when there is none).
pub fn overview_year(book: &KpiBook, year: &str, now: DateTime<Utc>) -> Result<i32, InvalidField> {
    if year.is_empty() {
        return Ok(book
            .latest_year()
            .unwrap_or_else(|| Period::all_of(now)[2].year()));
    }
    match Period::parse(year) {
        Some(Period::Year(year)) => Ok(year),
        _ => Err(InvalidField {
            field: "year",
            expected: "a year such as 2015, from 1949 to 2099",
        }),
    }
}

pub fn overview(book: &KpiBook, year: i32) -> Overview {
    Overview {
        year,
        city: figures(book, Period::Year(year), None),
        months: (1..=12)
            .map(|month| figures(book, Period::Month { year, month }, None))
            .collect(),
        districts: District::all()
            .map(|district| figures(book, Period::Year(year), Some(district)))
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_period_before_1949_or_after_2099_is_no_period_of_the_citys() {
        for bad in [
            "0000",
            "1948",
            "2100",
            "0000-01",
            "2100-12",
            "0000-01-01",
            "1949-09-30",
        ] {
            assert_eq!(
                scope(bad, "", Utc::now()).unwrap_err().field,
                "period",
                "{bad}"
            );
        }
        assert_eq!(
            overview_year(&KpiBook::new(), "0000", Utc::now())
                .unwrap_err()
                .field,
            "year"
        );
        for good in ["1949", "2099-12", "1949-10-01", "2015"] {
            assert!(scope(good, "", Utc::now()).is_ok(), "{good}");
        }
    }

    #[test]
    fn the_dashboard_shows_the_latest_year_with_figures_unless_asked_for_another() {
        let mut book = KpiBook::new();
        let at = Utc.with_ymd_and_hms(2015, 12, 31, 17, 0, 0).unwrap(); // 1 January 2016 in the city
        book.add(at, Kpi::Hits, None, 1);
        assert_eq!(overview_year(&book, "", Utc::now()).unwrap(), 2016);
        assert_eq!(overview_year(&book, "2015", Utc::now()).unwrap(), 2015);
        for bad in ["2015-03", "last", "15"] {
            assert_eq!(
                overview_year(&book, bad, Utc::now()).unwrap_err().field,
                "year"
            );
        }
        let overview = overview(&book, 2016);
        assert_eq!(overview.months.len(), 12);
        assert_eq!(overview.months[0].period, "2016-01");
        assert_eq!(overview.districts.len(), 11);
        assert_eq!(overview.city.figures[2].name, "hits");
        assert_eq!(overview.city.figures[2].value, 1);
    }

    proptest::proptest! {
        /// Whatever a caller sends as period and district: figures whose
        /// period reads back as asked, or an error naming the field.
        #[test]
        fn any_period_and_district_get_figures_or_an_error_naming_the_field(
            period in proptest::prop_oneof![
                "[0-9+-]{4}",
                "[0-9+-]{4}-[0-9+-]{2}",
                "[0-9+-]{4}-[0-9]{2}-[0-9]{2}",
                ".{0,12}",
            ],
            district in proptest::prop_oneof!["[a-z]{0,9}", ".{0,12}"],
        ) {
            let mut book = KpiBook::new();
            book.add(Utc.with_ymd_and_hms(2015, 2, 28, 0, 0, 0).unwrap(), Kpi::Hits, None, 1);
            match scope(&period, &district, Utc::now()) {
                Ok((parsed, in_district)) => {
                    let answer = figures(&book, parsed, in_district);
                    proptest::prop_assert_eq!(Period::parse(&answer.period), Some(parsed));
                    proptest::prop_assert_eq!(answer.figures.len(), Kpi::ALL.len());
                }
                Err(e) => proptest::prop_assert!(["period", "district"].contains(&e.field)),
            }
            if let Ok(year) = overview_year(&book, &period, Utc::now()) {
                proptest::prop_assert_eq!(overview(&book, year).months.len(), 12);
            }
        }
    }
}
