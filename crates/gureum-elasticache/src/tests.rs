//! The service's rules, one test each, through `Service::call` (engines
//! off: clusters stay `creating`).

use crate::ElasticacheService;
use gureum_core::{Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

fn svc() -> ElasticacheService {
    ElasticacheService::new(Store::in_memory().expect("store"))
}

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

/// The futures are ready at once; poll one without a runtime.
fn call(s: &ElasticacheService, op: &str, input: Value) -> Result<Value, gureum_core::AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let c = ctx();
    let mut f = s.call(&c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

#[test]
fn a_redis_cluster_cannot_have_more_than_one_node() {
    let e = call(&svc(), "CreateCacheCluster", json!({"CacheClusterId": "r", "Engine": "redis", "CacheNodeType": "cache.t3.micro", "NumCacheNodes": 2})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterValue");
    assert_eq!(
        e.message,
        "Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1."
    );
}

#[test]
fn a_memcached_cluster_has_at_most_forty_nodes() {
    let e = call(&svc(), "CreateCacheCluster", json!({"CacheClusterId": "m", "Engine": "memcached", "CacheNodeType": "cache.t3.micro", "NumCacheNodes": 41})).expect_err("refused");
    assert_eq!(e.code, "NodeQuotaForClusterExceeded");
}

#[test]
fn an_unknown_node_type_is_refused() {
    let e = call(
        &svc(),
        "CreateCacheCluster",
        json!({"CacheClusterId": "r", "Engine": "redis", "CacheNodeType": "cache.huge"}),
    )
    .expect_err("refused");
    assert_eq!(e.message, "Invalid CacheNodeType: cache.huge");
}

#[test]
fn a_created_cluster_is_creating_and_its_id_is_taken() {
    let s = svc();
    let input = json!({"CacheClusterId": "MyCache", "Engine": "memcached", "CacheNodeType": "cache.t3.micro", "NumCacheNodes": 3});
    let out = call(&s, "CreateCacheCluster", input.clone()).expect("answered");
    assert_eq!(out["CacheCluster"]["CacheClusterId"], "mycache");
    assert_eq!(out["CacheCluster"]["CacheClusterStatus"], "creating");
    let e = call(&s, "CreateCacheCluster", input).expect_err("refused");
    assert_eq!(e.code, "CacheClusterAlreadyExists");
    let d = call(
        &s,
        "DescribeCacheClusters",
        json!({"ShowCacheNodeInfo": true}),
    )
    .expect("answered");
    assert_eq!(
        d["CacheClusters"][0]["CacheNodes"]
            .as_array()
            .expect("answered")
            .len(),
        3
    );
}

#[test]
fn a_missing_cluster_answers_cache_cluster_not_found() {
    let e = call(
        &svc(),
        "DescribeCacheClusters",
        json!({"CacheClusterId": "nope"}),
    )
    .expect_err("refused");
    assert_eq!(
        (e.code.as_str(), e.status, e.message.as_str()),
        ("CacheClusterNotFound", 404, "CacheCluster not found: nope")
    );
}

#[test]
fn an_auth_token_needs_transit_encryption() {
    let e = call(&svc(), "CreateReplicationGroup", json!({"ReplicationGroupId": "g", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "AuthToken": "a-long-enough-token"})).expect_err("refused");
    assert_eq!(
        e.message,
        "The AUTH token is only supported when encryption-in-transit is set to true."
    );
}

#[test]
fn an_auth_token_shorter_than_sixteen_characters_is_refused() {
    let e = call(&svc(), "CreateReplicationGroup", json!({"ReplicationGroupId": "g", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "AuthToken": "short", "TransitEncryptionEnabled": true})).expect_err("refused");
    assert_eq!(e.message, "Invalid AuthToken provided.");
}

#[test]
fn automatic_failover_needs_a_replica() {
    let e = call(&svc(), "CreateReplicationGroup", json!({"ReplicationGroupId": "g", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "NumCacheClusters": 1, "AutomaticFailoverEnabled": true})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterCombination");
    assert_eq!(
        e.message,
        "When using automatic failover, there must be at least 2 cache clusters in the replication group."
    );
}

#[test]
fn a_replication_group_has_a_primary_and_its_replicas() {
    let s = svc();
    let out = call(&s, "CreateReplicationGroup", json!({"ReplicationGroupId": "g", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "ReplicasPerNodeGroup": 2})).expect("answered");
    let g = &out["ReplicationGroup"];
    assert_eq!(g["MemberClusters"], json!(["g-001", "g-002", "g-003"]));
    let roles: Vec<&str> = g["NodeGroups"][0]["NodeGroupMembers"]
        .as_array()
        .expect("answered")
        .iter()
        .map(|m| m["CurrentRole"].as_str().expect("answered"))
        .collect();
    assert_eq!(roles, ["primary", "replica", "replica"]);
    let e =
        call(&s, "DeleteCacheCluster", json!({"CacheClusterId": "g-001"})).expect_err("refused");
    assert_eq!(e.code, "InvalidCacheClusterState");
}

#[test]
fn default_parameter_groups_cannot_be_modified() {
    let e = call(&svc(), "ModifyCacheParameterGroup", json!({"CacheParameterGroupName": "default.redis7", "ParameterNameValues": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]})).expect_err("refused");
    assert_eq!(e.code, "InvalidCacheParameterGroupState");
}

#[test]
fn parameter_values_are_checked_against_their_allowed_values() {
    let s = svc();
    call(&s, "CreateCacheParameterGroup", json!({"CacheParameterGroupName": "p", "CacheParameterGroupFamily": "redis7", "Description": "d"})).expect("answered");
    let e = call(&s, "ModifyCacheParameterGroup", json!({"CacheParameterGroupName": "p", "ParameterNameValues": [{"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}]})).expect_err("refused");
    assert_eq!(
        e.message,
        "Invalid value for parameter maxmemory-policy: sometimes"
    );
    call(&s, "ModifyCacheParameterGroup", json!({"CacheParameterGroupName": "p", "ParameterNameValues": [{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}]})).expect("answered");
    let out = call(
        &s,
        "DescribeCacheParameters",
        json!({"CacheParameterGroupName": "p", "Source": "user"}),
    )
    .expect("answered");
    assert_eq!(out["Parameters"][0]["ParameterValue"], "allkeys-lru");
}

#[test]
fn a_parameter_group_of_another_family_is_refused() {
    let s = svc();
    call(&s, "CreateCacheParameterGroup", json!({"CacheParameterGroupName": "mc", "CacheParameterGroupFamily": "memcached1.6", "Description": "d"})).expect("answered");
    let e = call(&s, "CreateCacheCluster", json!({"CacheClusterId": "r", "Engine": "redis", "CacheNodeType": "cache.t3.micro", "CacheParameterGroupName": "mc"})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterCombination");
}

#[test]
fn a_subnet_group_needs_subnets_ec2_knows() {
    let e = call(&svc(), "CreateCacheSubnetGroup", json!({"CacheSubnetGroupName": "s", "CacheSubnetGroupDescription": "d", "SubnetIds": ["subnet-0000"]})).expect_err("refused");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("InvalidSubnet", "The subnet ID subnet-0000 does not exist")
    );
}

#[test]
fn memcached_clusters_cannot_be_snapshotted() {
    let s = svc();
    call(
        &s,
        "CreateCacheCluster",
        json!({"CacheClusterId": "m", "Engine": "memcached", "CacheNodeType": "cache.t3.micro"}),
    )
    .expect("answered");
    let e = call(
        &s,
        "CreateSnapshot",
        json!({"CacheClusterId": "m", "SnapshotName": "x"}),
    )
    .expect_err("refused");
    assert_eq!(e.code, "SnapshotFeatureNotSupportedFault");
}

#[test]
fn tags_follow_the_resource_arn() {
    let s = svc();
    call(&s, "CreateCacheCluster", json!({"CacheClusterId": "m", "Engine": "memcached", "CacheNodeType": "cache.t3.micro", "Tags": [{"Key": "team", "Value": "a"}]})).expect("answered");
    let arn = "arn:aws:elasticache:us-east-1:000000000000:cluster:m";
    let out = call(&s, "ListTagsForResource", json!({"ResourceName": arn})).expect("answered");
    assert_eq!(out["TagList"], json!([{"Key": "team", "Value": "a"}]));
    let e = call(
        &s,
        "ListTagsForResource",
        json!({"ResourceName": "arn:aws:elasticache:us-east-1:000000000000:cluster:zz"}),
    )
    .expect_err("refused");
    assert_eq!(e.code, "CacheClusterNotFound");
}

#[test]
fn engine_versions_come_from_the_catalogue() {
    let out = call(
        &svc(),
        "DescribeCacheEngineVersions",
        json!({"Engine": "valkey", "DefaultOnly": true}),
    )
    .expect("answered");
    assert_eq!(
        out["CacheEngineVersions"]
            .as_array()
            .expect("answered")
            .len(),
        1
    );
    assert_eq!(
        out["CacheEngineVersions"][0]["CacheParameterGroupFamily"],
        "valkey8"
    );
}

#[test]
fn a_user_group_needs_a_user_named_default() {
    let s = svc();
    call(&s, "CreateUser", json!({"UserId": "bob", "UserName": "bob", "Engine": "redis", "AccessString": "on ~* +@all", "NoPasswordRequired": true})).expect("answered");
    let e = call(
        &s,
        "CreateUserGroup",
        json!({"UserGroupId": "g", "Engine": "redis", "UserIds": ["bob"]}),
    )
    .expect_err("refused");
    assert_eq!(e.code, "DefaultUserRequired");
    call(
        &s,
        "CreateUserGroup",
        json!({"UserGroupId": "g", "Engine": "redis", "UserIds": ["bob", "default"]}),
    )
    .expect("answered");
}

#[test]
fn a_user_needs_a_password_unless_none_is_required() {
    let e = call(&svc(), "CreateUser", json!({"UserId": "bob", "UserName": "bob", "Engine": "redis", "AccessString": "on ~* +@all"})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterValue");
    let e = call(&svc(), "CreateUser", json!({"UserId": "bob", "UserName": "bob", "Engine": "redis", "AccessString": "on ~* +@all", "NoPasswordRequired": true, "Passwords": ["0123456789abcdef"]})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterCombination");
}

#[test]
fn an_auth_token_and_a_user_group_do_not_go_together() {
    let s = svc();
    call(
        &s,
        "CreateUserGroup",
        json!({"UserGroupId": "g", "Engine": "redis", "UserIds": ["default"]}),
    )
    .expect("answered");
    let e = call(&s, "CreateReplicationGroup", json!({"ReplicationGroupId": "r", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "TransitEncryptionEnabled": true, "AuthToken": "a-long-enough-token", "UserGroupIds": ["g"]})).expect_err("refused");
    assert_eq!(e.message, "Cannot specify both AuthToken and UserGroupIds.");
}

#[test]
fn a_serverless_cache_is_not_a_cache_cluster() {
    let s = svc();
    call(
        &s,
        "CreateServerlessCache",
        json!({"ServerlessCacheName": "sls", "Engine": "valkey"}),
    )
    .expect("answered");
    let out = call(&s, "DescribeCacheClusters", json!({})).expect("answered");
    assert_eq!(out["CacheClusters"], json!([]));
    let e = call(
        &s,
        "DescribeCacheClusters",
        json!({"CacheClusterId": "~sls"}),
    )
    .expect_err("refused");
    assert_eq!(e.code, "CacheClusterNotFound");
    let out = call(&s, "DescribeServerlessCaches", json!({})).expect("answered");
    assert_eq!(out["ServerlessCaches"][0]["MajorEngineVersion"], "8");
}

#[test]
fn describe_cache_clusters_pages_with_max_records_and_marker() {
    let s = svc();
    for i in 0..25 {
        call(&s, "CreateCacheCluster", json!({"CacheClusterId": format!("m{i:02}"), "Engine": "memcached", "CacheNodeType": "cache.t3.micro"})).expect("answered");
    }
    let first = call(&s, "DescribeCacheClusters", json!({"MaxRecords": 20})).expect("answered");
    assert_eq!(first["CacheClusters"].as_array().map(Vec::len), Some(20));
    let marker = first["Marker"].as_str().expect("a marker").to_string();
    let rest = call(
        &s,
        "DescribeCacheClusters",
        json!({"MaxRecords": 20, "Marker": marker}),
    )
    .expect("answered");
    assert_eq!(rest["CacheClusters"].as_array().map(Vec::len), Some(5));
    assert!(rest.get("Marker").is_none());
    let e = call(&s, "DescribeCacheClusters", json!({"MaxRecords": 5})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterValue");
}

#[test]
fn cluster_mode_enabled_names_members_by_shard_and_needs_failover() {
    let s = svc();
    let out = call(&s, "CreateReplicationGroup", json!({"ReplicationGroupId": "c", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "NumNodeGroups": 2, "ReplicasPerNodeGroup": 0})).expect("answered");
    let g = &out["ReplicationGroup"];
    assert_eq!(g["MemberClusters"], json!(["c-0001-001", "c-0002-001"]));
    assert_eq!(g["NodeGroups"][1]["Slots"], "8192-16383");
    assert_eq!(g["ClusterEnabled"], true);
    let e = call(&s, "CreateReplicationGroup", json!({"ReplicationGroupId": "d", "ReplicationGroupDescription": "d", "CacheNodeType": "cache.t3.micro", "NumNodeGroups": 2, "AutomaticFailoverEnabled": false})).expect_err("refused");
    assert_eq!(e.code, "InvalidParameterCombination");
}
