"""EFS end to end: the API through boto3 and the aws CLI, and each file
system really served over NFSv3 (libnfs's user-space `nfs-cp`/`nfs-cat`/
`nfs-ls`, since this kernel has no NFS client): a file written through one
NFS connection is read through another, and MeteredSize follows the data."""
import json
import os
import shutil
import subprocess
import time
import urllib.request

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"

needs_libnfs = pytest.mark.skipif(
    shutil.which("nfs-cp") is None,
    reason="libnfs's nfs-cp is not installed (apt-get install libnfs-utils)")


@pytest.fixture(scope="module")
def efs(gureum):
    return gureum.client("efs")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def available(efs, fs_id, timeout=10):
    """The file system once available (the ticker runs each second)."""
    deadline = time.time() + timeout
    while True:
        fs = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
        if fs["LifeCycleState"] == "available" or time.time() > deadline:
            return fs
        time.sleep(0.2)


def nfs_port(gureum, fs_id):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        return json.load(r)["endpoints"]["efs"][fs_id]["port"]


def url(port, path):
    return f"nfs://127.0.0.1{path}?version=3&nfsport={port}&mountport={port}"


def shared_dir(efs, fs_id, path="/shared"):
    """Makes `path` in the file system (an access point's root directory
    with CreationInfo): libnfs mounts the directory part of a file URL as
    the export, so files are copied into a subdirectory."""
    efs.create_access_point(ClientToken=f"dir-{fs_id}", FileSystemId=fs_id, RootDirectory={
        "Path": path, "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0, "Permissions": "755"}})


def nfs(*args):
    p = subprocess.run(list(args), capture_output=True, timeout=30)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def test_a_creation_token_is_used_once(efs):
    fs = efs.create_file_system(CreationToken="once", Tags=[{"Key": "Name", "Value": "shared"}])
    assert fs["LifeCycleState"] == "creating" and fs["Name"] == "shared"
    assert fs["FileSystemArn"] == f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/{fs['FileSystemId']}"
    code, message, status = error(efs.create_file_system, CreationToken="once")
    assert (code, status) == ("FileSystemAlreadyExists", 409)
    assert message == f"File system '{fs['FileSystemId']}' already exists with creation token 'once'"
    assert available(efs, fs["FileSystemId"])["LifeCycleState"] == "available"


def test_an_unknown_file_system_is_not_found(efs):
    code, message, status = error(efs.describe_file_systems, FileSystemId="fs-0123456789abcdef0")
    assert (code, status) == ("FileSystemNotFound", 404)
    assert message == "File system 'fs-0123456789abcdef0' does not exist."


def test_describe_pages_with_max_items(efs):
    for i in range(3):
        efs.create_file_system(CreationToken=f"page-{i}")
    first = efs.describe_file_systems(MaxItems=2)
    assert len(first["FileSystems"]) == 2 and "NextMarker" in first
    rest = efs.describe_file_systems(MaxItems=100, Marker=first["NextMarker"])
    ids = [f["FileSystemId"] for f in first["FileSystems"] + rest["FileSystems"]]
    assert len(ids) == len(set(ids)) >= 4
    by_token = efs.describe_file_systems(CreationToken="page-1")["FileSystems"]
    assert [f["CreationToken"] for f in by_token] == ["page-1"]


def test_modes_encryption_and_updates(efs):
    fs = efs.create_file_system(CreationToken="modes", PerformanceMode="maxIO", Encrypted=True,
                                ThroughputMode="provisioned", ProvisionedThroughputInMibps=64.0)
    assert fs["PerformanceMode"] == "maxIO" and fs["Encrypted"] is True
    assert fs["KmsKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:")
    assert fs["ProvisionedThroughputInMibps"] == 64.0
    code, _, _ = error(efs.create_file_system, CreationToken="bad-modes", ThroughputMode="provisioned")
    assert code == "BadRequest"
    out = efs.update_file_system(FileSystemId=fs["FileSystemId"], ThroughputMode="elastic")
    assert out["ThroughputMode"] == "elastic" and "ProvisionedThroughputInMibps" not in out


def test_lifecycle_policies_backup_and_file_system_policy(efs):
    fs_id = efs.create_file_system(CreationToken="settings", Backup=True)["FileSystemId"]
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == []
    policies = [{"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}]
    efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=policies)
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == policies
    assert efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"] == "ENABLED"
    efs.put_backup_policy(FileSystemId=fs_id, BackupPolicy={"Status": "DISABLED"})
    assert efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"] == "DISABLED"
    code, _, status = error(efs.describe_file_system_policy, FileSystemId=fs_id)
    assert (code, status) == ("PolicyNotFound", 404)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}]})
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=policy)
    assert json.loads(efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]) == json.loads(policy)
    code, _, _ = error(efs.put_file_system_policy, FileSystemId=fs_id, Policy="not json")
    assert code == "InvalidPolicyException"
    efs.tag_resource(ResourceId=fs_id, Tags=[{"Key": "team", "Value": "a"}])
    efs.untag_resource(ResourceId=fs_id, TagKeys=["team"])
    efs.create_tags(FileSystemId=fs_id, Tags=[{"Key": "env", "Value": "dev"}])
    assert efs.describe_tags(FileSystemId=fs_id)["Tags"] == [{"Key": "env", "Value": "dev"}]


