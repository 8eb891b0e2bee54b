//! # minsheng-proto: the public gRPC contracts
//!
//! Generated from `proto/minsheng/<context>/v1/*.proto` at build time. A
//! service crate implements the generated server traits; clients (consoles,
//! the load generator, tests) use the generated clients.

#![allow(missing_debug_implementations, clippy::all, clippy::pedantic)]

pub mod codec;

/// Every file's descriptors, encoded, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("minsheng_descriptor");

pub mod fraud {
    pub mod v1 {
        tonic::include_proto!("minsheng.fraud.v1");
    }
}

pub mod kpis {
    pub mod v1 {
        tonic::include_proto!("minsheng.kpis.v1");
    }
}

pub mod privacy {
    pub mod v1 {
        tonic::include_proto!("minsheng.privacy.v1");
    }
}

pub mod vehicle {
    pub mod v1 {
        tonic::include_proto!("minsheng.vehicle.v1");
    }
}
