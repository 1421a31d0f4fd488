"""Auto Scaling: AWS's validation errors, and the walkthrough with real
instances (root on Linux): a launch template whose user data serves the
instance id, an ALB across two zones with an `/api/*` rule and a default
rule, a group of 2 behind it answering from both, an instance terminated
by hand replaced and serving, a step policy on an alarm fed with
PutMetricData growing the group to 4 and back, and a restart after which
the group keeps reconciling."""
import base64
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance

REAL = None
if os.geteuid() != 0:
    REAL = "needs root (instances run in network namespaces)"
elif not shutil.which("ip") or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
    REAL = "needs iproute2 with `ip netns`"
elif not os.path.exists("/usr/sbin/sshd"):
    REAL = "needs the OpenSSH server (apt-get install openssh-server)"

# The instance's web server answers its instance id (read from the
# metadata service with an IMDSv2 token) on every path.
USER_DATA = """#!/bin/bash
cat > /tmp/web.py <<'PY'
import http.server, urllib.request
req = urllib.request.Request("http://169.254.169.254/latest/api/token", method="PUT",
                             headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
token = urllib.request.urlopen(req, timeout=5).read().decode()
req = urllib.request.Request("http://169.254.169.254/latest/meta-data/instance-id",
                             headers={"X-aws-ec2-metadata-token": token})
iid = urllib.request.urlopen(req, timeout=5).read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(iid)))
        self.end_headers()
        self.wfile.write(iid)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 80), H).serve_forever()
PY
nohup python3 /tmp/web.py > /tmp/web.log 2>&1 &
"""


