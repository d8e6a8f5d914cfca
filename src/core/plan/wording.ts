// The wording of counts in what the tool says: core reports in numbers, in these words.

/** 12345 → "12,345": counts are read by people. */
export function count(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}
