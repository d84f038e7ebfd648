/** Beta sampling for Thompson sampling, from two gamma draws. */

/** A standard normal draw (Box-Muller). */
function sampleNormal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) draw for shape >= 1 (Marsaglia and Tsang's squeeze method). */
export function sampleGamma(shape: number, random: () => number): number {
  if (shape < 1) throw new RangeError(`gamma shape ${shape} is below 1; the posteriors here always start at 1`);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = sampleNormal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * A Beta(a, b) draw, a and b >= 1. With a or b equal to 1 (an item never clicked, or never
 * skipped: most candidates) the draw is one uniform's power, not two gamma draws.
 */
export function sampleBeta(a: number, b: number, random: () => number): number {
  if (b === 1) return a === 1 ? random() : Math.pow(1 - random(), 1 / a);
  if (a === 1) return 1 - Math.pow(1 - random(), 1 / b);
  const x = sampleGamma(a, random);
  return x / (x + sampleGamma(b, random));
}
