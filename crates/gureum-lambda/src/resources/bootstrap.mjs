// Gureum's runtime client for nodejs functions: imports the handler's
// module from the task root and answers events through the Lambda Runtime
// API named by AWS_LAMBDA_RUNTIME_API, with AWS's error documents.
import { existsSync } from "node:fs";
import path from "node:path";
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

const handler = await loadHandler();
for (;;) {
  const next = await fetch(base + "/invocation/next");
  const requestId = next.headers.get("lambda-runtime-aws-request-id");
  const text = await next.text();
  try {
    const event = text ? JSON.parse(text) : null;
    const result = await run(handler, event, context(next.headers));
    await post(`/invocation/${requestId}/response`, result === undefined ? null : result);
  } catch (err) {
    const doc = errorDoc(err);
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(doc)}`);
    await post(`/invocation/${requestId}/error`, doc, "Unhandled");
  }
}
