"""EC2 instances that really run (root on Linux): a network namespace per
instance, the key pair over the host's OpenSSH server, user data at first
boot, the metadata service and the instance profile's role inside, stop and
start, a restart of Gureum, and terminate leaving nothing behind.

Everything is reached through interfaces Gureum makes; the public addresses
are from 198.18.0.0/15 (never routed to the internet).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

REASON = None
if os.geteuid() != 0:
    REASON = "needs root (network namespaces)"
elif not shutil.which("ip") or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
    REASON = "needs iproute2 with `ip netns`"
elif not os.path.exists("/usr/sbin/sshd"):
    REASON = "needs the OpenSSH server (apt-get install openssh-server)"
elif not shutil.which("ssh") or not shutil.which("curl"):
    REASON = "needs ssh and curl"
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

USER_DATA = """#!/bin/bash
echo "user data ran as $(id -un)" > /home/ec2-user/from-user-data.txt
mkdir -p /tmp/www && echo "served by user data" > /tmp/www/index.html
nohup python3 -m http.server 80 --directory /tmp/www > /dev/null 2>&1 &
ip link add gureum-probe type dummy 2>/dev/null && echo NET-ADMIN-ALLOWED || echo NET-ADMIN-REFUSED
mount -o remount,rw / 2>/dev/null && echo REMOUNT-ALLOWED || echo REMOUNT-REFUSED
echo "USER-DATA-MARKER done"
"""

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def ssh(key, ip, command, timeout=10):
    return subprocess.run(
        [
            "ssh", "-i", key,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR",
            f"ec2-user@{ip}", command,
        ],
        capture_output=True, text=True, timeout=timeout,
    )


def wait_ssh(key, ip, deadline_s=15):
    """Seconds until `ssh … true` first succeeds."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if ssh(key, ip, "true", timeout=5).returncode == 0:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"ssh to {ip} never worked")


def wait_state(ec2, iid, state, deadline_s=15):
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        i = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        if i["State"]["Name"] == state:
            return i
        time.sleep(0.1)
    raise AssertionError(f"{iid} never reached {state}")


def in_ns(ns, *args, env=None, timeout=30):
    return subprocess.run(["ip", "netns", "exec", ns, *args], capture_output=True, text=True, env=env, timeout=timeout)


def ns_pids(ns):
    p = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    return p.stdout.split()


def cmdline(pid):
    """A process's command line ("" once it has exited: the init's `sleep`s come and go)."""
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


def netns_names():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def prefix(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        status = json.load(r)["endpoints"]["ec2_instances"]
    assert status["mode"] == "namespaces", status
    return status["namespace_prefix"]


@pytest.fixture(scope="module")
def launched(gureum, ec2, prefix):
    keydir = tempfile.mkdtemp(prefix="gureum-ec2-key-")
    key = ec2.create_key_pair(KeyName="real-key", KeyType="ed25519")
    path = os.path.join(keydir, "key.pem")
    with open(path, "w") as f:
        # KeyMaterial ends without a newline (as AWS's); OpenSSH needs one.
        f.write(key["KeyMaterial"] + "\n")
    os.chmod(path, 0o600)
    iam = gureum.client("iam")
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
    image = [i for i in images if i["Architecture"] == "x86_64"][0]["ImageId"]
    # Security groups are enforced: the default group admits only its
    # members until SSH and HTTP are opened, as on AWS.
    default_sg = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=default_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (22, 80)
        ],
    )
    start = time.monotonic()
    inst = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="real-key",
        UserData=USER_DATA, IamInstanceProfile={"Name": "web-profile"},
    )["Instances"][0]
    ready = time.monotonic() - start + wait_ssh(path, inst["PublicIpAddress"])
    print(f"\nRunInstances -> SSH-ready: {ready * 1000:.0f} ms")
    # The user data runs beside sshd, as cloud-init does: the tests read
    # what it made once it is done.
    wait_console(ec2, inst["InstanceId"], "user data finished")
    yield {
        "id": inst["InstanceId"], "ip": inst["PublicIpAddress"], "private": inst["PrivateIpAddress"],
        "key": path, "ns": prefix + inst["InstanceId"], "ready": ready, "vpc": inst["VpcId"],
    }
    shutil.rmtree(keydir, ignore_errors=True)


def test_health_says_instances_run_in_namespaces(prefix):
    assert prefix.startswith("gureum-")


