"""ElastiCache end to end: real redis-server/valkey-server and memcached
processes behind the API, driven by boto3, the aws CLI and redis-cli."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

REDIS = shutil.which("redis-server") or shutil.which("valkey-server")
REDIS_CLI = shutil.which("redis-cli") or shutil.which("valkey-cli")
MEMCACHED = shutil.which("memcached")

needs_redis = pytest.mark.skipif(
    not (REDIS and REDIS_CLI),
    reason="redis-server (or valkey-server) and redis-cli are not installed: apt-get install redis-server",
)
needs_memcached = pytest.mark.skipif(
    not MEMCACHED, reason="memcached is not installed: apt-get install memcached"
)

TOKEN = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def ec(gureum):
    return gureum.client("elasticache")


def wait_cluster(ec, cluster_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]
        if c["CacheClusterStatus"] == "available":
            return c
        time.sleep(0.05)
    raise AssertionError(f"{cluster_id} is still {c['CacheClusterStatus']}")


def wait_group(ec, group_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        g = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        if g["Status"] == "available":
            return g
        time.sleep(0.05)
    raise AssertionError(f"{group_id} is still {g['Status']}")


def cli(port, *args, password=None):
    cmd = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port)]
    if password:
        cmd += ["--no-auth-warning", "-a", password]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=10)
    return (p.stdout + p.stderr).strip()


def engine_pid(port, password=None):
    info = cli(port, "INFO", "server", password=password)
    line = next(l for l in info.splitlines() if l.startswith("process_id:"))
    return int(line.split(":")[1])


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            # A zombie (state Z) has ended.
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def memcached_roundtrip(port, key, value):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"set {key} 0 0 {len(value)}\r\n{value}\r\n".encode())
        assert s.recv(100) == b"STORED\r\n"
        s.sendall(f"get {key}\r\n".encode())
        data = b""
        while not data.endswith(b"END\r\n"):
            data += s.recv(1000)
        return data.decode()


def error(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# ---- control plane rules -------------------------------------------------


def test_a_missing_engine_says_so_in_the_status_and_the_api_still_works():
    from conftest import GureumServer

    server = GureumServer()
    saved = os.environ["PATH"]
    # A PATH without redis-server (nor valkey-server): /usr/sbin only.
    os.environ["PATH"] = "/usr/sbin"
    try:
        server.start()
    finally:
        os.environ["PATH"] = saved
    try:
        ec = server.client("elasticache")
        ec.create_cache_cluster(CacheClusterId="nowhere", Engine="redis", CacheNodeType="cache.t3.micro")
        deadline = time.time() + 10
        while True:
            c = ec.describe_cache_clusters(CacheClusterId="nowhere")["CacheClusters"][0]
            if c["CacheClusterStatus"] == "engine-not-installed":
                break
            assert time.time() < deadline, c["CacheClusterStatus"]
            time.sleep(0.05)
        assert ec.delete_cache_cluster(CacheClusterId="nowhere")["CacheCluster"]["CacheClusterStatus"] == "deleting"
    finally:
        server.close()



def test_a_redis_cluster_of_two_nodes_is_refused_with_aws_message(ec):
    code, message = error(lambda: ec.create_cache_cluster(
        CacheClusterId="two", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=2))
    assert code == "InvalidParameterValue"
    assert message == "Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1."


def test_an_unknown_cluster_is_cache_cluster_not_found(ec, gureum):
    code, message = error(lambda: ec.describe_cache_clusters(CacheClusterId="nope"))
    assert (code, message) == ("CacheClusterNotFound", "CacheCluster not found: nope")
    rc, _, err = gureum.aws("elasticache", "describe-cache-clusters", "--cache-cluster-id", "nope", check=False)
    assert rc != 0 and "CacheCluster not found: nope" in err


def test_an_auth_token_without_transit_encryption_is_refused(ec):
    code, message = error(lambda: ec.create_replication_group(
        ReplicationGroupId="tok", ReplicationGroupDescription="d", Engine="redis",
        CacheNodeType="cache.t3.micro", AuthToken=TOKEN))
    assert code == "InvalidParameterValue"
    assert message == "The AUTH token is only supported when encryption-in-transit is set to true."


def test_a_subnet_group_reads_its_subnets_from_ec2(gureum, ec):
    ec2 = gureum.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    g = ec.create_cache_subnet_group(CacheSubnetGroupName="cache-subnets", CacheSubnetGroupDescription="d", SubnetIds=[subnet])["CacheSubnetGroup"]
    assert g["VpcId"] == vpc
    assert g["Subnets"][0]["SubnetAvailabilityZone"]["Name"] == "us-east-1b"
    code, message = error(lambda: ec.create_cache_subnet_group(
        CacheSubnetGroupName="bad", CacheSubnetGroupDescription="d", SubnetIds=["subnet-00000000"]))
    assert (code, message) == ("InvalidSubnet", "The subnet ID subnet-00000000 does not exist")


def test_the_catalogue_groups_tags_and_users_answer_in_the_model_shape(ec):
    # Debug builds check every answer against the model: a misspelt member
    # would fail these calls with InternalFailure.
    versions = ec.describe_cache_engine_versions(Engine="redis")["CacheEngineVersions"]
    assert {"6.2", "7.0", "7.1"} <= {v["EngineVersion"] for v in versions}
    defaults = ec.describe_engine_default_parameters(CacheParameterGroupFamily="redis7")["EngineDefaults"]
    assert any(p["ParameterName"] == "maxmemory-policy" for p in defaults["Parameters"])
    ec.create_cache_parameter_group(CacheParameterGroupName="shape", CacheParameterGroupFamily="valkey8", Description="d")
    groups = [g["CacheParameterGroupName"] for g in ec.describe_cache_parameter_groups()["CacheParameterGroups"]]
    assert "default.redis7" in groups and "shape" in groups
    ec.modify_cache_parameter_group(CacheParameterGroupName="shape", ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "30"}])
    params = ec.describe_cache_parameters(CacheParameterGroupName="shape", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in params] == [("timeout", "30")]
    ec.reset_cache_parameter_group(CacheParameterGroupName="shape", ResetAllParameters=True)
    assert ec.describe_cache_parameters(CacheParameterGroupName="shape", Source="user")["Parameters"] == []
    code, message = error(lambda: ec.delete_cache_parameter_group(CacheParameterGroupName="default.redis7"))
    assert (code, message) == ("InvalidCacheParameterGroupState", "Default parameter group default.redis7 cannot be deleted.")
    ec.delete_cache_parameter_group(CacheParameterGroupName="shape")
    code, message = error(lambda: ec.describe_cache_parameters(CacheParameterGroupName="shape"))
    assert (code, message) == ("CacheParameterGroupNotFound", "CacheParameterGroup not found: shape")
    sg = ec.describe_cache_subnet_groups(CacheSubnetGroupName="cache-subnets")["CacheSubnetGroups"][0]
    ec.modify_cache_subnet_group(CacheSubnetGroupName="cache-subnets", CacheSubnetGroupDescription="new")
    arn = sg["ARN"]
    ec.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "team", "Value": "cache"}])
    assert ec.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "team", "Value": "cache"}]
    ec.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert ec.list_tags_for_resource(ResourceName=arn)["TagList"] == []
    code, _ = error(lambda: ec.list_tags_for_resource(ResourceName="arn:aws:s3:::bucket"))
    assert code == "InvalidARN"
    ec.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    code, message = error(lambda: ec.describe_cache_subnet_groups(CacheSubnetGroupName="cache-subnets"))
    assert (code, message) == ("CacheSubnetGroupNotFoundFault", "Cache subnet group cache-subnets not found.")
    ec.create_user(UserId="shape-user", UserName="shape", Engine="valkey", AccessString="on ~* +@read", Passwords=["0123456789abcdef0"])
    ec.create_user_group(UserGroupId="shape-group", Engine="valkey", UserIds=["default"])
    ug = ec.modify_user_group(UserGroupId="shape-group", UserIdsToAdd=["shape-user"])
    assert ug["UserIds"] == ["default", "shape-user"]
    assert ec.describe_user_groups(UserGroupId="shape-group")["UserGroups"][0]["UserIds"] == ["default", "shape-user"]
    ec.delete_user(UserId="shape-user")
    ec.delete_user_group(UserGroupId="shape-group")
    code, message = error(lambda: ec.describe_users(UserId="shape-user"))
    assert (code, message) == ("UserNotFound", "User shape-user not found.")
    assert ec.describe_snapshots()["Snapshots"] == []


# ---- real engines ----------------------------------------------------------


@needs_redis
def test_a_replication_group_serves_writes_on_its_primary_and_reads_from_a_replica(ec):
    started = time.time()
    g = ec.create_replication_group(
        ReplicationGroupId="rg", ReplicationGroupDescription="primary and replica",
        Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=2,
        AutomaticFailoverEnabled=True, TransitEncryptionEnabled=True, AuthToken=TOKEN,
    )["ReplicationGroup"]
    assert g["Status"] == "creating"
    g = wait_group(ec, "rg")
    ng = g["NodeGroups"][0]
    primary = ng["PrimaryEndpoint"]
    reader = ng["ReaderEndpoint"]
    assert primary["Address"].startswith("rg.") and primary["Address"].endswith(".ng.0001.use1.cache.localhost")
    assert reader["Address"].startswith("rg-ro.")
    assert cli(primary["Port"], "SET", "greeting", "hello", password=TOKEN) == "OK"
    deadline = time.time() + 10
    while cli(reader["Port"], "GET", "greeting", password=TOKEN) != "hello":
        assert time.time() < deadline, "the replica never saw the write"
        time.sleep(0.05)
    assert "role:slave" in cli(reader["Port"], "INFO", "replication", password=TOKEN)
    print(f"replication group with a replica available in {time.time() - started:.2f}s")


@needs_redis
def test_an_auth_token_is_required_when_set(ec):
    port = wait_group(ec, "rg")["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    assert "NOAUTH" in cli(port, "GET", "greeting")
    assert "WRONGPASS" in cli(port, "GET", "greeting", password="not-the-token-at-all")


@needs_redis
def test_test_failover_promotes_the_replica_for_real(ec):
    g = wait_group(ec, "rg")
    old_primary = next(m for m in g["NodeGroups"][0]["NodeGroupMembers"] if m["CurrentRole"] == "primary")
    g = ec.test_failover(ReplicationGroupId="rg", NodeGroupId="0001")["ReplicationGroup"]
    new_primary = next(m for m in g["NodeGroups"][0]["NodeGroupMembers"] if m["CurrentRole"] == "primary")
    assert new_primary["CacheClusterId"] != old_primary["CacheClusterId"]
    port = new_primary["ReadEndpoint"]["Port"]
    assert "role:master" in cli(port, "INFO", "replication", password=TOKEN)
    assert cli(port, "SET", "after", "failover", password=TOKEN) == "OK"
    old_port = old_primary["ReadEndpoint"]["Port"]
    deadline = time.time() + 10
    while cli(old_port, "GET", "after", password=TOKEN) != "failover":
        assert time.time() < deadline, "the old primary does not follow the new one"
        time.sleep(0.05)
    assert g["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == port


@needs_redis
def test_rotating_an_auth_token_keeps_both_valid_until_set(ec):
    new = "a-brand-new-token-0123456789"
    g = ec.modify_replication_group(ReplicationGroupId="rg", AuthToken=new,
                                    AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True)["ReplicationGroup"]
    port = g["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    assert cli(port, "GET", "greeting", password=TOKEN) == "hello"
    assert cli(port, "GET", "greeting", password=new) == "hello"
    ec.modify_replication_group(ReplicationGroupId="rg", AuthToken=new,
                                AuthTokenUpdateStrategy="SET", ApplyImmediately=True)
    assert "WRONGPASS" in cli(port, "GET", "greeting", password=TOKEN)
    assert cli(port, "GET", "greeting", password=new) == "hello"
    # Back to the first token (later tests use it).
    ec.modify_replication_group(ReplicationGroupId="rg", AuthToken=TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True)
    ec.modify_replication_group(ReplicationGroupId="rg", AuthToken=TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True)
    assert "WRONGPASS" in cli(port, "GET", "greeting", password=new)
    # Every member follows, replicas included.
    for m in wait_group(ec, "rg")["NodeGroups"][0]["NodeGroupMembers"]:
        assert cli(m["ReadEndpoint"]["Port"], "GET", "greeting", password=TOKEN) == "hello"


@needs_redis
def test_a_replication_group_can_adopt_a_running_cluster_as_primary(ec):
    ec.create_cache_cluster(CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro")
    port = wait_cluster(ec, "solo")["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(port, "SET", "from-solo", "1") == "OK"
    pid = engine_pid(port)
    ec.create_replication_group(ReplicationGroupId="adopt", ReplicationGroupDescription="around solo",
                                PrimaryClusterId="solo", NumCacheClusters=2)
    g = wait_group(ec, "adopt")
    assert g["MemberClusters"] == ["solo", "adopt-002"]
    ng = g["NodeGroups"][0]
    assert ng["PrimaryEndpoint"]["Port"] == port and engine_pid(port) == pid
    deadline = time.time() + 10
    while cli(ng["ReaderEndpoint"]["Port"], "GET", "from-solo") != "1":
        assert time.time() < deadline, "the new replica never synced"
        time.sleep(0.05)
    code, _ = error(lambda: ec.create_replication_group(ReplicationGroupId="again", ReplicationGroupDescription="d",
                                                         PrimaryClusterId="solo"))
    assert code == "InvalidCacheClusterState"
    ec.delete_replication_group(ReplicationGroupId="adopt", RetainPrimaryCluster=True)
    c = wait_cluster(ec, "solo")
    assert "ReplicationGroupId" not in c
    assert cli(port, "GET", "from-solo") == "1"
    ec.delete_cache_cluster(CacheClusterId="solo")


@needs_redis
def test_a_replica_added_to_a_group_replicates_and_a_group_snapshot_restores(ec):
    g = wait_group(ec, "rg")
    out = ec.create_cache_cluster(CacheClusterId="rg-extra", ReplicationGroupId="rg")["CacheCluster"]
    assert out["ReplicationGroupId"] == "rg"
    code, message = error(lambda: ec.create_cache_cluster(
        CacheClusterId="rg-bad", ReplicationGroupId="rg", Engine="redis"))
    assert (code, message) == ("InvalidParameterCombination",
                               "Cannot specify additional cache cluster parameters when creating a replica cluster")
    port = wait_cluster(ec, "rg-extra")["CacheNodes"][0]["Endpoint"]["Port"]
    deadline = time.time() + 10
    while cli(port, "GET", "greeting", password=TOKEN) != "hello":
        assert time.time() < deadline, "the added replica never synced"
        time.sleep(0.05)
    assert "rg-extra" in wait_group(ec, "rg")["MemberClusters"]
    snap = ec.create_snapshot(ReplicationGroupId="rg", SnapshotName="rg-snap")["Snapshot"]
    assert snap["ReplicationGroupId"] == "rg" and snap["SnapshotStatus"] == "available"
    ec.create_replication_group(
        ReplicationGroupId="rg-copy", ReplicationGroupDescription="from a snapshot", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2, SnapshotName="rg-snap")
    copy = wait_group(ec, "rg-copy")["NodeGroups"][0]
    # The snapshot's data, on the primary and (by replication) the replica.
    assert cli(copy["PrimaryEndpoint"]["Port"], "GET", "greeting") == "hello"
    deadline = time.time() + 10
    while cli(copy["ReaderEndpoint"]["Port"], "GET", "greeting") != "hello":
        assert time.time() < deadline, "the copy's replica never synced"
        time.sleep(0.05)
    ec.delete_cache_cluster(CacheClusterId="rg-extra")
    ec.delete_replication_group(ReplicationGroupId="rg-copy")


@needs_redis
def test_a_parameter_group_change_shows_in_config_get(ec):
    ec.create_cache_parameter_group(CacheParameterGroupName="lru", CacheParameterGroupFamily="redis7", Description="evict any key")
    ec.create_cache_cluster(CacheClusterId="single", Engine="redis", CacheNodeType="cache.t3.micro", CacheParameterGroupName="lru")
    c = wait_cluster(ec, "single")
    port = c["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(port, "CONFIG", "GET", "maxmemory-policy").splitlines()[1] == "volatile-lru"
    ec.modify_cache_parameter_group(CacheParameterGroupName="lru", ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}])
    assert cli(port, "CONFIG", "GET", "maxmemory-policy").splitlines()[1] == "allkeys-lru"
    code, message = error(lambda: ec.modify_cache_parameter_group(
        CacheParameterGroupName="lru", ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}]))
    assert (code, message) == ("InvalidParameterValue", "Invalid value for parameter maxmemory-policy: sometimes")
    # A static parameter waits for a reboot.
    ec.modify_cache_parameter_group(CacheParameterGroupName="lru", ParameterNameValues=[{"ParameterName": "databases", "ParameterValue": "32"}])
    c = ec.describe_cache_clusters(CacheClusterId="single", ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert c["CacheParameterGroup"]["ParameterApplyStatus"] == "pending-reboot"
    assert cli(port, "CONFIG", "GET", "databases").splitlines()[1] == "16"
    out = ec.reboot_cache_cluster(CacheClusterId="single", CacheNodeIdsToReboot=["0001"])["CacheCluster"]
    assert out["CacheClusterStatus"] == "rebooting cache cluster nodes"
    c = wait_cluster(ec, "single")
    port = c["CacheNodes"][0]["Endpoint"]["Port"]
    assert c["CacheParameterGroup"]["ParameterApplyStatus"] == "in-sync"
    assert cli(port, "CONFIG", "GET", "databases").splitlines()[1] == "32"
    assert cli(port, "CONFIG", "GET", "maxmemory-policy").splitlines()[1] == "allkeys-lru"


@needs_redis
def test_a_snapshot_restores_the_data_into_a_new_cluster(ec):
    port = wait_cluster(ec, "single")["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(port, "SET", "kept", "in-the-rdb") == "OK"
    s = ec.create_snapshot(CacheClusterId="single", SnapshotName="snap-1")["Snapshot"]
    assert s["SnapshotStatus"] == "available"
    ec.create_cache_cluster(CacheClusterId="restored", Engine="redis", CacheNodeType="cache.t3.micro", SnapshotName="snap-1")
    restored = wait_cluster(ec, "restored")["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(restored, "GET", "kept") == "in-the-rdb"
    code, message = error(lambda: ec.create_cache_cluster(
        CacheClusterId="x", Engine="redis", CacheNodeType="cache.t3.micro", SnapshotName="snap-nope"))
    assert (code, message) == ("SnapshotNotFoundFault", "Snapshot snap-nope not found.")
    ec.create_snapshot(CacheClusterId="restored", SnapshotName="snap-2")
    assert [x["SnapshotName"] for x in ec.describe_snapshots(CacheClusterId="restored")["Snapshots"]] == ["snap-2"]
    assert ec.delete_snapshot(SnapshotName="snap-2")["Snapshot"]["SnapshotStatus"] == "deleting"
    code, _ = error(lambda: ec.describe_snapshots(SnapshotName="snap-2"))
    assert code == "SnapshotNotFoundFault"


@needs_memcached
def test_a_memcached_cluster_answers_set_and_get_on_every_node(gureum, ec):
    started = time.time()
    rc, out, _ = gureum.aws("elasticache", "create-cache-cluster", "--cache-cluster-id", "mc",
                            "--engine", "memcached", "--cache-node-type", "cache.t3.micro", "--num-cache-nodes", "2")
    assert out["CacheCluster"]["CacheClusterStatus"] == "creating"
    c = wait_cluster(ec, "mc")
    elapsed = time.time() - started
    assert c["ConfigurationEndpoint"]["Address"].endswith(".cfg.use1.cache.localhost")
    for node in c["CacheNodes"]:
        reply = memcached_roundtrip(node["Endpoint"]["Port"], "k", "v1")
        assert reply == "VALUE k 0 2\r\nv1\r\nEND\r\n"
    print(f"memcached cluster of 2 nodes available in {elapsed:.2f}s")


@needs_redis
def test_create_cache_cluster_to_accepting_connections_is_fast(ec):
    started = time.time()
    ec.create_cache_cluster(CacheClusterId="timed", Engine="redis", CacheNodeType="cache.t3.micro")
    c = wait_cluster(ec, "timed")
    port = c["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(port, "PING") == "PONG"
    elapsed = time.time() - started
    print(f"CreateCacheCluster -> PONG in {elapsed:.3f}s")
    assert elapsed < 5


@needs_redis
def test_health_lists_the_cache_endpoints(gureum, ec):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        endpoints = json.load(r)["endpoints"]["elasticache"]
    port = wait_cluster(ec, "single")["CacheNodes"][0]["Endpoint"]["Port"]
    assert any(k.startswith("single.") and k.endswith(f".0001.use1.cache.localhost:{port}") for k in endpoints)


@needs_redis
def test_a_restart_keeps_the_clusters_and_their_data_and_no_engine_outlives_gureum(gureum, ec):
    g = wait_group(ec, "rg")
    primary_port = g["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    assert cli(primary_port, "SET", "durable", "yes", password=TOKEN) == "OK"
    single_port = wait_cluster(ec, "single")["CacheNodes"][0]["Endpoint"]["Port"]
    pids = [engine_pid(primary_port, password=TOKEN), engine_pid(single_port)]
    gureum.restart(kill=True)
    # kill -9 of Gureum: the death signal ends every engine.
    deadline = time.time() + 5
    while any(alive(p) for p in pids):
        assert time.time() < deadline, f"engines outlived Gureum: {[p for p in pids if alive(p)]}"
        time.sleep(0.05)
    ec = gureum.client("elasticache")
    g = wait_group(ec, "rg")
    port = g["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    assert cli(port, "GET", "durable", password=TOKEN) == "yes"
    assert cli(port, "GET", "greeting", password=TOKEN) == "hello"
    single_port = wait_cluster(ec, "single")["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(single_port, "GET", "kept") == "in-the-rdb"
    assert cli(single_port, "CONFIG", "GET", "maxmemory-policy").splitlines()[1] == "allkeys-lru"
    # A graceful stop ends them too.
    pids = [engine_pid(port, password=TOKEN), engine_pid(single_port)]
    gureum.stop()
    deadline = time.time() + 5
    while any(alive(p) for p in pids):
        assert time.time() < deadline, f"engines outlived Gureum's stop: {[p for p in pids if alive(p)]}"
        time.sleep(0.05)
    gureum.start()


@needs_redis
def test_deleting_a_cluster_ends_its_engine(gureum, ec):
    c = wait_cluster(ec, "timed")
    port = c["CacheNodes"][0]["Endpoint"]["Port"]
    pid = engine_pid(port)
    out = ec.delete_cache_cluster(CacheClusterId="timed")["CacheCluster"]
    assert out["CacheClusterStatus"] == "deleting"
    assert not alive(pid)
    code, _ = error(lambda: ec.describe_cache_clusters(CacheClusterId="timed"))
    assert code == "CacheClusterNotFound"


# ---- users and user groups (RBAC) as Redis ACLs -----------------------------

ALICE_PW = "alice-password-0123456789"


@needs_redis
def test_user_group_users_are_the_engine_acl_users(ec):
    ec.create_user(UserId="app-default", UserName="default", Engine="redis",
                   AccessString="off ~* +@all", NoPasswordRequired=True)
    ec.create_user(UserId="alice", UserName="alice", Engine="redis",
                   AccessString="on ~app:* +@all", Passwords=[ALICE_PW])
    code, message = error(lambda: ec.create_user_group(UserGroupId="no-default", Engine="redis", UserIds=["alice"]))
    assert code == "DefaultUserRequired"
    ec.create_user_group(UserGroupId="team", Engine="redis", UserIds=["app-default", "alice"])
    ec.create_replication_group(
        ReplicationGroupId="rbac", ReplicationGroupDescription="acl users", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2, TransitEncryptionEnabled=True,
        UserGroupIds=["team"])
    g = wait_group(ec, "rbac")
    assert g["UserGroupIds"] == ["team"]
    primary = g["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    reader = g["NodeGroups"][0]["ReaderEndpoint"]["Port"]
    # The group's `default` user is off: no anonymous access.
    assert "NOAUTH" in cli(primary, "GET", "app:x") or "NOPERM" in cli(primary, "GET", "app:x")
    alice = ["--user", "alice", "--pass", ALICE_PW, "--no-auth-warning"]
    assert cli(primary, *alice, "SET", "app:x", "1") == "OK"
    assert "NOPERM" in cli(primary, *alice, "SET", "other", "1")
    # Replication still works (Gureum's own user syncs the replica).
    deadline = time.time() + 10
    while cli(reader, *alice, "GET", "app:x") != "1":
        assert time.time() < deadline, "the replica never saw alice's write"
        time.sleep(0.05)
    # A changed access string reaches the engines at once.
    ec.modify_user(UserId="alice", AccessString="on ~* +@all")
    assert cli(primary, *alice, "SET", "other", "1") == "OK"
    code, _ = error(lambda: ec.delete_user_group(UserGroupId="team"))
    assert code == "InvalidUserGroupState"
    users = {u["UserId"] for u in ec.describe_users()["Users"]}
    assert {"default", "app-default", "alice"} <= users


@needs_redis
def test_acl_users_come_back_after_a_restart(gureum, ec):
    gureum.restart(kill=True)
    ec = gureum.client("elasticache")
    g = wait_group(ec, "rbac")
    primary = g["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    alice = ["--user", "alice", "--pass", ALICE_PW, "--no-auth-warning"]
    assert cli(primary, *alice, "GET", "other") == "1"
    assert "NOAUTH" in cli(primary, "GET", "other") or "NOPERM" in cli(primary, "GET", "other")


@needs_redis
def test_a_node_whose_engine_dies_is_replaced_with_its_data(ec):
    c = wait_cluster(ec, "single")
    port = c["CacheNodes"][0]["Endpoint"]["Port"]
    assert cli(port, "SET", "survivor", "yes") == "OK"
    pid = engine_pid(port)
    os.kill(pid, 9)
    deadline = time.time() + 15
    while True:
        assert time.time() < deadline, "the node was not replaced"
        c = ec.describe_cache_clusters(CacheClusterId="single", ShowCacheNodeInfo=True)["CacheClusters"][0]
        port = c["CacheNodes"][0]["Endpoint"]["Port"]
        if c["CacheClusterStatus"] == "available" and cli(port, "PING") == "PONG" and engine_pid(port) != pid:
            break
        time.sleep(0.1)
    assert cli(port, "GET", "survivor") == "yes"


# ---- serverless caches ------------------------------------------------------


@needs_redis
def test_a_serverless_cache_is_served_by_a_real_engine(ec):
    out = ec.create_serverless_cache(ServerlessCacheName="sls", Engine="redis",
                                     CacheUsageLimits={"DataStorage": {"Maximum": 1, "Unit": "GB"}})["ServerlessCache"]
    assert out["Status"] == "creating"
    deadline = time.time() + 30
    while True:
        s = ec.describe_serverless_caches(ServerlessCacheName="sls")["ServerlessCaches"][0]
        if s["Status"] == "available":
            break
        assert time.time() < deadline, s["Status"]
        time.sleep(0.05)
    assert s["Endpoint"]["Address"].startswith("sls-") and s["Endpoint"]["Address"].endswith(".serverless.use1.cache.localhost")
    port = s["Endpoint"]["Port"]
    assert cli(port, "SET", "k", "v") == "OK"
    assert cli(port, "CONFIG", "GET", "maxmemory").splitlines()[1] == str(1024 * 1024 * 1024)
    # Its engine node is not a cache cluster.
    ids = [c["CacheClusterId"] for c in ec.describe_cache_clusters()["CacheClusters"]]
    assert not any("sls" in i for i in ids)
    s = ec.modify_serverless_cache(ServerlessCacheName="sls", Description="modified")["ServerlessCache"]
    assert s["Description"] == "modified"
    pid = engine_pid(port)
    assert ec.delete_serverless_cache(ServerlessCacheName="sls")["ServerlessCache"]["Status"] == "deleting"
    assert not alive(pid)
    code, message = error(lambda: ec.describe_serverless_caches(ServerlessCacheName="sls"))
    assert (code, message) == ("ServerlessCacheNotFoundFault", "Serverless cache sls not found.")


@needs_memcached
def test_a_memcached_cluster_grows_and_shrinks_by_node(ec):
    wait_cluster(ec, "mc")
    ec.modify_cache_cluster(CacheClusterId="mc", NumCacheNodes=3, ApplyImmediately=True)
    c = wait_cluster(ec, "mc")
    assert [n["CacheNodeId"] for n in c["CacheNodes"]] == ["0001", "0002", "0003"]
    third = c["CacheNodes"][2]["Endpoint"]["Port"]
    assert memcached_roundtrip(third, "k3", "v3") == "VALUE k3 0 2\r\nv3\r\nEND\r\n"
    code, message = error(lambda: ec.modify_cache_cluster(CacheClusterId="mc", NumCacheNodes=2))
    assert code == "InvalidParameterValue" and "must equal the difference" in message
    ec.modify_cache_cluster(CacheClusterId="mc", NumCacheNodes=2, CacheNodeIdsToRemove=["0003"], ApplyImmediately=True)
    c = wait_cluster(ec, "mc")
    assert [n["CacheNodeId"] for n in c["CacheNodes"]] == ["0001", "0002"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", third), timeout=1).close()


@needs_redis
def test_cluster_mode_enabled_shards_the_keyspace_for_real(gureum, ec):
    started = time.time()
    g = ec.create_replication_group(
        ReplicationGroupId="sharded", ReplicationGroupDescription="two shards", Engine="redis",
        CacheNodeType="cache.t3.micro", NumNodeGroups=2, ReplicasPerNodeGroup=1)["ReplicationGroup"]
    assert g["ClusterEnabled"] is True and g["MemberClusters"] == [
        "sharded-0001-001", "sharded-0001-002", "sharded-0002-001", "sharded-0002-002"]
    g = wait_group(ec, "sharded", timeout=60)
    print(f"cluster mode group of 2 shards x 2 nodes available in {time.time() - started:.2f}s")
    assert [(n["NodeGroupId"], n["Slots"]) for n in g["NodeGroups"]] == [("0001", "0-8191"), ("0002", "8192-16383")]
    cfg = g["ConfigurationEndpoint"]
    assert cfg["Address"].startswith("sharded.") and ".clustercfg.use1.cache.localhost" in cfg["Address"]
    info = cli(cfg["Port"], "CLUSTER", "INFO")
    assert "cluster_state:ok" in info and "cluster_size:2" in info
    for i in range(20):
        assert cli(cfg["Port"], "-c", "SET", f"key{i}", str(i)) == "OK"
    assert all(cli(cfg["Port"], "-c", "GET", f"key{i}") == str(i) for i in range(20))
    # Both shards hold keys.
    primaries = [l for l in cli(cfg["Port"], "CLUSTER", "NODES").splitlines() if "master" in l]
    assert len(primaries) == 2
    counts = [int(cli(int(l.split()[1].split(":")[1].split("@")[0]), "DBSIZE")) for l in primaries]
    assert all(c > 0 for c in counts) and sum(counts) == 20
    # A failover of shard 0002 promotes its replica.
    g = ec.test_failover(ReplicationGroupId="sharded", NodeGroupId="0002")["ReplicationGroup"]
    code, _ = error(lambda: ec.test_failover(ReplicationGroupId="sharded", NodeGroupId="0009"))
    assert code == "NodeGroupNotFoundFault"
    deadline = time.time() + 15
    port = wait_cluster(ec, "sharded-0002-002")["CacheNodes"][0]["Endpoint"]["Port"]
    while "role:master" not in cli(port, "INFO", "replication"):
        assert time.time() < deadline, "the replica of shard 0002 was not promoted"
        time.sleep(0.1)
    # The cluster and its data survive a restart of Gureum.
    gureum.restart(kill=True)
    ec = gureum.client("elasticache")
    g = wait_group(ec, "sharded", timeout=60)
    port = g["ConfigurationEndpoint"]["Port"]
    assert "cluster_state:ok" in cli(port, "CLUSTER", "INFO")
    assert all(cli(port, "-c", "GET", f"key{i}") == str(i) for i in range(20))


def advance_clock(gureum, seconds):
    req = urllib.request.Request(gureum.endpoint + "/_gureum/clock", method="POST",
                                 data=json.dumps({"advance_seconds": seconds}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def automated(ec, cluster_id):
    return sorted(s["SnapshotName"] for s in ec.describe_snapshots(
        CacheClusterId=cluster_id, SnapshotSource="automated")["Snapshots"])


@needs_redis
def test_automatic_snapshots_follow_the_window_and_the_retention_on_gureums_clock(gureum, ec):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        clock = json.load(r)
    # To 01:00 UTC of the next day, so the 03:00 window is ahead.
    now_ms = clock["now_ms"]
    next_day = (now_ms // 86_400_000 + 1) * 86_400_000
    advance_clock(gureum, (next_day + 3_600_000 - now_ms) / 1000)
    start = 3
    ec.create_cache_cluster(CacheClusterId="auto", Engine="redis", CacheNodeType="cache.t3.micro",
                            SnapshotRetentionLimit=1, SnapshotWindow=f"{start:02d}:00-{(start + 1) % 24:02d}:00")
    wait_cluster(ec, "auto")
    time.sleep(1.5)
    assert automated(ec, "auto") == []
    advance_clock(gureum, 3 * 3600)
    deadline = time.time() + 10
    while len(automated(ec, "auto")) != 1:
        assert time.time() < deadline, "no automatic snapshot once the window opened"
        time.sleep(0.1)
    first = automated(ec, "auto")[0]
    assert first.startswith("automatic.auto-") and first.endswith(f"-{start:02d}-00")
    # Two days on: a new one, and the first is past its one-day retention.
    advance_clock(gureum, 2 * 86400)
    deadline = time.time() + 10
    while automated(ec, "auto") in ([], [first]) or first in automated(ec, "auto"):
        assert time.time() < deadline, automated(ec, "auto")
        time.sleep(0.1)
    assert len(automated(ec, "auto")) == 1


@needs_redis
def test_a_reset_of_gureum_state_stops_the_engines(gureum, ec):
    port = wait_cluster(ec, "single")["CacheNodes"][0]["Endpoint"]["Port"]
    pid = engine_pid(port)
    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset?service=elasticache", method="POST")
    with urllib.request.urlopen(req) as r:
        assert json.load(r)["status"] == "ok"
    deadline = time.time() + 5
    while alive(pid):
        assert time.time() < deadline, "the engine outlived the reset"
        time.sleep(0.05)
    assert ec.describe_cache_clusters()["CacheClusters"] == []
