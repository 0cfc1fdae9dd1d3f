#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shared library exports exactly the functions that include/parn.h declares."""
import re
import subprocess
import sys

header, library = sys.argv[1], sys.argv[2]
declared = set(re.findall(r"PARN_API\s[^;(]*?\b(parn_\w+)\s*\(", open(header).read()))
nm = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True, check=True)
exported = {line.split()[-1] for line in nm.stdout.splitlines() if line.split()[1:2] in (["T"], ["W"])}
exported = {s for s in exported if not s.startswith("_")}
missing, extra = sorted(declared - exported), sorted(exported - declared)
for name in missing:
    print("declared but not exported:", name)
for name in extra:
    print("exported but not declared:", name)
print(f"{len(declared)} declared, {len(exported)} exported")
sys.exit(1 if missing or extra or not declared else 0)
