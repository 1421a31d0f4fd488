//! Rules of VPC peering, through the handlers over an in-memory store,
//! across two accounts.

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx(account: &str, clock: &Clock) -> RequestContext {
    RequestContext::root(account, "us-east-1", clock.clone())
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

fn vpc(s: &Ec2Service, c: &RequestContext, cidr: &str) -> String {
    s.create_vpc(c, json!({"CidrBlock": cidr})).expect("vpc")["Vpc"]["VpcId"]
        .as_str()
        .expect("id")
        .to_string()
}

fn status(s: &Ec2Service, c: &RequestContext, id: &str) -> String {
    s.describe_vpc_peering_connections(c, json!({"VpcPeeringConnectionIds": [id]}))
        .expect("describe")["VpcPeeringConnections"][0]["Status"]["Code"]
        .as_str()
        .expect("code")
        .to_string()
}

fn peer(s: &Ec2Service, c: &RequestContext, input: Value) -> Value {
    s.create_vpc_peering_connection(c, input).expect("peering")["VpcPeeringConnection"].clone()
}

#[test]
fn cross_account_requests_are_accepted_by_the_accepter_only() {
    let (s, clock) = (svc(), Clock::system());
    let (a, b) = (ctx("111111111111", &clock), ctx("222222222222", &clock));
    let va = vpc(&s, &a, "10.1.0.0/16");
    let vb = vpc(&s, &b, "10.2.0.0/16");
    let p = peer(
        &s,
        &a,
        json!({"VpcId": va, "PeerVpcId": vb, "PeerOwnerId": "222222222222"}),
    );
    assert_eq!(p["Status"]["Code"], "initiating-request");
    assert_eq!(p["AccepterVpcInfo"]["CidrBlock"], "10.2.0.0/16");
    let id = p["VpcPeeringConnectionId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(status(&s, &b, &id), "pending-acceptance");
    let accept = |c: &RequestContext| {
        s.accept_vpc_peering_connection(c, json!({"VpcPeeringConnectionId": id}))
    };
    assert_eq!(code(accept(&a)), "OperationNotPermitted");
    assert_eq!(
        accept(&b).expect("accept")["VpcPeeringConnection"]["Status"]["Code"],
        "active"
    );
    assert_eq!(status(&s, &a, &id), "active");
    assert_eq!(code(accept(&b)), "InvalidStateTransition");
    // A third account sees nothing.
    let c = ctx("333333333333", &clock);
    assert_eq!(
        code(s.describe_vpc_peering_connections(&c, json!({"VpcPeeringConnectionIds": [id]}))),
        "InvalidVpcPeeringConnectionID.NotFound"
    );
}

#[test]
fn overlapping_blocks_fail_and_unknown_local_vpcs_are_not_found() {
    let (s, clock) = (svc(), Clock::system());
    let a = ctx("111111111111", &clock);
    let v1 = vpc(&s, &a, "10.1.0.0/16");
    let v2 = vpc(&s, &a, "10.1.128.0/17");
    let p = peer(&s, &a, json!({"VpcId": v1, "PeerVpcId": v2}));
    assert_eq!(p["Status"]["Code"], "failed");
    assert_eq!(
        code(
            s.create_vpc_peering_connection(&a, json!({"VpcId": v1, "PeerVpcId": "vpc-0000000f"}))
        ),
        "InvalidVpcID.NotFound"
    );
    // Another account's unknown VPC: the request is made and fails.
    let p = peer(
        &s,
        &a,
        json!({"VpcId": v1, "PeerVpcId": "vpc-0000000f", "PeerOwnerId": "222222222222"}),
    );
    assert_eq!(p["Status"]["Code"], "failed");
    // Failed connections disappear after two hours.
    let id = p["VpcPeeringConnectionId"]
        .as_str()
        .expect("id")
        .to_string();
    clock.advance_millis(crate::vpc::peering::ENDED_VISIBLE_MS);
    assert_eq!(
        code(s.describe_vpc_peering_connections(&a, json!({"VpcPeeringConnectionIds": [id]}))),
        "InvalidVpcPeeringConnectionID.NotFound"
    );
}

#[test]
fn reject_delete_and_expiry_follow_the_lifecycle() {
    let (s, clock) = (svc(), Clock::system());
    let a = ctx("111111111111", &clock);
    let v1 = vpc(&s, &a, "10.1.0.0/16");
    let v2 = vpc(&s, &a, "10.2.0.0/16");
    let make = || {
        peer(&s, &a, json!({"VpcId": v1, "PeerVpcId": v2}))["VpcPeeringConnectionId"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let r = make();
    s.reject_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": r}))
        .expect("reject");
    assert_eq!(status(&s, &a, &r), "rejected");
    assert_eq!(
        code(s.delete_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": r}))),
        "InvalidStateTransition"
    );
    let e = make();
    clock.advance_millis(crate::vpc::peering::EXPIRY_MS);
    assert_eq!(status(&s, &a, &e), "expired");
    let d = make();
    s.delete_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": d}))
        .expect("the requester deletes a pending request");
    assert_eq!(status(&s, &a, &d), "deleted");
}

#[test]
fn routes_to_a_deleted_connection_become_blackholes() {
    let (s, clock) = (svc(), Clock::system());
    let a = ctx("111111111111", &clock);
    let v1 = vpc(&s, &a, "10.1.0.0/16");
    let v2 = vpc(&s, &a, "10.2.0.0/16");
    let v3 = vpc(&s, &a, "10.3.0.0/16");
    let id = peer(&s, &a, json!({"VpcId": v1, "PeerVpcId": v2}))["VpcPeeringConnectionId"]
        .as_str()
        .expect("id")
        .to_string();
    s.accept_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": id}))
        .expect("accept");
    let main = |v: &str| {
        s.describe_route_tables(&a, json!({"Filters": [{"Name": "vpc-id", "Values": [v]}]}))
            .expect("tables")["RouteTables"][0]["RouteTableId"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let rt = main(&v1);
    s.create_route(
        &a,
        json!({"RouteTableId": rt, "DestinationCidrBlock": "10.2.0.0/16", "VpcPeeringConnectionId": id}),
    )
    .expect("route");
    assert_eq!(
        code(s.create_route(
            &a,
            json!({"RouteTableId": main(&v3), "DestinationCidrBlock": "10.2.0.0/16", "VpcPeeringConnectionId": id})
        )),
        "InvalidParameterValue",
        "the connection does not join that VPC"
    );
    assert_eq!(
        code(s.create_route(
            &a,
            json!({"RouteTableId": rt, "DestinationCidrBlock": "10.9.0.0/16", "VpcPeeringConnectionId": "pcx-0000000f"})
        )),
        "InvalidVpcPeeringConnectionID.NotFound"
    );
    let state = || {
        s.describe_route_tables(&a, json!({"RouteTableIds": [rt]}))
            .expect("table")["RouteTables"][0]["Routes"]
            .as_array()
            .expect("routes")
            .iter()
            .find(|r| r["VpcPeeringConnectionId"] == json!(id))
            .expect("route")["State"]
            .clone()
    };
    assert_eq!(state(), "active");
    s.delete_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": id}))
        .expect("delete");
    assert_eq!(state(), "blackhole");
}

#[test]
fn deleting_a_vpc_ends_its_connections_unless_another_account_waits() {
    let (s, clock) = (svc(), Clock::system());
    let (a, b) = (ctx("111111111111", &clock), ctx("222222222222", &clock));
    let va = vpc(&s, &a, "10.1.0.0/16");
    let va2 = vpc(&s, &a, "10.3.0.0/16");
    let vb = vpc(&s, &b, "10.2.0.0/16");
    // b asks a's VPC: a cannot delete it while the request is pending.
    let incoming = peer(
        &s,
        &b,
        json!({"VpcId": vb, "PeerVpcId": va, "PeerOwnerId": "111111111111"}),
    )["VpcPeeringConnectionId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        code(s.delete_vpc(&a, json!({"VpcId": va}))),
        "DependencyViolation"
    );
    s.reject_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": incoming}))
        .expect("reject");
    let local = peer(&s, &a, json!({"VpcId": va, "PeerVpcId": va2}))["VpcPeeringConnectionId"]
        .as_str()
        .expect("id")
        .to_string();
    s.accept_vpc_peering_connection(&a, json!({"VpcPeeringConnectionId": local}))
        .expect("accept");
    s.delete_vpc(&a, json!({"VpcId": va})).expect("delete");
    assert_eq!(status(&s, &a, &local), "deleted");
}