def test_mount_targets_one_per_zone_with_an_eni(gureum, efs):
    ec2 = gureum.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.2.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.3.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="nfs", Description="nfs")["GroupId"]
    fs_id = efs.create_file_system(CreationToken="mounted")["FileSystemId"]
    code, _, status = error(efs.create_mount_target, FileSystemId=fs_id, SubnetId=a["SubnetId"])
    assert (code, status) == ("IncorrectFileSystemLifeCycleState", 409)
    available(efs, fs_id)
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId=a["SubnetId"], SecurityGroups=[sg])
    assert mt["AvailabilityZoneName"] == "us-east-1a" and mt["VpcId"] == vpc
    assert mt["IpAddress"].startswith("10.40.1.")
    code, message, status = error(efs.create_mount_target, FileSystemId=fs_id, SubnetId=a2["SubnetId"])
    assert (code, message, status) == ("MountTargetConflict", "mount target already exists in this AZ", 409)
    code, message, _ = error(efs.create_mount_target, FileSystemId=fs_id, SubnetId="subnet-00000000")
    assert (code, message) == ("SubnetNotFound", "The subnet ID 'subnet-00000000' does not exist")
    mt_b = efs.create_mount_target(FileSystemId=fs_id, SubnetId=b["SubnetId"])
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[mt["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["PrivateIpAddress"] == mt["IpAddress"] and eni["RequesterManaged"] is True
    assert eni["Description"] == f"EFS mount target for {fs_id} ({mt['MountTargetId']})"
    assert [g["GroupId"] for g in eni["Groups"]] == [sg]
    listed = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    assert sorted(m["MountTargetId"] for m in listed) == sorted([mt["MountTargetId"], mt_b["MountTargetId"]])
    assert efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])["SecurityGroups"] == [sg]
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["NumberOfMountTargets"] == 2
    code, message, status = error(efs.delete_file_system, FileSystemId=fs_id)
    assert (code, status) == ("FileSystemInUse", 409)
    assert message == (f"The file system '{fs_id}' cannot be deleted because it has mount targets. "
                       "You must delete the mount targets, and then try again.")
    for m in (mt, mt_b):
        efs.delete_mount_target(MountTargetId=m["MountTargetId"])
    code, _, _ = error(ec2.describe_network_interfaces, NetworkInterfaceIds=[mt["NetworkInterfaceId"]])
    assert code == "InvalidNetworkInterfaceID.NotFound"
    efs.delete_file_system(FileSystemId=fs_id)
    code, _, _ = error(efs.describe_file_systems, FileSystemId=fs_id)
    assert code == "FileSystemNotFound"


def test_access_points_with_posix_user_and_root_directory(efs):
    fs_id = efs.create_file_system(CreationToken="points")["FileSystemId"]
    available(efs, fs_id)
    ap = efs.create_access_point(
        ClientToken="ap-1", FileSystemId=fs_id, Tags=[{"Key": "Name", "Value": "app"}],
        PosixUser={"Uid": 1001, "Gid": 1001},
        RootDirectory={"Path": "/app/data", "CreationInfo": {
            "OwnerUid": 1001, "OwnerGid": 1001, "Permissions": "750"}})
    assert ap["Name"] == "app" and ap["PosixUser"] == {"Uid": 1001, "Gid": 1001}
    assert ap["RootDirectory"]["Path"] == "/app/data"
    code, _, status = error(efs.create_access_point, ClientToken="ap-1", FileSystemId=fs_id)
    assert (code, status) == ("AccessPointAlreadyExists", 409)
    listed = efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
    assert [p["AccessPointId"] for p in listed] == [ap["AccessPointId"]]
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])
    code, message, status = error(efs.describe_access_points, AccessPointId=ap["AccessPointId"])
    assert (code, status) == ("AccessPointNotFound", 404)
    assert message == f"Access point '{ap['AccessPointId']}' does not exist."


@needs_libnfs
def test_a_file_written_over_nfs_is_read_over_another_connection(gureum, efs, tmp_path):
    fs_id = efs.create_file_system(CreationToken="nfs")["FileSystemId"]
    before = available(efs, fs_id)["SizeInBytes"]["Value"]
    assert before == 6144
    shared_dir(efs, fs_id)
    port = nfs_port(gureum, fs_id)
    src = tmp_path / "hello.txt"
    payload = os.urandom(100_000)
    src.write_bytes(payload)
    nfs("nfs-cp", str(src), url(port, "/shared/hello.txt"))
    out = tmp_path / "back.txt"
    nfs("nfs-cp", url(port, "/shared/hello.txt"), str(out))
    assert out.read_bytes() == payload
    assert b"hello.txt" in nfs("nfs-ls", url(port, "/shared"))
    assert b"shared" in nfs("nfs-ls", url(port, "/"))
    after = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["SizeInBytes"]
    # Two directories of 6 KiB, and 100,000 bytes metered in 4 KiB blocks.
    assert after["Value"] == 2 * 6144 + 102400
    assert after["ValueInStandard"] == after["Value"]


