"""Prints the licences of every package in a node_modules tree (what graphiql.min.js bundles
is graphiql's dependency tree; react and react-dom are served as they are), for LICENSES.txt."""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAMES = ("LICENSE", "LICENCE", "COPYING", "LICENSE-MIT")


def packages(root: Path) -> list[Path]:
    return sorted({p.parent for p in root.rglob("package.json")
                   if p.parent.parent.name == "node_modules"
                   or (p.parent.parent.parent.name == "node_modules"
                   and p.parent.parent.name.startswith("@"))})


def licence_text(folder: Path) -> str | None:
    for f in sorted(folder.iterdir()):
        if f.is_file() and f.name.upper().split(".")[0] in NAMES:
            return f.read_text(encoding="utf-8", errors="replace").strip()
    return None


def main(root: Path) -> None:
    top = json.loads((root / ".package-lock.json").read_text())
    print("Third-party software served with GraphiQL (server/static/graphiql/), from the npm")
    print("packages pinned in tools/graphiql/package-lock.json; rebuild: tools/graphiql/build.sh")
    print(f"Packages: {len(top['packages'])}\n")
    for folder in packages(root):
        meta = json.loads((folder / "package.json").read_text())
        if "name" not in meta or "version" not in meta:
            continue  # a nested package.json that only sets "type"
        spdx = meta.get("license")
        if isinstance(spdx, dict):
            spdx = spdx.get("type")
        print("=" * 78)
        print(f"{meta['name']}@{meta['version']} — {spdx or 'licence not declared'}")
        print("=" * 78)
        print(licence_text(folder) or f"(no licence file in the package; declared: {spdx})")
        print()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