def test_run_instances_is_ssh_ready_quickly(launched):
    # The budget is 1 s; the e2e allows slack for a loaded machine.
    assert launched["ready"] < 5, launched["ready"]


def test_ssh_with_the_key_pair_logs_in_as_the_default_user_on_its_own_hostname(launched):
    p = ssh(launched["key"], launched["ip"], "id -un; hostname; cat ~/from-user-data.txt")
    assert p.returncode == 0, p.stderr
    user, host, note = p.stdout.splitlines()[:3]
    assert user == "ec2-user"
    assert host == "ip-" + launched["private"].replace(".", "-") + ".ec2.internal"
    assert note == "user data ran as root"


def test_root_writes_go_to_the_instance_layer_never_to_the_host(gureum, launched):
    marker = f"/etc/gureum-layer-{launched['id']}"
    # As root inside the sandbox (the user data's identity).
    # The instance's sshd is inside its mount namespace (`unshare`, also in
    # the network namespace, is not).
    sshd = [p for p in ns_pids(launched["ns"]) if "sshd_config" in cmdline(p)]
    assert sshd
    inside = ["nsenter", "-t", sshd[0], "-m", "-p", "sh", "-c"]
    wrote = subprocess.run([*inside, f"echo x > {marker} && cat {marker}"], capture_output=True, text=True)
    assert wrote.stdout.strip() == "x", wrote.stderr
    assert not os.path.exists(marker)
    layered = os.path.join(gureum.data_dir, "instances", launched["id"], "layer", "etc", "upper", os.path.basename(marker))
    assert os.path.exists(layered)
    refused = subprocess.run([*inside, "mkdir /gureum-new-top-level-dir"], capture_output=True, text=True)
    assert "Read-only file system" in refused.stderr
    assert not os.path.exists("/gureum-new-top-level-dir")


def test_a_key_that_is_not_the_key_pair_is_refused(launched, tmp_path):
    other = str(tmp_path / "other")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
    assert ssh(other, launched["ip"], "true").returncode != 0


def test_user_data_web_server_answers_on_the_public_ip(launched):
    deadline = time.monotonic() + 10
    while True:
        p = subprocess.run(["curl", "-s", "-m", "2", f"http://{launched['ip']}/"], capture_output=True, text=True)
        if p.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert p.stdout.strip() == "served by user data"


def test_console_output_carries_the_user_data_output(ec2, launched):
    # botocore decodes the base64 `Output` the wire carries.
    out = ec2.get_console_output(InstanceId=launched["id"])["Output"]
    assert "USER-DATA-MARKER done" in out
    assert "running user data" in out
    # Root in the sandbox cannot touch its network or remount the host's root.
    assert "NET-ADMIN-REFUSED" in out and "REMOUNT-REFUSED" in out


