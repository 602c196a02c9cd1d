#!/usr/bin/env python3
"""Writes engine/src/runtime/schedulers/scheduler-vectors.fixture.json: timestep lists,
sigmas and a few full denoising steps on known inputs for each scheduler, computed with
numpy from the formulas diffusers documents (DDIMScheduler, PNDMScheduler with
skip_prk_steps, DDIMInverseScheduler / LAVIS backward_ddim, Euler(Ancestral)DiscreteScheduler,
DPMSolverMultistepScheduler with solver_order 2 / midpoint). Tensors are float32 and every
scalar expression is evaluated in float32, as diffusers does with 0-dim torch tensors.

    /usr/bin/python3 tools/scheduler_vectors.py

numpy only. If torch is importable too, the emulated torch.linspace / torch.cumprod used
for the beta schedules are checked against the real ones before anything is written.
"""
import json
import math
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np

F = np.float32
OUT = Path(__file__).resolve().parent.parent / "engine/src/runtime/schedulers/scheduler-vectors.fixture.json"
SIZE = 48  # values per test tensor: enough to cover signs and magnitudes, small enough to store in full


# ---------------------------------------------------------------- beta schedules

def f32_fma(a, b, c):
    """fma(a, b, c) rounded once to float32: exact rational sum, then float32 rounding."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    r = F(float(exact))  # exact -> double (correctly rounded) -> float32 may round twice
    d = float(exact)
    if Fraction(d) != exact and Fraction(float(r)) != Fraction(d):
        lo = np.nextafter(r, F(-np.inf)) if float(r) > d else r
        hi = r if float(r) > d else np.nextafter(r, F(np.inf))
        mid = (Fraction(float(lo)) + Fraction(float(hi))) / 2
        if Fraction(d) == mid:  # a tie created by the double rounding: the exact value decides
            r = hi if exact > mid else lo
    return F(r)


def torch_linspace_f32(start, end, steps):
    """torch.linspace(..., dtype=float32) on CPU (AVX2 build): see torch-linspace.ts."""
    s, e = F(start), F(end)
    step = F(F(e - s) / F(steps - 1))
    half = steps // 2
    out = np.zeros(steps, dtype=F)

    def at(i):
        return f32_fma(step, F(i), s) if i < half else f32_fma(-step, F(steps - i - 1), e)

    i = 0
    while i <= steps - 16:
        base = at(i)
        for lane in range(8):
            out[i + lane] = F(base + F(F(lane) * step))
        i += 8
    while i < steps:
        out[i] = at(i)
        i += 1
    return out


def betas_for(cfg):
    n = cfg["num_train_timesteps"]
    kind = cfg["beta_schedule"]
    if kind == "linear":
        return torch_linspace_f32(cfg["beta_start"], cfg["beta_end"], n)
    if kind == "scaled_linear":
        r = torch_linspace_f32(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, n)
        return (r * r).astype(F)
    if kind == "squaredcos_cap_v2":
        abar = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return np.array([min(1 - abar((i + 1) / n) / abar(i / n), 0.999) for i in range(n)], dtype=F)
    raise ValueError(kind)


def alphas_cumprod_for(cfg):
    alphas = (F(1) - betas_for(cfg)).astype(F)
    # torch.cumprod on CPU accumulates in double, rounding each partial product to float32
    return np.cumprod(alphas.astype(np.float64)).astype(F)


def check_against_torch(cfgs):
    try:
        import torch
    except ImportError:
        return None
    for cfg in cfgs:
        n = cfg["num_train_timesteps"]
        if cfg["beta_schedule"] == "linear":
            ref = torch.linspace(cfg["beta_start"], cfg["beta_end"], n, dtype=torch.float32)
        elif cfg["beta_schedule"] == "scaled_linear":
            ref = torch.linspace(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, n, dtype=torch.float32) ** 2
        else:
            continue
        assert np.array_equal(ref.numpy(), betas_for(cfg)), cfg
        ac = torch.cumprod(1.0 - ref, dim=0).numpy()
        assert np.array_equal(ac, alphas_cumprod_for(cfg)), cfg
    return torch.__version__


# ---------------------------------------------------------------- timestep lists

def spaced_ascending(cfg, n):
    N = cfg["num_train_timesteps"]
    spacing = cfg.get("timestep_spacing", "leading")
    if spacing == "leading":
        return (np.arange(0, n) * (N // n)).round().astype(np.int64) + cfg["steps_offset"]
    if spacing == "trailing":
        return np.round(np.arange(N, 0, -N / n))[::-1].astype(np.int64) - 1
    return np.linspace(0, N - 1, n).round().astype(np.int64)


def prk_timesteps(cfg, n):
    ts = spaced_ascending(cfg, n)
    half = cfg["num_train_timesteps"] // n // 2
    prk = np.array(ts[-4:]).repeat(2) + np.tile(np.array([0, half]), 4)
    return (prk[:-1].repeat(2)[1:-1])[::-1].copy()


def pndm_timesteps(cfg, n):
    ts = spaced_ascending(cfg, n)
    if not cfg.get("skip_prk_steps", False):
        return np.concatenate([prk_timesteps(cfg, n), ts[:-3][::-1]]).astype(np.int64)
    return np.concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1].copy()


def ddim_timesteps(cfg, n):
    return spaced_ascending(cfg, n)[::-1].copy()


def euler_timesteps(cfg, n):
    N = cfg["num_train_timesteps"]
    spacing = cfg["timestep_spacing"]
    if spacing == "linspace":
        return np.linspace(0, N - 1, n, dtype=F)[::-1].copy().astype(np.float64)
    if spacing == "leading":
        return ((np.arange(0, n) * (N // n)).round()[::-1] + cfg["steps_offset"]).astype(F).astype(np.float64)
    return (np.arange(N, 0, -N / n).round() - 1).astype(F).astype(np.float64)


def dpm_timesteps(cfg, n):
    N = cfg["num_train_timesteps"]
    spacing = cfg["timestep_spacing"]
    if spacing == "linspace":
        return np.linspace(0, N - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
    if spacing == "leading":
        return (np.arange(0, n + 1) * (N // (n + 1))).round()[::-1][:-1].astype(np.int64) + cfg["steps_offset"]
    return np.arange(N, 0, -N / n).round().astype(np.int64) - 1


def karras(sigma_min, sigma_max, n):
    ramp = np.linspace(0, 1, n)
    lo, hi = sigma_min ** (1 / 7.0), sigma_max ** (1 / 7.0)
    return (hi + ramp * (lo - hi)) ** 7.0


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(max(sigma, 1e-10))
    dists = log_sigma - log_sigmas.astype(np.float64)
    low = int(np.cumsum(dists >= 0).argmax())
    low = min(low, len(log_sigmas) - 2)
    lo, hi = log_sigmas[low], log_sigmas[low + 1]
    w = (float(lo) - log_sigma) / float(F(lo - hi))
    w = min(max(w, 0.0), 1.0)
    return (1 - w) * low + w * (low + 1)


# torch's float32 exp/log on x86 CPUs are SLEEF's 1-ulp vector functions (Sleef_expf8_u10,
# Sleef_logf8_u10 = xexpf / xlogf_u1 in sleefsimdsp.c, with FMA), even for 0-dim tensors.

def _bits(x):
    return struct.unpack("<I", struct.pack("<f", F(x)))[0]


def _from_bits(b):
    return F(struct.unpack("<f", struct.pack("<I", b & 0xFFFFFFFF))[0])


def sleef_expf(d):
    d = F(d)
    if d < -104:
        return F(0)
    if d > 100:
        return F(np.inf)
    q = int(np.rint(F(d * F(1.442695040888963407359924681001892137426645954152985934135449406931))))
    s = f32_fma(F(q), -F(0.693145751953125), d)
    s = f32_fma(F(q), -F(1.428606765330187045e-06), s)
    u = F(0.000198527617612853646278381)
    for c in (0.00139304355252534151077271, 0.00833336077630519866943359, 0.0416664853692054748535156,
              0.166666671633720397949219, 0.5):
        u = f32_fma(u, s, F(c))
    u = F(F(1) + f32_fma(F(s * s), u, s))
    return F(F(u * F(2.0 ** (q >> 1))) * F(2.0 ** (q - (q >> 1))))


def sleef_logf(d):
    d = F(d)
    if d == 0:
        return F(-np.inf)
    if d < 0 or np.isnan(d):
        return F(np.nan)
    if np.isinf(d):
        return F(np.inf)
    tiny = d < F(np.finfo(np.float32).tiny)
    if tiny:
        d = F(d * F(2.0 ** 64))
    e = ((_bits(F(d * F(1.0 / 0.75))) >> 23) & 0xFF) - 0x7F
    m = _from_bits(_bits(d) + ((-e) << 23))
    if tiny:
        e -= 64

    def add2(x, y):  # dfadd2_vf2_vf_vf
        rx = F(x + y)
        v = F(rx - x)
        return rx, F(F(x - F(rx - v)) + F(y - v))

    lx, ly = F(0.69314718246459960938), F(-1.904654323148236017e-09)
    sx = F(lx * F(e))
    sy = f32_fma(ly, F(e), f32_fma(lx, F(e), -sx))
    nx, ny = add2(F(-1), m)
    dx, dy = add2(F(1), m)
    t = F(F(1) / dx)  # dfdiv_vf2_vf2_vf2 (FMA form)
    qx = F(nx * t)
    u = f32_fma(t, nx, -qx)
    qy = f32_fma(-dy, t, f32_fma(-dx, t, F(1)))
    qy = f32_fma(qx, qy, f32_fma(ny, t, u))
    x2 = F(qx * qx)
    p = F(0.3027294874)
    p = f32_fma(p, x2, F(0.3996108174))
    p = f32_fma(p, x2, F(0.6666694880))
    # dfadd_vf2_vf2_vf2(s, 2x), then dfadd_vf2_vf2_vf(s, x2·x·p)
    ax, ay = F(qx * 2), F(qy * 2)
    rx = F(sx + ax)
    ry = F(F(F(F(sx - rx) + ax) + sy) + ay)
    w = F(F(x2 * qx) * p)
    rx2 = F(rx + w)
    ry2 = F(F(F(rx - rx2) + w) + ry)
    return F(rx2 + ry2)


def train_sigmas(ac):
    return np.sqrt(((F(1) - ac) / ac).astype(F)).astype(F)


# ---------------------------------------------------------------- known inputs

def tensor(seed, scale):
    i = np.arange(SIZE, dtype=np.float64)
    return (np.sin(i * 0.731 + seed * 1.37) * scale + np.cos(i * 0.193 * (seed + 1)) * 0.25).astype(F)


def model_output(step):
    return tensor(10 + step, 1.0)


def noise(step):
    return tensor(50 + step, 1.0)


# ---------------------------------------------------------------- schedulers

def ddim_run(cfg, n, steps, eta=0.0):
    ac = alphas_cumprod_for(cfg)
    final = F(1.0) if cfg["set_alpha_to_one"] else ac[0]
    ts = ddim_timesteps(cfg, n)
    x = tensor(0, 1.0)
    ratio = cfg["num_train_timesteps"] // n
    for k in range(steps):
        t = int(ts[k])
        eps_in = model_output(k)
        a_t = ac[t]
        a_prev = ac[t - ratio] if t - ratio >= 0 else final
        b_t = F(1 - a_t)
        if cfg["prediction_type"] == "epsilon":
            x0 = ((x - np.sqrt(b_t) * eps_in) / np.sqrt(a_t)).astype(F)
            eps = eps_in
        else:  # v_prediction
            x0 = (np.sqrt(a_t) * x - np.sqrt(b_t) * eps_in).astype(F)
            eps = (np.sqrt(a_t) * eps_in + np.sqrt(b_t) * x).astype(F)
        if cfg["clip_sample"]:
            x0 = np.clip(x0, -1, 1)
        var = F(F(F(1 - a_prev) / b_t) * F(1 - F(a_t / a_prev)))
        std = F(F(eta) * np.sqrt(var))
        direction = (np.sqrt(F(F(1 - a_prev) - F(std * std))) * eps).astype(F)
        x = (np.sqrt(a_prev) * x0 + direction).astype(F)
        if eta > 0:
            x = (x + std * noise(k)).astype(F)
    return ts, x


def ddim_inverse_run(cfg, n, steps, formula):
    ac = alphas_cumprod_for(cfg)
    below = F(1.0) if cfg["set_alpha_to_one"] else ac[0]
    ts = spaced_ascending(cfg, n)
    ratio = cfg["num_train_timesteps"] // n
    x = tensor(3, 0.8)
    for k in range(steps):
        t = int(ts[k])
        s = min(t - ratio, cfg["num_train_timesteps"] - 1)
        a_s = ac[s] if s >= 0 else below
        a_t = ac[t]
        eps = model_output(k)
        if formula == "lavis":
            c1 = F(F(1 / np.sqrt(a_s)) - F(1 / np.sqrt(a_t)))
            c2 = F(np.sqrt(F(F(1 / a_t) - 1)) - np.sqrt(F(F(1 / a_s) - 1)))
            x = (np.sqrt(a_t) * (c1 * x + c2 * eps).astype(F) + x).astype(F)
        else:
            x0 = ((x - np.sqrt(F(1 - a_s)) * eps) / np.sqrt(a_s)).astype(F)
            x = (np.sqrt(a_t) * x0 + np.sqrt(F(1 - a_t)) * eps).astype(F)
    return ts, x


def pndm_run(cfg, n, steps):
    ac = alphas_cumprod_for(cfg)
    final = F(1.0) if cfg["set_alpha_to_one"] else ac[0]
    ts = pndm_timesteps(cfg, n)
    prk = prk_timesteps(cfg, n) if not cfg.get("skip_prk_steps", False) else []
    ratio = cfg["num_train_timesteps"] // n
    x = tensor(1, 1.0)
    ets, cur_sample, counter, cur_out = [], None, 0, None

    def prev_sample(sample, t, prev_t, eps):
        a_t = ac[t]
        a_prev = ac[prev_t] if prev_t >= 0 else final
        b_t, b_prev = F(1 - a_t), F(1 - a_prev)
        coeff = np.sqrt(F(a_prev / a_t))
        denom = F(F(a_t * np.sqrt(b_prev)) + np.sqrt(F(F(a_t * b_t) * a_prev)))
        return (coeff * sample - (F(a_prev - a_t) * eps) / denom).astype(F)

    for k in range(steps):
        t = int(ts[k])
        out = model_output(k)
        if counter < len(prk):
            # Runge-Kutta warm-up (PNDMScheduler.step_prk)
            prev_t = t - (0 if counter % 2 else ratio // 2)
            t = int(prk[counter // 4 * 4])
            eps = out
            if counter % 4 == 0:
                cur_out = (F(1 / 6) * out).astype(F)
                ets.append(out)
                cur_sample = x
            elif counter % 4 == 3:
                eps = (cur_out + F(1 / 6) * out).astype(F)
            else:
                cur_out = (cur_out + F(1 / 3) * out).astype(F)
            x = prev_sample(cur_sample, t, prev_t, eps)
            counter += 1
            continue
        prev_t = t - ratio
        if counter != 1:
            ets = ets[-3:] + [out]
        else:
            prev_t, t = t, t + ratio
        sample = x
        if len(ets) == 1 and counter == 0:
            eps, cur_sample = out, x
        elif len(ets) == 1 and counter == 1:
            eps = ((out + ets[-1]) / F(2)).astype(F)
            sample, cur_sample = cur_sample, None
        elif len(ets) == 2:
            eps = ((F(3) * ets[-1] - ets[-2]) / F(2)).astype(F)
        elif len(ets) == 3:
            eps = ((F(23) * ets[-1] - F(16) * ets[-2] + F(5) * ets[-3]) / F(12)).astype(F)
        else:
            eps = (F(1 / 24) * (F(55) * ets[-1] - F(59) * ets[-2] + F(37) * ets[-3] - F(9) * ets[-4])).astype(F)
        x = prev_sample(sample, t, prev_t, eps)
        counter += 1
    return ts, x


def euler_setup(cfg, n):
    ac = alphas_cumprod_for(cfg)
    sig_train = train_sigmas(ac)
    ts = euler_timesteps(cfg, n)
    sig = np.interp(ts, np.arange(len(sig_train)), sig_train)
    if cfg.get("use_karras_sigmas"):
        logs = np.log(sig_train)  # numpy float32 log, as diffusers
        sig = karras(sig[-1], sig[0], n)
        ts = np.array([sigma_to_t(s, logs) for s in sig]).astype(F).astype(np.float64)
    sigmas = np.concatenate([sig, [0.0]]).astype(F)
    return ts, sigmas


def euler_run(cfg, n, steps, ancestral):
    ts, sigmas = euler_setup(cfg, n)
    smax = sigmas.max()
    init_sigma = smax if cfg["timestep_spacing"] in ("linspace", "trailing") else np.sqrt(F(F(smax * smax) + 1))
    x = (tensor(2, 1.0) * init_sigma).astype(F)
    scaled_inputs = []
    for k in range(steps):
        s, s_next = sigmas[k], sigmas[k + 1]
        scaled_inputs.append((x / np.sqrt(F(F(s * s) + 1))).astype(F))
        out = model_output(k)
        x0 = (x - s * out).astype(F)
        d = ((x - x0) / s).astype(F)
        if ancestral:
            f2, t2 = F(s * s), F(s_next * s_next)
            up = np.sqrt(F(F(t2 * F(f2 - t2)) / f2))
            down = np.sqrt(F(t2 - F(up * up)))
            x = (x + d * F(down - s)).astype(F)
            x = (x + noise(k) * up).astype(F)
        else:
            x = (x + d * F(s_next - s)).astype(F)
    return ts, sigmas, float(init_sigma), scaled_inputs[-1], x


def alpha_sigma(s):
    a = F(1 / np.sqrt(F(F(s * s) + 1)))
    return a, F(s * a)


def dpm_run(cfg, n, steps):
    ac = alphas_cumprod_for(cfg)
    sig_train = train_sigmas(ac)
    ts = dpm_timesteps(cfg, n)
    if cfg.get("use_karras_sigmas"):
        logs = np.log(sig_train)  # numpy float32 log, as diffusers
        sig = karras(float(sig_train[0]), float(sig_train[-1]), n)
        ts = np.array([sigma_to_t(s, logs) for s in sig]).round().astype(np.int64)
    else:
        sig = np.interp(ts, np.arange(len(sig_train)), sig_train)
    sigmas = np.concatenate([sig, [0.0]]).astype(F)
    x = tensor(4, 1.0)
    outputs = []
    for k in range(steps):
        a_s, s_s = alpha_sigma(sigmas[k])
        x0 = ((x - s_s * model_output(k)) / a_s).astype(F)
        outputs.append(x0)
        a_t, s_t = alpha_sigma(sigmas[k + 1])
        lam = lambda a, s: F(sleef_logf(a) - sleef_logf(s))
        h = F(lam(a_t, s_t) - lam(a_s, s_s))
        coeff = F(a_t * F(sleef_expf(-h) - 1))
        last = k == len(ts) - 1
        if k == 0 or last:
            x = (F(s_t / s_s) * x - coeff * x0).astype(F)
        else:
            a_s1, s_s1 = alpha_sigma(sigmas[k - 1])
            h0 = F(lam(a_s, s_s) - lam(a_s1, s_s1))
            r0 = F(h0 / h)
            d1 = (F(1 / r0) * (x0 - outputs[-2])).astype(F)
            x = ((F(s_t / s_s) * x - coeff * x0).astype(F) - F(F(0.5) * coeff) * d1).astype(F)
    return ts, sigmas, x


# ---------------------------------------------------------------- the same runs with torch tensors
# Written like diffusers' step functions (0-dim float32 tensors, Python float scalars), to
# check that the float32 rounding emulated above is the rounding torch performs.

def torch_runs(torch):
    T = lambda a: torch.from_numpy(np.asarray(a, dtype=F).copy())

    def ddim(cfg, n, steps, eta=0.0):
        ac = torch.cumprod(1.0 - T(betas_for(cfg)), dim=0)
        final = torch.tensor(1.0) if cfg["set_alpha_to_one"] else ac[0]
        ts = ddim_timesteps(cfg, n)
        ratio = cfg["num_train_timesteps"] // n
        x = T(tensor(0, 1.0))
        for k in range(steps):
            t = int(ts[k])
            mo = T(model_output(k))
            a_t = ac[t]
            a_prev = ac[t - ratio] if t - ratio >= 0 else final
            b_t = 1 - a_t
            if cfg["prediction_type"] == "epsilon":
                x0 = (x - b_t ** 0.5 * mo) / a_t ** 0.5
                eps = mo
            else:
                x0 = (a_t ** 0.5) * x - (b_t ** 0.5) * mo
                eps = (a_t ** 0.5) * mo + (b_t ** 0.5) * x
            if cfg["clip_sample"]:
                x0 = x0.clamp(-1, 1)
            var = ((1 - a_prev) / b_t) * (1 - a_t / a_prev)
            std = eta * var ** 0.5
            x = a_prev ** 0.5 * x0 + (1 - a_prev - std ** 2) ** 0.5 * eps
            if eta > 0:
                x = x + std * T(noise(k))
        return x.numpy()

    def pndm(cfg, n, steps):
        ac = torch.cumprod(1.0 - T(betas_for(cfg)), dim=0)
        final = torch.tensor(1.0) if cfg["set_alpha_to_one"] else ac[0]
        ts = pndm_timesteps(cfg, n)
        prk = prk_timesteps(cfg, n) if not cfg.get("skip_prk_steps", False) else []
        ratio = cfg["num_train_timesteps"] // n
        x = T(tensor(1, 1.0))
        ets, cur, counter, cur_out = [], None, 0, 0

        def get_prev_sample(sample, t, prev_t, mo):
            a_t = ac[t]
            a_prev = ac[prev_t] if prev_t >= 0 else final
            b_t, b_prev = 1 - a_t, 1 - a_prev
            coeff = (a_prev / a_t) ** 0.5
            denom = a_t * b_prev ** 0.5 + (a_t * b_t * a_prev) ** 0.5
            return coeff * sample - (a_prev - a_t) * mo / denom

        for k in range(steps):
            t = int(ts[k])
            mo = T(model_output(k))
            if counter < len(prk):
                diff = 0 if counter % 2 else ratio // 2
                prev_t = t - diff
                t = int(prk[counter // 4 * 4])
                if counter % 4 == 0:
                    cur_out += 1 / 6 * mo
                    ets.append(mo)
                    cur = x
                elif (counter - 1) % 4 == 0 or (counter - 2) % 4 == 0:
                    cur_out += 1 / 3 * mo
                else:
                    mo = cur_out + 1 / 6 * mo
                    cur_out = 0
                x = get_prev_sample(cur, t, prev_t, mo)
                counter += 1
                continue
            prev_t = t - ratio
            if counter != 1:
                ets = ets[-3:] + [mo]
            else:
                prev_t, t = t, t + ratio
            sample = x
            if len(ets) == 1 and counter == 0:
                cur = x
            elif len(ets) == 1 and counter == 1:
                mo = (mo + ets[-1]) / 2
                sample, cur = cur, None
            elif len(ets) == 2:
                mo = (3 * ets[-1] - ets[-2]) / 2
            elif len(ets) == 3:
                mo = (23 * ets[-1] - 16 * ets[-2] + 5 * ets[-3]) / 12
            else:
                mo = (1 / 24) * (55 * ets[-1] - 59 * ets[-2] + 37 * ets[-3] - 9 * ets[-4])
            x = get_prev_sample(sample, t, prev_t, mo)
            counter += 1
        return x.numpy()

    def inverse_lavis(cfg, n, steps):
        ac = torch.cumprod(1.0 - T(betas_for(cfg)), dim=0)
        below = torch.tensor(1.0) if cfg["set_alpha_to_one"] else ac[0]
        ts = spaced_ascending(cfg, n)
        ratio = cfg["num_train_timesteps"] // n
        x = T(tensor(3, 0.8))
        for k in range(steps):
            t = int(ts[k])
            a_t = ac[t - ratio] if t - ratio >= 0 else below
            a_tm1 = ac[t]
            eps = T(model_output(k))
            x = a_tm1 ** 0.5 * ((a_t ** -0.5 - a_tm1 ** -0.5) * x + ((1 / a_tm1 - 1) ** 0.5 - (1 / a_t - 1) ** 0.5) * eps) + x
        return x.numpy()

    def euler(cfg, n, steps, ancestral):
        _, sig = euler_setup(cfg, n)
        sigmas = T(sig)
        smax = max(sigmas)
        init = smax if cfg["timestep_spacing"] in ("linspace", "trailing") else (smax ** 2 + 1) ** 0.5
        x = T(tensor(2, 1.0)) * init
        for k in range(steps):
            s = sigmas[k]
            mo = T(model_output(k))
            x0 = x - s * mo
            d = (x - x0) / s
            if ancestral:
                s_from, s_to = sigmas[k], sigmas[k + 1]
                up = (s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2) ** 0.5
                down = (s_to ** 2 - up ** 2) ** 0.5
                x = x + d * (down - s)
                x = x + T(noise(k)) * up
            else:
                x = x + d * (sigmas[k + 1] - s)
        return x.numpy()

    def dpm(cfg, n, steps):
        ts, sig, _ = dpm_run(cfg, n, 0)
        sigmas = T(sig)

        def alpha_sigma_t(sg):
            a = 1 / ((sg ** 2 + 1) ** 0.5)
            return a, sg * a

        x = T(tensor(4, 1.0))
        outs = []
        for k in range(steps):
            a_s, s_s = alpha_sigma_t(sigmas[k])
            x0 = (x - s_s * T(model_output(k))) / a_s
            outs.append(x0)
            a_t, s_t = alpha_sigma_t(sigmas[k + 1])
            lam_t = torch.log(a_t) - torch.log(s_t)
            lam_s = torch.log(a_s) - torch.log(s_s)
            h = lam_t - lam_s
            if k == 0 or k == len(ts) - 1:
                x = (s_t / s_s) * x - (a_t * (torch.exp(-h) - 1.0)) * x0
            else:
                a_s1, s_s1 = alpha_sigma_t(sigmas[k - 1])
                h0 = lam_s - (torch.log(a_s1) - torch.log(s_s1))
                r0 = h0 / h
                d1 = (1.0 / r0) * (outs[-1] - outs[-2])
                x = (s_t / s_s) * x - (a_t * (torch.exp(-h) - 1.0)) * outs[-1] - 0.5 * (a_t * (torch.exp(-h) - 1.0)) * d1
        return x.numpy()

    return {"ddim": ddim, "pndm": pndm, "inverse_lavis": inverse_lavis, "euler": euler, "dpm": dpm}


def check_steps_against_torch(cases):
    """Re-runs every case with torch; returns (cases checked, cases bit-identical, largest |difference|).

    Known difference: torch's float32 log/exp are SLEEF's 1-ulp versions, the emulation here
    (and the TypeScript) round the exact value, so DPM-Solver's λ/e^−h coefficients can differ
    by one ulp (torch 1.13 AVX2: 2 of the 4 DPM cases, at most 3.8e-6 after 10 steps)."""
    try:
        import torch
    except ImportError:
        return None
    runs = torch_runs(torch)
    checked = identical = 0
    worst = 0.0
    for c in cases:
        kind, cfg, o = c["scheduler"], c["config"], c["options"]
        if kind == "ddim":
            got = runs["ddim"](cfg, o["steps"], o["run"], o["eta"])
        elif kind == "pndm":
            got = runs["pndm"](cfg, o["steps"], o["run"])
        elif kind == "ddim_inverse" and o["formula"] == "lavis":
            got = runs["inverse_lavis"](cfg, o["steps"], o["run"])
        elif kind in ("euler", "euler_ancestral"):
            got = runs["euler"](cfg, o["steps"], o["run"], kind == "euler_ancestral")
        elif kind.startswith("dpmpp"):
            got = runs["dpm"](cfg, o["steps"], o["run"])
        else:
            continue
        expected = np.array(c["result"], dtype=F)
        checked += 1
        identical += int(np.array_equal(got, expected))
        worst = max(worst, float(np.abs(got - expected).max()))
    return {"torch": torch.__version__, "cases": checked, "bit_identical": identical, "max_abs_diff": worst}


def exp_log_vectors():
    """Inputs and outputs for the SLEEF exp/log emulation; checked against torch when present."""
    xs_exp = np.concatenate([np.linspace(-12, 12, 97), [-103.9, -50.5, 0.0, 1e-8, 88.7]]).astype(F)
    xs_log = np.concatenate([np.linspace(1e-3, 4, 97), np.exp(np.linspace(-30, 30, 41)), [1e-40, 1.0]]).astype(F)
    exp_out = np.array([sleef_expf(x) for x in xs_exp], dtype=F)
    log_out = np.array([sleef_logf(x) for x in xs_log], dtype=F)
    checked = None
    try:
        import torch
        dense = np.linspace(-20, 20, 40001).astype(F)
        assert np.array_equal(torch.exp(torch.from_numpy(dense)).numpy(), np.array([sleef_expf(x) for x in dense], dtype=F))
        dense_log = np.exp(np.linspace(-40, 40, 40001)).astype(F)
        assert np.array_equal(torch.log(torch.from_numpy(dense_log)).numpy(), np.array([sleef_logf(x) for x in dense_log], dtype=F))
        assert np.array_equal(torch.exp(torch.from_numpy(xs_exp)).numpy(), exp_out)
        assert np.array_equal(torch.log(torch.from_numpy(xs_log)).numpy(), log_out)
        checked = torch.__version__
    except ImportError:
        pass
    return {"checked_against_torch": checked, "exp_in": floats(xs_exp), "exp_out": floats(exp_out),
            "log_in": floats(xs_log), "log_out": floats(log_out)}


def floats(a):
    return [float(v) for v in np.asarray(a).reshape(-1)]


def main():
    sd = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
          "set_alpha_to_one": False, "steps_offset": 0, "prediction_type": "epsilon", "clip_sample": False}
    lavis_ddim = {**sd, "steps_offset": 1, "timestep_spacing": "leading"}
    linear = {"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear",
              "set_alpha_to_one": True, "steps_offset": 0, "prediction_type": "epsilon", "clip_sample": True}
    cosine = {**linear, "beta_schedule": "squaredcos_cap_v2", "clip_sample": False}
    torch_version = check_against_torch([sd, linear])

    cases = []

    def add(kind, config, options, **data):
        cases.append({"scheduler": kind, "config": config, "options": options,
                      **{k: (floats(v) if isinstance(v, np.ndarray) else v) for k, v in data.items()}})

    for cfg in (sd, linear, cosine):
        ac = alphas_cumprod_for(cfg)
        cases.append({"scheduler": "schedule", "config": cfg, "options": {},
                      "betas_at": {str(i): float(betas_for(cfg)[i]) for i in (0, 1, 499, 998, 999)},
                      "alphas_cumprod_at": {str(i): float(ac[i]) for i in list(range(0, 1000, 37)) + [999]}})

    for steps_total in (25, 50):
        ts, x = pndm_run({**sd, "skip_prk_steps": True, "timestep_spacing": "leading"}, steps_total, 6)
        add("pndm", {**sd, "skip_prk_steps": True}, {"steps": steps_total, "run": 6}, timesteps=ts, result=x)
    prk_cfg = {**sd, "skip_prk_steps": False}
    ts, x = pndm_run(prk_cfg, 25, 16)  # 12 Runge-Kutta evaluations, then 4 PLMS steps
    add("pndm", prk_cfg, {"steps": 25, "run": 16}, timesteps=ts, result=x)
    ts, x = pndm_run({**sd, "skip_prk_steps": True, "timestep_spacing": "trailing"}, 30, 5)
    add("pndm", {**sd, "skip_prk_steps": True, "timestep_spacing": "trailing"}, {"steps": 30, "run": 5}, timesteps=ts, result=x)

    for cfg, eta in ((lavis_ddim, 0.0), (sd, 0.0), (linear, 0.0), (sd, 0.7), ({**sd, "timestep_spacing": "linspace"}, 0.0),
                     ({**sd, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 0.0)):
        c = {**cfg, "timestep_spacing": cfg.get("timestep_spacing", "leading")}
        ts, x = ddim_run(c, 50, 4, eta)
        add("ddim", c, {"steps": 50, "run": 4, "eta": eta}, timesteps=ts, result=x)

    for formula in ("lavis", "diffusers"):
        ts, x = ddim_inverse_run(lavis_ddim, 50, 5, formula)
        add("ddim_inverse", lavis_ddim, {"steps": 50, "run": 5, "formula": formula}, timesteps=ts, result=x)

    for kind, cfg in (("euler", {**sd, "timestep_spacing": "linspace"}), ("euler", {**sd, "timestep_spacing": "leading", "steps_offset": 1}),
                      ("euler", {**sd, "timestep_spacing": "linspace", "use_karras_sigmas": True}),
                      ("euler_ancestral", {**sd, "timestep_spacing": "linspace"}), ("euler_ancestral", {**cosine, "timestep_spacing": "trailing"})):
        ts, sigmas, init_sigma, scaled, x = euler_run(cfg, 30, 4, kind == "euler_ancestral")
        add(kind, cfg, {"steps": 30, "run": 4}, timesteps=ts, sigmas=sigmas, init_noise_sigma=init_sigma,
            last_scaled_input=scaled, result=x)

    for cfg, steps_total, run in (({**sd, "timestep_spacing": "linspace"}, 20, 5), ({**sd, "timestep_spacing": "leading"}, 10, 10),
                                  ({**sd, "timestep_spacing": "linspace", "use_karras_sigmas": True}, 25, 5),
                                  ({**linear, "timestep_spacing": "trailing", "clip_sample": False}, 8, 8)):
        ts, sigmas, x = dpm_run(cfg, steps_total, run)
        add("dpmpp_2m_karras" if cfg.get("use_karras_sigmas") else "dpmpp_2m", cfg, {"steps": steps_total, "run": run},
            timesteps=ts, sigmas=sigmas, result=x)

    torch_check = check_steps_against_torch(cases)
    fixture = {
        "generator": "tools/scheduler_vectors.py",
        "steps_checked_against_torch": torch_check,
        "numpy": np.__version__,
        "beta_schedules_checked_against_torch": torch_version,
        "inputs": "tensor(seed, scale)[i] = sin(0.731 i + 1.37 seed)·scale + cos(0.193 (seed+1) i)·0.25, float32, "
                  f"{SIZE} values; sample: pndm seed 1, ddim 0, inverse 3 (scale 0.8), euler 2 (× init σ), dpm 4; "
                  "model output at step k: seed 10 + k; noise at step k: seed 50 + k",
        "size": SIZE,
        "torch_exp_log": exp_log_vectors(),
        "cases": cases,
    }
    OUT.write_text(json.dumps(fixture) + "\n")


if __name__ == "__main__":
    main()
