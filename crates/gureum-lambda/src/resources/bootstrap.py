# Gureum's runtime client for python3.x functions: imports the handler's
# module from the task root and answers events through the Lambda Runtime
# API named by AWS_LAMBDA_RUNTIME_API, with AWS's error documents.
import http.client
import importlib
import json
import os
import signal
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


_conn = None


def call(method, path, body=None, headers=None):
    # One keep-alive connection to the Runtime API (a new one per call
    # costs both sides a connection and Gureum a thread), made again if
    # it breaks.
    global _conn
    for attempt in (0, 1):
        if _conn is None:
            _conn = http.client.HTTPConnection(API, timeout=None)
        try:
            _conn.request(method, PREFIX + path, body=body, headers=headers or {})
            resp = _conn.getresponse()
            return resp, resp.read()
        except (http.client.HTTPException, OSError):
            _conn.close()
            _conn = None
            if attempt:
                raise


def answer(path, body, headers=None):
    # The end-of-output mark on both streams first: Gureum waits for it
    # before closing the invocation's log, so no line printed before the
    # answer is missed.
    os.write(1, b"\0GUREUM-END\n")
    os.write(2, b"\0GUREUM-END\n")
    return call("POST", path, body, headers)


def error_doc(exc, request_id, drop_frames=0):
    frames = traceback.extract_tb(exc.__traceback__)[drop_frames:]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(doc):
    lines = "".join(doc.get("stackTrace", []))
    sys.stderr.write(
        "[ERROR] %s: %s\nTraceback (most recent call last):\n%s"
        % (doc["errorType"], doc["errorMessage"], lines)
    )
    sys.stderr.flush()


def init_error(message, error_type):
    doc = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}
    log_error(doc)
    call("POST", "/init/error", json.dumps(doc),
         {"Lambda-Runtime-Function-Error-Type": error_type})
    sys.exit(1)


class Context:
    def __init__(self, headers):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        cc = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = json.loads(cc) if cc else None
        self.identity = None

    def get_remaining_time_in_millis(self):
        return max(self._deadline - int(time.time() * 1000), 0)


def load_handler():
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    spec = os.environ.get("_HANDLER", "")
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as e:
        init_error("Bad handler '%s': %s" % (spec, e), "Runtime.MalformedHandlerName")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        init_error("Unable to import module '%s': %s" % (module_name, e), "Runtime.ImportModuleError")
    except SyntaxError as e:
        init_error("Syntax error in module '%s': %s" % (module_name, e), "Runtime.UserCodeSyntaxError")
    except Exception as e:
        doc = error_doc(e, "")
        log_error(doc)
        call("POST", "/init/error", json.dumps(doc),
             {"Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"})
        sys.exit(1)
    handler = getattr(module, function_name, None)
    if handler is None:
        init_error("Handler '%s' missing on module '%s'" % (function_name, module_name),
                   "Runtime.HandlerNotFound")
    return handler


def main():
    handler = load_handler()
    while True:
        resp, body = call("GET", "/invocation/next")
        headers = {k: v for k, v in resp.getheaders()}
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        try:
            event = json.loads(body) if body else None
            result = handler(event, Context(headers))
        except MemoryError:
            # The memory limit (RLIMIT_DATA) refused an allocation: end the
            # way Lambda's sandbox ends a function over its memory.
            os.kill(os.getpid(), signal.SIGKILL)
        except Exception as e:
            doc = error_doc(e, request_id, drop_frames=1)
            log_error(doc)
            answer("/invocation/%s/error" % request_id, json.dumps(doc),
                   {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
            continue
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as e:
            doc = {"errorMessage": "Unable to marshal response: %s" % e,
                   "errorType": "Runtime.MarshalError", "requestId": request_id, "stackTrace": []}
            log_error(doc)
            answer("/invocation/%s/error" % request_id, json.dumps(doc),
                   {"Lambda-Runtime-Function-Error-Type": "Runtime.MarshalError"})
            continue
        answer("/invocation/%s/response" % request_id, payload)


main()
