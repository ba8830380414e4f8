#!/usr/bin/env python3
"""Parallel-test-form assembly as a 0-1 integer program solved with HiGHS.

Benchmark baseline for SkillCert's own assembly heuristic.

Usage:
    assembly_highs.py INSTANCE.json [--time-limit 60] [--forms N]
        [--overlap auto|pairwise|aggregate|relaxed] [--pool auto|full|restrict]
        [--pool-factor 2] [--pool-seed 0] [--x-budget 1000000]
        [--pairwise-budget 2000000] [--threads T] [--highs-log FILE]
        [--kill-grace 5] [--highs-option NAME=VALUE ...]

Prints exactly ONE JSON object on stdout (HiGHS's own console output is sent
to stderr / switched off) and exits 0 for every solver outcome, including
"time limit reached without a solution"; it exits 1 only for bad input or
a crash (and still prints a JSON object with "status": "Error: ...").

THE ORIGINAL PROBLEM
--------------------
Forms f = 1..F, items i (each in one cell c(i), difficulty d_i, points p_i =
pointsEach of its cell), x[f,i] in {0,1}:
  (C) sum_{i in cell c} x[f,i] = count_c                 for every form, cell
  (D) P(t - tol) <= sum_i p_i d_i x[f,i] <= P(t + tol)   for every form, where
      P = sum_c count_c * pointsEach_c is the (fixed) points total of a form,
      i.e. the points-weighted mean difficulty lies in target +- tolerance
      (modelled as one ranged row, which is the same as two inequalities)
  (E) x[f,a] + x[f,b] <= 1                               for every form, enemy pair
  (O) sum_i x[f,i] x[g,i] <= K                           for every pair of forms
There is no objective (pure feasibility), so the first feasible point HiGHS
finds is reported as "Optimal".

Model sizes at the target scale (F = 100, ~100k items): x alone has F*N =
10M binaries, and the standard linearisation of (O) -- z[f,g,i] >= x[f,i] +
x[g,i] - 1, sum_i z[f,g,i] <= K -- adds F(F-1)/2 * N = 495M more columns.
Neither fits, so the script applies the following reductions, each one
reported in the JSON ("restricted", "relaxed", "model", "note").

REDUCTION 1 -- candidate pool (a RESTRICTION, hence sound)
    If F * (usable items) > --x-budget (or --pool restrict), each cell's
    candidates are cut to a deterministic random subset (numpy
    default_rng(--pool-seed)) of size min(|cell|, ceil(pool_factor * count_c * F)).
    Items outside the pool are simply not offered, so every solution of the
    reduced model is a solution of the original; but "infeasible" or a
    time-out on the reduced model says nothing definite about the original.
    (Items of cells with count 0 and items whose cell is not listed can never
    be placed and are dropped in every mode; that loses nothing.)

REDUCTION 2 -- the overlap constraint (O), one of:
  pairwise  EXACT on the candidate pool: continuous z[f,g,j] in [0,1] with
            x[f,j] + x[g,j] - z[f,g,j] <= 1 and sum_j z[f,g,j] <= K per pair.
            (z need not be integer: at integral x the cheapest z is exactly
            x[f,j] x[g,j].)  Used by --overlap auto when
            F(F-1)/2 * pool <= --pairwise-budget.
  aggregate SOUND RESTRICTION, aggregated over form pairs. With the usage
            y_j = sum_f x[f,j], the total overlap over all pairs of forms is
            sum_{f<g} |f & g| = sum_j C(y_j, 2). Requiring that TOTAL to be
            <= K implies every single pair has overlap <= K, so (O) holds.
            C(y,2) is convex on the integers and equals max_k (k*y - k(k+1)/2),
            so it is modelled exactly with continuous w_j >= k*y_j - k(k+1)/2
            (k = 1..ymax-1), sum_j w_j <= K, and the valid bound y_j <= ymax
            (the largest y with C(y,2) <= K). Cost: pool extra columns and
            ~ymax*pool rows with 2 nonzeros instead of F^2/2*pool.
            It is much stronger than (O) (at most K re-uses in total, i.e.
            forms are nearly disjoint), so it can be infeasible when the
            original is not: used by --overlap auto only when a supply check
            does not already prove it infeasible (for each cell, spreading
            count_c*F uses evenly over its pool items must keep sum C(y,2) <= K).
  relaxed   A RELAXATION, used by --overlap auto only when the aggregate
            restriction is provably infeasible: the implied (but much weaker)
            total-overlap budget sum_j C(y_j,2) <= K*F(F-1)/2, with C(y,2)
            under-estimated by tangents at k in {1,2,3,4,6,8,12,...}. Every
            original solution satisfies it, but its solutions may break (O);
            the verifier counts those breaches.

VERIFICATION
    Whatever was solved, the rounded incumbent is checked against ALL the
    original constraints on the original data (exact per-cell counts,
    difficulty window, every enemy pair on every form, every pair of forms'
    overlap), and "violations" is the number of violated constraint
    instances (a (form, cell) count, a form's window, a (form, enemy pair),
    a (form, form) pair), with a per-kind breakdown in "violationsByKind".
    "formsFound" is the number of forms whose per-cell counts are complete,
    "maxOverlap" the largest overlap between two forms of the solution
    ("overlapLimit" is K). With no incumbent: formsFound 0, violations null.
    To make rounding harmless the window rows are tightened by 1e-6*P points
    (the instance's difficulties have 3 decimals, so nothing is lost).

HIGHS SETTINGS
    Stock HiGHS except presolve=off (DEFAULT_HIGHS_OPTIONS). Measured on the
    generated 100-form / 100k-item instance (restricted model: 2.04M columns,
    6.2M nonzeros): with presolve on, HiGHS 1.16 spends the whole 60 s limit in
    presolve (probing; turning off only probing still took 86 s) and returns no
    solution; with presolve off its feasibility-jump heuristic finds a verified
    solution in ~40 s. On the small instances presolve off was also faster.
    --highs-option presolve=on restores stock behaviour; the options actually
    applied are echoed in "highsOptions".

WALL-CLOCK LIMIT
    HiGHS gets time_limit = --time-limit, but it does not poll its clock
    inside presolve or the feasibility-jump heuristic (observed: 5 s limit,
    solve returned after 7-36 s). So by default the build+solve runs in a
    forked child and a watchdog kills it --kill-grace (5) seconds after the
    limit; the JSON then says "status": "Time limit reached", "killed": true,
    formsFound 0 (an incumbent held by the killed process is lost).
    "timeLimitRespected" is false when HiGHS returned on its own more than 1 s
    late. --kill-grace -1 disables the watchdog (solve in-process).

TIMING
    "buildSeconds": from instance loaded to model fully handed to HiGHS
    (includes pool sampling and all numpy work; excludes JSON parsing, which
    is "loadSeconds"). "solveSeconds": wall time of Highs.run(), which gets
    the HiGHS option time_limit = --time-limit. "peakRssMB": peak resident
    memory of the whole process.
"""
import argparse
import json
import math
import os
import resource
import select
import signal
import sys
import time

