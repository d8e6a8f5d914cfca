// The wording of counts in what the tool says: core reports in numbers, in these words.

/** 12345 → "12,345": counts are read by people. */
export function count(n: number | bigint): string {
  // Not toLocaleString("en-US"): its first call loads ICU's number formatting, some 30 ms of a
  // run's start-up. Integers only (what is counted); anything else as String() writes it.
  const text = String(n);
  return /^-?\d+$/.test(text) ? text.replace(/\B(?=(\d{3})+$)/g, ",") : text;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}
