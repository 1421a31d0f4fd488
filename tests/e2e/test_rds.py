"""RDS with real engines: each DB instance is a PostgreSQL or MariaDB server
started from the host, reached with the real clients (psql, mariadb).

Skips with the reason when the host lacks an engine (scripts/test.sh installs
postgresql and mariadb-server from Debian)."""
import glob
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

PG_SERVER = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
PSQL = shutil.which("psql")
MARIADB_SERVER = shutil.which("mariadbd") or (os.path.exists("/usr/sbin/mariadbd") and "/usr/sbin/mariadbd")
MARIADB_CLIENT = shutil.which("mariadb") or shutil.which("mysql")

needs_postgres = pytest.mark.skipif(
    not PG_SERVER or not PSQL,
    reason="PostgreSQL is not installed (apt-get install postgresql postgresql-client)",
)
needs_mariadb = pytest.mark.skipif(
    not MARIADB_SERVER or not MARIADB_CLIENT,
    reason="MariaDB is not installed (apt-get install mariadb-server mariadb-client)",
)

PASSWORD = "Secret-pass1"


def wait_status(rds, ident, want="available", timeout=90):
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        inst = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        status = inst["DBInstanceStatus"]
        if status == want:
            return inst
        assert status != "failed", f"{ident} failed"
        time.sleep(0.1)
    raise AssertionError(f"{ident} stayed {status}, not {want}")


def psql(port, sql, db="app", user="master", password=PASSWORD):
    p = subprocess.run(
        [PSQL, "-X", "-w", "-tA", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", db, "-c", sql],
        capture_output=True,
        text=True,
        env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "3"},
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def aws_rds(gureum, *args, check=True):
    """The aws CLI's rds commands. CLI v1 points `rds` at its global
    endpoint whatever AWS_ENDPOINT_URL says, so the endpoint is passed."""
    return gureum.aws("--endpoint-url", gureum.endpoint, "rds", *args, check=check)


def health_rds(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health", timeout=5) as r:
        return json.load(r)["endpoints"]["rds"]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def create_pg(rds, ident, **extra):
    args = dict(
        DBInstanceIdentifier=ident,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="master",
        MasterUserPassword=PASSWORD,
        AllocatedStorage=20,
        DBName="app",
    )
    args.update(extra)
    return rds.create_db_instance(**args)["DBInstance"]


@pytest.fixture(scope="module")
def rds(gureum):
    return gureum.client("rds")


@pytest.fixture(scope="module")
def pg(gureum, rds):
    """One PostgreSQL instance made with the aws CLI, with a row in it."""
    if not PG_SERVER or not PSQL:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql postgresql-client)")
    _, out, _ = aws_rds(
        gureum, "create-db-instance", "--db-instance-identifier", "pg1", "--engine", "postgres",
        "--db-instance-class", "db.t3.micro", "--master-username", "master",
        "--master-user-password", PASSWORD, "--allocated-storage", "20", "--db-name", "app",
    )
    assert out["DBInstance"]["DBInstanceStatus"] == "creating"
    aws_rds(gureum, "wait", "db-instance-available", "--db-instance-identifier", "pg1")
    inst = wait_status(rds, "pg1")
    port = inst["Endpoint"]["Port"]
    psql(port, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'hello')")
    return inst


@needs_postgres
def test_create_db_instance_runs_postgres_that_the_master_user_reaches_with_psql(pg):
    port = pg["Endpoint"]["Port"]
    assert psql(port, "SELECT body FROM notes WHERE id = 1") == "hello"
    assert psql(port, "SELECT rolsuper FROM pg_roles WHERE rolname = 'master'") == "t"
    assert pg["Endpoint"]["Address"].startswith("pg1.")
    assert pg["Endpoint"]["Address"].endswith(".us-east-1.rds.localhost")
    assert pg["Engine"] == "postgres" and pg["DBName"] == "app"


@needs_postgres
def test_health_lists_the_engine_endpoint_with_its_real_port(gureum, pg):
    entry = health_rds(gureum)["000000000000/us-east-1/pg1"]
    assert entry["port"] == pg["Endpoint"]["Port"]
    assert entry["address"] == pg["Endpoint"]["Address"]
    assert alive(entry["pid"])


@needs_postgres
def test_postgres_accepts_connections_within_the_budget_after_create(rds):
    started = time.time()
    inst = create_pg(rds, "pgtimed")
    assert inst["DBInstanceStatus"] == "creating"
    while True:
        port = rds.describe_db_instances(DBInstanceIdentifier="pgtimed")["DBInstances"][0].get("Endpoint", {}).get("Port")
        if port:
            p = subprocess.run(
                [PSQL, "-X", "-w", "-tA", "-h", "127.0.0.1", "-p", str(port), "-U", "master", "-d", "app", "-c", "SELECT 1"],
                capture_output=True, text=True, env={**os.environ, "PGPASSWORD": PASSWORD},
            )
            if p.returncode == 0:
                break
        assert time.time() - started < 30, "no connection in 30 s"
        time.sleep(0.05)
    elapsed = time.time() - started
    print(f"CreateDBInstance -> accepting connections: {elapsed:.2f} s")
    # The budget is 3 s on an idle machine; shared CI machines get slack.
    assert elapsed < 15
    rds.delete_db_instance(DBInstanceIdentifier="pgtimed", SkipFinalSnapshot=True)


@needs_postgres
def test_a_snapshot_restored_to_a_new_instance_has_the_row(rds, pg):
    snap = rds.create_db_snapshot(DBSnapshotIdentifier="snap1", DBInstanceIdentifier="pg1")["DBSnapshot"]
    assert snap["Status"] == "creating"
    deadline = time.time() + 60
    while rds.describe_db_snapshots(DBSnapshotIdentifier="snap1")["DBSnapshots"][0]["Status"] != "available":
        assert time.time() < deadline
        time.sleep(0.1)
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="pg1-restored", DBSnapshotIdentifier="snap1")
    inst = wait_status(rds, "pg1-restored")
    assert inst["Endpoint"]["Port"] != pg["Endpoint"]["Port"]
    assert psql(inst["Endpoint"]["Port"], "SELECT body FROM notes WHERE id = 1") == "hello"
    rds.delete_db_instance(DBInstanceIdentifier="pg1-restored", SkipFinalSnapshot=True)


