// Gureum's runtime client for nodejs functions: imports the handler's
// module from the task root and answers events through the Lambda Runtime
// API named by AWS_LAMBDA_RUNTIME_API, with AWS's error documents.
import { existsSync, writeSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";

const base = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();

function errorDoc(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || "Error",
      errorMessage: err.message,
      trace: (err.stack || "").split("\n"),
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

// The end-of-output mark on both streams: Gureum waits for it before
// closing the invocation's log, so no line printed before the answer is
// missed.
function mark() {
  writeSync(1, "\0GUREUM-END\n");
  writeSync(2, "\0GUREUM-END\n");
}

async function post(p, doc, errorType) {
  const headers = { "Content-Type": "application/json" };
  if (errorType) headers["Lambda-Runtime-Function-Error-Type"] = errorType;
  await fetch(base + p, { method: "POST", body: JSON.stringify(doc), headers });
}

async function initError(message, errorType) {
  const doc = { errorType, errorMessage: message, trace: [] };
  console.error(`${new Date().toISOString()}\tundefined\tERROR\t${JSON.stringify(doc)}`);
  await post("/init/error", doc, errorType);
  process.exit(1);
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  if (dot < 0) {
    return initError(`Bad handler ${spec}`, "Runtime.MalformedHandlerName");
  }
  const moduleName = spec.slice(0, dot);
  const name = spec.slice(dot + 1);
  let file = null;
  for (const ext of [".mjs", ".js", ".cjs"]) {
    const candidate = path.resolve(taskRoot, moduleName + ext);
    if (existsSync(candidate)) { file = candidate; break; }
  }
  if (!file) {
    return initError(`Error: Cannot find module '${moduleName}'`, "Runtime.ImportModuleError");
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    return initError(`${err.name}: ${err.message}`, err instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError");
  }
  const handler = mod[name] ?? (mod.default && mod.default[name]);
  if (typeof handler !== "function") {
    return initError(`${spec} is undefined or not exported`, "Runtime.HandlerNotFound");
  }
  return handler;
}

function context(headers) {
  const deadline = Number(headers.get("lambda-runtime-deadline-ms") || 0);
  const cc = headers.get("lambda-runtime-client-context");
  return {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    awsRequestId: headers.get("lambda-runtime-aws-request-id"),
    invokedFunctionArn: headers.get("lambda-runtime-invoked-function-arn"),
    clientContext: cc ? JSON.parse(cc) : undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function run(handler, event, ctx) {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const r = handler(event, ctx, (err, value) => (err ? reject(err) : resolve(value)));
      if (r && typeof r.then === "function") r.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, ctx));
}

// Response streaming as AWS's Node.js runtime offers it:
// `awslambda.streamifyResponse(handler)` marks a handler that gets a
// writable stream, sent to the Runtime API in its streaming response mode
// (chunked; an error after the first byte goes in the trailers), and
// `awslambda.HttpResponseStream.from(stream, prelude)` writes a function
// URL's status and headers ahead of the body.
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
globalThis.awslambda = {
  streamifyResponse(fn) {
    fn[STREAMING] = "response";
    return fn;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType("application/vnd.awslambda.http-integration-response");
      stream.write(JSON.stringify(prelude));
      stream.write(new Uint8Array(8));
      return stream;
    },
  },
};

class ResponseStream extends Writable {
  constructor(requestId) {
    super();
    this.requestId = requestId;
    this.contentType = "application/octet-stream";
    this.req = null;
    this.answered = null;
  }
  setContentType(type) {
    this.contentType = type;
  }
  open() {
    if (this.req) return this.req;
    const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
    this.req = http.request({
      host, port, method: "POST",
      path: `/2018-06-01/runtime/invocation/${this.requestId}/response`,
      headers: {
        "Content-Type": this.contentType,
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        "Transfer-Encoding": "chunked",
        "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      },
    });
    this.answered = new Promise((resolve, reject) => {
      this.req.on("response", (res) => { res.resume(); res.on("end", resolve); });
      this.req.on("error", reject);
    });
    this.req.flushHeaders();
    return this.req;
  }
  _write(chunk, encoding, callback) {
    this.open().write(chunk, callback);
  }
  _final(callback) {
    this.open().end(callback);
  }
  fail(err) {
    const doc = errorDoc(err);
    const req = this.open();
    req.addTrailers({
      "Lambda-Runtime-Function-Error-Type": doc.errorType,
      "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(doc)).toString("base64"),
    });
    req.end();
  }
}

async function runStreaming(handler, event, ctx, requestId) {
  const stream = new ResponseStream(requestId);
  try {
    await handler(event, stream, ctx);
    if (!stream.writableFinished) {
      await new Promise((resolve) => { stream.once("finish", resolve); if (!stream.writableEnded) stream.end(); });
    }
  } catch (err) {
    const doc = errorDoc(err);
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(doc)}`);
    mark();
    stream.fail(err);
    stream.open();
    await stream.answered;
    return;
  }
  mark();
  stream.open();
  await stream.answered;
}

const handler = await loadHandler();
for (;;) {
  const next = await fetch(base + "/invocation/next");
  const requestId = next.headers.get("lambda-runtime-aws-request-id");
  const text = await next.text();
  if (handler[STREAMING] === "response") {
    await runStreaming(handler, text ? JSON.parse(text) : null, context(next.headers), requestId);
    continue;
  }
  try {
    const event = text ? JSON.parse(text) : null;
    const result = await run(handler, event, context(next.headers));
    mark();
    await post(`/invocation/${requestId}/response`, result === undefined ? null : result);
  } catch (err) {
    // The memory limit (RLIMIT_DATA) refused an allocation: end the way
    // Lambda's sandbox ends a function over its memory.
    if (err instanceof RangeError && /allocation failed/.test(err.message)) process.kill(process.pid, "SIGKILL");
    const doc = errorDoc(err);
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(doc)}`);
    mark();
    await post(`/invocation/${requestId}/error`, doc, "Unhandled");
  }
}
