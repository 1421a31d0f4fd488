//! The rules of the control plane, through `Service::call`.