import numpy as np

INF = float("inf")
# Deviations from stock HiGHS settings (see "HIGHS SETTINGS" in the docstring); later
# --highs-option arguments override these, e.g. --highs-option presolve=on.
DEFAULT_HIGHS_OPTIONS = ["presolve=off"]


def peak_rss_mb() -> float:
    """Peak RSS of this process and of any (watchdog) child, MiB (ru_maxrss is KiB on Linux)."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024.0


def solve_with_watchdog(args, out) -> int:
    """Runs solve() in a forked child; kills it if HiGHS is still running
    time_limit + kill_grace seconds after the solve started (HiGHS does not poll
    its clock inside presolve or the feasibility-jump heuristic)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: build, solve, verify; report over the pipe
        os.close(r)
        code = 0

        def send(kind, payload):
            os.write(w, (json.dumps({"kind": kind, "out": payload}) + "\n").encode())

        try:
            solve(args, out, progress=lambda partial: send("solving", partial))
            send("done", out)
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            out["status"] = f"Error: {type(e).__name__}: {e}"
            send("error", out)
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    buf, deadline, t_solve, result, kind = b"", None, None, None, None
    killed = False
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
        ready, _, _ = select.select([r], [], [], timeout)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            kind, result = msg["kind"], msg["out"]
            if kind == "solving":
                t_solve = time.perf_counter()
                deadline = t_solve + args.time_limit + args.kill_grace
    os.close(r)
    _, wstatus = os.waitpid(pid, 0)
    if result is not None:
        out.update(result)
    if killed:
        solve_s = time.perf_counter() - t_solve
        out.update({"status": "Time limit reached", "solveSeconds": round(solve_s, 3), "formsFound": 0,
                    "violations": None, "maxOverlap": None, "violationsByKind": None, "killed": True,
                    "timeLimitRespected": True, "mipGap": None, "mipNodes": None})
        out["note"] = (out.get("note", "") + f"; HiGHS ignored time_limit and was still running "
                       f"{solve_s:.1f} s after the solve started: solver process killed "
                       f"(--kill-grace {args.kill_grace:g}), any incumbent lost").lstrip("; ")
        return 0
    if kind == "done":
        return 0
    if kind != "error":
        how = (f"signal {os.WTERMSIG(wstatus)}" if os.WIFSIGNALED(wstatus)
               else f"exit code {os.WEXITSTATUS(wstatus)}")
        out["status"] = f"Error: solver process died ({how}) while " + \
            ("solving" if kind == "solving" else "loading/building")
    return 1


