//! ACM's rules, through `Service::call`.
