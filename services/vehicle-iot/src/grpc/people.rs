//! `minsheng.vehicle.v1.Readers`, `ResidentCards` and `RentalRooms`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{command_context, invalid, new_id, parse_id, pb, time, to_status, written};
use crate::app::VehicleApp;
use crate::domain::card::CardCommand;
use crate::domain::reader::ReaderCommand;
use crate::domain::room::RoomCommand;
use crate::domain::values::{self, District, Location, Phone, ResidentId, Text};

#[derive(Clone, Debug)]
pub struct ReadersApi {
    pub(crate) app: Arc<VehicleApp>,
}

#[tonic::async_trait]
impl pb::readers_server::Readers for ReadersApi {
    async fn install_reader(
        &self,
        request: Request<pb::InstallReaderRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = values::reader_id("reader_id", &r.reader_id).map_err(invalid)?;
        let command = ReaderCommand::Install {
            location: Location::parse(r.latitude, r.longitude).map_err(invalid)?,
            district: District::parse("district", &r.district).map_err(invalid)?,
        };
        let context = command_context(&request)?;
        written(self.app.reader(&id, command, &context).await, id)
    }

    async fn retire_reader(
        &self,
        request: Request<pb::RetireReaderRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let id = values::reader_id("reader_id", &request.get_ref().reader_id).map_err(invalid)?;
        let context = command_context(&request)?;
        written(
            self.app.reader(&id, ReaderCommand::Retire, &context).await,
            id,
        )
    }
}

#[derive(Clone, Debug)]
pub struct ResidentCardsApi {
    pub(crate) app: Arc<VehicleApp>,
}

#[tonic::async_trait]
impl pb::resident_cards_server::ResidentCards for ResidentCardsApi {
    async fn issue_card(
        &self,
        request: Request<pb::IssueCardRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let now = self.app.now();
        let resident =
            ResidentId::parse("resident_id", &r.resident_id, now.date_naive()).map_err(invalid)?;
        let phone = Phone::parse("phone", &r.phone).map_err(invalid)?;
        let district = District::parse("district", &r.district).map_err(invalid)?;
        let valid_until = time("valid_until", r.valid_until)?;
        let context = command_context(&request)?;
        let holder = self.app.person(&resident);
        let command = CardCommand::Issue {
            phone: self
                .app
                .seal(&holder, &phone)
                .await
                .map_err(|e| to_status(&e))?,
            holder,
            district,
            valid_until,
            now,
        };
        let id = new_id(&context);
        written(self.app.card(&id, command, &context).await, id)
    }

    async fn renew_card(
        &self,
        request: Request<pb::RenewCardRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("card_id", &r.card_id)?;
        let command = CardCommand::Renew {
            valid_until: time("valid_until", r.valid_until)?,
        };
        let context = command_context(&request)?;
        written(self.app.card(&id, command, &context).await, id)
    }

    async fn move_out(
        &self,
        request: Request<pb::MoveOutRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let id = parse_id("card_id", &request.get_ref().card_id)?;
        let context = command_context(&request)?;
        written(self.app.card(&id, CardCommand::MoveOut, &context).await, id)
    }
}

#[derive(Clone, Debug)]
pub struct RentalRoomsApi {
    pub(crate) app: Arc<VehicleApp>,
}

impl RentalRoomsApi {
    fn tenant(&self, text: &str) -> Result<crate::domain::values::PersonKey, Status> {
        let today = self.app.now().date_naive();
        let id = ResidentId::parse("tenant_resident_id", text, today).map_err(invalid)?;
        Ok(self.app.person(&id))
    }
}

#[tonic::async_trait]
impl pb::rental_rooms_server::RentalRooms for RentalRoomsApi {
    async fn register_room(
        &self,
        request: Request<pb::RegisterRoomRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let today = self.app.now().date_naive();
        let landlord = ResidentId::parse("landlord_resident_id", &r.landlord_resident_id, today)
            .map_err(invalid)?;
        let address = Text::parse("address", &r.address).map_err(invalid)?;
        let district = District::parse("district", &r.district).map_err(invalid)?;
        let context = command_context(&request)?;
        let landlord = self.app.person(&landlord);
        let command = RoomCommand::Register {
            address: self
                .app
                .seal(&landlord, &address)
                .await
                .map_err(|e| to_status(&e))?,
            landlord,
            district,
            capacity: r.capacity,
        };
        let id = new_id(&context);
        written(self.app.room(&id, command, &context).await, id)
    }

    async fn check_in(
        &self,
        request: Request<pb::CheckInRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("room_id", &r.room_id)?;
        let command = RoomCommand::CheckIn(self.tenant(&r.tenant_resident_id)?);
        let context = command_context(&request)?;
        written(self.app.room(&id, command, &context).await, id)
    }

    async fn check_out(
        &self,
        request: Request<pb::CheckOutRequest>,
    ) -> Result<Response<pb::Written>, Status> {
        let r = request.get_ref();
        let id = parse_id("room_id", &r.room_id)?;
        let command = RoomCommand::CheckOut(self.tenant(&r.tenant_resident_id)?);
        let context = command_context(&request)?;
        written(self.app.room(&id, command, &context).await, id)
    }
}