class Rows:
    """Accumulates row blocks in CSR form and adds each block with one addRows call."""

    def __init__(self, h):
        self.h = h
        self.count = 0
        self.nnz = 0

    def add(self, lower, upper, starts, indices, values):
        lower = np.ascontiguousarray(lower, dtype=np.float64)
        upper = np.ascontiguousarray(upper, dtype=np.float64)
        n = len(lower)
        if n == 0:
            return
        starts = np.ascontiguousarray(starts, dtype=np.int32)
        indices = np.ascontiguousarray(indices, dtype=np.int32)
        values = np.ascontiguousarray(values, dtype=np.float64)
        st = self.h.addRows(n, lower, upper, len(indices), starts, indices, values)
        if str(st) not in ("HighsStatus.kOk", "HighsStatus.kWarning"):
            raise RuntimeError(f"addRows failed: {st}")
        self.count += n
        self.nnz += len(indices)


def add_cols(h, lower, upper, integer):
    """Adds len(lower) columns with no matrix entries; returns the first index."""
    first = h.getNumCol()
    n = len(lower)
    h.addVars(n, np.ascontiguousarray(lower, dtype=np.float64), np.ascontiguousarray(upper, dtype=np.float64))
    if integer:
        idx = np.arange(first, first + n, dtype=np.int32)
        h.changeColsIntegrality(n, idx, np.ones(n, dtype=np.uint8))  # 1 = kInteger
    return first


