"""Regenerate config/aws_types.json: the EC2 instance types, RDS for PostgreSQL DB instance classes
and ElastiCache node types AWS offers, which the configuration checks its keys against.

    pipenv run catalog                             # RDS and ElastiCache from cfn-lint on GitHub (network)
    pipenv run catalog --cfn-lint ~/src/cfn-lint   # ... from a local checkout of it (no network)

Sources:
- EC2 instance types: the EC2 API's own ``InstanceType`` enum in the service model of the
  installed botocore (``botocore/data/ec2/<version>/service-2.json``), so the list moves with the
  pinned botocore. No network.
- RDS for PostgreSQL DB instance classes and ElastiCache node types: AWS's Price List API
  (products of family "Database Instance" for the postgres engine, "Cache Instance"), as AWS's
  CloudFormation linter collects it in every region (aws-cloudformation/cfn-lint,
  scripts/update_specs_from_pricing.py, into src/cfnlint/data/schemas/extensions/
  aws_rds_dbinstance/dbinstanceclass_enum.json and aws_elasticache_cachecluster/
  cachenodetype_enum.json). A class counts when some region prices it. The price list holds a
  class for every engine version ever offered, so an old class (db.m4) passes here and is refused
  by AWS for a current PostgreSQL major; RDS's own answer per version and region is
  ``aws rds describe-orderable-db-instance-options --engine postgres``.

Nothing here runs in the tests except on files given to it; the catalog it wrote is committed.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tools.common import Parser

CATALOG = Path(__file__).resolve().parents[1] / "config" / "aws_types.json"
CFN_LINT = "aws-cloudformation/cfn-lint"
CFN_LINT_FILES = {
    "rds": "src/cfnlint/data/schemas/extensions/aws_rds_dbinstance/dbinstanceclass_enum.json",
    "elasticache": "src/cfnlint/data/schemas/extensions/aws_elasticache_cachecluster/cachenodetype_enum.json",
}
RAW = "https://raw.githubusercontent.com/{repo}/{ref}/{path}"


def ec2_instance_types() -> tuple[list[str], str]:
    """The EC2 API's InstanceType enum from the installed botocore, and where it came from."""
    import botocore
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    names = list(model.shape_for("InstanceType").enum)
    source = f"botocore {botocore.__version__}, data/ec2/{model.api_version}/service-2.json, shape InstanceType"
    return sorted(set(names)), source


def priced(data: dict[str, Any], engine: str | None = None) -> list[str]:
    """Every name some region prices in cfn-lint's pricing data: ``{region: {"enum": [...]}}``, or
    ``{region: {"allOf": [{"if": {"properties": {"Engine": {"const": engine}}}, "then": {...}}]}}``
    for RDS, where only the rules of ``engine`` count."""
    names: set[str] = set()
    for region in data.values():
        if not isinstance(region, dict):
            continue  # the file's "description"
        names.update(region.get("enum", ()))
        for rule in region.get("allOf", ()):
            condition = rule.get("if", {}).get("properties", {}).get("Engine")
            if isinstance(condition, dict) and condition.get("const") == engine:
                names.update(rule["then"]["properties"]["DBInstanceClass"]["enum"])
    return sorted(names)


def by_family(names: Iterable[str]) -> dict[str, list[str]]:
    """``m6i.large`` and ``m6i.xlarge`` as ``{"m6i": ["large", "xlarge"]}`` (the last dot splits)."""
    families: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        family, _, size = name.rpartition(".")
        families.setdefault(family, []).append(size)
    return dict(sorted(families.items()))


def read_cfn_lint(source: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """cfn-lint's RDS and ElastiCache pricing data from a local checkout, or from GitHub at the
    git ref ``source`` (a branch, tag or commit); and how to name what was read."""
    local = Path(source).expanduser()
    if local.is_dir():
        loaded = {kind: json.loads((local / path).read_text()) for kind, path in CFN_LINT_FILES.items()}
        head = subprocess.run(["git", "-C", str(local), "log", "-1", "--format=%H of %cs"], capture_output=True, text=True)
        ref = head.stdout.strip() if head.returncode == 0 else "a local copy"
        return loaded["rds"], loaded["elasticache"], f"{CFN_LINT} at {ref}"
    loaded = {}
    for kind, path in CFN_LINT_FILES.items():
        with urllib.request.urlopen(RAW.format(repo=CFN_LINT, ref=source, path=path), timeout=120) as response:
            loaded[kind] = json.load(response)
    return loaded["rds"], loaded["elasticache"], f"{CFN_LINT} at {source}"


def build(
    ec2: tuple[list[str], str], rds: dict[str, Any], elasticache: dict[str, Any], cfn_lint: str, today: datetime.date
) -> dict[str, Any]:
    names, ec2_source = ec2
    return {
        "generated": today.isoformat(),
        "command": "pipenv run catalog (tools/catalog.py)",
        "sources": {
            "ec2_instance_types": ec2_source,
            "rds_postgres_instance_classes": (
                f"AWS Price List API, Database Instance products of engine postgres priced in some region, as collected by "
                f"{cfn_lint}, {CFN_LINT_FILES['rds']}"
            ),
            "elasticache_node_types": (
                f"AWS Price List API, Cache Instance products priced in some region, as collected by {cfn_lint}, "
                f"{CFN_LINT_FILES['elasticache']}"
            ),
        },
        "ec2_instance_types": by_family(names),
        "rds_postgres_instance_classes": by_family(priced(rds, "postgres")),
        "elasticache_node_types": by_family(priced(elasticache)),
    }


def dumps(catalog: dict[str, Any]) -> str:
    """JSON with one family per line, so a regeneration's diff shows what AWS added or dropped."""
    lines = ["{"]
    for index, (name, value) in enumerate(catalog.items()):
        comma = "," if index < len(catalog) - 1 else ""
        if name in ("generated", "command"):
            lines.append(f"  {json.dumps(name)}: {json.dumps(value)}{comma}")
            continue
        lines.append(f"  {json.dumps(name)}: {{")
        items = list(value.items())
        for inner, (key, entry) in enumerate(items):
            lines.append(f"    {json.dumps(key)}: {json.dumps(entry)}{',' if inner < len(items) - 1 else ''}")
        lines.append(f"  }}{comma}")
    return "\n".join(lines + ["}"]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="pipenv run catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cfn-lint",
        default="main",
        metavar="DIR_OR_REF",
        help="a local checkout of aws-cloudformation/cfn-lint, or a git ref of it to download (default: main)",
    )
    parser.add_argument("--output", type=Path, default=CATALOG, help=f"where to write (default: {CATALOG})")
    args = parser.parse_args(argv)
    try:
        rds, elasticache, cfn_lint = read_cfn_lint(args.cfn_lint)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read cfn-lint's pricing data from {args.cfn_lint}: {exc}", file=sys.stderr)
        return 2
    catalog = build(ec2_instance_types(), rds, elasticache, cfn_lint, datetime.date.today())
    args.output.write_text(dumps(catalog))
    counts = ", ".join(f"{sum(len(v) for v in catalog[k].values())} {k}" for k in list(catalog)[3:])
    print(f"wrote {args.output}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
