"""Billing end to end: the meter on Gureum's clock, Cost Explorer at the
catalogue's (AWS's public) prices, a $1 budget alerting an SQS queue
through SNS, the Price List API, and `gureum cost`."""
import calendar
import datetime
import json
import os
import subprocess
import time
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance

ACCOUNT = "000000000000"
T3_MICRO_HOURLY = 0.0104  # us-east-1 Linux on-demand, aws.amazon.com/ec2/pricing
GP3_GB_MONTH = 0.08  # us-east-1, aws.amazon.com/ebs/pricing


def clock_ms(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        return json.loads(r.read())["now_ms"]


def month_of(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    start = datetime.date(d.year, d.month, 1)
    days = calendar.monthrange(d.year, d.month)[1]
    end = (start + datetime.timedelta(days=days))
    return start.isoformat(), end.isoformat(), days


def by_usage_type(gureum, start, end):
    _, out, _ = gureum.aws(
        "ce", "get-cost-and-usage",
        "--time-period", f"Start={start},End={end}",
        "--granularity", "MONTHLY",
        "--metrics", "UnblendedCost", "UsageQuantity",
        "--group-by", "Type=DIMENSION,Key=USAGE_TYPE",
    )
    groups = out["ResultsByTime"][0]["Groups"]
    return {
        g["Keys"][0]: (float(g["Metrics"]["UsageQuantity"]["Amount"]),
                       float(g["Metrics"]["UnblendedCost"]["Amount"]),
                       g["Metrics"]["UsageQuantity"]["Unit"])
        for g in groups
    }


def wait_for(what, check, timeout=15):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def month(gureum, ec2, ami):
    """Moves the clock to the start of next month, runs a t3.micro for 10
    clock hours and keeps a 50 GiB gp3 volume to the month's last minutes,
    with a $1 budget alerting an SQS queue through SNS. Answers the
    month's (start, end, days, queue url)."""
    now = clock_ms(gureum)
    d = datetime.datetime.fromtimestamp(now / 1000, datetime.timezone.utc)
    days_now = calendar.monthrange(d.year, d.month)[1]
    next_month = datetime.datetime(d.year, d.month, 1, tzinfo=datetime.timezone.utc) \
        + datetime.timedelta(days=days_now)
    advance(gureum, (next_month.timestamp() * 1000 - now) / 1000 + 120)
    time.sleep(2)  # the meter's pass over the jump (nothing runs yet)
    start, end, days = month_of(clock_ms(gureum))

    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name="budget-alerts")["TopicArn"]
    # As on AWS, the topic's policy must let Budgets publish.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
                       "Action": "SNS:Publish", "Resource": topic}],
    }))
    queue = sqs.create_queue(QueueName="budget-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # And the queue's must let SNS send.
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": queue_arn}],
    })})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    gureum.client("budgets").create_budget(
        AccountId=ACCOUNT,
        Budget={"BudgetName": "one-dollar", "BudgetLimit": {"Amount": "1", "Unit": "USD"},
                "TimeUnit": "MONTHLY", "BudgetType": "COST"},
        NotificationsWithSubscribers=[{
            "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                             "Threshold": 100.0, "ThresholdType": "PERCENTAGE"},
            "Subscribers": [{"SubscriptionType": "SNS", "Address": topic},
                            {"SubscriptionType": "EMAIL", "Address": "student@example.com"}],
        }],
    )

    instance = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 TagSpecifications=[{"ResourceType": "instance",
                                                     "Tags": [{"Key": "course", "Value": "cloud101"}]}],
                                 )["Instances"][0]["InstanceId"]
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3")
    # The instance's root volume lives its ten hours too (deleted on
    # termination), under its own type's usage.
    root = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance]}])["Volumes"]
    root_gp3_gib = sum(v["Size"] for v in root if v["VolumeType"] == "gp3")
    advance(gureum, 10 * 3600)
    wait_for("ten instance-hours", lambda: by_usage_type(gureum, start, end)
             .get("USE1-BoxUsage:t3.micro", (0,))[0] >= 10)
    ec2.terminate_instances(InstanceIds=[instance])
    # To ten minutes before the month ends: the volume's month, nearly.
    advance(gureum, days * 86400 - 10 * 3600 - 120 - 600 - 5)
    wait_for("the volume's month", lambda: by_usage_type(gureum, start, end)
             .get("USE1-EBS:VolumeUsage.gp3", (0,))[0] >= 49.8)
    return start, end, days, queue, root_gp3_gib