def refused(call, **kw):
    """The (code, message) a call fails with."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def wait_for(predicate, timeout=60, step=0.5, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def asg(gureum):
    return gureum.client("autoscaling")


@pytest.fixture(scope="module")
def network(gureum):
    ec2 = gureum.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    for s in (a, b):
        ec2.modify_subnet_attribute(SubnetId=s, MapPublicIpOnLaunch={"Value": True})
    # As on AWS: public addresses answer only in subnets routed to an
    # internet gateway, and the default security group admits nothing from
    # outside until told (the load balancer reaches targets that way here).
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])
    ec2.create_route(RouteTableId=main["RouteTables"][0]["RouteTableId"],
                     DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                               {"Name": "group-name", "Values": ["default"]}])
    ec2.authorize_security_group_ingress(GroupId=sg["SecurityGroups"][0]["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return {"ec2": ec2, "vpc": vpc, "a": a, "b": b}


@pytest.fixture(scope="module")
def template(network, ami):
    ec2 = network["ec2"]
    return ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={
            "ImageId": ami, "InstanceType": "t3.micro",
            "UserData": base64.b64encode(USER_DATA.encode()).decode(),
        },
    )["LaunchTemplate"]["LaunchTemplateId"]


def test_group_bounds_and_launch_sources_are_validated_with_aws_messages(asg, network, template):
    base = dict(VPCZoneIdentifier=f"{network['a']},{network['b']}",
                LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"})
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="g", MinSize=3, MaxSize=1, **base) == (
        "ValidationError", "Max bound, 1, must be greater than or equal to min bound, 3")
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="g", MinSize=1, MaxSize=2,
                   DesiredCapacity=5, **base) == (
        "ValidationError", "Desired capacity:5 must be between the specified min size:1 and max size:2")
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="g", MinSize=0, MaxSize=1,
                   VPCZoneIdentifier=network["a"]) == (
        "ValidationError",
        "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or "
        "MixedInstancesPolicy parameter.")
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="g", MinSize=0, MaxSize=1,
                   VPCZoneIdentifier=network["a"], LaunchTemplate={"LaunchTemplateId": "lt-0123456789abcdef0"}) == (
        "ValidationError",
        "You must use a valid fully-formed launch template. The specified launch template, with template ID "
        "lt-0123456789abcdef0, does not exist.")
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="g", MinSize=0, MaxSize=1,
                   LaunchTemplate={"LaunchTemplateName": "web"}) == (
        "ValidationError", "At least one Availability Zone or VPC Subnet is required.")
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="g", MinSize=0, MaxSize=1,
                   VPCZoneIdentifier="subnet-00000000000000000", LaunchTemplate={"LaunchTemplateName": "web"}) == (
        "ValidationError", "The subnet ID 'subnet-00000000000000000' does not exist")
    assert refused(asg.set_desired_capacity, AutoScalingGroupName="nope", DesiredCapacity=1) == (
        "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup 'nope' not found")
    # A group with nothing to run: recorded, bounded, deleted at once.
    asg.create_auto_scaling_group(AutoScalingGroupName="idle", MinSize=0, MaxSize=2, DesiredCapacity=0, **base)
    assert refused(asg.create_auto_scaling_group, AutoScalingGroupName="idle", MinSize=0, MaxSize=1, **base) == (
        "AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name idle already exists")
    assert refused(asg.set_desired_capacity, AutoScalingGroupName="idle", DesiredCapacity=3) == (
        "ValidationError", "New SetDesiredCapacity value 3 is above max value 2 for the AutoScalingGroup.")
    g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["idle"])["AutoScalingGroups"][0]
    assert g["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert g["LaunchTemplate"] == {"LaunchTemplateId": template, "LaunchTemplateName": "web", "Version": "$Latest"}
    assert (g["HealthCheckType"], g["DefaultCooldown"], g["TerminationPolicies"]) == ("EC2", 300, ["Default"])
    asg.delete_auto_scaling_group(AutoScalingGroupName="idle")
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["idle"])["AutoScalingGroups"] == []


def test_launch_configurations_are_unique_and_kept_while_a_group_uses_them(asg, network, ami):
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId=ami, InstanceType="t3.micro")
    assert refused(asg.create_launch_configuration, LaunchConfigurationName="lc", ImageId=ami,
                   InstanceType="t3.micro") == (
        "AlreadyExists",
        "Launch Configuration by this name already exists - A launch configuration already exists with the name lc")
    asg.create_auto_scaling_group(AutoScalingGroupName="lc-group", LaunchConfigurationName="lc", MinSize=0,
                                  MaxSize=1, VPCZoneIdentifier=network["a"])
    code, msg = refused(asg.delete_launch_configuration, LaunchConfigurationName="lc")
    assert code == "ResourceInUse" and msg.startswith("Cannot delete launch configuration lc"), msg
    asg.delete_auto_scaling_group(AutoScalingGroupName="lc-group")
    asg.delete_launch_configuration(LaunchConfigurationName="lc")
    assert asg.describe_launch_configurations()["LaunchConfigurations"] == []


# ---------------------------------------------------------------- walkthrough


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def members(asg, name):
    g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i for i in g["Instances"]}


def in_service(asg, name, n):
    def check():
        m = members(asg, name)
        ok = [i for i in m.values() if i["LifecycleState"] == "InService"]
        return m if len(ok) == n and len(m) == n else None
    return check


def healthy_ids(elb, tg):
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in out if d["TargetHealth"]["State"] == "healthy"}


def answers(base, n=12):
    seen = set()
    for _ in range(n):
        status, body = get(base + "/api/who")
        if status == 200:
            seen.add(body)
    return seen


@pytest.mark.skipif(REAL is not None, reason=REAL or "")
def test_the_walkthrough_keeps_and_scales_a_real_fleet_behind_an_alb(gureum, asg, network, template):
    ec2 = network["ec2"]
    elb = gureum.client("elbv2")
    cw = gureum.client("cloudwatch")
    tg = elb.create_target_group(
        Name="web", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="instance",
        HealthCheckPath="/", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    lb = elb.create_load_balancer(Name="front", Subnets=[network["a"], network["b"]])["LoadBalancers"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain",
                                                           "MessageBody": "home"}}])["Listeners"][0]
    elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=10,
                    Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": tg}])
    t0 = time.monotonic()
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web", MinSize=2, MaxSize=4, DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateName": "web", "Version": "$Default"},
        VPCZoneIdentifier=f"{network['a']},{network['b']}", TargetGroupARNs=[tg],
        HealthCheckType="ELB", HealthCheckGracePeriod=60,
        Tags=[{"Key": "team", "Value": "web", "PropagateAtLaunch": True},
              {"Key": "cost", "Value": "x", "PropagateAtLaunch": False}],
    )
    advance(gureum, 61)  # the load balancer turns active
    first = wait_for(in_service(asg, "web", 2), what="2 instances in service")
    t_in_service = time.monotonic() - t0
    zones = sorted(i["AvailabilityZone"] for i in first.values())
    assert zones == ["us-east-1a", "us-east-1b"], zones
    described = ec2.describe_instances(InstanceIds=list(first))["Reservations"]
    tags = [{t["Key"]: t["Value"] for t in i.get("Tags", [])} for r in described for i in r["Instances"]]
    assert all(t.get("team") == "web" and "cost" not in t for t in tags), tags
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    launches = [a for a in acts if a["Description"].startswith("Launching a new EC2 instance: i-")]
    assert len(launches) == 2 and all(a["StatusCode"] == "Successful" for a in launches), acts
    assert any("a user request created an AutoScalingGroup changing the desired capacity from 0 to 2." in a["Cause"]
               for a in launches), [a["Cause"] for a in launches]
    assert all("an instance was started in response to a difference between desired and actual capacity, "
               "increasing the capacity from 0 to 2." in a["Cause"] for a in launches)

    addr = wait_for(lambda: next((e["address"] for e in health(gureum)["endpoints"]["elbv2"]
                                  if e["dns_name"] == lb["DNSName"] and e["port"] == 80), None), what="listener")
    base = f"http://{addr}"
    wait_for(lambda: healthy_ids(elb, tg) == set(first), timeout=60, what="targets healthy")
    t_healthy = time.monotonic() - t0
    assert get(base + "/") == (200, "home")
    assert answers(base) == set(first)

    # An instance terminated by hand is replaced, becomes healthy, serves.
    gone = sorted(first)[0]
    t1 = time.monotonic()
    ec2.terminate_instances(InstanceIds=[gone])
    after = wait_for(lambda: (lambda m: m if gone not in m and len(m) == 2 and all(
        i["LifecycleState"] == "InService" for i in m.values()) else None)(members(asg, "web")),
        what="a replacement in service")
    replacement = (set(after) - set(first)).pop()
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    ended = [a for a in acts if a["Description"] == f"Terminating EC2 instance: {gone}"]
    assert ended and "in response to an EC2 health check indicating it has been terminated or stopped." in ended[0][
        "Cause"], acts
    wait_for(lambda: healthy_ids(elb, tg) == set(after), timeout=60, what="replacement healthy")
    t_replaced = time.monotonic() - t1
    print(f"\ncreate -> 2 InService: {t_in_service:.1f} s; -> healthy behind the ALB: {t_healthy:.1f} s; "
          f"terminated by hand -> replacement healthy: {t_replaced:.1f} s")
    assert replacement in wait_for(lambda: answers(base) == set(after) and answers(base), what="both answer")

    # A step policy on an alarm fed with PutMetricData: to 4 and back.
    out_arn = asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="out", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
        StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}])["PolicyARN"]
    in_arn = asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="in", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
        StepAdjustments=[{"MetricIntervalUpperBound": 0, "ScalingAdjustment": -2}])["PolicyARN"]
    assert out_arn.startswith("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:")
    assert out_arn.endswith(":autoScalingGroupName/web:policyName/out")
    dims = [{"Name": "AutoScalingGroupName", "Value": "web"}]
    common = dict(Namespace="App", MetricName="Load", Statistic="Average", Dimensions=dims, Period=60,
                  EvaluationPeriods=1)
    cw.put_metric_alarm(AlarmName="load-high", Threshold=70, ComparisonOperator="GreaterThanThreshold",
                        AlarmActions=[out_arn], **common)
    cw.put_metric_alarm(AlarmName="load-low", Threshold=30, ComparisonOperator="LessThanThreshold",
                        AlarmActions=[in_arn], **common)
    cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "Load", "Dimensions": dims, "Value": 90.0}])
    advance(gureum, 60)
    wait_for(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0][
        "DesiredCapacity"] == 4, timeout=20, what="desired 4")
    four = wait_for(in_service(asg, "web", 4), what="4 in service")
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert any("a monitor alarm load-high in state ALARM triggered policy out changing the desired capacity "
               "from 2 to 4." in a["Cause"] for a in acts), [a["Cause"] for a in acts]
    wait_for(lambda: healthy_ids(elb, tg) == set(four), timeout=60, what="4 healthy")
    cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "Load", "Dimensions": dims, "Value": 10.0}])
    advance(gureum, 60)
    two = wait_for(in_service(asg, "web", 2), what="back to 2")
    assert sorted(i["AvailabilityZone"] for i in two.values()) == ["us-east-1a", "us-east-1b"]
    wait_for(lambda: ec2.describe_instances(InstanceIds=list(set(four) - set(two)))["Reservations"] and all(
        i["State"]["Name"] in ("shutting-down", "terminated") for r in ec2.describe_instances(
            InstanceIds=list(set(four) - set(two)))["Reservations"] for i in r["Instances"]), what="scaled-in ended")

    # Everything persists; the reconciler resumes after a restart.
    gureum.restart(kill=True)
    asg = gureum.client("autoscaling")
    elb = gureum.client("elbv2")
    ec2 = gureum.client("ec2")
    assert set(members(asg, "web")) == set(two)
    assert [p["PolicyName"] for p in asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"]] == [
        "in", "out"]
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
    # The instances killed with Gureum boot again, but user data runs at
    # first boot only: their web servers are gone, the ELB health check
    # fails them, and the group replaces them (ELB health, grace over).
    addr = wait_for(lambda: next((e["address"] for e in health(gureum)["endpoints"]["elbv2"]
                                  if e["dns_name"] == lb["DNSName"] and e["port"] == 80), None), what="listener")

    def settled():
        m = in_service(asg, "web", 3)()
        return m if m and healthy_ids(elb, tg) == set(m) else None
    three = wait_for(settled, timeout=180, step=1, what="3 in service and healthy after restart")
    assert not set(three) & set(two), "the instances that stopped serving were replaced"
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert any(a["Cause"].endswith("an instance was taken out of service in response to an ELB system health check "
                                   "failure.") for a in acts), [a["Cause"] for a in acts]
    assert wait_for(lambda: answers(f"http://{addr}", 18) == set(three), what="3 answer")

    # A forced delete terminates the fleet, then the group is gone.
    code, msg = refused(asg.delete_auto_scaling_group, AutoScalingGroupName="web")
    assert (code, msg) == ("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or "
                                            "pending Spot instance request(s) still in the group.")
    asg.delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
    wait_for(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"] == [],
             what="group deleted")
    states = {i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=list(three))["Reservations"]
              for i in r["Instances"]}
    assert states <= {"shutting-down", "terminated"}, states


def health(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        return json.load(r)


def test_a_target_tracking_policy_owns_its_cloudwatch_alarms(gureum, asg, network, template):
    cw = gureum.client("cloudwatch")
    asg.create_auto_scaling_group(AutoScalingGroupName="tt", MinSize=0, MaxSize=3, DesiredCapacity=0,
                                  LaunchTemplate={"LaunchTemplateId": template}, VPCZoneIdentifier=network["a"])
    out = asg.put_scaling_policy(
        AutoScalingGroupName="tt", PolicyName="cpu50", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"TargetValue": 50.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    names = [a["AlarmName"] for a in out["Alarms"]]
    assert len(names) == 2
    assert names[0].startswith("TargetTracking-tt-AlarmHigh-") and names[1].startswith("TargetTracking-tt-AlarmLow-")
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high, low = alarms[names[0]], alarms[names[1]]
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == ("AWS/EC2", "CPUUtilization", "Average")
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "tt"}]
    assert (high["ComparisonOperator"], high["Threshold"]) == ("GreaterThanThreshold", 50.0)
    assert (low["ComparisonOperator"], low["Threshold"]) == ("LessThanThreshold", 45.0)
    assert high["AlarmActions"] == [out["PolicyARN"]]
    policy = asg.describe_policies(AutoScalingGroupName="tt")["ScalingPolicies"][0]
    assert policy["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    assert [a["AlarmName"] for a in policy["Alarms"]] == names
    asg.delete_policy(AutoScalingGroupName="tt", PolicyName="cpu50")
    assert cw.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    asg.delete_auto_scaling_group(AutoScalingGroupName="tt")


def test_a_scheduled_action_runs_on_gureums_clock_and_persists(gureum, asg, network, template):
    asg.create_auto_scaling_group(AutoScalingGroupName="sched", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                  LaunchTemplate={"LaunchTemplateId": template}, VPCZoneIdentifier=network["a"])
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        now_s = json.load(r)["now_ms"] / 1000
    gureum.aws("autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", "sched",
               "--scheduled-action-name", "evening", "--start-time",
               time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_s + 3600)),
               "--min-size", "0", "--max-size", "3")
    assert refused(asg.put_scheduled_update_group_action, AutoScalingGroupName="sched",
                   ScheduledActionName="past", StartTime="2001-01-01T00:00:00Z", MaxSize=2) == (
        "ValidationError", "Given start time is in the past")
    gureum.restart(kill=True)
    asg = gureum.client("autoscaling")
    acts = asg.describe_scheduled_actions(AutoScalingGroupName="sched")["ScheduledUpdateGroupActions"]
    assert [a["ScheduledActionName"] for a in acts] == ["evening"]
    advance(gureum, 3601)
    wait_for(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["sched"])["AutoScalingGroups"][0][
        "MaxSize"] == 3, timeout=10, what="the action ran")
    assert asg.describe_scheduled_actions(AutoScalingGroupName="sched")["ScheduledUpdateGroupActions"] == []
    asg.delete_auto_scaling_group(AutoScalingGroupName="sched")


@pytest.mark.skipif(REAL is not None, reason=REAL or "")
def test_a_launch_hook_holds_a_real_instance_until_the_cli_completes_it(gureum, asg, network, template):
    asg = gureum.client("autoscaling")
    asg.create_auto_scaling_group(AutoScalingGroupName="hooked", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                  LaunchTemplate={"LaunchTemplateId": template}, VPCZoneIdentifier=network["a"])
    asg.put_lifecycle_hook(AutoScalingGroupName="hooked", LifecycleHookName="warm-up",
                           LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout=300)
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName="hooked")["LifecycleHooks"]
    assert [(h["LifecycleHookName"], h["HeartbeatTimeout"], h["DefaultResult"]) for h in hooks] == [
        ("warm-up", 300, "ABANDON")]
    # The lifecycle action reaches EventBridge's default bus, as on AWS.
    sqs = gureum.client("sqs")
    queue = sqs.create_queue(QueueName="hooks")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = gureum.client("events")
    rule_arn = events.put_rule(Name="hooks", EventPattern=json.dumps({
        "source": ["aws.autoscaling"], "detail-type": ["EC2 Instance-launch Lifecycle Action"]}))["RuleArn"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
    events.put_targets(Rule="hooks", Targets=[{"Id": "q", "Arn": queue_arn}])
    asg.set_desired_capacity(AutoScalingGroupName="hooked", DesiredCapacity=1)
    waiting = wait_for(lambda: [i for i in members(asg, "hooked").values() if i["LifecycleState"] == "Pending:Wait"],
                       what="Pending:Wait")
    iid = waiting[0]["InstanceId"]
    assert network["ec2"].describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"][
        "Name"] == "running"
    msgs = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"),
                    timeout=20, what="the lifecycle event")
    event = json.loads(msgs[0]["Body"])
    assert (event["source"], event["detail-type"]) == ("aws.autoscaling", "EC2 Instance-launch Lifecycle Action")
    detail = event["detail"]
    assert (detail["EC2InstanceId"], detail["LifecycleHookName"], detail["AutoScalingGroupName"]) == (
        iid, "warm-up", "hooked")
    gureum.aws("autoscaling", "complete-lifecycle-action", "--auto-scaling-group-name", "hooked",
               "--lifecycle-hook-name", "warm-up", "--lifecycle-action-result", "CONTINUE",
               "--lifecycle-action-token", detail["LifecycleActionToken"])
    wait_for(in_service(asg, "hooked", 1), timeout=15, what="InService after the hook")
    asg.delete_auto_scaling_group(AutoScalingGroupName="hooked", ForceDelete=True)
    wait_for(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["hooked"])["AutoScalingGroups"] == [],
             what="deleted")


def test_tags_and_the_fixed_catalogues_answer_in_aws_shapes(gureum, asg, network, template):
    asg.create_auto_scaling_group(AutoScalingGroupName="tagged", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                  LaunchTemplate={"LaunchTemplateId": template}, VPCZoneIdentifier=network["a"])
    gureum.aws("autoscaling", "create-or-update-tags", "--tags",
               "ResourceId=tagged,ResourceType=auto-scaling-group,Key=env,Value=prod,PropagateAtLaunch=true")
    tags = asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["tagged"]}])["Tags"]
    assert tags == [{"ResourceId": "tagged", "ResourceType": "auto-scaling-group", "Key": "env", "Value": "prod",
                     "PropagateAtLaunch": True}]
    asg.delete_tags(Tags=[{"ResourceId": "tagged", "ResourceType": "auto-scaling-group", "Key": "env"}])
    assert asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["tagged"]}])["Tags"] == []
    assert [t["AdjustmentType"] for t in asg.describe_adjustment_types()["AdjustmentTypes"]] == [
        "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"]
    assert "ReplaceUnhealthy" in [p["ProcessName"] for p in asg.describe_scaling_process_types()["Processes"]]
    assert "OldestInstance" in asg.describe_termination_policy_types()["TerminationPolicyTypes"]
    assert asg.describe_lifecycle_hook_types()["LifecycleHookTypes"] == [
        "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]
    limits = asg.describe_account_limits()
    assert limits["MaxNumberOfAutoScalingGroups"] == 500
    assert limits["NumberOfAutoScalingGroups"] == len(asg.describe_auto_scaling_groups()["AutoScalingGroups"])
    code, msg = refused(asg.put_lifecycle_hook, AutoScalingGroupName="tagged", LifecycleHookName="h",
                        LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
                        NotificationTargetARN="arn:aws:sqs:us-east-1:000000000000:q",
                        RoleARN="arn:aws:iam::000000000000:role/r")
    assert (code, msg) == ("ValidationError", "Gureum does not implement the parameter NotificationTargetARN yet: "
                                              "the request is refused rather than the parameter ignored.")
    # A notification configuration sends AWS's test notification to SNS.
    sns = gureum.client("sns")
    topic = sns.create_topic(Name="fleet")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100")
    asg.put_notification_configuration(AutoScalingGroupName="tagged", TopicARN=topic,
                                       NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH"])
    assert asg.describe_notification_configurations(AutoScalingGroupNames=["tagged"])[
        "NotificationConfigurations"] == [{"AutoScalingGroupName": "tagged", "TopicARN": topic,
                                           "NotificationType": "autoscaling:EC2_INSTANCE_LAUNCH"}]

    def captured():
        with urllib.request.urlopen(gureum.endpoint + "/_gureum/sns/messages") as r:
            return [json.loads(m["message"]) for m in json.load(r)["messages"] if m["endpoint"] == "+15555550100"]
    test = wait_for(captured, timeout=10, what="the test notification")[0]
    assert (test["Event"], test["AutoScalingGroupName"], test["Service"]) == (
        "autoscaling:TEST_NOTIFICATION", "tagged", "AWS Auto Scaling")
    assert "autoscaling:EC2_INSTANCE_TERMINATE" in asg.describe_auto_scaling_notification_types()[
        "AutoScalingNotificationTypes"]
    asg.delete_notification_configuration(AutoScalingGroupName="tagged", TopicARN=topic)
    asg.delete_auto_scaling_group(AutoScalingGroupName="tagged")
