"""``make package``: the SAM template and the Lambda deployment zip for one stage.

``python -m infra.package --stage prod build/package`` runs, in order:

1. ``infra.template``: the merge template (``build/merge-<stage>.json``) and the policy files;
2. ``chalice package --stage <stage> --merge-template build/merge-<stage>.json build/package``,
   which downloads manylinux wheels for Lambda (cached in ``.chalice/deployments/`` per
   requirements; offline with ``PIP_NO_INDEX=1 PIP_FIND_LINKS=wheelhouse``, see the README, "Offline build");
3. a pruning pass over ``deployment.zip``: botocore's API models for the services the app calls
   (``BOTOCORE_SERVICES``) and babel's locale data for the app's locales (``LOCALES``) only. The
   two are most of the zip (botocore ships a model for every AWS service, babel every CLDR locale)
   and the app never loads the rest. The same pass adds compiled bytecode for the modules the app
   loads (see ``prune``), which halves the cold import of the packaged app. 36 MB become 15 MB.

The caller runs ``cfn-lint`` on the resulting ``sam.json`` (the Makefile and ``tests/deploy`` do).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.scheduling.model import LOCALES
from infra import template

# Every AWS service the app's code creates a client for (tests/deploy checks the code for others).
BOTOCORE_SERVICES = ("dynamodb", "sesv2", "sns", "ssm", "sts")
DEFAULT_REGION = "eu-west-1"  # chalice package wants one; the template itself names no region
MB = 1024 * 1024


def keep(name: str) -> bool:
    """Whether a path of the deployment zip stays."""
    parts = name.split("/")
    if parts[0] == "botocore" and len(parts) > 3 and parts[1] == "data":
        return parts[2] in BOTOCORE_SERVICES  # botocore/data/<service>/<api version>/...
    if parts[:2] == ["babel", "locale-data"] and len(parts) == 3 and parts[2].endswith(".dat"):
        locale = parts[2].removesuffix(".dat")
        return locale == "root" or locale.split("_")[0] in LOCALES  # ca, ca_ES, es_419, en_GB...
    return True


# Run in the unpacked zip, on its own packages (python -S -E): imports the app, every module of
# chalicelib, and every module chalicelib names in an import statement (most are imported lazily,
# inside functions); prints the files of the modules then loaded, as JSON.
_IMPORT_PROBE = """
import ast, importlib, json, pathlib, pkgutil, sys
sys.path.insert(0, '.')
import app, chalicelib
names = [m.name for m in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.')]
for path in pathlib.Path('chalicelib').rglob('*.py'):
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module] + [node.module + '.' + alias.name for alias in node.names]
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass
root = pathlib.Path('.').resolve()
files = {getattr(m, '__file__', None) for m in list(sys.modules.values())}
print(json.dumps(sorted(str(pathlib.Path(f).resolve().relative_to(root)) for f in files
                        if f and f.endswith('.py') and pathlib.Path(f).resolve().is_relative_to(root))))
"""


def imported_modules(tree: Path) -> list[str]:
    """The zip's .py files the app loads (see ``_IMPORT_PROBE``), relative to ``tree``."""
    run = subprocess.run([sys.executable, "-S", "-E", "-c", _IMPORT_PROBE], cwd=tree, check=True,
                         capture_output=True, text=True, env={"AWS_DEFAULT_REGION": DEFAULT_REGION})
    return json.loads(run.stdout.strip().splitlines()[-1])


def prune(zip_path: Path) -> tuple[int, int]:
    """Rewrite the zip without what ``keep`` drops, with bytecode added; returns (bytes before, after).

    Lambda's code directory is read-only, so Python cannot cache the bytecode it compiles: without
    ``__pycache__`` in the zip, every cold start compiles every module it imports (measured here,
    where PYTHONDONTWRITEBYTECODE=1 has the same effect: about twice the import time). Bytecode is
    added for the modules the app loads (``imported_modules``), not for every module of every
    package (that would add 7 MB): "unchecked-hash" .pyc, used without comparing timestamps
    (Chalice dates every entry 1980-01-01), for CPython 3.11 (Lambda's python3.11), the interpreter
    this runs in. Tracebacks name the files as Lambda has them, under /var/task.
    """
    before = zip_path.stat().st_size
    with tempfile.TemporaryDirectory(prefix="package-") as folder:
        tree = Path(folder)
        modes = {}
        with zipfile.ZipFile(zip_path) as source:
            for info in source.infolist():
                if keep(info.filename) and not info.is_dir():
                    source.extract(info, tree)
                    modes[info.filename] = info.external_attr
        for name in imported_modules(tree):
            py_compile.compile(str(tree / name), cfile=importlib.util.cache_from_source(str(tree / name)),
                               dfile=f"/var/task/{name}", doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        pruned = zip_path.with_suffix(".pruned.zip")
        with zipfile.ZipFile(pruned, "w", zipfile.ZIP_DEFLATED) as target:
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                name = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, path.read_bytes())
    pruned.replace(zip_path)
    return before, zip_path.stat().st_size


def chalice(*args: str) -> None:
    """Run the virtualenv's chalice; its progress goes to stderr (stdout is for results, as in benches)."""
    env = {**os.environ}
    env.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    run = subprocess.run([str(Path(sys.executable).parent / "chalice"), *args], cwd=ROOT, env=env,
                         check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stderr.write(run.stdout)
    if run.returncode:
        raise subprocess.CalledProcessError(run.returncode, run.args, run.stdout)


def build(stage: str, outdir: Path, update_policy_files: bool = True) -> Path:
    """Package ``stage`` into ``outdir`` (emptied first); returns the SAM template's path.

    ``update_policy_files=False`` packages the committed ``.chalice/policy-*.json`` as they are
    (the tests, which check separately that they are up to date).
    """
    outdir = outdir.resolve()
    merge = template.write_merge_template(stage, outdir.parent / f"merge-{stage}.json")
    if update_policy_files:
        for path in template.write_policy_files():
            print(f"updated {path.relative_to(ROOT)}", file=sys.stderr)
    if outdir.exists():
        shutil.rmtree(outdir)
    started = time.perf_counter()
    chalice("package", "--stage", stage, "--merge-template", str(merge), str(outdir))
    before, after = prune(outdir / "deployment.zip")
    print(f"packaged {stage} in {time.perf_counter() - started:.1f} s; deployment.zip pruned from "
          f"{before / MB:.1f} MB to {after / MB:.1f} MB", file=sys.stderr)
    return outdir / "sam.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="prod")
    parser.add_argument("outdir", type=Path, nargs="?", default=ROOT / "build" / "package")
    args = parser.parse_args(argv)
    print(build(args.stage, args.outdir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
