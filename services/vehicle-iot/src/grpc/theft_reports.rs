//! Who reports a theft, and owners' answers: the parts of
//! `minsheng.vehicle.v1.Ebikes` that keep a stolen flag from being used to
//! follow someone (see `domain::theft_report`).

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use minsheng_runtime::grpc::command;
use minsheng_runtime::grpc::status;
use minsheng_runtime::read_audit::{Item, ReadAudit, Reader};
use minsheng_runtime::shutdown::Shutdown;
use minsheng_vault::Opened;
use tokio::sync::broadcast::error::RecvError;
use tonic::{Request, Status};

use super::{invalid, pb, time, timestamp, to_status};
use crate::app::VehicleApp;
use crate::domain::ebike::EbikeCommand;
use crate::domain::theft_report::{Confirmation, Reporter, ReviewReason};
use crate::domain::values::{self, District, ResidentId, TagId, Text};
use crate::live::{AwaitingOwner, UnderReview};
use crate::target::{OFFICER, OWNER_GATEWAY};

const WATCH_OWNER_NOTICES: &str = "minsheng.vehicle.v1.Ebikes/WatchOwnerNotices";

/// Reviews in one `ListTheftReviews` answer.
const MAX_REVIEWS: u32 = 1000;

pub type OwnerNotices = Pin<Box<dyn Stream<Item = Result<pb::OwnerNotice, Status>> + Send>>;

/// A `ReportStolen` request as the domain's command: an officer's, for its
/// case, put to the owner; or an owner's, through their gateway.
pub fn report(
    app: &VehicleApp,
    request: &Request<pb::ReportStolenRequest>,
    tag: TagId,
) -> Result<EbikeCommand, Status> {
    let r = request.get_ref();
    let now = app.now();
    let stolen_at =
        values::past_time("stolen_at", time("stolen_at", r.stolen_at)?, now).map_err(invalid)?;
    let place = Text::parse("place", &r.place).map_err(invalid)?;
    let caller = command::caller(request)?;
    let acts_as = |role: &str| caller.roles.iter().any(|r| r == role);
    let (case_id, by) = if r.owner_resident_id.is_empty() {
        if !acts_as(OFFICER) {
            return Err(status::invalid_field(
                "owner_resident_id",
                "the owner reporting: a gateway reports for an owner",
            ));
        }
        let case_id = values::case_id("case_id", &r.case_id).map_err(invalid)?;
        let by = Reporter::Officer {
            officer: caller.subject.clone(),
            confirm_by: app.confirm_by(now),
        };
        (case_id, by)
    } else {
        if !acts_as(OWNER_GATEWAY) {
            return Err(status::invalid_field(
                "owner_resident_id",
                "empty: only an owner gateway reports for an owner; an officer names the case",
            ));
        }
        let owner = ResidentId::parse("owner_resident_id", &r.owner_resident_id, now.date_naive())
            .map_err(invalid)?;
        let case_id = if r.case_id.is_empty() {
            format!("R{}-{tag}", stolen_at.format("%y%m%d%H%M"))
        } else {
            values::case_id("case_id", &r.case_id).map_err(invalid)?
        };
        (case_id, Reporter::Owner(app.person(&owner)))
    };
    Ok(EbikeCommand::ReportStolen {
        case_id,
        stolen_at,
        place,
        by,
    })
}

/// An owner's answer: the bike's tag and the owner's person key.
pub fn answer(
    app: &VehicleApp,
    request: &pb::OwnerAnswer,
) -> Result<(TagId, crate::domain::values::PersonKey), Status> {
    let tag = TagId::parse("tag_id", &request.tag_id).map_err(invalid)?;
    let owner = ResidentId::parse(
        "owner_resident_id",
        &request.owner_resident_id,
        app.now().date_naive(),
    )
    .map_err(invalid)?;
    Ok((tag, app.person(&owner)))
}

pub fn confirmation(confirmation: Option<Confirmation>) -> pb::TheftConfirmation {
    use pb::TheftConfirmation as P;
    match confirmation {
        None => P::Unspecified,
        Some(Confirmation::Unrecorded) => P::Unrecorded,
        Some(Confirmation::ByOwner) => P::ByOwner,
        Some(Confirmation::AwaitingOwner { .. }) => P::AwaitingOwner,
        Some(Confirmation::UnderReview(_)) => P::UnderReview,
    }
}

