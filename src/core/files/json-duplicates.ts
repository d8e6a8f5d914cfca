/**
 * JSON.parse keeps the last of repeated keys, silently: `"validators"` twice reads as the second
 * list only. This scan of text that JSON.parse accepted finds the first key repeated within one
 * object, with its path and position, so that the file can be refused naming both.
 */
export interface DuplicateKey {
  /** Path of the object holding the key, e.g. ["validators", 3]. */
  path: (string | number)[];
  key: string;
  /** Offset of the second occurrence in the text. */
  offset: number;
}

interface Frame {
  /** Keys seen so far (objects only). */
  keys?: Set<string>;
  /** Objects: the current key; arrays: the current index. */
  at: string | number;
  expectKey: boolean;
}

/** The first repeated key in `text` (valid JSON), or undefined. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      const start = i;
      i++;
      let escaped = false;
      let anyEscape = false;
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (escaped) escaped = false;
        else if (c === 0x5c /* \ */) escaped = anyEscape = true;
        else if (c === 0x22) break;
      }
      const top = stack.at(-1);
      if (top?.keys && top.expectKey) {
        // Only a key with escapes needs JSON.parse to be read (20,000 keys of a 10,000-validator
        // file cost some 20 ms that way).
        const key = anyEscape
          ? (JSON.parse(text.slice(start, i + 1)) as string)
          : text.slice(start + 1, i);
        if (top.keys.has(key)) {
          return { path: stack.slice(0, -1).map((frame) => frame.at), key, offset: start };
        }
        top.keys.add(key);
        top.at = key;
        top.expectKey = false;
      }
    } else if (char === 0x7b /* { */) {
      stack.push({ keys: new Set(), at: "", expectKey: true });
    } else if (char === 0x5b /* [ */) {
      stack.push({ at: 0, expectKey: false });
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      stack.pop();
    } else if (char === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top?.keys) top.expectKey = true;
      else if (top) top.at = (top.at as number) + 1;
    }
  }
  return undefined;
}