def test_ten_clock_hours_of_t3_micro_are_billed_at_the_public_price(gureum, month):
    start, end, *_ = month
    quantity, cost, unit = by_usage_type(gureum, start, end)["USE1-BoxUsage:t3.micro"]
    assert unit == "Hrs"
    # The meter notices the termination at its next pass (< 1 clock min).
    assert 10.0 <= quantity < 10.05
    assert cost == pytest.approx(quantity * T3_MICRO_HOURLY, rel=1e-6)


def test_the_instance_public_ipv4_address_is_billed_per_hour(gureum, month):
    start, end, *_ = month
    quantity, cost, unit = by_usage_type(gureum, start, end)["USE1-PublicIPv4:InUseAddress"]
    assert unit == "Hrs"
    assert 10.0 <= quantity < 10.05
    assert cost == pytest.approx(quantity * 0.005, rel=1e-6)


def test_the_forecast_carries_the_last_day_rate_forward(gureum, month):
    _, _, days, *_ = month
    today = datetime.datetime.fromtimestamp(clock_ms(gureum) / 1000, datetime.timezone.utc).date()
    out = gureum.client("ce").get_cost_forecast(
        TimePeriod={"Start": today.isoformat(), "End": (today + datetime.timedelta(days=2)).isoformat()},
        Metric="UNBLENDED_COST", Granularity="DAILY")
    # Only the volume lived through the last day: its daily cost, twice.
    daily = 50 * GP3_GB_MONTH / days
    assert float(out["Total"]["Amount"]) == pytest.approx(2 * daily, rel=0.05)
    assert len(out["ForecastResultsByTime"]) == 2
    first = out["ForecastResultsByTime"][0]
    assert float(first["PredictionIntervalLowerBound"]) < float(first["MeanValue"]) \
        < float(first["PredictionIntervalUpperBound"])


def test_a_month_of_50_gib_gp3_is_50_gb_months_at_the_public_price(gureum, month):
    start, end, days, _, root_gib = month
    quantity, cost, unit = by_usage_type(gureum, start, end)["USE1-EBS:VolumeUsage.gp3"]
    assert unit == "GB-Mo"
    # Created two minutes into the month, read ten minutes before its end;
    # the root volume's ten hours beside it.
    expected = 50 * (days * 86400 - 120 - 600) / (days * 86400) + root_gib * 10 / (days * 24)
    assert quantity == pytest.approx(expected, abs=0.01)
    assert cost == pytest.approx(quantity * GP3_GB_MONTH, rel=1e-6)
    assert cost == pytest.approx(expected * 0.08, abs=0.001)


def test_cost_by_service_uses_cost_explorer_names(gureum, month):
    start, end, *_ = month
    out = gureum.client("ce").get_cost_and_usage(
        TimePeriod={"Start": start, "End": end}, Granularity="MONTHLY",
        Metrics=["BlendedCost"], GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}])
    names = [g["Keys"][0] for g in out["ResultsByTime"][0]["Groups"]]
    assert "Amazon Elastic Compute Cloud - Compute" in names
    assert "EC2 - Other" in names