def tangent_ks(ymax, dense):
    """k values of the tangent lines w >= k*y - k(k+1)/2 (all 1..ymax-1 if dense)."""
    if ymax <= 1:
        return []
    if dense:
        return list(range(1, ymax))
    ks, k = set(), 1
    while k < ymax:
        ks.add(k)
        if k + k // 2 < ymax:
            ks.add(k + k // 2)
        k *= 2
    return sorted(ks)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instance")
    ap.add_argument("--time-limit", type=float, default=60.0, help="HiGHS time_limit for the solve, seconds (default 60)")
    ap.add_argument("--forms", type=int, default=None, help="override the instance's number of forms")
    ap.add_argument("--overlap", choices=["auto", "pairwise", "aggregate", "relaxed"], default="auto")
    ap.add_argument("--pool", choices=["auto", "full", "restrict"], default="auto")
    ap.add_argument("--pool-factor", type=float, default=2.0, help="c in pool size min(|cell|, ceil(c*count*F))")
    ap.add_argument("--pool-seed", type=int, default=0)
    ap.add_argument("--x-budget", type=int, default=1_000_000, help="auto pool: restrict when F*items exceeds this")
    ap.add_argument("--pairwise-budget", type=int, default=2_000_000, help="auto overlap: max z columns for the exact model")
    ap.add_argument("--threads", type=int, default=0, help="HiGHS threads (0 = HiGHS default)")
    ap.add_argument("--highs-log", default=None, help="write the HiGHS log to this file")
    ap.add_argument("--kill-grace", type=float, default=5.0,
                    help="watchdog: kill the solver this many seconds after --time-limit if HiGHS has not "
                         "stopped by itself (default 5; negative = no watchdog, solve in-process)")
    ap.add_argument("--highs-option", action="append", default=[], metavar="NAME=VALUE",
                    help="extra HiGHS option, repeatable (e.g. presolve_rule_off=32768)")
    args = ap.parse_args()

    # HiGHS prints its banner and log on the C-level stdout; keep fd 1 for our JSON only.
    sys.stdout.flush()
    real_stdout = os.dup(1)
    os.dup2(2, 1)

    out = {"solver": "HiGHS", "status": "Error", "buildSeconds": None, "solveSeconds": None,
           "forms": args.forms, "formsFound": 0, "violations": None, "maxOverlap": None,
           "restricted": None, "note": ""}
    rc = 0
    try:
        if args.kill_grace < 0:
            solve(args, out)
        else:
            rc = solve_with_watchdog(args, out)
    except Exception as e:  # report, do not hide
        out["status"] = f"Error: {type(e).__name__}: {e}"
        rc = 1
    out["peakRssMB"] = round(peak_rss_mb(), 1)

    sys.stdout.flush()
    os.dup2(real_stdout, 1)
    os.close(real_stdout)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return rc


def solve(args, out, progress=lambda partial: None):
    import highspy

    t_load = time.perf_counter()
    with open(args.instance) as fh:
        inst = json.load(fh)
    F = int(args.forms if args.forms is not None else inst["forms"])
    K = int(inst["maxOverlap"])
    target = float(inst["difficultyTarget"])
    tol = float(inst["difficultyTolerance"])
    cells = inst["cells"]
    cell_index = {c["key"]: k for k, c in enumerate(cells)}
    count = np.array([int(c["count"]) for c in cells], dtype=np.int64)
    pts = np.array([float(c.get("pointsEach", 1)) for c in cells], dtype=np.float64)
    items = inst["items"]
    ids = np.array([int(it["id"]) for it in items], dtype=np.int64)
    icell = np.array([cell_index.get(it["cell"], -1) for it in items], dtype=np.int64)
    diff = np.array([float(it["difficulty"]) for it in items], dtype=np.float64)
    enemies = np.array(inst.get("enemies", []), dtype=np.int64).reshape(-1, 2)
    del inst, items
    load_s = time.perf_counter() - t_load
    if len(np.unique(ids)) != len(ids):
        raise ValueError("duplicate item ids")
    id_order = np.argsort(ids)
    sorted_ids = ids[id_order]

    def to_index(v):  # item id -> row position, -1 if unknown
        pos = np.searchsorted(sorted_ids, v)
        pos = np.minimum(pos, len(sorted_ids) - 1)
        return np.where(sorted_ids[pos] == v, id_order[pos], -1)

    en = to_index(enemies) if len(enemies) else enemies
    unknown_enemies = int((en < 0).any(axis=1).sum()) if len(en) else 0
    if len(en):
        en = en[(en >= 0).all(axis=1) & (en[:, 0] != en[:, 1])]
        en = np.unique(np.sort(en, axis=1), axis=0)

    P_total = float((count * pts).sum())
    lo_mean, hi_mean = target - tol, target + tol
    n_cells = len(cells)
    N = len(ids)
    pairs = F * (F - 1) // 2
    notes = []

    # ------------------------------------------------------------------ build
    t_build = time.perf_counter()
    usable = np.flatnonzero((icell >= 0) & (count[np.maximum(icell, 0)] > 0))
    if args.pool == "auto":
        restrict_pool = F * len(usable) > args.x_budget
    else:
        restrict_pool = args.pool == "restrict"
    rng = np.random.default_rng(args.pool_seed)
    pool_parts, cell_start = [], [0]
    pool_restricted = False
    short_cells = []
    for c in range(n_cells):
        members = usable[icell[usable] == c]
        if count[c] > 0 and len(members) < count[c]:
            short_cells.append(cells[c]["key"])
        if restrict_pool:
            cap = int(math.ceil(args.pool_factor * count[c] * F))
            if len(members) > cap:
                members = np.sort(rng.choice(members, size=cap, replace=False))
                pool_restricted = True
        pool_parts.append(members)
        cell_start.append(cell_start[-1] + len(members))
    pool = np.concatenate(pool_parts) if pool_parts else np.zeros(0, dtype=np.int64)
    cell_start = np.array(cell_start, dtype=np.int64)
    Pn = len(pool)
    pos_in_pool = np.full(N, -1, dtype=np.int64)
    pos_in_pool[pool] = np.arange(Pn)

    # choose the overlap formulation
    overlap_trivial = K >= int(count.sum()) or F <= 1
    ymax_restr = 1
    while ymax_restr + 1 <= F and (ymax_restr + 1) * ymax_restr // 2 <= K:
        ymax_restr += 1
    min_total_overlap = 0  # least sum_j C(y_j,2) the pool allows
    supply_infeasible = False
    for c in range(n_cells):
        m, n = int(cell_start[c + 1] - cell_start[c]), int(count[c] * F)
        if n == 0:
            continue
        if m == 0:
            supply_infeasible = True
            continue
        q, r = divmod(n, m)
        if q > ymax_restr or (q == ymax_restr and r > 0):
            supply_infeasible = True
        min_total_overlap += (m - r) * (q * (q - 1) // 2) + r * ((q + 1) * q // 2)
    aggregate_hopeless = supply_infeasible or min_total_overlap > K
    mode = args.overlap
    if overlap_trivial:
        mode = "none"
    elif mode == "auto":
        if pairs * Pn <= args.pairwise_budget:
            mode = "pairwise"
        elif not aggregate_hopeless:
            mode = "aggregate"
        else:
            mode = "relaxed"

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if args.highs_log:
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", args.highs_log)
    h.setOptionValue("time_limit", float(args.time_limit))
    if args.threads:
        h.setOptionValue("threads", int(args.threads))
    applied_options = {"time_limit": float(args.time_limit)}
    for opt in DEFAULT_HIGHS_OPTIONS + args.highs_option:
        name, _, raw = opt.partition("=")
        val = raw
        for conv in (int, float):
            try:
                val = conv(raw)
                break
            except ValueError:
                pass
        if raw.lower() in ("true", "false"):
            val = raw.lower() == "true"
        if str(h.setOptionValue(name, val)) != "HighsStatus.kOk":
            raise ValueError(f"HiGHS rejected option {opt!r}")
        applied_options[name] = val
    # pure feasibility problem: the objective stays 0 (all costs default to 0)

    X0 = add_cols(h, np.zeros(F * Pn), np.ones(F * Pn), integer=True)  # x[f,j] = X0 + f*Pn + j
    rows = Rows(h)
    cell_of_pool = icell[pool]

    # (C) per form and cell: sum x = count   (row covers columns f*Pn + [start_c, end_c))
    # (the pool is ordered by cell and cells with count 0 have no pool items, so for each form
    #  the rows of the active cells tile the form's columns exactly)
    active = np.flatnonzero(count > 0)
    st = (np.arange(F)[:, None] * Pn + cell_start[active][None, :]).ravel()
    idx = X0 + np.arange(F * Pn)
    rhs = np.tile(count[active].astype(np.float64), F)
    rows.add(rhs, rhs, st, idx, np.ones(len(idx)))

    # (D) per form: window on sum p*d*x (one ranged row), tightened by 1e-6*P for rounding safety
    coef = pts[cell_of_pool] * diff[pool]
    margin = 1e-6 * P_total
    lo = np.full(F, P_total * lo_mean + margin)
    hi = np.full(F, P_total * hi_mean - margin)
    rows.add(lo, hi, np.arange(F) * Pn, X0 + np.arange(F * Pn), np.tile(coef, F))

    # (E) per form and enemy pair with both items in the pool
    n_enemy_model = 0
    if len(en):
        ep = pos_in_pool[en]
        ep = ep[(ep >= 0).all(axis=1)]
        n_enemy_model = len(ep)
        if n_enemy_model:
            idx = (X0 + np.arange(F)[:, None, None] * Pn + ep[None, :, :]).ravel()
            m = F * n_enemy_model
            rows.add(np.full(m, -INF), np.ones(m), np.arange(m) * 2, idx, np.ones(2 * m))

    # (O) overlap
    restricted_overlap = relaxed_overlap = False
    if mode == "pairwise":
        fi, gi = np.triu_indices(F, 1)
        Z0 = add_cols(h, np.zeros(pairs * Pn), np.ones(pairs * Pn), integer=False)
        # x[f,j] + x[g,j] - z[p,j] <= 1, one row per (pair, item), built in chunks of pairs
        chunk = max(1, 2_000_000 // max(Pn, 1))
        j = np.arange(Pn)
        for a in range(0, pairs, chunk):
            b = min(pairs, a + chunk)
            pp = np.arange(a, b)
            xf = X0 + fi[pp][:, None] * Pn + j[None, :]
            xg = X0 + gi[pp][:, None] * Pn + j[None, :]
            zz = Z0 + pp[:, None] * Pn + j[None, :]
            idx = np.stack([xf, xg, zz], axis=-1).ravel()
            m = (b - a) * Pn
            rows.add(np.full(m, -INF), np.ones(m), np.arange(m) * 3, idx,
                     np.tile(np.array([1.0, 1.0, -1.0]), m))
        # sum_j z[p,j] <= K
        rows.add(np.full(pairs, -INF), np.full(pairs, float(K)), np.arange(pairs) * Pn,
                 Z0 + np.arange(pairs * Pn), np.ones(pairs * Pn))
    elif mode in ("aggregate", "relaxed"):
        if mode == "aggregate":
            ymax, budget, ks = ymax_restr, float(K), tangent_ks(ymax_restr, dense=True)
            restricted_overlap = True
        else:
            ymax, budget, ks = F, float(K) * pairs, tangent_ks(F, dense=False)
            relaxed_overlap = True
        Y0 = add_cols(h, np.zeros(Pn), np.full(Pn, float(ymax)), integer=False)
        # usage: sum_f x[f,j] - y_j = 0
        idx = np.concatenate([X0 + np.arange(F)[None, :] * Pn + np.arange(Pn)[:, None],
                              (Y0 + np.arange(Pn))[:, None]], axis=1).ravel()
        vals = np.tile(np.concatenate([np.ones(F), [-1.0]]), Pn)
        rows.add(np.zeros(Pn), np.zeros(Pn), np.arange(Pn) * (F + 1), idx, vals)
        if ks:
            W0 = add_cols(h, np.zeros(Pn), np.full(Pn, INF), integer=False)
            for k in ks:  # w_j - k*y_j >= -k(k+1)/2
                idx = np.stack([W0 + np.arange(Pn), Y0 + np.arange(Pn)], axis=1).ravel()
                rows.add(np.full(Pn, -k * (k + 1) / 2.0), np.full(Pn, INF), np.arange(Pn) * 2, idx,
                         np.tile(np.array([1.0, -float(k)]), Pn))
            rows.add([-INF], [budget], [0], W0 + np.arange(Pn), np.ones(Pn))
    build_s = time.perf_counter() - t_build

    n_col, n_row = h.getNumCol(), rows.count
    version = h.version()

    # ------------------------------------------------ describe the model (before solving)
    restricted = bool(pool_restricted or restricted_overlap)
    relaxed = bool(relaxed_overlap)
    if not restricted and not relaxed:
        model = "full"
    elif restricted and not relaxed:
        model = "restriction"
    elif relaxed and not restricted:
        model = "relaxation"
    else:
        model = "restricted pool + relaxed overlap (neither)"
    overlap_desc = {
        "none": f"overlap constraint trivially satisfied (K={K} >= form length or F<=1), not modelled",
        "pairwise": f"overlap exact: pairwise z-linearisation on the pool ({pairs}x{Pn} continuous z)",
        "aggregate": f"overlap RESTRICTED: total overlap over all form pairs sum_j C(y_j,2) <= K={K} "
                     f"(implies every pair <= K; item usage <= {ymax_restr})",
        "relaxed": f"overlap RELAXED: only total overlap sum_j C(y_j,2) <= K*pairs={K * pairs} "
                   f"(implied by the original; pairwise breaches possible, counted by the verifier)",
    }[mode]
    if pool_restricted:
        notes.append(f"candidate pool RESTRICTED to {Pn} of {len(usable)} usable items "
                     f"(per cell min(|cell|, ceil({args.pool_factor:g}*count*F)), seed {args.pool_seed})")
    else:
        notes.append(f"full candidate pool ({Pn} usable items)")
    notes.append(overlap_desc)
    if mode == "aggregate" and aggregate_hopeless:
        notes.append(f"supply check: this restriction is provably infeasible (pool forces total overlap "
                     f">= {min_total_overlap}" + (" / a cell exceeds usage cap" if supply_infeasible else "") + ")")
    if mode == "relaxed" and aggregate_hopeless:
        notes.append(f"aggregate restriction skipped: pool supply forces total overlap >= {min_total_overlap}"
                     + (" / a cell exceeds usage cap" if supply_infeasible else "") + f" > K={K}")
    if short_cells:
        notes.append(f"{len(short_cells)} cell(s) have fewer items than count: original infeasible")
    if unknown_enemies:
        notes.append(f"{unknown_enemies} enemy pair(s) name unknown item ids (ignored)")
    out.update({
        "solver": f"HiGHS {version}",
        "status": "Solving",
        "buildSeconds": round(build_s, 3),
        "forms": F,
        "restricted": restricted,
        "note": "; ".join(notes),
        "relaxed": relaxed,
        "model": model,
        "overlapFormulation": mode,
        "overlapLimit": K,
        "loadSeconds": round(load_s, 3),
        "timeLimit": args.time_limit,
        "highsOptions": applied_options,
        "items": N,
        "poolSize": int(Pn),
        "columns": int(n_col),
        "rows": int(n_row),
        "nonzeros": int(rows.nnz),
        "enemyPairsModelled": int(n_enemy_model),
    })
    progress(out)  # lets a watchdog parent report the model if it has to kill the solve

    # ------------------------------------------------------------------ solve
    t_solve = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - t_solve
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    has_sol = info.primal_solution_status == int(highspy.kSolutionStatusFeasible) or \
        str(info.primal_solution_status).endswith("kSolutionStatusFeasible")

    # ------------------------------------------------------------------ verify
    ver = None
    if has_sol:
        colv = np.asarray(h.getSolution().col_value, dtype=np.float64)
        xsol = colv[X0:X0 + F * Pn].reshape(F, Pn) > 0.5
        ver = verify(xsol, pool, icell, diff, pts, count, en, K, lo_mean, hi_mean)
    mip_gap = float(info.mip_gap) if has_sol and math.isfinite(info.mip_gap) else None
    mip_nodes = int(info.mip_node_count)
    del h

    if restricted and status == "Infeasible":
        notes.append("infeasible RESTRICTED model: says nothing about the original problem")
    if solve_s > args.time_limit + 1.0:
        notes.append(f"HiGHS overran its time_limit by {solve_s - args.time_limit:.1f} s "
                     f"(it does not poll the clock inside presolve / feasibility jump)")
    if not has_sol:
        notes.append("no incumbent: violations not applicable (null)")
    elif ver["violations"] == 0:
        notes.append("solution verified against all original constraints: 0 violations")
    else:
        notes.append(f"solution breaks original constraints: {ver['violationsByKind']}")

    out.update({
        "status": status,
        "solveSeconds": round(solve_s, 3),
        "formsFound": ver["formsFound"] if ver else 0,
        "violations": ver["violations"] if ver else None,
        "maxOverlap": ver["maxOverlap"] if ver else None,
        "note": "; ".join(notes),
        "violationsByKind": ver["violationsByKind"] if ver else None,
        "timeLimitRespected": bool(solve_s <= args.time_limit + 1.0),
        "killed": False,
        "mipGap": mip_gap,
        "mipNodes": mip_nodes,
    })


def verify(xsol, pool, icell, diff, pts, count, en, K, lo_mean, hi_mean, eps=1e-9):
    """Checks the chosen forms against every original constraint, on the original data."""
    F = xsol.shape[0]
    N = len(icell)
    n_cells = len(count)
    A = np.zeros((F, N), dtype=bool)
    fr, jj = np.nonzero(xsol)
    A[fr, pool[jj]] = True
    # (C) exact per-cell counts
    per_cell = np.zeros((F, n_cells), dtype=np.int64)
    f_idx, i_idx = np.nonzero(A)
    c_idx = icell[i_idx]
    stray = int((c_idx < 0).sum())  # items of unlisted cells (cannot happen with this model)
    ok = c_idx >= 0
    np.add.at(per_cell, (f_idx[ok], c_idx[ok]), 1)
    bad_cells = per_cell != count[None, :]
    count_viol = int(bad_cells.sum()) + stray
    complete = int((~bad_cells.any(axis=1)).sum())
    # (D) points-weighted mean difficulty in [target - tol, target + tol]
    p_item = np.where(icell >= 0, pts[np.maximum(icell, 0)], 0.0)
    pw = A.astype(np.float64) @ p_item
    pdw = A.astype(np.float64) @ (p_item * diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(pw > 0, pdw / np.where(pw > 0, pw, 1), np.nan)
    diff_viol = int((~((mean >= lo_mean - eps) & (mean <= hi_mean + eps))).sum())
    # (E) enemies
    enemy_viol = int((A[:, en[:, 0]] & A[:, en[:, 1]]).sum()) if len(en) else 0
    # (O) pairwise overlap
    Af = A.astype(np.float32)
    ov = np.rint(Af @ Af.T).astype(np.int64)
    iu = np.triu_indices(F, 1)
    pair_ov = ov[iu]
    overlap_viol = int((pair_ov > K).sum())
    max_ov = int(pair_ov.max()) if len(pair_ov) else 0
    kinds = {"count": count_viol, "difficulty": diff_viol, "enemy": enemy_viol, "overlap": overlap_viol}
    return {"violations": sum(kinds.values()), "violationsByKind": kinds,
            "formsFound": complete, "maxOverlap": max_ov}


if __name__ == "__main__":
    sys.exit(main())
