"""CloudWatch Logs Live Tail: StartLiveTail streams sessionStart, then a
sessionUpdate every second with the events put since (stream names,
prefixes and filter pattern applied), ends with SessionTimeoutException
after three hours on Gureum's clock, and refuses bad selections."""
import json
import subprocess
import threading
import time
import urllib.request

import botocore.exceptions
import pytest


def _logs(gureum):
    # The operation's endpoint has the host prefix `stream-`, which an IP
    # endpoint cannot take.
    return gureum.client("logs", inject_host_prefix=False)


def _group(logs, name, streams=("app-1", "app-2", "web-1")):
    logs.create_log_group(logGroupName=name)
    for s in streams:
        logs.create_log_stream(logGroupName=name, logStreamName=s)
    return f"arn:aws:logs:us-east-1:000000000000:log-group:{name}"


def _put(logs, group, stream, *messages):
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now, "message": m} for m in messages],
    )


def _collect(stream, until, timeout=15):
    """Reads events from the response stream until `until(seen)` holds."""
    seen = []
    deadline = time.time() + timeout
    for event in stream:
        seen.append(event)
        if until(seen) or time.time() > deadline:
            break
    return seen


def _messages(seen):
    return [r["message"] for e in seen if "sessionUpdate" in e
            for r in e["sessionUpdate"]["sessionResults"]]


def test_a_session_starts_then_streams_the_events_its_prefixes_and_pattern_select(gureum):
    logs = _logs(gureum)
    arn = _group(logs, "/tail/select")
    resp = logs.start_live_tail(
        logGroupIdentifiers=[arn],
        logStreamNamePrefixes=["app-"],
        logEventFilterPattern="ERROR",
    )
    stream = resp["responseStream"]
    events = iter(stream)
    start = next(events)["sessionStart"]
    assert start["logGroupIdentifiers"] == [arn]
    assert start["logStreamNamePrefixes"] == ["app-"]
    assert start["logEventFilterPattern"] == "ERROR"
    assert start["sessionId"] and start["requestId"]

    def writer():
        time.sleep(0.3)
        _put(logs, "/tail/select", "app-1", "ERROR disk full", "INFO all good")
        _put(logs, "/tail/select", "web-1", "ERROR from web")
        _put(logs, "/tail/select", "app-2", "ERROR again")

    t = threading.Thread(target=writer)
    t.start()
    seen = _collect(events, lambda s: len(_messages(s)) >= 2)
    t.join()
    stream.close()
    assert sorted(_messages(seen)) == ["ERROR again", "ERROR disk full"]
    update = next(e["sessionUpdate"] for e in seen if "sessionUpdate" in e
                  and e["sessionUpdate"]["sessionResults"])
    assert update["sessionMetadata"] == {"sampled": False}
    result = update["sessionResults"][0]
    assert result["logGroupIdentifier"] == arn
    assert result["logStreamName"].startswith("app-")
    assert {"timestamp", "ingestionTime"} <= set(result)


def test_an_update_comes_every_second_even_without_events(gureum):
    logs = _logs(gureum)
    arn = _group(logs, "/tail/quiet")
    stream = logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
    began = time.time()
    seen = _collect(iter(stream), lambda s: len(s) >= 3)
    stream.close()
    assert "sessionStart" in seen[0]
    assert [e["sessionUpdate"]["sessionResults"] for e in seen[1:]] == [[], []]
    assert 1.5 < time.time() - began < 5


def test_more_than_500_events_in_a_second_are_sampled_down_to_500(gureum):
    logs = _logs(gureum)
    arn = _group(logs, "/tail/busy", streams=("s",))
    stream = logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
    events = iter(stream)
    next(events)
    _put(logs, "/tail/busy", "s", *[f"line {i}" for i in range(800)])
    seen = _collect(events, lambda s: any(
        e["sessionUpdate"]["sessionResults"] for e in s if "sessionUpdate" in e))
    stream.close()
    update = seen[-1]["sessionUpdate"]
    assert len(update["sessionResults"]) == 500
    assert update["sessionMetadata"]["sampled"] is True


def test_a_session_times_out_after_three_hours_on_gureums_clock(gureum):
    logs = _logs(gureum)
    arn = _group(logs, "/tail/timeout", streams=())
    stream = logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
    events = iter(stream)
    next(events)
    req = urllib.request.Request(
        gureum.endpoint + "/_gureum/clock",
        data=json.dumps({"advance_seconds": 3 * 3600}).encode(),
        method="POST",
    )
    urllib.request.urlopen(req).read()
    with pytest.raises(botocore.exceptions.EventStreamError) as e:
        for _ in events:
            pass
    assert e.value.response["Error"]["Code"] == "SessionTimeoutException"
    stream.close()


def test_stream_names_with_several_groups_are_refused(gureum):
    logs = _logs(gureum)
    a = _group(logs, "/tail/two-a", streams=())
    b = _group(logs, "/tail/two-b", streams=())
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.start_live_tail(logGroupIdentifiers=[a, b], logStreamNames=["x"])
    assert "exactly one log group" in e.value.response["Error"]["Message"]
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.start_live_tail(logGroupIdentifiers=[a], logStreamNames=["x"],
                             logStreamNamePrefixes=["y"])
    assert "mutually exclusive" in e.value.response["Error"]["Message"]


def test_a_missing_group_is_not_found(gureum):
    logs = _logs(gureum)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as e:
        logs.start_live_tail(
            logGroupIdentifiers=["arn:aws:logs:us-east-1:000000000000:log-group:/tail/none"])
    assert e.value.response["Error"]["Message"] == "The specified log group does not exist."


def test_the_cli_prints_the_streamed_events(gureum):
    logs = _logs(gureum)
    arn = _group(logs, "/tail/cli", streams=("c",))
    env = gureum.env(AWS_DISABLE_HOST_PREFIX_INJECTION="true")
    p = subprocess.Popen(
        ["aws", "logs", "start-live-tail", "--log-group-identifiers", arn],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        time.sleep(2.5)
        _put(logs, "/tail/cli", "c", "hello from the cli test")
        time.sleep(2.5)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=15)
    assert "hello from the cli test" in out, err


def test_sessions_end_with_their_clients_and_groups_persist_across_restart(gureum):
    logs = _logs(gureum)
    arn = _group(logs, "/tail/restart", streams=("r",))
    stream = logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
    next(iter(stream))
    stream.close()
    gureum.restart(kill=True)
    logs = _logs(gureum)
    stream = logs.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
    events = iter(stream)
    assert "sessionStart" in next(events)
    _put(logs, "/tail/restart", "r", "after restart")
    seen = _collect(events, lambda s: "after restart" in _messages(s))
    stream.close()
    assert "after restart" in _messages(seen)