def test_daily_granularity_has_one_result_per_day(gureum, month):
    start, end, days, *_ = month
    out = gureum.client("ce").get_cost_and_usage(
        TimePeriod={"Start": start, "End": end}, Granularity="DAILY", Metrics=["UnblendedCost"],
        Filter={"Dimensions": {"Key": "USAGE_TYPE", "Values": ["USE1-BoxUsage:t3.micro"]}})
    results = out["ResultsByTime"]
    assert len(results) == days
    first = float(results[0]["Total"]["UnblendedCost"]["Amount"])
    assert first == pytest.approx(10 * T3_MICRO_HOURLY, rel=0.01)
    assert float(results[1]["Total"]["UnblendedCost"]["Amount"]) == 0


def test_tag_grouping_and_get_tags_see_the_instance_tag(gureum, month):
    start, end, *_ = month
    ce = gureum.client("ce")
    assert ce.get_tags(TimePeriod={"Start": start, "End": end})["Tags"] == ["course"]
    out = ce.get_cost_and_usage(
        TimePeriod={"Start": start, "End": end}, Granularity="MONTHLY", Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "TAG", "Key": "course"}],
        Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Elastic Compute Cloud - Compute"]}})
    groups = out["ResultsByTime"][0]["Groups"]
    assert [g["Keys"] for g in groups] == [["course$cloud101"]]


def test_dimension_values_list_the_usage_types(gureum, month):
    start, end, *_ = month
    out = gureum.client("ce").get_dimension_values(
        TimePeriod={"Start": start, "End": end}, Dimension="USAGE_TYPE", SearchString="EBS")
    values = [v["Value"] for v in out["DimensionValues"]]
    assert "USE1-EBS:VolumeUsage.gp3" in values
    assert all("EBS" in v for v in values)


def test_dimension_values_sort_by_cost(gureum, month):
    start, end, *_ = month
    out = gureum.client("ce").get_dimension_values(
        TimePeriod={"Start": start, "End": end}, Dimension="SERVICE",
        SortBy=[{"Key": "UnblendedCost", "SortOrder": "DESCENDING"}])
    values = [v["Value"] for v in out["DimensionValues"]]
    # The volume's month costs more than anything else.
    assert values[0] == "EC2 - Other"


def test_the_one_dollar_budget_notifies_the_queue_through_sns(gureum, month):
    queue = month[3]
    sqs = gureum.client("sqs")
    got = wait_for("the budget alert", lambda: sqs.receive_message(
        QueueUrl=queue, WaitTimeSeconds=1).get("Messages"))
    body = got[0]["Body"]
    assert "one-dollar" in body
    assert "ACTUAL Cost" in body
    budgets = gureum.client("budgets")
    notes = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="one-dollar")
    assert notes["Notifications"][0]["NotificationState"] == "ALARM"
    spent = budgets.describe_budget(AccountId=ACCOUNT, BudgetName="one-dollar")["Budget"]
    assert float(spent["CalculatedSpend"]["ActualSpend"]["Amount"]) > 1


