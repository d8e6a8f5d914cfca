// TESTS ONLY, loaded with `node --import` into vitest's forks (vitest.config.ts) and into the
// runs runCli spawns (tests/support/cli.ts); worker threads inherit it. Makes the tool write
// keystores with cheap KDF parameters (scrypt n=2^10, pbkdf2 c=2^10) instead of Aztec's
// (n=2^17, c=2^18): see src/core/keys/keystore-kdf.ts. Only code in the process can set this,
// never an option or environment variable, so an operator's keystores are always Aztec's.
globalThis[Symbol.for("aztec-butler.test-only.cheap-keystore-kdf")] = true;
