"""Module import cycles in a Rust crate's source folder.

Nodes are module files (a/b.rs or a/b/mod.rs); an edge is a `crate::x::y` path in code
(not in comments, not in `#[cfg(test)] mod tests`), resolved to the longest module it
names. Prints the strongly connected components larger than one module (groups of
modules that import each other, directly or around a loop) and exits 1 if there are any.

    python3 scripts/modcycles.py crates/server/src

.ci/run runs it on the server crate, which has none: each layer imports only the
ones below it (the crate's lib.rs doc comment).
"""
import os, re, sys
root = sys.argv[1]
mods = {}
for d, _, files in os.walk(root):
    for f in files:
        if not f.endswith('.rs'): continue
        p = os.path.join(d, f); rel = os.path.relpath(p, root)[:-3].split(os.sep)
        if rel[-1] == 'mod': rel = rel[:-1]
        if rel == ['lib']: rel = []
        mods['::'.join(rel)] = p
def resolve(path):
    parts = path.split('::')
    for n in range(len(parts), 0, -1):
        k = '::'.join(parts[:n])
        if k in mods: return k
    return None
edges = {m: set() for m in mods}
pat = re.compile(r'crate::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)')
brace = re.compile(r'use crate::\{([^;]*)\};', re.S)
for m, p in mods.items():
    src = open(p).read()
    src = re.sub(r'//[^\n]*', '', src)
    src = re.sub(r'#\[cfg\(test\)\]\s*mod tests\s*\{.*', '', src, flags=re.S)
    targets = [x for x in pat.findall(src)]
    for b in brace.findall(src):
        for item in re.split(r',', re.sub(r'\{[^}]*\}', '', b)):
            item = item.strip().split(' ')[0]
            if item: targets.append(item)
    for t in targets:
        r = resolve(t)
        if r is not None and r != m and r != '' : edges[m].add(r)
idx = {}; low = {}; st = []; on = set(); out = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: out.append(sorted(comp))
for v in edges:
    if v not in idx: sc(v)
print(f"{len(mods)} modules; cycles (SCCs > 1): {len(out)}")
for comp in sorted(out, key=len, reverse=True): print(len(comp), comp)
sys.exit(1 if out else 0)