@needs_postgres
def test_a_static_parameter_takes_effect_after_reboot(gureum, rds, pg):
    rds.create_db_parameter_group(
        DBParameterGroupName="tuned", DBParameterGroupFamily="postgres15", Description="tuned"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="tuned",
        Parameters=[{"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "pending-reboot"}],
    )
    aws_rds(gureum, "modify-db-instance", "--db-instance-identifier", "pg1",
               "--db-parameter-group-name", "tuned", "--apply-immediately")
    inst = rds.describe_db_instances(DBInstanceIdentifier="pg1")["DBInstances"][0]
    assert inst["DBParameterGroups"] == [{"DBParameterGroupName": "tuned", "ParameterApplyStatus": "pending-reboot"}]
    port = inst["Endpoint"]["Port"]
    assert psql(port, "SHOW max_connections") == "100"
    rds.reboot_db_instance(DBInstanceIdentifier="pg1")
    inst = wait_status(rds, "pg1")
    assert inst["DBParameterGroups"][0]["ParameterApplyStatus"] == "in-sync"
    assert psql(inst["Endpoint"]["Port"], "SHOW max_connections") == "150"


@needs_postgres
def test_a_dynamic_parameter_applied_immediately_reaches_the_engine_without_reboot(rds, pg):
    rds.modify_db_parameter_group(
        DBParameterGroupName="tuned",
        Parameters=[{"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}],
    )
    port = rds.describe_db_instances(DBInstanceIdentifier="pg1")["DBInstances"][0]["Endpoint"]["Port"]
    deadline = time.time() + 10
    while psql(port, "SHOW work_mem") != "8MB":
        assert time.time() < deadline, psql(port, "SHOW work_mem")
        time.sleep(0.1)


@needs_postgres
def test_stop_frees_the_engine_and_start_brings_the_same_data_back(gureum, rds, pg):
    pid = health_rds(gureum)["000000000000/us-east-1/pg1"]["pid"]
    rds.stop_db_instance(DBInstanceIdentifier="pg1", DBSnapshotIdentifier="at-stop")
    wait_status(rds, "pg1", "stopped")
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="at-stop")["DBSnapshots"][0]["Status"] == "available"
    assert not alive(pid)
    assert "000000000000/us-east-1/pg1" not in health_rds(gureum)
    with pytest.raises(ClientError) as e:
        rds.stop_db_instance(DBInstanceIdentifier="pg1")
    assert e.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    assert e.value.response["Error"]["Message"] == "Instance pg1 is not in available state."
    rds.start_db_instance(DBInstanceIdentifier="pg1")
    inst = wait_status(rds, "pg1")
    assert psql(inst["Endpoint"]["Port"], "SELECT body FROM notes WHERE id = 1") == "hello"
    with pytest.raises(ClientError) as e:
        rds.start_db_instance(DBInstanceIdentifier="pg1")
    assert e.value.response["Error"]["Message"] == "Instance pg1 is not stopped, it cannot be started."


@needs_postgres
def test_a_read_replica_streams_rows_written_to_its_source_and_refuses_writes(rds, pg):
    replica = rds.create_db_instance_read_replica(
        DBInstanceIdentifier="pg1-replica", SourceDBInstanceIdentifier="pg1"
    )["DBInstance"]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "pg1"
    inst = wait_status(rds, "pg1-replica")
    assert inst["StatusInfos"] == [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}]
    source = rds.describe_db_instances(DBInstanceIdentifier="pg1")["DBInstances"][0]
    assert source["ReadReplicaDBInstanceIdentifiers"] == ["pg1-replica"]
    psql(source["Endpoint"]["Port"], "INSERT INTO notes VALUES (2, 'replicated')")
    port = inst["Endpoint"]["Port"]
    deadline = time.time() + 20
    while psql(port, "SELECT count(*) FROM notes WHERE id = 2") != "1":
        assert time.time() < deadline, "the row never reached the replica"
        time.sleep(0.1)
    assert psql(port, "SELECT pg_is_in_recovery()") == "t"
    p = subprocess.run(
        [PSQL, "-X", "-w", "-h", "127.0.0.1", "-p", str(port), "-U", "master", "-d", "app",
         "-c", "INSERT INTO notes VALUES (3, 'no')"],
        capture_output=True, text=True, env={**os.environ, "PGPASSWORD": PASSWORD},
    )
    assert p.returncode != 0 and "read-only transaction" in p.stderr


@needs_postgres
def test_a_promoted_replica_accepts_writes(rds, pg):
    rds.promote_read_replica(DBInstanceIdentifier="pg1-replica")
    inst = wait_status(rds, "pg1-replica")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in inst
    assert psql(inst["Endpoint"]["Port"], "SELECT pg_is_in_recovery()") == "f"
    psql(inst["Endpoint"]["Port"], "INSERT INTO notes VALUES (3, 'own')")
    with pytest.raises(ClientError) as e:
        rds.promote_read_replica(DBInstanceIdentifier="pg1-replica")
    assert e.value.response["Error"]["Message"] == "DB Instance pg1-replica is not a read replica."
    rds.delete_db_instance(DBInstanceIdentifier="pg1-replica", SkipFinalSnapshot=True)


@needs_postgres
def test_a_managed_master_password_lives_in_secrets_manager_and_opens_the_engine(gureum, rds):
    inst = rds.create_db_instance(
        DBInstanceIdentifier="pgmanaged", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="master", ManageMasterUserPassword=True, AllocatedStorage=20, DBName="app",
    )["DBInstance"]
    arn = inst["MasterUserSecret"]["SecretArn"]
    assert inst["MasterUserSecret"]["SecretStatus"] == "active"
    assert ":secret:rds-db-" in arn
    sm = gureum.client("secretsmanager")
    secret = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert secret["username"] == "master"
    inst = wait_status(rds, "pgmanaged")
    assert psql(inst["Endpoint"]["Port"], "SELECT current_user", password=secret["password"]) == "master"
    with pytest.raises(ClientError) as e:
        rds.create_db_instance(
            DBInstanceIdentifier="pgboth", Engine="postgres", DBInstanceClass="db.t3.micro",
            MasterUsername="master", MasterUserPassword=PASSWORD, ManageMasterUserPassword=True,
            AllocatedStorage=20,
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    rds.delete_db_instance(DBInstanceIdentifier="pgmanaged", SkipFinalSnapshot=True)
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=arn)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


@needs_postgres
def test_deleting_a_source_promotes_its_replicas(rds):
    create_pg(rds, "pgsrc")
    wait_status(rds, "pgsrc")
    rds.create_db_instance_read_replica(DBInstanceIdentifier="pgsrc-r", SourceDBInstanceIdentifier="pgsrc")
    wait_status(rds, "pgsrc-r")
    rds.delete_db_instance(DBInstanceIdentifier="pgsrc", SkipFinalSnapshot=True)
    deadline = time.time() + 60
    while True:
        inst = rds.describe_db_instances(DBInstanceIdentifier="pgsrc-r")["DBInstances"][0]
        if inst["DBInstanceStatus"] == "available" and "ReadReplicaSourceDBInstanceIdentifier" not in inst:
            break
        assert time.time() < deadline, inst["DBInstanceStatus"]
        time.sleep(0.1)
    assert psql(inst["Endpoint"]["Port"], "SELECT pg_is_in_recovery()") == "f"
    rds.delete_db_instance(DBInstanceIdentifier="pgsrc-r", SkipFinalSnapshot=True)


@needs_postgres
def test_an_engine_refusing_its_parameters_shows_incompatible_parameters_until_fixed(rds):
    rds.create_db_parameter_group(
        DBParameterGroupName="huge", DBParameterGroupFamily="postgres15", Description="too big"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="huge",
        Parameters=[{"ParameterName": "shared_buffers", "ParameterValue": "1073741823", "ApplyMethod": "pending-reboot"}],
    )
    create_pg(rds, "pgbad", DBParameterGroupName="huge")
    wait_status(rds, "pgbad", "incompatible-parameters", timeout=60)
    rds.reset_db_parameter_group(
        DBParameterGroupName="huge",
        Parameters=[{"ParameterName": "shared_buffers", "ApplyMethod": "pending-reboot"}],
    )
    rds.reboot_db_instance(DBInstanceIdentifier="pgbad")
    inst = wait_status(rds, "pgbad")
    assert psql(inst["Endpoint"]["Port"], "SELECT 1") == "1"
    rds.delete_db_instance(DBInstanceIdentifier="pgbad", SkipFinalSnapshot=True)


@needs_postgres
def test_a_crashed_engine_shows_failed(gureum, rds):
    create_pg(rds, "pgcrash")
    wait_status(rds, "pgcrash")
    pid = health_rds(gureum)["000000000000/us-east-1/pgcrash"]["pid"]
    os.kill(pid, 9)
    wait_status(rds, "pgcrash", "failed", timeout=20)
    rds.delete_db_instance(DBInstanceIdentifier="pgcrash", SkipFinalSnapshot=True)


@needs_postgres
def test_no_engine_survives_gureum_and_a_restart_brings_instance_and_data_back(gureum, rds, pg):
    pid = health_rds(gureum)["000000000000/us-east-1/pg1"]["pid"]
    gureum.stop()
    assert not alive(pid), "postgres outlived a graceful stop"
    gureum.start()
    inst = wait_status(rds, "pg1")
    assert psql(inst["Endpoint"]["Port"], "SELECT body FROM notes WHERE id = 1") == "hello"
    pid = health_rds(gureum)["000000000000/us-east-1/pg1"]["pid"]
    gureum.restart(kill=True)
    deadline = time.time() + 5
    while alive(pid):
        assert time.time() < deadline, "postgres outlived kill -9 of Gureum"
        time.sleep(0.05)
    inst = wait_status(rds, "pg1")
    assert psql(inst["Endpoint"]["Port"], "SELECT body FROM notes WHERE id = 1") == "hello"
    assert inst["DBParameterGroups"][0]["DBParameterGroupName"] == "tuned"


@needs_mariadb
def test_a_mariadb_instance_accepts_the_mariadb_client(gureum, rds):
    rds.create_db_instance(
        DBInstanceIdentifier="maria1", Engine="mariadb", DBInstanceClass="db.t3.micro",
        MasterUsername="admin", MasterUserPassword=PASSWORD, AllocatedStorage=20, DBName="shop",
    )
    inst = wait_status(rds, "maria1", timeout=120)
    port = inst["Endpoint"]["Port"]
    p = subprocess.run(
        [MARIADB_CLIENT, "--no-defaults", "-h", "127.0.0.1", "-P", str(port), "-u", "admin",
         f"-p{PASSWORD}", "shop", "-N", "-e",
         "CREATE TABLE t (id INT); INSERT INTO t VALUES (42); SELECT id FROM t"],
        capture_output=True, text=True, timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "42"
    # MariaDB is copied stopped: the instance backs up, then serves again.
    rds.create_db_snapshot(DBSnapshotIdentifier="maria-snap", DBInstanceIdentifier="maria1")
    deadline = time.time() + 90
    while rds.describe_db_snapshots(DBSnapshotIdentifier="maria-snap")["DBSnapshots"][0]["Status"] != "available":
        assert time.time() < deadline
        time.sleep(0.2)
    wait_status(rds, "maria1", timeout=120)
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="maria2", DBSnapshotIdentifier="maria-snap")
    restored = wait_status(rds, "maria2", timeout=120)
    p = subprocess.run(
        [MARIADB_CLIENT, "--no-defaults", "-h", "127.0.0.1", "-P", str(restored["Endpoint"]["Port"]), "-u", "admin",
         f"-p{PASSWORD}", "shop", "-N", "-e", "SELECT id FROM t"],
        capture_output=True, text=True, timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "42"
    rds.delete_db_instance(DBInstanceIdentifier="maria2", SkipFinalSnapshot=True)
    pid = health_rds(gureum)["000000000000/us-east-1/maria1"]["pid"]
    rds.delete_db_instance(DBInstanceIdentifier="maria1", SkipFinalSnapshot=True)
    deadline = time.time() + 30
    while alive(pid):
        assert time.time() < deadline, "mariadbd outlived its instance"
        time.sleep(0.1)


def test_errors_carry_rds_codes_and_messages(gureum, rds):
    def err(**kw):
        args = dict(DBInstanceIdentifier="e1", Engine="postgres", DBInstanceClass="db.t3.micro",
                    MasterUsername="master", MasterUserPassword=PASSWORD, AllocatedStorage=20)
        args.update(kw)
        with pytest.raises(ClientError) as e:
            rds.create_db_instance(**args)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    assert err(DBInstanceIdentifier="9lives") == (
        "InvalidParameterValue",
        "The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; "
        "must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
        "consecutive hyphens.",
    )
    assert err(AllocatedStorage=10) == (
        "InvalidParameterCombination", "Invalid storage size for engine name postgres and storage type gp2: 10"
    )
    assert err(MasterUserPassword="short") == (
        "InvalidParameterValue",
        "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.",
    )
    assert err(Engine="oracle-xe")[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        rds.describe_db_instances(DBInstanceIdentifier="nope")
    assert e.value.response["Error"]["Code"] == "DBInstanceNotFound"
    assert e.value.response["Error"]["Message"] == "DBInstance nope not found."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    rc, _, stderr = aws_rds(gureum, "delete-db-instance", "--db-instance-identifier", "nope",
                               "--skip-final-snapshot", check=False)
    assert rc != 0 and "DBInstance nope not found." in stderr


def test_deletion_protection_and_final_snapshot_rules(rds):
    rds.create_db_instance(
        DBInstanceIdentifier="guarded", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="master", MasterUserPassword=PASSWORD, AllocatedStorage=20, DeletionProtection=True,
    )
    with pytest.raises(ClientError) as e:
        rds.delete_db_instance(DBInstanceIdentifier="guarded", SkipFinalSnapshot=True)
    assert e.value.response["Error"]["Message"] == (
        "Cannot delete protected DB Instance, please disable deletion protection and try again."
    )
    wait_status(rds, "guarded") if PG_SERVER else None
    rds.modify_db_instance(DBInstanceIdentifier="guarded", DeletionProtection=False, ApplyImmediately=True)
    with pytest.raises(ClientError) as e:
        rds.delete_db_instance(DBInstanceIdentifier="guarded")
    assert e.value.response["Error"]["Message"] == (
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
    )
    rds.delete_db_instance(DBInstanceIdentifier="guarded", FinalDBSnapshotIdentifier="guarded-final")
    deadline = time.time() + 60
    while True:
        try:
            rds.describe_db_instances(DBInstanceIdentifier="guarded")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "DBInstanceNotFound"
            break
        assert time.time() < deadline
        time.sleep(0.1)
    snap = rds.describe_db_snapshots(DBSnapshotIdentifier="guarded-final")["DBSnapshots"][0]
    assert snap["DBInstanceIdentifier"] == "guarded"


def test_subnet_groups_need_subnets_in_two_availability_zones(gureum, rds):
    ec2 = gureum.client("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    by_az = {}
    for s in subnets:
        by_az.setdefault(s["AvailabilityZone"], s["SubnetId"])
    one, two = list(by_az.values())[:2]
    with pytest.raises(ClientError) as e:
        rds.create_db_subnet_group(DBSubnetGroupName="one-az", DBSubnetGroupDescription="d", SubnetIds=[one])
    assert e.value.response["Error"]["Code"] == "DBSubnetGroupDoesNotCoverEnoughAZs"
    group = rds.create_db_subnet_group(
        DBSubnetGroupName="two-az", DBSubnetGroupDescription="d", SubnetIds=[one, two]
    )["DBSubnetGroup"]
    assert group["VpcId"].startswith("vpc-")
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted([one, two])
    with pytest.raises(ClientError) as e:
        rds.create_db_subnet_group(DBSubnetGroupName="bad", DBSubnetGroupDescription="d", SubnetIds=["subnet-0000"])
    assert e.value.response["Error"]["Code"] == "InvalidSubnet"


@needs_postgres
def test_a_reset_ends_the_engines_and_forgets_the_instances(gureum, rds, pg):
    pid = health_rds(gureum)["000000000000/us-east-1/pg1"]["pid"]
    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset?service=rds", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=60) as r:
        assert json.load(r)["status"] == "ok"
    assert not alive(pid)
    assert health_rds(gureum) == {}
    with pytest.raises(ClientError) as e:
        rds.describe_db_instances(DBInstanceIdentifier="pg1")
    assert e.value.response["Error"]["Code"] == "DBInstanceNotFound"