@needs_libnfs
def test_files_and_file_systems_survive_a_restart(gureum, efs, tmp_path):
    fs_id = efs.create_file_system(CreationToken="durable")["FileSystemId"]
    available(efs, fs_id)
    shared_dir(efs, fs_id)
    src = tmp_path / "keep.txt"
    src.write_bytes(b"kept across restarts\n")
    nfs("nfs-cp", str(src), url(nfs_port(gureum, fs_id), "/shared/keep.txt"))
    gureum.restart(kill=True)
    efs = gureum.client("efs")
    fs = available(efs, fs_id)
    assert fs["CreationToken"] == "durable"
    deadline = time.time() + 10
    while True:
        try:
            port = nfs_port(gureum, fs_id)
            break
        except KeyError:
            assert time.time() < deadline, "not served after restart"
            time.sleep(0.2)
    assert nfs("nfs-cat", url(port, "/shared/keep.txt")) == b"kept across restarts\n"


def _fabric_reason():
    if os.geteuid() != 0:
        return "needs root (instances in network namespaces)"
    if not shutil.which("ip") or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        return "needs iproute2 with `ip netns`"
    if not os.path.exists("/usr/sbin/sshd"):
        return "instances need the OpenSSH server (apt-get install openssh-server)"
    if shutil.which("nfs-cp") is None:
        return "libnfs's nfs-cp is not installed (apt-get install libnfs-utils)"
    return None


@pytest.mark.skipif(_fabric_reason() is not None, reason=_fabric_reason() or "")
def test_a_file_written_from_one_instance_is_read_from_another(gureum, efs, tmp_path):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        status = json.load(r)["endpoints"]["ec2_instances"]
    if status.get("mode") != "namespaces":
        pytest.skip(f"instances do not run in namespaces here: {status}")
    ec2 = gureum.client("ec2")
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
    image = [i for i in images if i["Architecture"] == "x86_64"][0]["ImageId"]
    insts = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.micro")["Instances"]
    subnet = insts[0]["SubnetId"]
    assert insts[1]["SubnetId"] == subnet
    fs_id = efs.create_file_system(CreationToken="fabric")["FileSystemId"]
    available(efs, fs_id)
    shared_dir(efs, fs_id)
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet)
    namespaces = [status["namespace_prefix"] + i["InstanceId"] for i in insts]

    def in_ns(ns, *args):
        return subprocess.run(["ip", "netns", "exec", ns, *args], capture_output=True, timeout=30)

    target = f"nfs://{mt['IpAddress']}/shared/from-a.txt?version=3&nfsport=2049&mountport=2049"
    src = tmp_path / "from-a.txt"
    src.write_bytes(b"written inside instance A\n")
    deadline = time.time() + 30
    while True:
        # The instances boot and the mount target is served in their VPC's
        # router once it exists (the ticker looks each second).
        p = in_ns(namespaces[0], "nfs-cp", str(src), target)
        if p.returncode == 0 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert p.returncode == 0, p.stderr
    got = in_ns(namespaces[1], "nfs-cat", target)
    assert got.returncode == 0, got.stderr
    assert got.stdout == b"written inside instance A\n"
    # The same file over the loopback export.
    port = nfs_port(gureum, fs_id)
    assert nfs("nfs-cat", url(port, "/shared/from-a.txt")) == b"written inside instance A\n"
    ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in insts])
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])


@needs_libnfs
def test_an_access_point_is_served_rooted_at_its_root_directory(gureum, efs, tmp_path):
    fs_id = efs.create_file_system(CreationToken="rooted")["FileSystemId"]
    available(efs, fs_id)
    ap = efs.create_access_point(ClientToken="rooted-ap", FileSystemId=fs_id, RootDirectory={
        "Path": "/app/data", "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0, "Permissions": "755"}})
    src = tmp_path / "note.txt"
    src.write_bytes(b"under the access point\n")
    nfs("nfs-cp", str(src), url(nfs_port(gureum, fs_id), "/app/data/note.txt"))
    deadline = time.time() + 10
    while True:
        try:
            ap_port = nfs_port(gureum, ap["AccessPointId"])
            break
        except KeyError:
            assert time.time() < deadline, "access point not served"
            time.sleep(0.2)
    listed = nfs("nfs-ls", url(ap_port, "/"))
    assert b"note.txt" in listed and b"app" not in listed
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])
    with pytest.raises(KeyError):
        nfs_port(gureum, ap["AccessPointId"])
