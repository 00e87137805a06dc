// Figures for people: durations, bytes, percentages, clock times. `–` for unknown.

export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function ago(at, now = Date.now()) {
  return at === null || at === undefined ? '–' : `${duration(Math.max(0, now - at))} ago`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)}${units[unit]}`;
}

export function percent(n) {
  return n === null || n === undefined ? '–' : `${n.toFixed(1)}%`;
}

export function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour12: false });
}

export function orDash(value) {
  return value === null || value === undefined || value === '' ? '–' : String(value);
}
