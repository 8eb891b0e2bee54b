//! One golden payload per published type and schema version, as stored
//! in the envelope's `payload`, in `crates/contracts/fixtures/`. The
//! producer's tests check that its enum writes exactly this; consumers'
//! tests read it. A fixture is never edited once published: a new version
//! gets a new file.

/// A golden payload.
#[derive(Clone, Copy, Debug)]
pub struct Fixture {
    /// The envelope's `event_type` (`vehicle.EbikeRegistered`).
    pub event_type: &'static str,
    pub version: u16,
    /// The payload's JSON.
    pub json: &'static str,
}

macro_rules! fixtures {
    ($($event_type:literal = $version:literal),+ $(,)?) => {
        /// Every fixture.
        pub const ALL: &[Fixture] = &[$(Fixture {
            event_type: $event_type,
            version: $version,
            json: include_str!(concat!("../fixtures/", $event_type, ".v", $version, ".json")),
        }),+];
    };
}

fixtures!(
    "vehicle.EbikeRegistered" = 1,
    "vehicle.EbikeRegistered" = 2,
    "vehicle.EbikeReportedStolen" = 1,
    "vehicle.EbikeReportedStolen" = 2,
    "vehicle.StolenEbikePresented" = 1,
    "vehicle.StolenEbikeSighted" = 1,
    "vehicle.EbikeRecovered" = 1,
    "vehicle.EbikeCaseSolved" = 1,
    "vehicle.ResidentCardIssued" = 1,
    "vehicle.ResidentCardIssued" = 2,
    "vehicle.RentalRoomRegistered" = 1,
    "vehicle.RentalRoomRegistered" = 2,
    "fraud.AlertReported" = 1,
    "fraud.AlertReported" = 2,
    "fraud.AlertClosed" = 1,
    "fraud.StopPaymentRequested" = 1,
    "fraud.StopPaymentRequested" = 2,
    "fraud.PaymentStopped" = 1,
    "fraud.FundsFrozen" = 1,
    "fraud.NumberBlocked" = 1,
    "fraud.InterceptionReported" = 1,
    "fraud.FugitiveReturned" = 1,
    "fraud.ExitRestrictionImposed" = 1,
    "fraud.ExitRestrictionLifted" = 1,
    "privacy.PersonForgotten" = 1,
    "privacy.ForgetRefused" = 1,
    "privacy.PersonalDataExported" = 1,
);

/// The fixture of `T` at the version this build writes.
pub fn of<T: crate::Published>() -> Option<&'static Fixture> {
    let event_type = T::event_type();
    ALL.iter()
        .find(|f| f.event_type == event_type && f.version == T::VERSION)
}

/// The fixtures of one context (`vehicle`).
pub fn of_context(context: &str) -> impl Iterator<Item = &'static Fixture> {
    ALL.iter().filter(move |f| {
        f.event_type
            .split_once('.')
            .is_some_and(|(c, _)| c == context)
    })
}

impl Fixture {
    /// The payload as a producer's adjacently tagged event enum reads it:
    /// `{"type": "<Name>", "data": <payload>}`.
    pub fn tagged(&self) -> String {
        let name = self
            .event_type
            .split_once('.')
            .map_or(self.event_type, |(_, name)| name);
        format!(r#"{{"type": "{name}", "data": {}}}"#, self.json)
    }
}

/// Whether a newer version of this fixture's type has a fixture (this
/// one's payloads are still read, no longer written).
pub fn is_superseded(fixture: &Fixture) -> bool {
    ALL.iter()
        .any(|f| f.event_type == fixture.event_type && f.version > fixture.version)
}

/// Checks a producer against `context`'s fixtures of the versions it
/// writes: `store` is given each payload as the producer's enum reads it
/// ([`Fixture::tagged`]) and returns what the producer stores (event
/// type, schema version, payload JSON), which must be the fixture's.
/// Returns how many were checked, or what differed.
pub fn check_producer(
    context: &str,
    store: impl Fn(&str) -> (String, u16, String),
) -> Result<usize, String> {
    let mut checked = 0;
    for fixture in of_context(context).filter(|f| !is_superseded(f)) {
        let (event_type, version, payload) = store(&fixture.tagged());
        if (event_type.as_str(), version) != (fixture.event_type, fixture.version) {
            return Err(format!(
                "{} v{} is stored as {event_type} v{version}",
                fixture.event_type, fixture.version
            ));
        }
        let json = |text: &str| serde_json::from_str::<serde_json::Value>(text);
        match (json(&payload), json(fixture.json)) {
            (Ok(written), Ok(golden)) if written == golden => checked += 1,
            _ => {
                return Err(format!(
                    "{} is stored as {payload}, not as its golden payload",
                    fixture.event_type
                ));
            }
        }
    }
    Ok(checked)
}

/// A sealed value of `person`'s in the shape the vault writes, opening to
/// nothing: for tests of code that never opens one (domain rules,
/// projections), which hold personal fields without reading them.
pub fn sealed<T>(person: &minsheng_values::PersonKey) -> minsheng_values::Personal<T> {
    minsheng_values::Personal::Sealed(minsheng_values::Sealed {
        person: person.as_str().to_owned(),
        key: "0".repeat(16),
        sealed: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
    })
}
