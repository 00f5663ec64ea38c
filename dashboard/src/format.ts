const numbers = new Intl.NumberFormat('en-US');

export function count(n: number | undefined): string {
  return n === undefined ? '—' : numbers.format(n);
}

export function limitText(limit: number): string {
  return limit === -1 ? 'unlimited' : numbers.format(limit);
}

/** "in 4 min", "12 s ago": times next to now read faster than timestamps; the full time goes in a title. */
export function relative(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = at - now;
  const abs = Math.abs(diff);
  const unit =
    abs < 1_000 ? null : abs < 90_000 ? [Math.round(abs / 1_000), 's'] : abs < 3_000_000 ? [Math.round(abs / 60_000), 'min'] : abs < 129_600_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'd'];
  if (!unit) return 'now';
  return diff > 0 ? `in ${unit[0]} ${unit[1]}` : `${unit[0]} ${unit[1]} ago`;
}

export function clock(iso: string | Date | undefined): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString('en-GB', { hour12: false });
}

export function fullTime(iso: string | undefined | null): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Ids are ULIDs whose first characters are a timestamp shared by neighbours: the end tells them apart. */
export function shortId(id: string): string {
  return id.length > 12 ? `…${id.slice(-8)}` : id;
}

export function json(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
