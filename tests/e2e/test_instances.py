"""Instances, key pairs and Elastic IPs with the aws CLI and boto3: a VPC
with a public subnet (IGW, 0.0.0.0/0 route, MapPublicIpOnLaunch) → an
instance gets a public IP → `aws ec2 wait instance-running` → stop/start
changes the public IP while an Elastic IP stays → termination protection →
key pairs whose fingerprints are checked against ssh-keygen/openssl and
Python's own hashing → describe filters."""
import base64
import hashlib
import os
import shutil
import subprocess
import tempfile

import pytest
from helpers import error_code, advance


@pytest.fixture(scope="module")
def public_subnet(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=sub)
    ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
    return vpc, sub


def test_instance_in_a_public_subnet_lifecycle(gureum, ec2, ami, public_subnet):
    vpc, sub = public_subnet
    ec2.create_key_pair(KeyName="walk")
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    _, out, _ = gureum.aws(
        "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro",
        "--count", "1", "--subnet-id", sub, "--security-group-ids", sg, "--key-name", "walk",
        "--user-data", "echo hello",
        "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=walk}]",
    )
    inst = out["Instances"][0]
    iid = inst["InstanceId"]
    assert out["ReservationId"].startswith("r-")
    assert inst["State"] == {"Code": 0, "Name": "pending"}
    assert inst["SubnetId"] == sub and inst["VpcId"] == vpc
    assert inst["PrivateIpAddress"].startswith("10.20.1.")
    ip1 = inst["PublicIpAddress"]
    assert ip1
    # The waiter polls every 15 s; Gureum's 1 s pending is over sooner.
    advance(gureum, 2)
    gureum.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
    subnet = ec2.describe_subnets(SubnetIds=[sub])["Subnets"][0]
    assert subnet["AvailableIpAddressCount"] == 250

    ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    assert base64.b64decode(ud["UserData"]["Value"]) == b"echo hello"
    console = ec2.get_console_output(InstanceId=iid)
    assert "login" in console["Output"]

    eip = ec2.allocate_address(Domain="vpc")
    other = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=sub)["Instances"][0]["InstanceId"]
    advance(gureum, 2)

    stop = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert stop["PreviousState"]["Code"] == 16 and stop["CurrentState"]["Code"] == 64
    advance(gureum, 2)
    gureum.aws("ec2", "wait", "instance-stopped", "--instance-ids", iid)
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert "PublicIpAddress" not in d
    assert d["StateTransitionReason"].startswith("User initiated (")
    ec2.start_instances(InstanceIds=[iid])
    advance(gureum, 2)
    gureum.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert d["PublicIpAddress"] and d["PublicIpAddress"] != ip1

    assoc = ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=other)["AssociationId"]
    assert error_code(ec2.associate_address, AllocationId=eip["AllocationId"], InstanceId=iid) == "Resource.AlreadyAssociated"
    assert error_code(ec2.release_address, AllocationId=eip["AllocationId"]) == "InvalidIPAddress.InUse"
    ec2.stop_instances(InstanceIds=[other])
    advance(gureum, 2)
    ec2.start_instances(InstanceIds=[other])
    advance(gureum, 2)
    d = ec2.describe_instances(InstanceIds=[other])["Reservations"][0]["Instances"][0]
    assert d["State"]["Name"] == "running" and d["PublicIpAddress"] == eip["PublicIp"]
    addrs = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [other]}])["Addresses"]
    assert addrs[0]["AssociationId"] == assoc
    ec2.disassociate_address(AssociationId=assoc)
    ec2.release_address(AllocationId=eip["AllocationId"])

    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
    assert error_code(ec2.terminate_instances, InstanceIds=[iid]) == "OperationNotPermitted"
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    term = ec2.terminate_instances(InstanceIds=[iid, other])["TerminatingInstances"]
    assert {t["CurrentState"]["Name"] for t in term} == {"shutting-down"}
    advance(gureum, 2)
    gureum.aws("ec2", "wait", "instance-terminated", "--instance-ids", iid)
    advance(gureum, 3601)
    assert error_code(ec2.describe_instances, InstanceIds=[iid]) == "InvalidInstanceID.NotFound"


