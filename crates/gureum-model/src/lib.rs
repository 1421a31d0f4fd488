//! AWS's service models as typed data.
//!
//! The models under `models/` (botocore's `service-2.json`, documentation
//! stripped; regenerate with `scripts/vendor-models.py`) are embedded in the
//! binary and parsed on first use of each service, so start-up pays for
//! none of them. [`ServiceModel`] is the whole model; [`Shape`] and
//! [`MemberRef`] carry every trait the protocol layer reads (locations,
//! XML names, flattening, timestamp formats, constraints).

mod catalog;
mod index;
mod shape;

pub use catalog::{load, services, ModelError};
pub use index::{index, ServiceIndexEntry};
pub use shape::{
    ErrorTrait, Http, MemberRef, Members, Metadata, ModelHasher, OperationModel, Protocol,
    ServiceModel, Shape, ShapeType, XmlNamespace,
};