/// Reports waiting for their owners now, then each new one, until the
/// servers stop.
pub fn owner_notices(
    app: Arc<VehicleApp>,
    district: Option<District>,
    (audit, reader): (ReadAudit, Reader),
    stop: Shutdown,
) -> OwnerNotices {
    let (waiting, feed) = app.live().owner_notices();
    let fresh = futures::stream::unfold(feed, |mut feed| async move {
        match feed.recv().await {
            Ok(notice) => Some((Ok(notice), feed)),
            Err(RecvError::Lagged(missed)) => Some((
                Err(Status::data_loss(format!(
                    "this gateway fell {missed} notices behind; watch again: the waiting ones are sent first"
                ))),
                feed,
            )),
            Err(RecvError::Closed) => None,
        }
    });
    let notices = futures::stream::iter(waiting.into_iter().map(Ok))
        .chain(fresh)
        .filter_map(move |notice| {
            let (app, audit, reader) = (app.clone(), audit.clone(), reader.clone());
            async move {
                notice_for_the_owner(&app, notice, district, &audit, &reader)
                    .await
                    .transpose()
            }
        });
    let ending = async move { stop.wait().await };
    Box::pin(notices.take_until(ending))
}

/// The notice with what the gateway needs to reach the owner.
/// The notice for the gateway, unless the bike is not in `district`.
async fn notice_for_the_owner(
    app: &VehicleApp,
    awaiting: Result<AwaitingOwner, Status>,
    district: Option<District>,
    audit: &ReadAudit,
    reader: &Reader,
) -> Result<Option<pb::OwnerNotice>, Status> {
    let awaiting = awaiting?;
    let bike = app
        .get_ebike(awaiting.tag)
        .await
        .map_err(|e| to_status(&e))?;
    let registration = bike
        .as_ref()
        .and_then(|(bike, _)| bike.registration.clone());
    if district.is_some_and(|d| registration.as_ref().is_none_or(|r| r.district != d)) {
        return Ok(None);
    }
    let read = Item {
        what: "owner-notice",
        id: awaiting.tag.to_string(),
        person: registration.as_ref().map(|r| r.owner.as_str().to_owned()),
    };
    audit.record(reader, WATCH_OWNER_NOTICES, [read]).await?;
    let phone = match &registration {
        Some(r) => Some(app.open(&r.owner_phone).await.map_err(|e| to_status(&e))?),
        None => None,
    };
    Ok(Some(pb::OwnerNotice {
        tag_id: awaiting.tag.to_string(),
        case_id: awaiting.case_id,
        plate: registration.map(|r| r.plate).unwrap_or_default(),
        owner_phone: match &phone {
            Some(Opened::Value(phone)) => phone.clone(),
            _ => String::new(),
        },
        owner_forgotten: phone == Some(Opened::Forgotten),
        confirm_by: Some(timestamp(awaiting.confirm_by)),
    }))
}

pub fn reviews(
    app: &VehicleApp,
    request: &pb::ListTheftReviewsRequest,
) -> Result<pb::TheftReviews, Status> {
    let limit = match request.limit {
        0 => MAX_REVIEWS,
        n if n <= MAX_REVIEWS => n,
        _ => return Err(status::invalid_field("limit", "1 to 1000 (0 means 1000)")),
    };
    let reviews = app.live().under_review(limit as usize);
    Ok(pb::TheftReviews {
        reviews: reviews.into_iter().map(review).collect(),
    })
}

fn review(review: UnderReview) -> pb::TheftReview {
    pb::TheftReview {
        tag_id: review.tag.to_string(),
        case_id: review.case_id,
        confirmation: pb::TheftConfirmation::UnderReview as i32,
        reason: match review.reason {
            ReviewReason::NotConfirmedInTime => pb::ReviewReason::NotConfirmedInTime,
            ReviewReason::DisputedByOwner => pb::ReviewReason::DisputedByOwner,
        } as i32,
        reported_by: review.officer,
        version: review.version,
    }
}
