// "Did you mean ...?" for a misspelt command or option: the known name
// closest to what was typed, by edit distance, if it is close enough.

/**
 * Edits (insert, delete, substitute, swap two neighbours) that turn `a` into
 * `b`: the optimal string alignment distance, so `conect` and `idel` are one
 * edit from `connect` and `idle`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name nearest to `typed`, or null when none is near: at most one
 * edit for names of up to four letters, two for longer ones (so that `json`
 * does not suggest `idle`).
 */
export function closest(typed: string, known: readonly string[]): string | null {
  const typedLower = typed.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(typedLower, name.toLowerCase());
    const allowed = Math.min(typedLower.length, name.length) <= 4 ? 1 : 2;
    if (distance <= allowed && distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}
