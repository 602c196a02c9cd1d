/**
 * The few numpy range functions diffusers' `set_timesteps` uses, with numpy's exact
 * double arithmetic, so timestep lists (and the fractional Euler timesteps) match.
 */

/** `np.round` / `np.ndarray.round()`: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; numpy rounds .5 to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.linspace(start, stop, num)` in float64: i·((stop − start)/(num − 1)) + start, the last value exactly `stop`. */
export function numpyLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * `np.arange(start, stop, step)` for float arguments: length ceil((stop − start)/step), and
 * values start + i·delta where delta = (start + step) − start, as numpy's fill computes them.
 */
export function numpyArange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = i === 0 ? start : i === 1 ? start + step : start + i * delta;
  return out;
}

/** `np.interp(x, arange(len(fp)), fp)` for x inside [0, len − 1]: numpy's slope·(x − j) + fp[j]. */
export function interpolateAtIndex(x: number, fp: ArrayLike<number>): number {
  const last = fp.length - 1;
  if (x <= 0) return fp[0];
  if (x >= last) return fp[last];
  const j = Math.floor(x);
  if (j === x) return fp[j];
  const slope = fp[j + 1] - fp[j];
  return slope * (x - j) + fp[j];
}
