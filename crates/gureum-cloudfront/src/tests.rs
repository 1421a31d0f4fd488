//! The service's rules, one test each, through `Service::call`.

use crate::CloudfrontService;
use gureum_core::Service;
use gureum_store::Store;

#[test]
fn the_operation_table_names_every_served_operation() {
    let svc = CloudfrontService::new(Store::in_memory().expect("store"));
    assert!(svc.implemented().contains(&"CreateDistribution"));
}
