#!/usr/bin/env python3
"""Start a new service crate in the kit's shape (docs/NEW_SERVICE.md).

    scripts/new-service.py budgets --thing budget --operation DescribeBudgets

renders templates/service/ into crates/gureum-<crate>/ (lib.rs with the
operations table, errors.rs with the declared-errors test, one module for
the first resource, tests.rs), adds the crate to the workspace and to
gureum-server's registry, and prints what is left to do. The model must be
vendored first (scripts/vendor-models.py). The result builds and its tests
pass as generated; every operation beyond the first still answers
NotImplemented until it is written.
"""
import argparse
import json
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "service"


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def camel(name):
    return "".join(part.capitalize() for part in re.split(r"[-_]", name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="the vendored model's name (models/<model>.json)")
    ap.add_argument("--crate", help="crate suffix (default: the model name without dashes)")
    ap.add_argument("--thing", default="item", help="the first resource, singular snake_case")
    ap.add_argument("--operation", help="the first operation (default: the model's first List*)")
    args = ap.parse_args()

    model_path = REPO / "models" / f"{args.model}.json"
    if not model_path.exists():
        sys.exit(f"no models/{args.model}.json: vendor it first (scripts/vendor-models.py)")
    model = json.loads(model_path.read_text())
    operations = sorted(model["operations"])
    operation = args.operation or next((o for o in operations if o.startswith("List")), operations[0])
    if operation not in model["operations"]:
        sys.exit(f"{args.model} has no operation {operation}")
    name = args.crate or args.model.replace("-", "")
    crate_dir = REPO / "crates" / f"gureum-{name}"
    if crate_dir.exists():
        sys.exit(f"{crate_dir} exists already")
    errors = [(n, sh) for n, sh in model["shapes"].items() if sh.get("exception")]
    if not errors:
        sys.exit(f"{args.model} declares no error shapes: declare the first error by hand")
    err_name, err_shape = next(((n, sh) for n, sh in errors if "NotFound" in n), errors[0])
    meta = model["metadata"]
    values = {
        "name": name,
        "model": args.model,
        "title": meta.get("serviceFullName", args.model),
        "protocol": meta.get("protocol", "?"),
        "Service": camel(name),
        "thing": args.thing,
        "things": f"{args.thing}s",
        "Thing": camel(args.thing),
        "Operation": operation,
        "operation": snake(operation),
        "error_code": err_shape.get("error", {}).get("code", err_name),
        "error_status": str(err_shape.get("error", {}).get("httpStatusCode", 400)),
    }

    def render(text):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)

    for src in TEMPLATE.rglob("*.tmpl"):
        rel = src.relative_to(TEMPLATE).with_suffix("")
        rel = pathlib.Path(str(rel).replace("things.rs", f"{values['things']}.rs"))
        out = crate_dir / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(src.read_text()))

    root = REPO / "Cargo.toml"
    text = root.read_text()
    anchor = 'gureum-kit = { path = "crates/gureum-kit" }\n'
    text = text.replace(anchor, anchor + f'gureum-{name} = {{ path = "crates/gureum-{name}" }}\n', 1)
    root.write_text(text)

    server = REPO / "crates" / "gureum-server" / "Cargo.toml"
    text = server.read_text()
    text = text.replace("gureum-core.workspace = true\n",
                        f"gureum-core.workspace = true\ngureum-{name}.workspace = true\n", 1)
    server.write_text(text)

    registry = REPO / "crates" / "gureum-server" / "src" / "registry.rs"
    text = registry.read_text()
    line = f"            Arc::new(gureum_{name.replace('-', '_')}::{values['Service']}Service::new(store.clone())),\n"
    text = text.replace("        let list: Vec<Arc<dyn Service>> = vec![\n",
                        "        let list: Vec<Arc<dyn Service>> = vec![\n" + line, 1)
    registry.write_text(text)

    import subprocess
    subprocess.run(["cargo", "fmt", "-p", f"gureum-{name}"], cwd=REPO, check=False)
    print(f"created {crate_dir.relative_to(REPO)} serving {operation}; registered in gureum-server.")
    print("next: declare errors in errors.rs, write the operations (one method each, named after")
    print("them), tests.rs and tests/e2e/test_<name>.py, then regenerate the coverage table:")
    print("  GUREUM_BLESS=1 cargo test -p gureum-server --test coverage")


if __name__ == "__main__":
    main()