def test_imdsv2_token_flow_answers_and_imdsv1_is_refused_with_401(gureum, launched):
    ns = launched["ns"]
    v1 = in_ns(ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://169.254.169.254/latest/meta-data/instance-id")
    assert v1.stdout == "401"
    token = in_ns(
        ns, "curl", "-s", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60",
        "http://169.254.169.254/latest/api/token",
    ).stdout
    assert token

    def get(path):
        return in_ns(
            ns, "curl", "-s", "-H", f"X-aws-ec2-metadata-token: {token}", f"http://169.254.169.254/latest/{path}"
        ).stdout

    assert get("meta-data/instance-id") == launched["id"]
    assert get("meta-data/local-ipv4") == launched["private"]
    assert get("meta-data/public-ipv4") == launched["ip"]
    assert get("meta-data/placement/availability-zone").startswith("us-east-1")
    assert get("meta-data/public-keys/0/openssh-key").endswith(" real-key")
    assert get("user-data") == USER_DATA
    doc = json.loads(get("dynamic/instance-identity/document"))
    assert doc["instanceId"] == launched["id"] and doc["region"] == "us-east-1"
    assert get("meta-data/iam/security-credentials/") == "web-role"
    info = json.loads(get("meta-data/iam/info"))
    profile = gureum.client("iam").get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert (info["InstanceProfileArn"], info["InstanceProfileId"]) == (profile["Arn"], profile["InstanceProfileId"])
    creds = json.loads(get("meta-data/iam/security-credentials/web-role"))
    assert creds["Code"] == "Success" and creds["AccessKeyId"].startswith("ASIA")


def test_modify_instance_metadata_options_applies_to_the_running_metadata_service(gureum, ec2, launched):
    url = "http://169.254.169.254/latest/meta-data/instance-id"
    _, out, _ = gureum.aws(
        "ec2", "modify-instance-metadata-options", "--instance-id", launched["id"], "--http-tokens", "optional"
    )
    assert out["InstanceMetadataOptions"]["HttpTokens"] == "optional"
    assert out["InstanceMetadataOptions"]["State"] == "pending"
    shown = ec2.describe_instances(InstanceIds=[launched["id"]])["Reservations"][0]["Instances"][0]
    assert shown["MetadataOptions"]["HttpTokens"] == "optional"
    assert in_ns(launched["ns"], "curl", "-s", url).stdout == launched["id"]
    ec2.modify_instance_metadata_options(InstanceId=launched["id"], HttpTokens="required")
    v1 = in_ns(launched["ns"], "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url)
    assert v1.stdout == "401"
    code, _, err = gureum.aws(
        "ec2", "modify-instance-metadata-options", "--instance-id", launched["id"],
        "--http-put-response-hop-limit", "65", check=False,
    )
    assert code != 0
    assert "Value (65) for parameter HttpPutResponseHopLimit is invalid. Parameter must be between 1 and 64." in err


def test_the_role_credentials_from_inside_are_the_assumed_role(gureum, launched):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=f"http://169.254.169.254:{gureum.port}",
        AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    p = in_ns(launched["ns"], "aws", "sts", "get-caller-identity", "--output", "json", env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    arn = json.loads(p.stdout)["Arn"]
    assert arn.endswith(f":assumed-role/web-role/{launched['id']}"), arn


CLOUD_CONFIG = """#cloud-config
write_files:
  - path: /home/ec2-user/cc.txt
    permissions: '0644'
    content: |
      written by cloud-config
runcmd:
  - echo runcmd-ran > /var/log/runcmd.txt
  - [sh, -c, "echo CLOUD-CONFIG-MARKER"]
"""


def wait_console(ec2, iid, text, deadline_s=15):
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        out = ec2.get_console_output(InstanceId=iid).get("Output", "")
        if text in out:
            return out
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in {iid}'s console")


def test_instances_of_one_vpc_reach_each_other_and_cloud_config_runs_and_reboot_keeps_it_once(
    ec2, launched, prefix
):
    first = ec2.describe_instances(InstanceIds=[launched["id"]])["Reservations"][0]["Instances"][0]
    second = ec2.run_instances(
        ImageId=first["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="real-key",
        SubnetId=first["SubnetId"], UserData=CLOUD_CONFIG,
    )["Instances"][0]
    iid, private = second["InstanceId"], second["PrivateIpAddress"]
    try:
        wait_console(ec2, iid, "user data finished")
        # From inside the first instance, over the VPC's bridge.
        p = in_ns(
            launched["ns"], "ssh", "-i", launched["key"], "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            f"ec2-user@{private}", "cat ~/cc.txt /var/log/runcmd.txt",
        )
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines() == ["written by cloud-config", "runcmd-ran"]
        assert "CLOUD-CONFIG-MARKER" in ec2.get_console_output(InstanceId=iid)["Output"]
        # Reboot: new processes, user data not run again.
        before = set(ns_pids(prefix + iid))
        ec2.reboot_instances(InstanceIds=[iid])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = set(ns_pids(prefix + iid))
            if now and not (now & before):
                break
            time.sleep(0.1)
        assert now and not (now & before)
        out = wait_console(ec2, iid, "running 'init'")
        assert out.count("running user data") == 1
    finally:
        ec2.terminate_instances(InstanceIds=[iid])


SHUTS_ITSELF_DOWN = """#!/bin/bash
echo "about to shut down"
shutdown -h now
"""


def test_shutdown_inside_the_instance_stops_it_as_instance_initiated_and_start_boots_it_again(ec2, launched, prefix):
    first = ec2.describe_instances(InstanceIds=[launched["id"]])["Reservations"][0]["Instances"][0]
    iid = ec2.run_instances(
        ImageId=first["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.micro",
        SubnetId=first["SubnetId"], UserData=SHUTS_ITSELF_DOWN,
    )["Instances"][0]["InstanceId"]
    try:
        stopped = wait_state(ec2, iid, "stopped", deadline_s=30)
        assert stopped["StateReason"] == {
            "Code": "Client.InstanceInitiatedShutdown",
            "Message": "Client.InstanceInitiatedShutdown: Instance initiated shutdown",
        }
        assert not ns_pids(prefix + iid)
        assert "the instance shut itself down" in ec2.get_console_output(InstanceId=iid)["Output"]
        # Started again, it runs (the user data ran at first boot only).
        ec2.start_instances(InstanceIds=[iid])
        wait_state(ec2, iid, "running", deadline_s=15)
        out = wait_console(ec2, iid, "running 'init'")
        assert out.count("running user data") == 1
        time.sleep(2)
        assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    finally:
        ec2.terminate_instances(InstanceIds=[iid])


def test_poweroff_with_terminate_behaviour_terminates_the_instance(ec2, launched, prefix):
    first = ec2.describe_instances(InstanceIds=[launched["id"]])["Reservations"][0]["Instances"][0]
    iid = ec2.run_instances(
        ImageId=first["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.micro",
        SubnetId=first["SubnetId"], UserData="#!/bin/sh\npoweroff\n",
        InstanceInitiatedShutdownBehavior="terminate",
    )["Instances"][0]["InstanceId"]
    gone = wait_state(ec2, iid, "terminated", deadline_s=30)
    assert gone["StateReason"]["Code"] == "Client.InstanceInitiatedShutdown"
    deadline = time.monotonic() + 10
    while prefix + iid in netns_names() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert prefix + iid not in netns_names()


def test_reboot_inside_the_instance_boots_it_again_and_it_stays_running(ec2, launched):
    sshd = [p for p in ns_pids(launched["ns"]) if "sshd_config" in cmdline(p)]
    assert sshd
    before = set(ns_pids(launched["ns"]))
    # As root inside the instance (a non-root user is refused).
    as_user = ssh(launched["key"], launched["ip"], "/usr/sbin/reboot")
    assert as_user.returncode == 1 and "must be run as root" in as_user.stderr, as_user
    subprocess.run(["nsenter", "-t", sshd[0], "-m", "-p", "/usr/sbin/reboot"], capture_output=True, timeout=10)
    wait_console(ec2, launched["id"], "the instance rebooted itself")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = set(ns_pids(launched["ns"]))
        if now and not (now & before):
            break
        time.sleep(0.1)
    assert now and not (now & before)
    wait_ssh(launched["key"], launched["ip"])
    i = ec2.describe_instances(InstanceIds=[launched["id"]])["Reservations"][0]["Instances"][0]
    assert i["State"]["Name"] == "running"


BAKES = """#!/bin/bash
mkdir -p /opt/app && echo baked-into-the-image > /opt/app/version.txt
echo from-home > /home/ec2-user/home-note.txt
"""


def test_an_image_of_an_instance_carries_what_it_installed_to_instances_launched_from_it(ec2, launched):
    first = ec2.describe_instances(InstanceIds=[launched["id"]])["Reservations"][0]["Instances"][0]
    source = ec2.run_instances(
        ImageId=first["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="real-key",
        SubnetId=first["SubnetId"], UserData=BAKES,
    )["Instances"][0]["InstanceId"]
    child = None
    try:
        wait_console(ec2, source, "user data finished")
        image = ec2.create_image(InstanceId=source, Name=f"baked-{source}")["ImageId"]
        ec2.get_waiter("image_available").wait(ImageIds=[image], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        child = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="real-key",
            SubnetId=first["SubnetId"],
        )["Instances"][0]
        wait_ssh(launched["key"], child["PublicIpAddress"])
        p = ssh(launched["key"], child["PublicIpAddress"], "cat /opt/app/version.txt ~/home-note.txt")
        assert p.stdout.splitlines() == ["baked-into-the-image", "from-home"], p
        # Its own instance: its own host name, and no user data ran in it.
        assert ssh(launched["key"], child["PublicIpAddress"], "hostname").stdout.strip() == (
            "ip-" + child["PrivateIpAddress"].replace(".", "-") + ".ec2.internal"
        )
        assert "running user data" not in wait_console(ec2, child["InstanceId"], "running 'init'")
        ec2.deregister_image(ImageId=image)
    finally:
        ec2.terminate_instances(InstanceIds=[source] + ([child["InstanceId"]] if child else []))


def test_records_only_mode_is_reported_and_launches_nothing(tmp_path):
    from conftest import GureumServer

    os.environ["GUREUM_INSTANCES_RECORDS_ONLY"] = "1"
    server = GureumServer()
    try:
        server.start()
    finally:
        del os.environ["GUREUM_INSTANCES_RECORDS_ONLY"]
    try:
        with urllib.request.urlopen(server.endpoint + "/_gureum/health") as r:
            status = json.load(r)["endpoints"]["ec2_instances"]
        assert status == {"mode": "records-only", "reason": "GUREUM_INSTANCES_RECORDS_ONLY is set"}
        ec2 = server.client("ec2")
        images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
        image = [i for i in images if i["Architecture"] == "x86_64"][0]["ImageId"]
        iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0][
            "InstanceId"
        ]
        time.sleep(0.5)
        assert not [n for n in netns_names() if n.endswith(iid)]
    finally:
        server.close()


def test_stop_kills_the_processes_and_start_keeps_the_files(ec2, launched):
    key = launched["key"]
    assert ssh(key, launched["ip"], "echo kept > ~/stop-start.txt").returncode == 0
    ec2.stop_instances(InstanceIds=[launched["id"]])
    wait_state(ec2, launched["id"], "stopped")
    assert ns_pids(launched["ns"]) == []
    ec2.start_instances(InstanceIds=[launched["id"]])
    inst = wait_state(ec2, launched["id"], "running")
    ip = inst["PublicIpAddress"]
    wait_ssh(key, ip)
    p = ssh(key, ip, "cat ~/stop-start.txt; cat ~/from-user-data.txt")
    assert p.stdout.splitlines() == ["kept", "user data ran as root"]
    launched["ip"] = ip


def test_kill_9_leaves_no_process_and_a_restart_boots_the_running_instance_again(gureum, launched):
    gureum.stop(kill=True)
    # Every process died with Gureum (death signal); the namespace is a
    # leftover the next start removes.
    deadline = time.monotonic() + 5
    while ns_pids(launched["ns"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ns_pids(launched["ns"]) == []
    gureum.start()
    wait_ssh(launched["key"], launched["ip"])
    # User data ran once: its marker appears once in the console.
    out = gureum.client("ec2").get_console_output(InstanceId=launched["id"])["Output"]
    assert out.count("USER-DATA-MARKER done") == 1


def test_a_start_removes_what_a_killed_gureum_over_another_data_dir_left_and_nothing_else(launched):
    from conftest import GureumServer

    killed = GureumServer()
    killed.start()
    try:
        with urllib.request.urlopen(killed.endpoint + "/_gureum/health") as r:
            theirs = json.load(r)["endpoints"]["ec2_instances"]["namespace_prefix"]
        ec2 = killed.client("ec2")
        images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
        image = [i for i in images if i["Architecture"] == "x86_64"][0]["ImageId"]
        iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0][
            "InstanceId"
        ]
        deadline = time.monotonic() + 10
        while theirs + iid not in netns_names() and time.monotonic() < deadline:
            time.sleep(0.05)
        killed.stop(kill=True)
        assert theirs + iid in netns_names()
        other = GureumServer()
        other.start()
        other.close()
        assert [n for n in netns_names() if n.startswith(theirs)] == []
        # The running Gureum's instance is not another's leftover.
        assert launched["ns"] in netns_names()
    finally:
        killed.close()


def test_terminate_leaves_no_process_namespace_route_or_directory(gureum, ec2, launched, prefix):
    ec2.terminate_instances(InstanceIds=[launched["id"]])
    wait_state(ec2, launched["id"], "terminated")
    deadline = time.monotonic() + 10
    while launched["ns"] in netns_names() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert launched["ns"] not in netns_names()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert launched["id"] not in ps
    assert subprocess.run(["ip", "route", "show", launched["ip"]], capture_output=True, text=True).stdout == ""
    assert not os.path.exists(os.path.join(gureum.data_dir, "instances", launched["id"]))
    # Its port on the VPC's bridge went with its namespace.
    ports = subprocess.run(["ip", "-n", prefix + launched["vpc"], "-o", "link"], capture_output=True, text=True)
    assert ports.returncode == 0 and "br0" in ports.stdout
    assert "v" + launched["id"][-12:] not in ports.stdout


def test_stopping_gureum_removes_every_namespace_and_interface(gureum, prefix):
    gureum.stop()
    try:
        assert [n for n in netns_names() if n.startswith(prefix)] == []
        links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        tag = prefix.split("-")[1]
        assert f"gu{tag[:5]}" not in links
    finally:
        gureum.start()
