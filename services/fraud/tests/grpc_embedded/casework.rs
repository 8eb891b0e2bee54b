//! An alert worked to its end (triaged, linked to a case, a suspect named
//! and restricted, closed and the restriction lifted), and a fugitive
//! located abroad and delisted.

use minsheng_eventstore::StreamName;
use minsheng_proto::fraud::v1 as pb;
use tonic::Code;

use super::support::*;

const SUSPECT: &str = "110105195001010012";

async fn event_types(app: &App, stream: &str) -> Vec<String> {
    app.store
        .read_stream(&StreamName::parse(stream).unwrap(), 1, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_suspect_is_restricted_from_exit_until_the_alert_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let mut alerts = app.alerts().await;
    let alert_id = reported_alert(&app).await;
    let triaged = alerts
        .triage_alert(as_role(
            "fraud-analyst",
            pb::TriageAlertRequest {
                alert_id: alert_id.clone(),
                urgent: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(triaged.version, 2);

    let name = |alert_id: &str| {
        as_role(
            "fraud-analyst",
            pb::NameSuspectRequest {
                alert_id: alert_id.to_owned(),
                suspect_resident_id: SUSPECT.into(),
            },
        )
    };
    let before_a_case = alerts.name_suspect(name(&alert_id)).await.unwrap_err();
    assert_eq!(before_a_case.code(), Code::FailedPrecondition);
    assert!(
        before_a_case.message().contains("case"),
        "{before_a_case:?}"
    );

    let link = |case_id: &str| {
        as_role(
            "fraud-analyst",
            pb::LinkAlertToCaseRequest {
                alert_id: alert_id.clone(),
                case_id: case_id.into(),
            },
        )
    };
    alerts.link_alert_to_case(link("WZ-EC-0042")).await.unwrap();
    let another = alerts
        .link_alert_to_case(link("WZ-EC-0043"))
        .await
        .unwrap_err();
    assert_eq!(another.code(), Code::FailedPrecondition, "{another:?}");

    alerts.name_suspect(name(&alert_id)).await.unwrap();
    let again = alerts.name_suspect(name(&alert_id)).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");

    alerts
        .close_alert(as_role(
            "fraud-analyst",
            pb::CloseAlertRequest {
                alert_id: alert_id.clone(),
                reason: "case handed to the prosecutor".into(),
            },
        ))
        .await
        .unwrap();
    let view = alerts
        .get_alert(as_role(
            "fraud-analyst",
            pb::GetAlertRequest {
                alert_id: alert_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (view.urgent, view.case_id.as_str(), view.closed),
        (true, "WZ-EC-0042", true)
    );
    assert_eq!(
        event_types(&app, &format!("fraud.alert.{alert_id}")).await,
        [
            "fraud.AlertReported",
            "fraud.AlertTriaged",
            "fraud.AlertLinkedToCase",
            "fraud.SuspectNamed",
            "fraud.ExitRestrictionImposed",
            "fraud.AlertClosed",
            "fraud.ExitRestrictionLifted",
        ]
    );
    let closed = alerts
        .triage_alert(as_role(
            "fraud-analyst",
            pb::TriageAlertRequest {
                alert_id,
                urgent: false,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(closed.code(), Code::FailedPrecondition, "{closed:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fugitive_located_abroad_and_delisted_is_no_longer_restricted() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let mut fugitives = app.fugitives().await;
    let listed = fugitives
        .list_fugitive(as_role(
            "officer",
            pb::ListFugitiveRequest {
                resident_id: SUSPECT.into(),
                case_id: "WZ-EC-0008".into(),
                country: String::new(),
                fled_on: "2009-11-20".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    fugitives
        .locate_fugitive(as_role(
            "officer",
            pb::LocateFugitiveRequest {
                fugitive_id: listed.id.clone(),
                country: "TH".into(),
            },
        ))
        .await
        .unwrap();
    let delist = || {
        as_role(
            "officer",
            pb::DelistFugitiveRequest {
                fugitive_id: listed.id.clone(),
                reason: "the warrant was withdrawn".into(),
            },
        )
    };
    fugitives.delist_fugitive(delist()).await.unwrap();
    let twice = fugitives.delist_fugitive(delist()).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");
    assert_eq!(
        event_types(&app, &format!("fraud.fugitive.{}", listed.id)).await,
        [
            "fraud.FugitiveListed",
            "fraud.ExitRestrictionImposed",
            "fraud.FugitiveLocated",
            "fraud.FugitiveDelisted",
            "fraud.ExitRestrictionLifted",
        ]
    );
    app.stop().await;
}

/// Issue 12's scenario, through the service: suspect P named on case C,
/// P listed as a fugitive on C, the alert closed. By the published rule
/// (each imposition its own restriction, lifted only by its own stream),
/// P is still restricted: the fugitive's restriction stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspect_also_listed_as_a_fugitive_stays_restricted_when_the_alert_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path(), chrono::Duration::hours(2)).await;
    let mut alerts = app.alerts().await;
    let alert_id = reported_alert(&app).await;
    let analyst = |request| as_role("fraud-analyst", request);
    alerts
        .link_alert_to_case(analyst(pb::LinkAlertToCaseRequest {
            alert_id: alert_id.clone(),
            case_id: "WZ-EC-0042".into(),
        }))
        .await
        .unwrap();
    alerts
        .name_suspect(as_role(
            "fraud-analyst",
            pb::NameSuspectRequest {
                alert_id: alert_id.clone(),
                suspect_resident_id: SUSPECT.into(),
            },
        ))
        .await
        .unwrap();
    app.fugitives()
        .await
        .list_fugitive(as_role(
            "officer",
            pb::ListFugitiveRequest {
                resident_id: SUSPECT.into(),
                case_id: "WZ-EC-0042".into(),
                country: String::new(),
                fled_on: "2014-03-01".into(),
            },
        ))
        .await
        .unwrap();
    alerts
        .close_alert(as_role(
            "fraud-analyst",
            pb::CloseAlertRequest {
                alert_id,
                reason: "case handed to the prosecutor".into(),
            },
        ))
        .await
        .unwrap();

    let mut restrictions = minsheng_contracts::exit::Restrictions::new();
    let mut people = std::collections::BTreeSet::new();
    for event in app
        .store
        .read_all(
            &minsheng_eventstore::Context::parse("fraud").unwrap(),
            minsheng_eventstore::Position::START,
            1_000,
        )
        .await
        .unwrap()
    {
        let payload = event.payload.get();
        if restrictions
            .apply(
                event.stream.as_str(),
                &event.event_type,
                event.schema_version,
                payload,
            )
            .unwrap()
        {
            let named: serde_json::Value = serde_json::from_str(payload).unwrap();
            people.insert(named["person"].as_str().unwrap().to_owned());
        }
    }
    let [suspect] = people.into_iter().collect::<Vec<_>>().try_into().unwrap();
    let suspect = minsheng_values::PersonKey::from_hash(suspect);
    assert!(restrictions.is_restricted(&suspect));
    let on = restrictions.on(&suspect);
    assert_eq!(on.len(), 1, "{on:?}");
    assert!(on[0].as_str().starts_with("fraud.fugitive."), "{on:?}");
    app.stop().await;
}