def test_sqs_requests_are_metered_at_the_per_request_price(gureum, month):
    start, end, *_ = month
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName="metered")["QueueUrl"]
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    advance(gureum, 61)  # the meter's next pass drains the counts

    def sqs_requests():
        out = gureum.client("ce").get_cost_and_usage(
            TimePeriod={"Start": start, "End": end}, Granularity="MONTHLY",
            Metrics=["UsageQuantity", "UnblendedCost"],
            Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Simple Queue Service"]}})
        total = out["ResultsByTime"][0]["Total"]
        quantity = float(total["UsageQuantity"]["Amount"])
        return quantity >= 21 and (quantity, float(total["UnblendedCost"]["Amount"]))

    quantity, cost = wait_for("SQS requests metered", sqs_requests)
    assert cost == pytest.approx(quantity * 0.40 / 1_000_000)


def test_s3_bytes_are_metered_as_gb_months_of_their_storage_class(gureum, month):
    start, end, *_ = month
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="metered-bytes")
    s3.put_object(Bucket="metered-bytes", Key="big", Body=b"x" * (64 << 20))
    s3.put_object(Bucket="metered-bytes", Key="cold", Body=b"y" * (64 << 20), StorageClass="STANDARD_IA")
    advance(gureum, 61)  # the pass that first sees them
    time.sleep(1.5)
    advance(gureum, 120)  # two clock minutes of storage

    def storage():
        usage = by_usage_type(gureum, start, end)
        return ("USE1-TimedStorage-ByteHrs" in usage and "USE1-TimedStorage-SIA-ByteHrs" in usage
                and usage)

    usage = wait_for("S3 storage metered", storage)
    quantity, cost, unit = usage["USE1-TimedStorage-ByteHrs"]
    assert unit == "GB-Mo"
    assert quantity > 0
    # Amounts carry ten decimals: a few minutes of 64 MiB is ~1e-7 USD.
    assert cost == pytest.approx(quantity * 0.023, abs=1e-10)
    ia_quantity, ia_cost, _ = usage["USE1-TimedStorage-SIA-ByteHrs"]
    assert ia_quantity > 0
    assert ia_cost == pytest.approx(ia_quantity * 0.0125, abs=1e-10)


def test_gureum_cost_prints_the_month_by_service(gureum, month):
    p = subprocess.run([os.environ["GUREUM_BIN"], "cost", "--endpoint", gureum.endpoint],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[1].split() == ["SERVICE", "COST"]
    assert lines[2].startswith("EC2 - Other") and lines[2].endswith("$4.00")
    assert lines[-1].startswith("TOTAL")


def test_a_load_balancer_is_billed_per_hour(gureum, month):
    start, end, *_ = month
    ec2 = gureum.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in [(1, "a"), (2, "b")]]
    gureum.client("elbv2").create_load_balancer(Name="metered", Subnets=subnets)
    advance(gureum, 2 * 3600)
    later = (datetime.date.fromisoformat(end) + datetime.timedelta(days=27)).isoformat()

    def hours():
        out = gureum.client("ce").get_cost_and_usage(
            TimePeriod={"Start": start, "End": later}, Granularity="MONTHLY",
            Metrics=["UsageQuantity", "UnblendedCost"],
            Filter={"Dimensions": {"Key": "USAGE_TYPE", "Values": ["USE1-LoadBalancerUsage"]}})
        totals = [r["Total"] for r in out["ResultsByTime"]]
        quantity = sum(float(t["UsageQuantity"]["Amount"]) for t in totals)
        cost = sum(float(t["UnblendedCost"]["Amount"]) for t in totals)
        return quantity >= 2 and (quantity, cost)

    # Billed across the month's end, into the next month.
    quantity, cost = wait_for("load balancer hours", hours)
    assert quantity < 2.1
    assert cost == pytest.approx(quantity * 0.0225, rel=1e-6)


def test_costs_and_budgets_survive_a_restart(gureum, month):
    start, end, *_ = month
    budgets = gureum.client("budgets")

    def notes():
        return budgets.describe_notifications_for_budget(
            AccountId=ACCOUNT, BudgetName="one-dollar")["Notifications"]

    before = by_usage_type(gureum, start, end)["USE1-BoxUsage:t3.micro"], notes()
    gureum.restart(kill=True)
    budgets = gureum.client("budgets")
    after = by_usage_type(gureum, start, end)["USE1-BoxUsage:t3.micro"], notes()
    assert after == before
    assert after[1][0]["Threshold"] == 100.0


def test_get_products_filters_by_term_match(gureum):
    rc, out, _ = gureum.aws(
        "pricing", "get-products", "--service-code", "AmazonEC2", "--format-version", "aws_v1",
        "--filters", "Type=TERM_MATCH,Field=instanceType,Value=t3.micro",
        "Type=TERM_MATCH,Field=regionCode,Value=us-east-1")
    assert len(out["PriceList"]) == 1
    doc = json.loads(out["PriceList"][0])
    assert doc["product"]["attributes"]["usagetype"] == "BoxUsage:t3.micro"
    (term,) = doc["terms"]["OnDemand"].values()
    (dim,) = term["priceDimensions"].values()
    assert float(dim["pricePerUnit"]["USD"]) == T3_MICRO_HOURLY
    assert dim["unit"] == "Hrs"