def test_run_instances_errors(ec2, ami):
    assert error_code(ec2.run_instances, ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1) == "InvalidAMIID.NotFound"
    assert error_code(ec2.run_instances, ImageId=ami, InstanceType="t9.huge", MinCount=1, MaxCount=1) == "InvalidParameterValue"
    assert error_code(ec2.run_instances, ImageId=ami, InstanceType="t3.micro", MinCount=2, MaxCount=1) == "InvalidParameterValue"
    assert error_code(ec2.run_instances, ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="absent") == "InvalidKeyPair.NotFound"
    assert error_code(ec2.run_instances, ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SecurityGroups=["absent"]) == "InvalidGroup.NotFound"
    assert error_code(ec2.run_instances, ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True) == "DryRunOperation"
    assert error_code(ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"]) == "InvalidInstanceID.NotFound"
    assert error_code(ec2.describe_instances, InstanceIds=["bogus"]) == "InvalidInstanceID.Malformed"


def test_describe_filters(gureum, ec2, ami):
    out = ec2.run_instances(
        ImageId=ami, InstanceType="t3.small", MinCount=3, MaxCount=3,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "filtered"}]}],
    )
    ids = sorted(i["InstanceId"] for i in out["Instances"])
    spot = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1,
                             InstanceMarketOptions={"MarketType": "spot"})["Instances"][0]["InstanceId"]
    advance(gureum, 2)

    def found(filters):
        res = ec2.describe_instances(Filters=filters)["Reservations"]
        return sorted(i["InstanceId"] for r in res for i in r["Instances"])

    assert found([{"Name": "tag:Name", "Values": ["filtered"]}]) == ids
    assert found([{"Name": "instance-type", "Values": ["t3.small"]}, {"Name": "instance-state-name", "Values": ["running"]}]) == sorted(ids + [spot])
    assert found([{"Name": "instance-lifecycle", "Values": ["spot"]}]) == [spot]
    assert found([{"Name": "instance-id", "Values": [ids[0]]}]) == [ids[0]]
    paginator = ec2.get_paginator("describe_instances")
    pages = list(paginator.paginate(Filters=[{"Name": "tag:Name", "Values": ["filtered"]}], PaginationConfig={"PageSize": 5}))
    assert sum(len(r["Instances"]) for p in pages for r in p["Reservations"]) == 3
    statuses = ec2.describe_instance_status(InstanceIds=[spot])["InstanceStatuses"]
    assert statuses[0]["InstanceStatus"]["Status"] == "ok"
    _, text, _ = gureum.aws("ec2", "describe-instances", "--filters", "Name=tag:Name,Values=filtered",
                            "--query", "Reservations[].Instances[].InstanceId")
    assert sorted(text) == ids


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def test_key_pairs_and_fingerprints(ec2):
    tmp = tempfile.mkdtemp()
    # Created RSA: SHA-1 of the PKCS#8 DER private key.
    rsa = ec2.create_key_pair(KeyName="rsa-made")
    assert rsa["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert len(rsa["KeyFingerprint"]) == 59
    if shutil.which("openssl"):
        der = run("openssl", "pkcs8", "-topk8", "-nocrypt", "-outform", "DER", input=rsa["KeyMaterial"].encode())
        want = ":".join(f"{b:02x}" for b in hashlib.sha1(der).digest())
        assert rsa["KeyFingerprint"] == want
    assert error_code(ec2.create_key_pair, KeyName="rsa-made") == "InvalidKeyPair.Duplicate"

    # Created ED25519: an OpenSSH private key; base64 SHA-256 of the public blob.
    ed = ec2.create_key_pair(KeyName="ed-made", KeyType="ed25519")
    assert ed["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    if shutil.which("ssh-keygen"):
        path = os.path.join(tmp, "ed")
        with open(path, "w") as f:
            f.write(ed["KeyMaterial"] + "\n")
        os.chmod(path, 0o600)
        pub = run("ssh-keygen", "-y", "-f", path).decode().split()
        blob = base64.b64decode(pub[1])
        assert ed["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
    ppk = ec2.create_key_pair(KeyName="ppk-made", KeyType="rsa", KeyFormat="ppk")
    assert ppk["KeyMaterial"].startswith("PuTTY-User-Key-File-2: ssh-rsa")

    # Imported RSA: MD5 of the DER public key; imported ED25519: SHA-256.
    if shutil.which("ssh-keygen"):
        for kind in ("rsa", "ed25519"):
            path = os.path.join(tmp, f"imp-{kind}")
            run("ssh-keygen", "-q", "-t", kind, "-N", "", "-f", path)
            material = open(path + ".pub", "rb").read()
            out = ec2.import_key_pair(KeyName=f"imp-{kind}", PublicKeyMaterial=material)
            blob = base64.b64decode(material.split()[1])
            if kind == "rsa":
                pem = run("ssh-keygen", "-e", "-m", "PKCS8", "-f", path + ".pub").decode()
                der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
                want = ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
            else:
                want = base64.b64encode(hashlib.sha256(blob).digest()).decode()
            assert out["KeyFingerprint"] == want
    assert error_code(ec2.import_key_pair, KeyName="bad", PublicKeyMaterial=b"ssh-rsa notbase64!") == "InvalidKey.Format"

    kps = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["*-made"]}])["KeyPairs"]
    assert {k["KeyName"] for k in kps} == {"rsa-made", "ed-made", "ppk-made"}
    one = ec2.describe_key_pairs(KeyPairIds=[ed["KeyPairId"]], IncludePublicKey=True)["KeyPairs"][0]
    assert one["KeyType"] == "ed25519" and one["PublicKey"].startswith("ssh-ed25519 ")
    ec2.delete_key_pair(KeyName="rsa-made")
    ec2.delete_key_pair(KeyName="rsa-made")
    ec2.delete_key_pair(KeyPairId=ed["KeyPairId"])
    assert error_code(ec2.describe_key_pairs, KeyNames=["rsa-made"]) == "InvalidKeyPair.NotFound"


def test_attached_volume_is_in_block_device_mappings_until_detached(gureum, ec2, ami, public_subnet):
    _, sub = public_subnet
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                            SubnetId=sub)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1})
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[vol], WaiterConfig={"Delay": 1})
    ec2.attach_volume(VolumeId=vol, InstanceId=iid, Device="/dev/sdf")

    def mappings():
        i = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        return {m["DeviceName"]: m["Ebs"] for m in i["BlockDeviceMappings"]}

    assert mappings()["/dev/sdf"]["Status"] == "attaching"
    advance(gureum, 2)
    ebs = mappings()["/dev/sdf"]
    assert ebs["VolumeId"] == vol and ebs["Status"] == "attached"
    assert ebs["DeleteOnTermination"] is False and ebs["AttachTime"]
    ec2.detach_volume(VolumeId=vol)
    assert mappings()["/dev/sdf"]["Status"] == "detaching"
    advance(gureum, 2)
    assert "/dev/sdf" not in mappings()
    ec2.terminate_instances(InstanceIds=[iid])
