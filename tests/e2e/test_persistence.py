"""State survives a restart, and an acknowledged write survives kill -9."""


def test_log_groups_survive_sigterm_and_sigkill(gureum):
    logs = gureum.client("logs", region="ap-northeast-2")
    logs.create_log_group(logGroupName="/persist/graceful")
    gureum.restart(kill=False)
    logs = gureum.client("logs", region="ap-northeast-2")
    names = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/persist/")["logGroups"]]
    assert names == ["/persist/graceful"]

    # Each create is acknowledged before the next; then the process is killed.
    for i in range(20):
        logs.create_log_group(logGroupName=f"/persist/k{i:02d}")
    gureum.restart(kill=True)
    logs = gureum.client("logs", region="ap-northeast-2")
    names = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/persist/k")["logGroups"]]
    assert names == [f"/persist/k{i:02d}" for i in range(20)]


def test_regions_are_separate(gureum):
    gureum.client("logs", region="us-west-2").create_log_group(logGroupName="/only/oregon")
    assert gureum.client("logs", region="us-east-2").describe_log_groups(logGroupNamePrefix="/only/")["logGroups"] == []