def test_pricing_lists_services_and_attribute_values(gureum):
    pricing = gureum.client("pricing")
    codes = [s["ServiceCode"] for s in pricing.describe_services()["Services"]]
    assert {"AmazonEC2", "AmazonS3", "AWSLambda", "AmazonRDS"} <= set(codes)
    values = [v["Value"] for v in pricing.get_attribute_values(
        ServiceCode="AmazonEC2", AttributeName="volumeApiName")["AttributeValues"]]
    assert {"gp2", "gp3", "io1", "io2"} <= set(values)


def client_error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_errors_reach_the_client_with_aws_codes_and_messages(gureum):
    ce, budgets, pricing = gureum.client("ce"), gureum.client("budgets"), gureum.client("pricing")
    assert client_error(ce.get_cost_and_usage, TimePeriod={"Start": "2027-01-02", "End": "2027-01-01"},
                        Granularity="DAILY", Metrics=["UnblendedCost"]) == (
        "ValidationException", "Start date (and hour) should be before end date (and hour)")
    code, message = client_error(ce.get_cost_and_usage,
                                 TimePeriod={"Start": "2027-01-01", "End": "2027-02-01"},
                                 Granularity="WEEKLY", Metrics=["UnblendedCost"])
    assert code == "ValidationException"
    assert "Value 'WEEKLY' at 'granularity' failed to satisfy constraint" in message
    assert client_error(budgets.describe_budget, AccountId=ACCOUNT, BudgetName="nope") == (
        "NotFoundException", "Unable to get budget: nope - the budget doesn't exist.")
    budget = {"BudgetName": "twice", "BudgetLimit": {"Amount": "5", "Unit": "USD"},
              "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    budgets.create_budget(AccountId=ACCOUNT, Budget=budget)
    assert client_error(budgets.create_budget, AccountId=ACCOUNT, Budget=budget) == (
        "DuplicateRecordException", "Error creating budget: twice - the budget already exists.")
    budgets.delete_budget(AccountId=ACCOUNT, BudgetName="twice")
    assert client_error(budgets.delete_budget, AccountId=ACCOUNT, BudgetName="twice")[0] == "NotFoundException"
    assert client_error(budgets.describe_budgets, AccountId="111122223333") == (
        "AccessDeniedException", "You are not authorized to access the budgets of account 111122223333.")
    assert client_error(ce.get_tags, TimePeriod={"Start": "2027-01-01", "End": "2027-02-01"},
                        NextPageToken="not-ours")[0] == "InvalidNextTokenException"
    assert client_error(pricing.get_products, ServiceCode="AmazonEC2", FormatVersion="aws_v2") == (
        "InvalidParameterException", "Input FormatVersion aws_v2 is invalid. Valid values: [aws_v1]")


def test_reset_of_budgets_clears_budgets_and_of_ce_the_metered_usage(gureum, month):
    start, end, *_ = month
    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset?service=budgets", method="POST")
    with urllib.request.urlopen(req) as r:
        assert "budgets.budgets" in json.loads(r.read())["tables"]
    assert client_error(gureum.client("budgets").describe_budget,
                        AccountId=ACCOUNT, BudgetName="one-dollar")[0] == "NotFoundException"
    assert by_usage_type(gureum, start, end), "usage is Cost Explorer's, kept"
    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset?service=ce", method="POST")
    with urllib.request.urlopen(req) as r:
        assert "ce.hours" in json.loads(r.read())["tables"]
    assert by_usage_type(gureum, start, end) == {}
